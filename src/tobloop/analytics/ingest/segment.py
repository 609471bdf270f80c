"""Segment HTTP Tracking API messages → normalized records (store/schema.py), in plain code.

This runs for every event on the ingestion path, so it avoids per-event models: a message is
checked field by field and either becomes one record or a :class:`Rejected` naming the field.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

MAX_MESSAGE_BYTES = 32 * 1024  # Segment: 32 KB per call
MAX_BATCH_BYTES = 500 * 1024  # Segment: 500 KB per batch request
MAX_ID_LENGTH = 255
MAX_EVENT_LENGTH = 255
# Accepted event times: not before 2000-01-01 and at most a day ahead of the server clock.
EARLIEST_MS = 946_684_800_000
FUTURE_TOLERANCE_MS = 24 * 3600 * 1000
# sentAt corrects device clocks (timestamp += receivedAt - sentAt). Differences under a
# second are transit time rather than clock skew and are left alone, so that server-side
# senders keep their exact timestamps.
SKEW_TOLERANCE_MS = 1000

SEGMENT_TYPES = ("track", "identify", "group", "page", "screen", "alias")
_TYPES = frozenset(SEGMENT_TYPES)
_DUMPS_LINE = orjson.OPT_APPEND_NEWLINE
_dumps = orjson.dumps
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


class Rejected(Exception):
    """A message that cannot be stored; ``field`` names the offending field."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


def parse_time_ms(value: Any, field: str) -> int:
    """An ISO-8601 time (``Z`` or an offset; naive means UTC) as epoch milliseconds."""
    if not isinstance(value, str):
        raise Rejected(field, f"{field} must be an ISO-8601 date-time string")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise Rejected(field, f"{field} is not an ISO-8601 date-time: {value[:40]!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return (parsed - _EPOCH) // _MS
    except (OverflowError, ValueError):
        raise Rejected(field, f"{field} is out of range") from None


def check_time(ts: int, received_ms: int, field: str = "timestamp") -> int:
    if ts < EARLIEST_MS:
        raise Rejected(field, f"{field} is before 2000-01-01")
    if ts > received_ms + FUTURE_TOLERANCE_MS:
        raise Rejected(field, f"{field} is more than a day in the future")
    return ts


def _id(msg: dict[str, Any], field: str) -> str | None:
    value = msg.get(field)
    if value is None:
        return None
    if type(value) is str:
        if len(value) > MAX_ID_LENGTH:
            raise Rejected(field, f"{field} is longer than {MAX_ID_LENGTH} characters")
        return value or None
    if type(value) is int:
        return str(value)
    raise Rejected(field, f"{field} must be a string")


def _obj(msg: dict[str, Any], field: str, label: str | None = None) -> dict[str, Any]:
    value = msg.get(field)
    if value is None:
        return {}
    if type(value) is not dict:
        raise Rejected(label or field, f"{label or field} must be a JSON object")
    return value


def content_id(msg: dict[str, Any]) -> str:
    """A stable id for a message that carries none: a hash of its content."""
    body = {k: v for k, v in msg.items() if k not in ("sentAt", "writeKey", "receivedAt")}
    digest = hashlib.md5(orjson.dumps(body, option=orjson.OPT_SORT_KEYS), usedforsecurity=False)
    return "h:" + digest.hexdigest()


def normalize(
    msg: Any,
    *,
    workspace_id: int,
    received_ms: int,
    call_type: str | None = None,
    sent_ms: int | None = None,
    source: str = "segment",
    history: bool = False,
) -> bytes:
    """One Segment message as a normalized record line; raises :class:`Rejected`.

    ``history`` (imports): a message without ``type`` but with ``event`` is a track call, the
    timestamp is required and taken as it is (no sentAt correction).

    This runs for every event on the ingestion path: the usual shapes take inline fast paths
    (a plain string id, an object or a missing field); anything else goes through ``_id`` and
    ``_obj``, which accept or reject it exactly as the fast paths' fallbacks.
    """
    if type(msg) is not dict:
        raise Rejected("message", "a message must be a JSON object")
    get = msg.get
    kind = call_type or get("type")
    if kind is None and history and "event" in msg:
        kind = "track"
    if type(kind) is not str or kind not in _TYPES:
        raise Rejected("type", "type must be one of " + ", ".join(SEGMENT_TYPES))
    user_id = get("userId")
    if type(user_id) is not str or not 0 < len(user_id) <= MAX_ID_LENGTH:
        user_id = _id(msg, "userId")
    anonymous_id = get("anonymousId")
    if anonymous_id is not None and (
        type(anonymous_id) is not str or not 0 < len(anonymous_id) <= MAX_ID_LENGTH
    ):
        anonymous_id = _id(msg, "anonymousId")
    if user_id is None and anonymous_id is None:
        raise Rejected("userId", "userId or anonymousId is required")
    context = get("context")
    if type(context) is not dict:
        context = {} if context is None else _obj(msg, "context")
    properties = get("properties")
    if type(properties) is not dict:
        properties = {} if properties is None else _obj(msg, "properties")
    traits = get("traits")
    if type(traits) is not dict:
        traits = {} if traits is None else _obj(msg, "traits")
    event: Any = ""
    previous_id = None
    account_id = context.get("groupId")
    if account_id is not None and (
        type(account_id) is not str or not 0 < len(account_id) <= MAX_ID_LENGTH
    ):
        account_id = _id(context, "groupId")
    if kind == "track":
        event = get("event")
        if type(event) is not str or not event.strip():
            raise Rejected("event", "event is required (a non-empty string)")
        if len(event) > MAX_EVENT_LENGTH:
            raise Rejected("event", f"event is longer than {MAX_EVENT_LENGTH} characters")
    elif kind == "page" or kind == "screen":
        name = get("name")
        if name is not None and type(name) is not str:
            raise Rejected("name", "name must be a string")
        event = (name or "")[:MAX_EVENT_LENGTH]
        category = get("category")
        if type(category) is str and category and "category" not in properties:
            properties = {**properties, "category": category}
    elif kind == "identify":
        if not traits:
            traits = _obj(context, "traits", "context.traits")  # RudderStack puts them here
    elif kind == "group":
        account_id = _id(msg, "groupId")
        if account_id is None:
            raise Rejected("groupId", "groupId is required for a group call")
    else:  # alias
        previous_id = _id(msg, "previousId")
        if previous_id is None:
            raise Rejected("previousId", "previousId is required for an alias call")
        if user_id is None:
            raise Rejected("userId", "userId is required for an alias call")
    message_id = get("messageId")
    if type(message_id) is str and 0 < len(message_id) <= MAX_ID_LENGTH:
        pass
    elif message_id is None or message_id == "":
        message_id = content_id(msg)
    elif type(message_id) is not str:
        raise Rejected("messageId", "messageId must be a string")
    else:
        raise Rejected("messageId", f"messageId is longer than {MAX_ID_LENGTH} characters")
    stamp = get("timestamp")
    if stamp is None:
        stamp = get("originalTimestamp")
    if stamp is None:
        if history:
            raise Rejected("timestamp", "timestamp is required")
        ts = received_ms
    else:
        ts = parse_time_ms(stamp, "timestamp")
        if not history:
            own_sent = get("sentAt")
            sent = parse_time_ms(own_sent, "sentAt") if own_sent is not None else sent_ms
            if sent is not None and abs(received_ms - sent) >= SKEW_TOLERANCE_MS:
                ts += received_ms - sent
    if not EARLIEST_MS <= ts <= received_ms + FUTURE_TOLERANCE_MS:
        check_time(ts, received_ms)  # raises the reason
    try:
        line = _dumps(
            {
                "workspace_id": workspace_id,
                "type": kind,
                "event": event,
                "distinct_id": user_id or anonymous_id,
                "user_id": user_id,
                "anonymous_id": anonymous_id,
                "account_id": account_id,
                "timestamp": ts,
                "received_at": received_ms,
                "message_id": message_id,
                "previous_id": previous_id,
                "properties": properties,
                "traits": traits,
                "context": context,
                "source": source,
            },
            option=_DUMPS_LINE,
        )
    except (TypeError, orjson.JSONEncodeError) as exc:
        raise Rejected("message", f"the message cannot be stored as JSON: {exc}") from None
    if len(line) > MAX_MESSAGE_BYTES:
        raise Rejected("message", f"the message is larger than {MAX_MESSAGE_BYTES // 1024} KB")
    return line


def dump_record(record: dict[str, Any]) -> bytes:
    try:
        line = orjson.dumps(record, option=_DUMPS_LINE)
    except (TypeError, orjson.JSONEncodeError) as exc:
        raise Rejected("message", f"the message cannot be stored as JSON: {exc}") from None
    if len(line) > MAX_MESSAGE_BYTES:
        raise Rejected("message", f"the message is larger than {MAX_MESSAGE_BYTES // 1024} KB")
    return line
