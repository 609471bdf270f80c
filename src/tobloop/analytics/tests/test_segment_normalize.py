"""The Segment message check against its earlier, plainer version: the same record or the
same rejection (field and reason) for every message."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tobloop.analytics.ingest import segment
from tobloop.analytics.ingest.segment import (
    _TYPES,
    MAX_EVENT_LENGTH,
    MAX_ID_LENGTH,
    SEGMENT_TYPES,
    SKEW_TOLERANCE_MS,
    Rejected,
    _id,
    _obj,
    check_time,
    content_id,
    parse_time_ms,
)

RECEIVED = 1_795_176_000_000  # 2026-11-20T12:00:00Z
# What orjson.loads can give: integers of 64 bits.
INTS = st.integers(-(2**63), 2**64 - 1)


# The version of segment.normalize before its inline fast paths (commit 4f005ad), verbatim.
def reference_normalize(
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
    """
    if type(msg) is not dict:
        raise Rejected("message", "a message must be a JSON object")
    kind = call_type or msg.get("type")
    if kind is None and history and "event" in msg:
        kind = "track"
    if type(kind) is not str or kind not in _TYPES:
        raise Rejected("type", "type must be one of " + ", ".join(SEGMENT_TYPES))
    get = msg.get
    # Inline fast paths for the usual shapes; anything else goes through _id/_obj.
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
        context = _obj(msg, "context")
    properties = get("properties")
    if type(properties) is not dict:
        properties = _obj(msg, "properties")
    traits = get("traits")
    if type(traits) is not dict:
        traits = _obj(msg, "traits")
    event: Any = ""
    previous_id = None
    account_id = _id(context, "groupId") if "groupId" in context else None
    if kind == "track":
        event = get("event")
        if type(event) is not str or not event.strip():
            raise Rejected("event", "event is required (a non-empty string)")
        if len(event) > MAX_EVENT_LENGTH:
            raise Rejected("event", f"event is longer than {MAX_EVENT_LENGTH} characters")
    elif kind == "page" or kind == "screen":
        name = msg.get("name")
        if name is not None and type(name) is not str:
            raise Rejected("name", "name must be a string")
        event = (name or "")[:MAX_EVENT_LENGTH]
        category = msg.get("category")
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
    if message_id is None or message_id == "":
        message_id = content_id(msg)
    elif type(message_id) is not str:
        raise Rejected("messageId", "messageId must be a string")
    elif len(message_id) > MAX_ID_LENGTH:
        raise Rejected("messageId", f"messageId is longer than {MAX_ID_LENGTH} characters")
    stamp = get("timestamp")
    if stamp is None:
        stamp = get("originalTimestamp")
    if stamp is None and history:
        raise Rejected("timestamp", "timestamp is required")
    ts = received_ms if stamp is None else parse_time_ms(stamp, "timestamp")
    if stamp is not None and not history:
        own_sent = get("sentAt")
        sent = parse_time_ms(own_sent, "sentAt") if own_sent is not None else sent_ms
        if sent is not None and abs(received_ms - sent) >= SKEW_TOLERANCE_MS:
            ts += received_ms - sent
    check_time(ts, received_ms)
    record = {
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
    }
    return segment.dump_record(record)


ids = st.one_of(
    st.none(),
    st.just(""),
    st.text(max_size=8),
    st.sampled_from(["i" * 255, "i" * 256, "用" * 256]),
    st.integers(-5, 5),
    st.booleans(),
    st.floats(allow_nan=False),
    st.lists(INTS, max_size=1),
    st.dictionaries(st.text(max_size=2), INTS, max_size=1),
)
objects = st.one_of(
    st.none(),
    st.dictionaries(st.text(max_size=4), INTS | st.text(max_size=4), max_size=3),
    st.lists(INTS, max_size=2),
    st.text(max_size=3),
    INTS,
)
contexts = st.one_of(
    objects,
    st.fixed_dictionaries(
        {"groupId": ids},
        optional={"traits": objects, "library": st.just({"name": "analytics-python"})},
    ),
)
times = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "2026-11-20T11:59:00.000+00:00",
            "2026-11-20T11:59:00Z",
            "2026-11-20T13:00:00+08:00",
            "2026-11-20T11:59:00",
            "2026-11-25T12:00:00Z",
            "1999-12-31T23:59:59Z",
            "not a time",
            "9999-12-31T23:59:59-23:59",
        ]
    ),
    INTS,
)
WILD = {
    "type": st.one_of(st.sampled_from([*SEGMENT_TYPES, "launch", ""]), INTS),
    "userId": ids,
    "anonymousId": ids,
    "event": st.one_of(st.none(), st.text(max_size=3), st.just(" "), st.just("e" * 256)),
    "name": st.one_of(st.none(), st.text(max_size=3), INTS, st.just("n" * 300)),
    "category": st.one_of(st.none(), st.text(max_size=3), INTS),
    "groupId": ids,
    "previousId": ids,
    "messageId": ids,
    "context": contexts,
    "properties": objects,
    "traits": objects,
    "timestamp": times,
    "originalTimestamp": times,
    "sentAt": times,
}


@st.composite
def messages(draw: st.DrawFn) -> dict[str, Any]:
    """A valid message of any type, then up to three fields replaced by anything."""
    msg: dict[str, Any] = {
        "type": draw(st.sampled_from(SEGMENT_TYPES)),
        "userId": "u1",
        "anonymousId": None,
        "event": "Clicked",
        "name": "Home",
        "groupId": "acct_1",
        "previousId": "old",
        "messageId": "m-1",
        "context": {"groupId": "acct_2"},
        "properties": {"plan": "pro"},
        "timestamp": "2026-11-20T11:59:00.000+00:00",
    }
    for field in draw(st.lists(st.sampled_from(sorted(WILD)), max_size=3, unique=True)):
        if draw(st.booleans()):
            msg.pop(field, None)
        else:
            msg[field] = draw(WILD[field])
    return msg


def outcome(call: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return call(*args, **kwargs)
    except Rejected as exc:
        return ("rejected", exc.field, exc.reason)


@settings(max_examples=3000, deadline=None)
@given(
    msg=st.one_of(messages(), INTS, st.lists(INTS, max_size=1)),
    call_type=st.one_of(st.none(), st.sampled_from(SEGMENT_TYPES)),
    sent_ms=st.one_of(st.none(), st.sampled_from([RECEIVED, RECEIVED - 5_000, RECEIVED + 900])),
    history=st.booleans(),
)
def test_the_fast_check_answers_as_the_plain_one(
    msg: Any, call_type: str | None, sent_ms: int | None, history: bool
) -> None:
    kwargs = {
        "workspace_id": 3,
        "received_ms": RECEIVED,
        "call_type": call_type,
        "sent_ms": sent_ms,
        "history": history,
    }
    assert outcome(segment.normalize, msg, **kwargs) == outcome(reference_normalize, msg, **kwargs)


def test_the_usual_track_call() -> None:
    msg = {
        "type": "track",
        "event": "Report Exported",
        "userId": "u1",
        "anonymousId": None,
        "properties": {"rows": 3},
        "context": {"groupId": "acct_1"},
        "timestamp": "2026-11-20T11:59:00.000+00:00",
        "messageId": "m-1",
    }
    line = segment.normalize(msg, workspace_id=3, received_ms=RECEIVED, sent_ms=RECEIVED)
    assert line == reference_normalize(msg, workspace_id=3, received_ms=RECEIVED, sent_ms=RECEIVED)
    assert line.startswith(b'{"workspace_id":3,"type":"track","event":"Report Exported"')
