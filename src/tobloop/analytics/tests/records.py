"""Normalized event records (the spool's lines, store/schema.py) for store and loader tests."""

from __future__ import annotations

import orjson

RECEIVED = 1_795_176_000_000  # 2026-11-20T12:00:00Z


def stored_record(user: int, *, message_id: str, event: str = "E") -> bytes:
    """One ``track`` record of user ``u{user}`` in workspace 1, as a spool line."""
    return orjson.dumps(
        {
            "workspace_id": 1,
            "type": "track",
            "event": event,
            "distinct_id": f"u{user}",
            "user_id": f"u{user}",
            "timestamp": RECEIVED,
            "received_at": RECEIVED,
            "message_id": message_id,
            "properties": {},
            "traits": {},
            "context": {},
            "source": "segment",
        },
        option=orjson.OPT_APPEND_NEWLINE,
    )
