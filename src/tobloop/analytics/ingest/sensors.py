"""Sensors Analytics (神策) SDK payloads → normalized records.

The SDKs post a form: ``data`` (one event) or ``data_list`` (a JSON array), each base64 of
the JSON, gzip-compressed first when ``gzip=1``. Events carry no id, so each is identified by a
hash of its content (minus ``_flush_time``, which changes on every resend).

Mapping: ``track`` → track; ``track_signup`` → alias ($SignUp, ``original_id`` as previous
id); ``profile_*`` → identify (traits = properties); ``item_set`` of an account-like item type
→ group (item id = account external id); other items → type ``item``; ID mapping calls are
tracked under their event name. ``distinct_id`` is the user id when ``$is_login_id`` is true,
else the anonymous id; a ``account_id`` property attributes the event to an account.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import zlib
from typing import Any

import orjson

from tobloop.analytics.ingest.segment import (
    MAX_EVENT_LENGTH,
    MAX_ID_LENGTH,
    Rejected,
    check_time,
    dump_record,
)

ACCOUNT_ITEM_TYPES = frozenset({"account", "company", "organization", "customer", "group"})
PROFILE_TYPES = frozenset(
    {
        "profile_set",
        "profile_set_once",
        "profile_increment",
        "profile_append",
        "profile_unset",
        "profile_delete",
    }
)
TRACK_TYPES = frozenset({"track", "track_signup", "track_id_bind", "track_id_unbind"})
ITEM_TYPES = frozenset({"item_set", "item_delete"})
_VOLATILE = ("_flush_time", "_hybrid_h5", "token", "project")
_LIB_KEYS = ("$lib", "$lib_version", "$is_login_id")


class PayloadError(Exception):
    """The form cannot be decoded at all (whole call refused); ``field`` is the form field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def decode_payload(raw: str, *, gzipped: bool, field: str, max_bytes: int) -> Any:
    """base64 (standard or URL-safe, padding optional), then gunzip, then JSON."""
    text = raw.strip().replace("-", "+").replace("_", "/").replace(" ", "+")
    text += "=" * (-len(text) % 4)
    try:
        blob = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise PayloadError(field, f"{field} is not base64") from None
    if gzipped:
        inflater = zlib.decompressobj(wbits=47)  # gzip or zlib header
        try:
            blob = inflater.decompress(blob, max_bytes + 1)
        except zlib.error:
            raise PayloadError(field, f"{field} is not gzip data (gzip=1)") from None
        if len(blob) > max_bytes:
            raise PayloadError(field, f"{field} is larger than {max_bytes // 1024} KB")
    try:
        return orjson.loads(blob)
    except orjson.JSONDecodeError as exc:
        raise PayloadError(field, f"{field} is not valid JSON: {exc}") from None


def _text(value: Any, field: str, *, required: bool = False) -> str | None:
    if value is None or value == "":
        if required:
            raise Rejected(field, f"{field} is required")
        return None
    if type(value) is int:
        return str(value)
    if type(value) is not str:
        raise Rejected(field, f"{field} must be a string")
    if len(value) > MAX_ID_LENGTH:
        raise Rejected(field, f"{field} is longer than {MAX_ID_LENGTH} characters")
    return value


def content_id(event: dict[str, Any]) -> str:
    body = {k: v for k, v in event.items() if k not in _VOLATILE}
    digest = hashlib.md5(orjson.dumps(body, option=orjson.OPT_SORT_KEYS), usedforsecurity=False)
    return "sa:" + digest.hexdigest()


def _who(event: dict[str, Any], properties: dict[str, Any]) -> tuple[str | None, str | None]:
    """(user id, anonymous id) from distinct_id and $is_login_id, or from identities."""
    distinct = _text(event.get("distinct_id"), "distinct_id")
    if distinct is not None:
        return (distinct, None) if properties.get("$is_login_id") is True else (None, distinct)
    identities = event.get("identities")
    if type(identities) is dict and identities:
        login = _text(identities.get("$identity_login_id"), "identities")
        if login is not None:
            return login, None
        first = next(iter(identities.values()))
        return None, _text(first, "identities")
    return None, None


def normalize(event: Any, *, workspace_id: int, received_ms: int) -> bytes:
    """One Sensors event as a normalized record line; raises :class:`Rejected`."""
    if type(event) is not dict:
        raise Rejected("event", "an event must be a JSON object")
    kind = event.get("type")
    if type(kind) is not str or (
        kind not in TRACK_TYPES and kind not in PROFILE_TYPES and kind not in ITEM_TYPES
    ):
        raise Rejected("type", "type must be a Sensors event type such as track or profile_set")
    properties = event.get("properties")
    if properties is None:
        properties = {}
    elif type(properties) is not dict:
        raise Rejected("properties", "properties must be a JSON object")
    time = event.get("time")
    if kind in ITEM_TYPES and type(properties.get("$time")) is int:
        # The SDK leaves an item's $time among its properties.
        properties = dict(properties)
        time = properties.pop("$time")
    if type(time) is not int:
        raise Rejected("time", "time must be epoch milliseconds (an integer)")
    check_time(time, received_ms, "time")
    user_id, anonymous_id = _who(event, properties)
    account_id = _text(properties.get("account_id", properties.get("$account_id")), "account_id")
    name, previous_id, traits, new_type = "", None, {}, "track"
    if kind in TRACK_TYPES:
        if user_id is None and anonymous_id is None:
            raise Rejected("distinct_id", "distinct_id is required")
        name = event.get("event") or ("$BindID" if kind == "track_id_bind" else "")
        if kind == "track_id_unbind" and not name:
            name = "$UnbindID"
        if type(name) is not str or not name:
            raise Rejected("event", "event is required (a non-empty string)")
        if kind == "track_signup":
            new_type, user_id = "alias", user_id or anonymous_id
            anonymous_id = None
            previous_id = _text(event.get("original_id"), "original_id", required=True)
    elif kind in PROFILE_TYPES:
        if user_id is None and anonymous_id is None:
            raise Rejected("distinct_id", "distinct_id is required")
        new_type, name = "identify", "" if kind == "profile_set" else kind
        traits = {k: v for k, v in properties.items() if k not in _LIB_KEYS}
        properties = {}
    else:
        item_type = _text(event.get("item_type"), "item_type", required=True)
        item_id = _text(event.get("item_id"), "item_id", required=True)
        if kind == "item_set" and item_type in ACCOUNT_ITEM_TYPES:
            new_type, account_id, traits, properties = "group", item_id, properties, {}
        else:
            new_type, name = "item", f"{kind}:{item_type}"
            properties = {**properties, "item_id": item_id}
    lib: dict[str, Any] = event["lib"] if type(event.get("lib")) is dict else {}
    context: dict[str, Any] = {"library": {"name": "sensors-" + str(lib.get("$lib", "unknown"))}}
    if lib:
        context["library"]["version"] = lib.get("$lib_version")
        context["sensors_lib"] = lib
    if type(event.get("identities")) is dict:
        context["identities"] = event["identities"]
    message_id = content_id(event)
    return dump_record(
        {
            "workspace_id": workspace_id,
            "type": new_type,
            "event": name[:MAX_EVENT_LENGTH],
            "distinct_id": user_id or anonymous_id or "",
            "user_id": user_id,
            "anonymous_id": anonymous_id,
            "account_id": account_id,
            "timestamp": time,
            "received_at": received_ms,
            "message_id": message_id,
            "previous_id": previous_id,
            "properties": properties,
            "traits": traits,
            "context": context,
            "source": "sensors",
        }
    )
