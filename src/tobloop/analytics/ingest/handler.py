"""The ingestion endpoints, independent of WSGI/ASGI: Segment ``/v1/*`` and Sensors ``/sa``.

A call is answered 200 ``{"success": true}`` once every valid event is in the spool and synced
(invalid events of a batch are listed as ``"rejected": [{"index", "reason"}]``); a call refused
whole gets a 4xx with a flat ``{"code", "message"}`` body, which makes the Segment and
RudderStack SDKs drop it instead of retrying. Nothing answers 500: an internal failure (the
disk) is a 503 with ``Retry-After`` so SDKs retry later.
"""

from __future__ import annotations

import base64
import binascii
import logging
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import orjson

from tobloop.analytics.ingest import segment, sensors
from tobloop.analytics.ingest.keys import KeyCache, WriteKey
from tobloop.analytics.ingest.ratelimit import RateLimiter
from tobloop.analytics.ingest.spool import Spool

log = logging.getLogger(__name__)

SEGMENT_PATHS = {
    "/v1/track": "track",
    "/v1/identify": "identify",
    "/v1/group": "group",
    "/v1/page": "page",
    "/v1/screen": "screen",
    "/v1/alias": "alias",
    "/v1/batch": None,
    "/v1/import": None,
}
SENSORS_PATHS = {"/sa", "/sa.gif", "/sa/"}
SENSORS_DEFAULT_PROJECTS = {"default", "production"}
MAX_SENSORS_BYTES = segment.MAX_BATCH_BYTES
# An oversized body up to this size is read and dropped before the 413, so that clients which
# send the whole body before reading the answer see the 413 instead of a broken connection.
MAX_DISCARD_BYTES = 16 << 20

BASE_HEADERS = [
    ("Content-Type", "application/json"),
    ("Access-Control-Allow-Origin", "*"),
]
CORS_HEADERS = [
    ("Access-Control-Allow-Methods", "POST, GET, OPTIONS"),
    ("Access-Control-Allow-Headers", "Authorization, Content-Type, Content-Encoding"),
    ("Access-Control-Max-Age", "86400"),
]


@dataclass
class Reply:
    status: int
    body: dict[str, Any]
    headers: list[tuple[str, str]] = field(default_factory=list)

    def encode(self) -> bytes:
        return orjson.dumps(self.body)


class Refused(Exception):
    """The whole call is refused with ``status`` and a flat ``{"code", "message"}``."""

    def __init__(self, status: int, code: str, message: str, retry_after: int | None = None):
        super().__init__(message)
        self.reply = Reply(status, {"code": code, "message": message})
        if retry_after is not None:
            self.reply.headers.append(("Retry-After", str(retry_after)))


def handles(path: str) -> bool:
    return path in SEGMENT_PATHS or path in SENSORS_PATHS


def too_large(limit: int) -> Refused:
    return Refused(413, "payload_too_large", f"the request body is larger than {limit // 1024} KB")


class Ingestion:
    def __init__(self, *, spool: Spool, keys: KeyCache, limiter: RateLimiter) -> None:
        self.spool = spool
        self.keys = keys
        self.limiter = limiter

    def body_limit(self, path: str) -> int:
        """The largest body (after gunzip) a path takes: 32 KB per call, 500 KB per batch."""
        if SEGMENT_PATHS.get(path) is not None:
            return segment.MAX_MESSAGE_BYTES
        return segment.MAX_BATCH_BYTES

    def __call__(
        self,
        method: str,
        path: str,
        query: str,
        headers: Mapping[str, str],
        read_body: Callable[[int], bytes],
    ) -> Reply:
        """``headers`` has lower-case names; ``read_body(n)`` returns at most ``n`` bytes."""
        try:
            if method == "OPTIONS":
                return Reply(200, {"success": True}, list(CORS_HEADERS))
            if path in SENSORS_PATHS:
                return self._sensors(method, query, headers, read_body)
            if method != "POST":
                raise Refused(405, "method_not_allowed", f"use POST for {path}")
            body = _read(headers, read_body, self.body_limit(path))
            return self._segment(path, headers, body)
        except Refused as refused:
            return refused.reply
        except OSError:
            log.exception("the event spool cannot be written")
            return Reply(
                503,
                {"code": "unavailable", "message": "events cannot be stored right now; retry"},
                [("Retry-After", "5")],
            )
        except Exception:
            log.exception("unexpected failure in event ingestion")
            return Reply(
                503,
                {"code": "unavailable", "message": "events cannot be stored right now; retry"},
                [("Retry-After", "5")],
            )

    # -- Segment ------------------------------------------------------------------------------

    def _segment(self, path: str, headers: Mapping[str, str], body: bytes) -> Reply:
        try:
            doc = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise Refused(400, "invalid_json", f"the body is not valid JSON: {exc}") from None
        if type(doc) is not dict:
            raise Refused(400, "invalid_json", "the body must be a JSON object")
        key = self._write_key(headers, doc.get("writeKey"))
        received_ms = time.time_ns() // 1_000_000
        sent_ms = None
        if doc.get("sentAt") is not None:
            try:
                sent_ms = segment.parse_time_ms(doc["sentAt"], "sentAt")
            except segment.Rejected as exc:
                raise Refused(400, "invalid_field", exc.reason) from None
        call_type = SEGMENT_PATHS[path]
        if call_type is not None:
            self._admit(key, 1)
            try:
                line = segment.normalize(
                    doc,
                    workspace_id=key.workspace_id,
                    received_ms=received_ms,
                    call_type=call_type,
                )
            except segment.Rejected as exc:
                raise Refused(400, "invalid_field", exc.reason) from None
            self.spool.append(line)
            return Reply(200, {"success": True})
        batch = doc.get("batch")
        if type(batch) is not list:
            raise Refused(400, "invalid_field", "batch is required (an array of messages)")
        self._admit(key, len(batch))
        shared = {k: doc[k] for k in ("context", "integrations") if type(doc.get(k)) is dict}
        lines: list[bytes] = []
        rejected: list[dict[str, Any]] = []
        for index, msg in enumerate(batch):
            if shared and type(msg) is dict:
                msg = {**shared, **msg}
            try:
                lines.append(
                    segment.normalize(
                        msg, workspace_id=key.workspace_id, received_ms=received_ms, sent_ms=sent_ms
                    )
                )
            except segment.Rejected as exc:
                rejected.append({"index": index, "reason": exc.reason})
        self.spool.append(b"".join(lines))
        reply: dict[str, Any] = {"success": True}
        if rejected:
            reply["rejected"] = rejected
        return Reply(200, reply)

    def _write_key(self, headers: Mapping[str, str], body_key: Any) -> WriteKey:
        key = _basic_user(headers.get("authorization", ""))
        if key is None and isinstance(body_key, str):
            key = body_key
        if not key:
            raise Refused(
                401,
                "missing_write_key",
                "send the write key as the basic-auth user name (or as writeKey in the body)",
            )
        found = self.keys.get(key)
        if found is None:
            raise Refused(401, "invalid_write_key", "unknown, revoked or expired write key")
        return found

    def _admit(self, key: WriteKey, events: int) -> None:
        wait = self.limiter.admit(key.key, events)
        if wait is not None:
            raise Refused(
                429,
                "rate_limited",
                f"too many events for this write key; retry in {wait} s",
                retry_after=wait,
            )

    # -- Sensors ------------------------------------------------------------------------------

    def _sensors(
        self,
        method: str,
        query: str,
        headers: Mapping[str, str],
        read_body: Callable[[int], bytes],
    ) -> Reply:
        fields = _form(query)
        if method == "POST":
            body = _read(headers, read_body, MAX_SENSORS_BYTES)
            ctype = headers.get("content-type", "")
            if "json" in ctype:
                raise Refused(400, "invalid_form", "send the Sensors form (data or data_list)")
            fields = {**fields, **_form(body)}
        elif method != "GET":
            raise Refused(405, "method_not_allowed", "use POST (or GET) for /sa")
        gzipped = fields.get("gzip", "0") == "1"
        name = "data_list" if "data_list" in fields else "data"
        if name not in fields:
            raise Refused(400, "invalid_form", "data or data_list is required")
        try:
            payload = sensors.decode_payload(
                fields[name], gzipped=gzipped, field=name, max_bytes=MAX_SENSORS_BYTES
            )
        except sensors.PayloadError as exc:
            status = 413 if "larger than" in exc.message else 400
            raise Refused(status, "invalid_form", exc.message) from None
        events = payload if name == "data_list" else [payload]
        if type(events) is not list:
            raise Refused(400, "invalid_form", "data_list must hold a JSON array of events")
        key = self._sensors_key(fields, headers, events)
        project = fields.get("project")
        if project and project not in SENSORS_DEFAULT_PROJECTS and project != key.slug:
            raise Refused(
                403, "wrong_project", f"project {project!r} is not the workspace of this token"
            )
        self._admit(key, len(events))
        received_ms = time.time_ns() // 1_000_000
        lines: list[bytes] = []
        rejected: list[dict[str, Any]] = []
        for index, event in enumerate(events):
            try:
                lines.append(
                    sensors.normalize(event, workspace_id=key.workspace_id, received_ms=received_ms)
                )
            except segment.Rejected as exc:
                if name == "data":
                    raise Refused(400, "invalid_field", exc.reason) from None
                rejected.append({"index": index, "reason": exc.reason})
        self.spool.append(b"".join(lines))
        reply: dict[str, Any] = {"success": True}
        if rejected:
            reply["rejected"] = rejected
        return Reply(200, reply)

    def _sensors_key(
        self, fields: Mapping[str, str], headers: Mapping[str, str], events: list[Any]
    ) -> WriteKey:
        token = fields.get("token") or _basic_user(headers.get("authorization", ""))
        if not token:
            first = events[0] if events else None
            token = first.get("token") if type(first) is dict else None
        if not isinstance(token, str) or not token:
            raise Refused(
                401,
                "missing_write_key",
                "add the write key to the server URL: /sa?project=…&token=WRITE_KEY",
            )
        found = self.keys.get(token)
        if found is None:
            raise Refused(401, "invalid_write_key", "unknown, revoked or expired write key")
        return found


def _read(headers: Mapping[str, str], read_body: Callable[[int], bytes], limit: int) -> bytes:
    """The body, gunzipped when ``Content-Encoding: gzip``; 413 beyond ``limit``."""
    try:
        length = int(headers.get("content-length") or -1)
    except ValueError:
        raise Refused(400, "invalid_request", "Content-Length is not a number") from None
    if length > limit:
        _discard(read_body, length)
        raise too_large(limit)
    raw = read_body(limit + 1)
    if len(raw) > limit:
        _discard(read_body, MAX_DISCARD_BYTES)
        raise too_large(limit)
    encoding = headers.get("content-encoding", "").strip().lower()
    if encoding in ("", "identity"):
        return raw
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise Refused(
            400, "unsupported_encoding", f"Content-Encoding {encoding} is not supported; use gzip"
        )
    inflater = zlib.decompressobj(wbits=47 if encoding != "deflate" else 15)
    try:
        body = inflater.decompress(raw, limit + 1)
    except zlib.error:
        raise Refused(400, "invalid_gzip", "the body is not valid gzip data") from None
    if len(body) > limit:
        raise too_large(limit)
    return body


def _discard(read_body: Callable[[int], bytes], length: int) -> None:
    """Read an oversized body away (up to a bound), so the client receives the 413."""
    left = min(length, MAX_DISCARD_BYTES)
    while left > 0:
        chunk = read_body(min(left, 1 << 16))
        if not chunk:
            return
        left -= len(chunk)


def _basic_user(header: str) -> str | None:
    scheme, _, value = header.partition(" ")
    scheme = scheme.lower()
    if scheme == "bearer":
        return value.strip() or None
    if scheme != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        raise Refused(401, "invalid_write_key", "the basic-auth header cannot be decoded") from None
    return decoded.partition(":")[0].strip() or None


def _form(raw: str | bytes) -> dict[str, str]:
    """URL-encoded form fields (the first value of each)."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise Refused(400, "invalid_form", "the form body is not UTF-8") from None
    try:
        parsed = parse_qs(raw, keep_blank_values=True, max_num_fields=1000)
    except ValueError as exc:
        raise Refused(400, "invalid_form", f"the form cannot be parsed: {exc}") from None
    return {k: v[0] for k, v in parsed.items() if v}
