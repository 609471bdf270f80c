"""The ingestion handler in-process: the spool, the loader, limits and a fuzz that finds no 500."""

from __future__ import annotations

import base64
import gzip
import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tobloop.analytics.ingest.app import mount_wsgi
from tobloop.analytics.ingest.handler import Ingestion, Reply
from tobloop.analytics.ingest.keys import KeyCache
from tobloop.analytics.ingest.loader import Loader
from tobloop.analytics.ingest.ratelimit import RateLimiter
from tobloop.analytics.ingest.spool import Spool, ready_segments
from tobloop.analytics.store.duckdb_store import DuckDBStore
from tobloop.analytics.tests.records import stored_record
from tobloop.platform import facade


class Harness:
    def __init__(self, tmp: Path, workspace_id: int, key: str, rate: float = 0) -> None:
        self.spool = Spool(tmp / "spool", rotate_seconds=3600)
        self.handler = Ingestion(spool=self.spool, keys=KeyCache(), limiter=RateLimiter(rate))
        self.store = DuckDBStore(tmp / "events.duckdb")
        self.workspace_id, self.key = workspace_id, key

    def call(
        self,
        path: str,
        body: bytes | dict[str, Any] | list[Any],
        *,
        key: str | None = "",
        headers: dict[str, str] | None = None,
        method: str = "POST",
        query: str = "",
    ) -> Reply:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        sent = {"content-length": str(len(raw)), **(headers or {})}
        if key is not None:
            user = self.key if key == "" else key
            sent["authorization"] = "Basic " + base64.b64encode(f"{user}:".encode()).decode()
        stream = io.BytesIO(raw)
        return self.handler(method, path, query, sent, stream.read)

    def stored(self) -> list[Any]:
        self.spool.close()
        Loader(self.spool.directory, self.store).drain()
        return self.store.all_events(self.workspace_id)


def _workspace_with_key(slug: str) -> tuple[int, str]:
    workspace = facade.create_workspace(name=slug, slug=slug)
    return workspace.id, facade.create_api_key(workspace_id=workspace.id, write_key=True).key


@pytest.fixture
def harness(db: None, tmp_path: Path) -> Harness:
    return Harness(tmp_path, *_workspace_with_key("ingest"))


def track(**fields: Any) -> dict[str, Any]:
    return {"type": "track", "event": "Clicked", "userId": "u1", **fields}


def test_a_batch_keeps_its_valid_events_and_lists_the_invalid_ones(harness: Harness) -> None:
    batch = [
        track(messageId="ok-1"),
        {"type": "launch", "userId": "u1"},
        track(event=""),
        track(userId={"id": 1}),
        track(timestamp="2099-01-01T00:00:00Z"),
        track(timestamp="1999-12-31T23:59:59Z"),
        track(properties=[1, 2]),
        track(messageId="big", properties={"blob": "x" * 40_000}),
        "not an object",
        track(messageId="ok-2", timestamp="2026-03-01T08:00:00+08:00"),
    ]
    reply = harness.call("/v1/batch", {"batch": batch})
    assert reply.status == 200
    assert reply.body["success"] is True
    reasons = {r["index"]: r["reason"] for r in reply.body["rejected"]}
    assert sorted(reasons) == [1, 2, 3, 4, 5, 6, 7, 8]
    assert "type must be one of" in reasons[1]
    assert "event is required" in reasons[2]
    assert reasons[3] == "userId must be a string"
    assert "future" in reasons[4] and "before 2000" in reasons[5]
    assert reasons[6] == "properties must be a JSON object"
    assert "larger than 32 KB" in reasons[7]
    assert reasons[8] == "a message must be a JSON object"
    stored = harness.stored()
    assert [e.message_id for e in stored] == ["ok-2", "ok-1"]
    assert stored[0].timestamp.isoformat() == "2026-03-01T00:00:00+00:00"


@pytest.mark.parametrize(
    ("path", "body", "key", "headers", "status", "code", "words"),
    [
        ("/v1/batch", b'{"batch": [', "", {}, 400, "invalid_json", "not valid JSON"),
        ("/v1/batch", b'{"batch":[{"event":"\xff"}]}', "", {}, 400, "invalid_json", "JSON"),
        ("/v1/batch", b"[1, 2]", "", {}, 400, "invalid_json", "JSON object"),
        ("/v1/batch", {"batch": {"a": 1}}, "", {}, 400, "invalid_field", "batch"),
        ("/v1/track", {"userId": "u"}, "", {}, 400, "invalid_field", "event"),
        ("/v1/track", track(userId=["u"]), "", {}, 400, "invalid_field", "userId"),
        ("/v1/identify", {"traits": {}}, "", {}, 400, "invalid_field", "anonymousId"),
        ("/v1/group", {"userId": "u"}, "", {}, 400, "invalid_field", "groupId"),
        ("/v1/alias", {"userId": "u"}, "", {}, 400, "invalid_field", "previousId"),
        ("/v1/track", track(timestamp="soon"), "", {}, 400, "invalid_field", "timestamp"),
        ("/v1/track", track(messageId=7), "", {}, 400, "invalid_field", "messageId"),
        ("/v1/track", track(context=[]), "", {}, 400, "invalid_field", "context"),
        ("/v1/batch", {"batch": [], "sentAt": "x"}, "", {}, 400, "invalid_field", "sentAt"),
        ("/v1/track", track(), "tbw_nope_nope", {}, 401, "invalid_write_key", "write key"),
        ("/v1/track", track(), None, {}, 401, "missing_write_key", "write key"),
        ("/v1/track", track(), "", {"content-encoding": "br"}, 400, "unsupported_encoding", "gzip"),
        ("/v1/track", b"not gzip", "", {"content-encoding": "gzip"}, 400, "invalid_gzip", "gzip"),
        (
            "/v1/track",
            track(properties={"a": "x" * 33_000}),
            "",
            {},
            413,
            "payload_too_large",
            "KB",
        ),
        (
            "/v1/batch",
            {"batch": [track(n="x" * 30_000)] * 18},
            "",
            {},
            413,
            "payload_too_large",
            "",
        ),
    ],
)
def test_refused_calls_answer_a_flat_code_and_message(
    harness: Harness,
    path: str,
    body: Any,
    key: str | None,
    headers: dict[str, str],
    status: int,
    code: str,
    words: str,
) -> None:
    reply = harness.call(path, body, key=key, headers=headers)
    assert (reply.status, reply.body["code"]) == (status, code), reply.body
    assert words in reply.body["message"]
    assert set(reply.body) == {"code", "message"}


def test_gzip_bodies_and_the_write_key_in_the_body(harness: Harness) -> None:
    body = gzip.compress(json.dumps({"batch": [track(messageId="gz")]}).encode())
    assert harness.call("/v1/batch", body, headers={"content-encoding": "gzip"}).status == 200
    plain = {"batch": [track(messageId="wk")], "writeKey": harness.key}
    assert harness.call("/v1/batch", plain, key=None).status == 200
    assert {e.message_id for e in harness.stored()} == {"gz", "wk"}


def test_a_zip_bomb_is_refused_as_too_large(harness: Harness) -> None:
    body = gzip.compress(b'{"batch": ["' + b"a" * 5_000_000 + b'"]}')
    reply = harness.call("/v1/batch", body, headers={"content-encoding": "gzip"})
    assert reply.status == 413


def test_sentat_corrects_a_skewed_device_clock(harness: Harness) -> None:
    # The device clock is 2 hours behind: its "now" is sentAt, its event 10 s earlier.
    from datetime import UTC, datetime, timedelta

    device_now = datetime.now(UTC) - timedelta(hours=2)
    event_time = device_now - timedelta(seconds=10)
    batch = {
        "batch": [track(messageId="skew", timestamp=event_time.isoformat())],
        "sentAt": device_now.isoformat(),
    }
    assert harness.call("/v1/batch", batch).status == 200
    (stored,) = harness.stored()
    lag = stored.received_at - stored.timestamp
    assert timedelta(seconds=9) < lag < timedelta(seconds=11)


def test_rate_limit_answers_429_with_retry_after(db: None, tmp_path: Path) -> None:
    harness = Harness(tmp_path, *_workspace_with_key("limited"), rate=20)
    batch = {"batch": [track(messageId=f"r{i}") for i in range(20)]}
    assert harness.call("/v1/batch", batch).status == 200
    reply = harness.call("/v1/batch", batch)
    assert (reply.status, reply.body["code"]) == (429, "rate_limited")
    assert ("Retry-After", "1") in reply.headers


def test_each_write_key_has_its_own_rate_limit(db: None, tmp_path: Path) -> None:
    """Two write keys of one workspace (two sources): one spending its budget does not
    refuse the other; its own next call is refused."""
    workspace_id, first = _workspace_with_key("two-sources")
    second = facade.create_api_key(workspace_id=workspace_id, write_key=True).key
    harness = Harness(tmp_path, workspace_id, first, rate=20)
    batch = {"batch": [track(messageId=f"k{i}") for i in range(20)]}
    assert harness.call("/v1/batch", batch, key=first).status == 200
    assert harness.call("/v1/batch", batch, key=second).status == 200
    assert harness.call("/v1/batch", batch, key=first).status == 429
    assert harness.call("/v1/batch", batch, key=second).status == 429


def test_sensors_form_decoding_and_refusals(harness: Harness) -> None:
    event = {
        "type": "track",
        "event": "Paid",
        "distinct_id": "u9",
        "time": 1795176000123,
        "properties": {"$is_login_id": True, "amount": 9},
    }
    data = base64.b64encode(gzip.compress(json.dumps([event]).encode())).decode()
    form = f"data_list={data.replace('+', '%2B')}&gzip=1".encode()
    query = f"project=default&token={harness.key}"
    assert harness.call("/sa", form, key=None, query=query).status == 200
    plain = base64.b64encode(json.dumps({**event, "event": "Refunded"}).encode()).decode()
    assert harness.call("/sa", b"", key=None, query=f"{query}&data={plain}", method="GET").status
    cases = [
        (b"gzip=1", query, 400, "data or data_list"),
        (b"data=%%%", query, 400, "base64"),
        (f"data={plain}".encode(), "project=default", 401, "token"),
        (f"data={plain}".encode(), f"project=other&token={harness.key}", 403, "project"),
        (b"data=" + base64.b64encode(b"{nope"), query, 400, "JSON"),
    ]
    for body, q, status, words in cases:
        reply = harness.call("/sa", body, key=None, query=q)
        assert reply.status == status and words in reply.body["message"], reply.body
    stored = harness.stored()
    assert sorted((e.event, e.user_id, e.properties.get("amount")) for e in stored) == [
        ("Paid", "u9", 9),
        ("Refunded", "u9", 9),
    ]


def test_wsgi_mount_passes_other_paths_to_django(harness: Harness) -> None:
    def django_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("204 No Content", [])
        return [b"django"]

    app = mount_wsgi(django_app, harness.handler)
    seen: list[Any] = []
    body = json.dumps(track(messageId="w")).encode()
    auth = "Basic " + base64.b64encode(f"{harness.key}:".encode()).decode()
    environ = {
        "PATH_INFO": "/v1/track",
        "REQUEST_METHOD": "POST",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_AUTHORIZATION": auth,
        "wsgi.input": io.BytesIO(body),
    }
    assert app(environ, lambda s, h: seen.append(s)) == [b'{"success":true}']
    assert app({"PATH_INFO": "/accounts/"}, lambda s, h: seen.append(s)) == [b"django"]
    assert seen == ["200 OK", "204 No Content"]


def test_orphaned_segments_of_dead_processes_are_loaded(harness: Harness) -> None:
    assert harness.call("/v1/batch", {"batch": [track(messageId="orphan")]}).status == 200
    open_segment = next(harness.spool.directory.glob("*.open"))
    # Simulate a killed process: its lock goes with it, a torn record stays at the end.
    fd = harness.spool._segment.fd  # type: ignore[union-attr]
    import os

    os.write(fd, b'{"workspace_id": 1, "type": "tr')
    os.close(fd)
    harness.spool._segment = None
    assert ready_segments(harness.spool.directory) == [open_segment.with_suffix(".ndjson")]
    Loader(harness.spool.directory, harness.store).drain()
    assert [e.message_id for e in harness.store.all_events(harness.workspace_id)] == ["orphan"]
    assert not list(harness.spool.directory.glob("*.ndjson"))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
messages = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(["track", "identify", "group", "page", "screen", "alias", "x"])
        | json_values,
        "event": st.text(max_size=30) | json_values,
        "userId": st.text(max_size=10) | st.integers() | json_values,
        "anonymousId": st.text(max_size=10) | json_values,
        "groupId": st.text(max_size=10) | json_values,
        "previousId": st.text(max_size=10) | json_values,
        "messageId": st.text(max_size=40) | json_values,
        "timestamp": st.sampled_from(["2026-01-01T00:00:00Z", "2026-13-01", "", "1e9"])
        | st.datetimes().map(lambda d: d.isoformat())
        | json_values,
        "sentAt": st.datetimes().map(lambda d: d.isoformat()) | json_values,
        "properties": json_values,
        "traits": json_values,
        "context": json_values | st.fixed_dictionaries({"groupId": json_values}),
    },
)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    path=st.sampled_from(["/v1/batch", "/v1/track", "/v1/identify", "/v1/group", "/v1/alias"]),
    body=st.one_of(
        st.binary(max_size=200),
        st.builds(lambda b: {"batch": b}, st.lists(messages, max_size=5)),
        messages,
        json_values,
    ),
    encoding=st.sampled_from(["", "gzip", "deflate", "identity", "zstd"]),
)
def test_no_input_makes_the_handler_fail(
    harness: Harness, path: str, body: Any, encoding: str
) -> None:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    if encoding == "gzip" and len(raw) % 2:
        raw = gzip.compress(raw)
    reply = harness.call(path, raw, headers={"content-encoding": encoding} if encoding else {})
    assert reply.status in {200, 400, 401, 413}, reply.body
    if reply.status != 200:
        assert set(reply.body) == {"code", "message"}
    else:
        assert all(set(r) == {"index", "reason"} for r in reply.body.get("rejected", []))


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    form=st.dictionaries(
        st.sampled_from(["data", "data_list", "gzip", "project", "token"]),
        st.text(max_size=40) | st.binary(max_size=40).map(lambda b: base64.b64encode(b).decode()),
        max_size=5,
    ),
    events=st.lists(
        st.fixed_dictionaries(
            {},
            optional={
                "type": st.sampled_from(["track", "profile_set", "item_set", "track_signup"])
                | json_values,
                "event": json_values,
                "distinct_id": json_values,
                "time": st.integers() | json_values,
                "properties": json_values,
                "item_type": json_values,
                "item_id": json_values,
                "identities": json_values,
            },
        ),
        max_size=4,
    ),
)
def test_no_sensors_input_makes_the_handler_fail(
    harness: Harness, form: dict[str, str], events: list[Any]
) -> None:
    from urllib.parse import urlencode

    payload = base64.b64encode(gzip.compress(json.dumps(events).encode())).decode()
    fields = {"data_list": payload, "gzip": "1", "token": harness.key, **form}
    reply = harness.call("/sa", urlencode(fields).encode(), key=None)
    assert reply.status in {200, 400, 401, 403, 413}, reply.body


def test_concurrent_appends_with_fast_rotation_leave_only_closed_segments(tmp_path: Path) -> None:
    import threading

    spool = Spool(tmp_path / "spool", rotate_seconds=0.003)

    def writer(n: int) -> None:
        for i in range(150):
            spool.append(f'{{"w": {n}, "i": {i}}}\n'.encode())

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(list(spool.directory.glob("*.open"))) <= 1  # only the live segment is open
    spool.close()
    assert list(spool.directory.glob("*.open")) == []
    lines = [
        json.loads(line)
        for path in ready_segments(spool.directory)
        for line in path.read_text().splitlines()
    ]
    assert sorted((x["w"], x["i"]) for x in lines) == [
        (n, i) for n in range(12) for i in range(150)
    ]


def test_the_background_loader_waits_for_a_load_worth_its_costs(tmp_path: Path) -> None:
    """Loads once enough is ready, or once the oldest ready segment is old enough."""
    import os

    loader = Loader(tmp_path, DuckDBStore(tmp_path / "e.duckdb"), min_bytes=1000, delay=0.75)
    small, big = tmp_path / "1-1-000001.ndjson", tmp_path / "1-1-000002.ndjson"
    small.write_bytes(b"x" * 10)
    big.write_bytes(b"x" * 995)
    os.utime(small, (100.0, 100.0))
    os.utime(big, (100.5, 100.5))
    assert loader.due([], now=200.0) is False
    assert loader.due([small], now=100.5) is False  # 10 bytes, written 0.5 s ago
    assert loader.due([small], now=100.75) is True  # old enough
    assert loader.due([small, big], now=100.1) is True  # 1,005 bytes
    assert loader.due([big], now=100.6) is False
    assert loader.due([tmp_path / "gone.ndjson"], now=500.0) is False


def test_a_dedicated_loader_gets_the_role_handed_back(tmp_path: Path) -> None:
    """While a dedicated loader lives, the others leave it the role; one that holds the role
    (it took it while the dedicated loader was down) gives it up between loads."""
    from tobloop.analytics.ingest.loader import dedicated_loader_present

    store = DuckDBStore(tmp_path / "e.duckdb")
    worker, other = Loader(tmp_path, store), Loader(tmp_path, store)
    assert worker.try_become_loader()
    assert worker.hand_over_if_wanted() is False  # nobody asks for the role
    dedicated = Loader(tmp_path, store, dedicated=True)
    assert dedicated.announce() and dedicated_loader_present(tmp_path)
    assert not dedicated.try_become_loader()  # the worker still holds it
    assert worker.hand_over_if_wanted() is True
    assert not other.try_become_loader()  # the role is free but wanted
    assert dedicated.try_become_loader()
    # a second dedicated loader stands by while the first lives
    standby = Loader(tmp_path, store, dedicated=True)
    assert not standby.announce()
    dedicated.stop()  # as when its process ends
    assert not dedicated_loader_present(tmp_path)
    assert standby.announce()
    standby.stop()
    assert other.try_become_loader()
    other.release()


def test_the_background_loader_waits_again_for_traffic_that_came_during_a_load(
    tmp_path: Path,
) -> None:
    """A drain in the background (``only_due``) loads what is due, then leaves segments that
    became ready during the load until they are due too; a drain for a reader loads all."""
    import os

    class TrafficDuringLoads(DuckDBStore):
        """A real store; a segment is written during its first load."""

        loads = 0

        def load(self, files: Any, on_profiles: Any = None) -> Any:
            result = super().load(files, on_profiles)
            self.loads += 1
            if self.loads == 1:
                new = stored_record("m2", user="u2")
                (tmp_path / "spool" / "2-1-000001.ndjson").write_bytes(new)
            return result

    spool = tmp_path / "spool"
    spool.mkdir()
    old = spool / "1-1-000001.ndjson"
    old.write_bytes(stored_record("m1", user="u1"))
    os.utime(old, (1.0, 1.0))  # long due
    store = TrafficDuringLoads(tmp_path / "e.duckdb")
    loader = Loader(spool, store, min_bytes=1 << 20, delay=60)
    assert loader.drain(gap=0.01, only_due=True).rows == 1
    assert store.loads == 1
    assert [p.name for p in ready_segments(spool)] == ["2-1-000001.ndjson"]  # not due yet
    assert loader.drain().rows == 1  # a reader's drain takes what is ready
    assert store.loads == 2
