"""Normalized event records (the spool's lines, store/schema.py) for store and loader tests."""

from __future__ import annotations

from typing import Any

import orjson

from tobloop.analytics.store.schema import dedupe_key

RECEIVED = 1_795_176_000_000  # 2026-11-20T12:00:00Z


def event_record(
    message_id: str,
    *,
    user: str = "u",
    workspace_id: int = 1,
    timestamp: int = RECEIVED,
    received: int = RECEIVED,
    kind: str = "track",
) -> dict[str, Any]:
    """One record of a ``kind`` call by ``user`` (a ``track`` call's event is ``E``; an empty
    ``user`` has no user id)."""
    return {
        "workspace_id": workspace_id,
        "type": kind,
        "event": "E" if kind == "track" else "",
        "distinct_id": user,
        "user_id": user or None,
        "anonymous_id": None,
        "timestamp": timestamp,
        "received_at": received,
        "message_id": message_id,
        "properties": {},
        "traits": {},
        "context": {},
        "source": "segment",
    }


def stored_record(message_id: str, **fields: Any) -> bytes:
    """:func:`event_record` as a spool line."""
    return orjson.dumps(event_record(message_id, **fields), option=orjson.OPT_APPEND_NEWLINE)


# A store made before user numbers and the ENUM columns (an earlier version's layout).
OLD_EVENTS = """
CREATE TABLE events (
    workspace_id BIGINT NOT NULL, type VARCHAR NOT NULL, event VARCHAR NOT NULL,
    distinct_id VARCHAR NOT NULL, user_id VARCHAR, anonymous_id VARCHAR, account_id VARCHAR,
    timestamp TIMESTAMP NOT NULL, received_at TIMESTAMP NOT NULL, message_id VARCHAR NOT NULL,
    dedupe_key UBIGINT NOT NULL, previous_id VARCHAR, properties JSON, traits JSON,
    context JSON, source VARCHAR NOT NULL)
"""


def old_row(workspace_id: int, distinct_id: str, message_id: str) -> list[Any]:
    return [
        workspace_id,
        "track",
        "E",
        distinct_id,
        distinct_id or None,
        None,
        None,
        "2026-01-01 00:00:00",
        "2026-01-02 00:00:00",
        message_id,
        dedupe_key(workspace_id, message_id),
        None,
        "{}",
        "{}",
        "{}",
        "segment",
    ]
