"""Bad input through real HTTP: the right status and a message naming the field, never a 500."""

from __future__ import annotations

import base64
import gzip
import json
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.events.conftest import LiveServer


def auth(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def post(
    server: LiveServer,
    path: str,
    body: Any,
    headers: dict[str, str] | None = None,
    key: str | None = "",
) -> tuple[int, dict[str, Any]]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    sent = {"Content-Type": "application/json", **(headers or {})}
    if key is not None:
        sent.update(auth(key or server.write_key))
    return server.request("POST", path, raw, sent)


@pytest.mark.parametrize(
    ("path", "body", "key", "headers", "status", "code", "words"),
    [
        ("/v1/batch", b'{"batch": [{"type": "tr', "", {}, 400, "invalid_json", "JSON"),
        ("/v1/batch", b'{"batch": [{"userId": "\xc3\x28"}]}', "", {}, 400, "invalid_json", "UTF-8"),
        ("/v1/batch", {"batch": "all of them"}, "", {}, 400, "invalid_field", "batch"),
        ("/v1/track", {"userId": "u", "event": 12}, "", {}, 400, "invalid_field", "event"),
        ("/v1/track", {"event": "E"}, "", {}, 400, "invalid_field", "userId"),
        ("/v1/identify", {"userId": "u", "traits": "vip"}, "", {}, 400, "invalid_field", "traits"),
        (
            "/v1/track",
            {"userId": "u", "event": "E", "timestamp": "2999-01-01T00:00:00Z"},
            "",
            {},
            400,
            "invalid_field",
            "timestamp",
        ),
        (
            "/v1/track",
            {"userId": "u", "event": "E", "timestamp": "1970-01-01T00:00:00Z"},
            "",
            {},
            400,
            "invalid_field",
            "timestamp",
        ),
        (
            "/v1/track",
            {"userId": "u", "event": "E"},
            "tbw_0000_unknown",
            {},
            401,
            "invalid_write_key",
            "write key",
        ),
        ("/v1/track", {"userId": "u", "event": "E"}, None, {}, 401, "missing_write_key", "write"),
        ("/v1/batch", {"batch": [{"p": "x" * 1000}] * 600}, "", {}, 413, "payload_too_large", "KB"),
        (
            "/v1/track",
            {"userId": "u", "event": "E", "p": "x" * 40_000},
            "",
            {},
            413,
            "payload_too_large",
            "KB",
        ),
        (
            "/v1/batch",
            b"\x1f\x8b garbage",
            "",
            {"Content-Encoding": "gzip"},
            400,
            "invalid_gzip",
            "gzip",
        ),
    ],
)
def test_bad_calls_get_a_clear_refusal(
    event_server: LiveServer,
    path: str,
    body: Any,
    key: str | None,
    headers: dict[str, str],
    status: int,
    code: str,
    words: str,
) -> None:
    got_status, doc = post(event_server, path, body, headers, key)
    assert (got_status, doc.get("code")) == (status, code), doc
    assert words in doc["message"]


def test_a_batch_stores_its_valid_events_and_reports_the_rest(event_server: LiveServer) -> None:
    user = f"mixed-{uuid.uuid4().hex[:8]}"
    batch = [
        {"type": "track", "event": "Kept", "userId": user, "messageId": f"{user}-1"},
        {"type": "track", "userId": user},
        {"type": "track", "event": "Late", "userId": user, "timestamp": "2099-01-01T00:00:00Z"},
        {
            "type": "identify",
            "userId": user,
            "traits": {"email": "k@x.cn"},
            "messageId": f"{user}-2",
        },
        {"type": "track", "event": "Huge", "userId": user, "properties": {"x": "y" * 33_000}},
    ]
    body = gzip.compress(json.dumps({"batch": batch}).encode())
    status, doc = post(event_server, "/v1/batch", body, {"Content-Encoding": "gzip"})
    assert status == 200 and doc["success"] is True
    assert [r["index"] for r in doc["rejected"]] == [1, 2, 4]
    assert "event is required" in doc["rejected"][0]["reason"]
    kept = event_server.events_of(user, 2)
    assert sorted(e.message_id for e in kept) == [f"{user}-1", f"{user}-2"]


def test_sensors_refusals(event_server: LiveServer) -> None:
    payload = base64.b64encode(
        json.dumps(
            {"type": "track", "event": "E", "distinct_id": "d", "time": 1795176000000}
        ).encode()
    ).decode()
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    key = event_server.write_key
    cases = [
        (f"/sa?project=default&token={key}", b"gzip=1", 400),
        (f"/sa?project=default&token={key}", b"data=!!!&gzip=1", 400),
        ("/sa?project=default", f"data={payload}".encode(), 401),
        (f"/sa?project=elsewhere&token={key}", f"data={payload}".encode(), 403),
        (f"/sa?project=live&token={key}", f"data={payload}".encode(), 200),
    ]
    for path, body, status in cases:
        got, doc = event_server.request("POST", path, body, form)
        assert got == status, (path, doc)
        if status != 200:
            assert set(doc) == {"code", "message"}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=6), c, max_size=3),
    max_leaves=8,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    path=st.sampled_from(["/v1/batch", "/v1/track", "/v1/page", "/v1/alias", "/sa", "/v1/nope"]),
    body=st.binary(max_size=120)
    | st.builds(lambda b: json.dumps({"batch": b}).encode(), st.lists(json_values, max_size=4))
    | json_values.map(lambda v: json.dumps(v).encode()),
    gzipped=st.booleans(),
)
def test_fuzzed_requests_never_get_a_server_error(
    event_server: LiveServer, path: str, body: bytes, gzipped: bool
) -> None:
    headers = {**auth(event_server.write_key)}
    if gzipped:
        body, headers["Content-Encoding"] = gzip.compress(body), "gzip"
    status, doc = event_server.request("POST", path, body, headers)
    assert status < 500, doc
