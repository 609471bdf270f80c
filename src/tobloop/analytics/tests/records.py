"""Normalized event records (the spool's lines, store/schema.py) for store and loader tests."""

from __future__ import annotations

import orjson

RECEIVED = 1_795_176_000_000  # 2026-11-20T12:00:00Z


def stored_record(
    message_id: str,
    *,
    user: str = "u",
    workspace_id: int = 1,
    timestamp: int = RECEIVED,
    received: int = RECEIVED,
) -> bytes:
    """One ``track`` record of event ``E`` by ``user``, as a spool line."""
    return orjson.dumps(
        {
            "workspace_id": workspace_id,
            "type": "track",
            "event": "E",
            "distinct_id": user,
            "user_id": user,
            "timestamp": timestamp,
            "received_at": received,
            "message_id": message_id,
            "properties": {},
            "traits": {},
            "context": {},
            "source": "segment",
        },
        option=orjson.OPT_APPEND_NEWLINE,
    )
