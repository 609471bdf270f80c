"""DuckDB and ClickHouse (run for real on chdb) store the same events and answer the same."""

from __future__ import annotations

import os
import random
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from tobloop.analytics.ingest import segment, sensors
from tobloop.analytics.logic.importing import import_events
from tobloop.analytics.store import open_store
from tobloop.analytics.store.base import EventFilter, EventStore, now_ms

RECEIVED = 1_795_176_000_000  # 2026-11-20T12:00:00Z
DAY = 86_400_000
ODD_USER = "back\\slash\ttab\nline 'quote'"
ODD_EVENT = 'Say "hi" \\ to 用户'
EVENTS = ["Signed Up", "Project Created", "Report Exported", "Invite Sent", "Dashboard Viewed"]


def segment_messages(rng: random.Random, n: int) -> list[dict[str, Any]]:
    """A realistic mix: identify and group calls, then track/page calls of several users."""
    out: list[dict[str, Any]] = []
    for u in range(20):
        user, acct = f"user-{u}", f"acct-{u % 6}"
        out.append({"type": "identify", "userId": user, "traits": {"email": f"{user}@x.cn"}})
        out.append({"type": "group", "userId": user, "groupId": acct, "traits": {"name": acct}})
    for _ in range(n):
        user = f"user-{rng.randrange(25)}"  # some users never called group
        kind = rng.choice(["track", "track", "track", "page"])
        msg: dict[str, Any] = {"type": kind, "userId": user}
        if kind == "track":
            msg["event"] = rng.choice(EVENTS)
            msg["properties"] = {"plan": rng.choice(["free", "pro"]), "n": rng.randrange(100)}
        else:
            msg["name"] = rng.choice(["Home", "Pricing"])
            msg["properties"] = {"path": "/" + msg["name"].lower()}
        if rng.random() < 0.2:
            msg["context"] = {"groupId": f"acct-explicit-{rng.randrange(3)}"}
        out.append(msg)
    for i, msg in enumerate(out):
        msg["messageId"] = f"m-{i}"
        msg["timestamp"] = _iso(RECEIVED - 40 * DAY + i * 60_000 + rng.randrange(1000))
    return out


def _iso(ms: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds")


def records(messages: list[dict[str, Any]], workspace_id: int = 1) -> bytes:
    return b"".join(
        segment.normalize(m, workspace_id=workspace_id, received_ms=RECEIVED, history=True)
        for m in messages
    )


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, EventStore]:
    """Both engines loaded from the same record files, twice (the second load is a replay)."""
    base = tmp_path_factory.mktemp("stores")
    rng = random.Random(7)
    first = base / "first.ndjson"
    first.write_bytes(records(segment_messages(rng, 1500)))
    second = base / "second.ndjson"
    sensors_events = [
        {
            "type": "track",
            "event": "Paid",
            "distinct_id": f"user-{i % 4}",
            "time": RECEIVED - DAY + i,
            "properties": {"$is_login_id": True, "amount": i, "account_id": "acct-1"},
        }
        for i in range(30)
    ]
    second.write_bytes(
        records(segment_messages(random.Random(8), 200))  # the same ids again: all duplicates
        + b"".join(
            sensors.normalize(e, workspace_id=1, received_ms=RECEIVED) for e in sensors_events
        )
        + records(
            [
                {
                    "type": "track",
                    "event": ODD_EVENT,
                    "userId": ODD_USER,
                    "messageId": "odd",
                    "timestamp": _iso(RECEIVED - DAY),
                }
            ]
        )
        + records(
            [
                {
                    "type": "track",
                    "event": "Other tenant",
                    "userId": "x",
                    "messageId": "m-0",
                    "timestamp": _iso(RECEIVED),
                }
            ],
            workspace_id=2,
        )
    )
    out: dict[str, EventStore] = {}
    for url in ("duckdb://", "chdb://"):
        store = open_store(url, base / url.rstrip(":/"))
        store.load([first])
        store.load([first, second])
        out[url] = store
    return out


def test_both_engines_store_the_same_rows_field_by_field(stores: dict[str, EventStore]) -> None:
    duck, ch = (stores[u].all_events(1) for u in ("duckdb://", "chdb://"))
    assert len(duck) == 1500 + 40 + 30 + 1
    assert [asdict(e) for e in duck] == [asdict(e) for e in ch]
    assert len({e.message_id for e in duck}) == len(duck)
    by_id = {e.message_id: e for e in duck}
    assert by_id["m-40"].timestamp.microsecond % 1000 == 0
    explicit = [e for e in duck if e.context.get("groupId")]
    assert explicit and all(e.account_id == e.context["groupId"] for e in explicit)
    grouped_user = [
        e
        for e in duck
        if e.user_id == "user-3" and not e.context.get("groupId") and e.source != "sensors"
    ]
    assert {e.account_id for e in grouped_user} == {"acct-3"}
    loner = [e for e in duck if e.user_id == "user-22" and not e.context.get("groupId")]
    assert {e.account_id for e in loner} == {None}


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"event": "Report Exported"},
        {"event": "Paid"},
        {"user_id": "user-3"},
        {"account_id": "acct-1"},
        {"start_ms": RECEIVED - 30 * DAY, "end_ms": RECEIVED - 20 * DAY},
        {"event": "Invite Sent", "start_ms": RECEIVED - 35 * DAY},
        {"event": "nothing like it"},
        {"event": ODD_EVENT, "user_id": ODD_USER},
    ],
)
def test_both_engines_answer_the_same_counts(
    stores: dict[str, EventStore], query: dict[str, Any]
) -> None:
    answers = {u: s.count(EventFilter(1, **query)) for u, s in stores.items()}
    assert answers["duckdb://"] == answers["chdb://"]
    if "user_id" in query:
        assert answers["chdb://"].count >= 1
    recent = {
        u: [asdict(e) for e in s.recent(EventFilter(1, limit=25, **query))]
        for u, s in stores.items()
    }
    assert recent["duckdb://"] == recent["chdb://"]


def test_tenants_do_not_see_each_other(stores: dict[str, EventStore]) -> None:
    for store in stores.values():
        assert store.count(EventFilter(2)).count == 1
        assert store.count(EventFilter(3)).count == 0
        (other,) = store.all_events(2)
        assert other.event == "Other tenant"


def test_both_engines_build_the_same_catalog(stores: dict[str, EventStore]) -> None:
    duck, ch = (stores[u].catalog(1) for u in ("duckdb://", "chdb://"))

    def shape(catalog: list[Any]) -> list[Any]:
        return [
            (
                c.type,
                c.event,
                c.count,
                c.first_seen,
                c.last_seen,
                [(p.name, p.count, p.first_seen, p.last_seen) for p in c.properties],
            )
            for c in catalog
        ]

    assert shape(duck) == shape(ch)
    exported = next(c for c in duck if c.event == "Report Exported")
    assert [p.name for p in exported.properties] == ["n", "plan"]
    plan = exported.properties[1]
    assert plan.count == exported.count and set(plan.examples) <= {'"free"', '"pro"'}
    group = next(c for c in duck if c.type == "group")
    assert group.properties[0].name == "name"  # traits of group calls


def test_the_importer_stores_the_same_on_both_engines(tmp_path: Path) -> None:
    messages = segment_messages(random.Random(3), 300)
    source = tmp_path / "history.ndjson"
    source.write_bytes(b"\n".join(orjson.dumps(m) for m in messages) + b"\n")
    results = {}
    for url in ("duckdb://", "chdb://"):
        store = open_store(url, tmp_path / url.rstrip(":/"))
        report = import_events(_principal(), source, store=store, on_profiles=lambda rows: None)
        again = import_events(_principal(), source, store=store, on_profiles=lambda rows: None)
        assert (report.created, report.duplicates, again.created, again.duplicates) == (
            len(messages),
            0,
            0,
            len(messages),
        )
        results[url] = [asdict(e) | {"received_at": None} for e in store.all_events(1)]
    assert results["duckdb://"] == results["chdb://"]


@pytest.mark.skipif(
    not os.environ.get("TOBLOOP_TEST_CLICKHOUSE_URL"),
    reason="set TOBLOOP_TEST_CLICKHOUSE_URL=clickhouse://USER:PASS@HOST:8123/DB to run",
)
def test_a_clickhouse_server_answers_like_chdb(
    stores: dict[str, EventStore], tmp_path: Path
) -> None:
    server = open_store(os.environ["TOBLOOP_TEST_CLICKHOUSE_URL"], tmp_path)
    source = tmp_path / "records.ndjson"
    source.write_bytes(records(segment_messages(random.Random(7), 1500)))
    server.load([source])
    chdb_rows = [e for e in stores["chdb://"].all_events(1) if e.source != "sensors"]
    assert [asdict(e) for e in server.all_events(1)] == [asdict(e) for e in chdb_rows]


def _principal() -> Any:
    from tobloop.platform.contracts import Principal, WorkspaceInfo
    from tobloop.platform.thresholds import PlaybookThresholds

    workspace = WorkspaceInfo(
        id=1,
        slug="w",
        name="W",
        currency="CNY",
        timezone="Asia/Shanghai",
        thresholds=PlaybookThresholds(),
    )
    return Principal(workspace=workspace, label="test", scopes=frozenset({"write"}))


@pytest.mark.parametrize("url", ["duckdb://", "chdb://"])
def test_deleting_a_workspace_leaves_the_others(url: str, tmp_path: Path) -> None:
    store = open_store(url, tmp_path)
    source = tmp_path / "r.ndjson"
    source.write_bytes(
        records(segment_messages(random.Random(1), 10), 1)
        + records(segment_messages(random.Random(2), 5), 2)
    )
    store.load([source])
    store.delete_workspace(1)
    assert store.count(EventFilter(1)).count == 0 and store.catalog(1) == []
    assert store.count(EventFilter(2)).count == 45
    # Records received before the deletion (still in the spool then) are dropped on loading…
    result = store.load([source])
    assert (result.rows, result.stored) == (95, 0)
    assert store.count(EventFilter(1)).count == 0
    # …while records received later (an id used again) are stored.
    later = tmp_path / "later.ndjson"
    later.write_bytes(
        b"".join(
            segment.normalize(m, workspace_id=1, received_ms=now_ms() + 5, history=True)
            for m in segment_messages(random.Random(1), 10)
        )
    )
    assert store.load([later]).stored == 50
    assert store.count(EventFilter(2)).count == 45


def _track(user: str, n: int, day: int, account: str | None = None) -> dict[str, Any]:
    msg: dict[str, Any] = {
        "type": "track",
        "event": "Report Viewed",
        "userId": user,
        "messageId": f"{user}-t{n}",
        "timestamp": _iso(RECEIVED - 30 * DAY + day * DAY),
    }
    if account is not None:
        msg["context"] = {"groupId": account}
    return msg


def _group(user: str, account: str, day: int) -> dict[str, Any]:
    return {
        "type": "group",
        "userId": user,
        "groupId": account,
        "messageId": f"{user}-g-{account}",
        "timestamp": _iso(RECEIVED - 30 * DAY + day * DAY),
    }


@pytest.mark.parametrize("url", ["duckdb://", "chdb://"])
def test_events_before_the_first_group_call_are_attributed_when_it_arrives(
    url: str, tmp_path: Path
) -> None:
    """The rule of docs/decisions/0008: events stored without an account get the user's
    account when the load with the user's first group call arrives; later group changes do
    not rewrite history; a replay of any load (kill -9) changes nothing."""
    store = open_store(url, tmp_path)
    loads = [
        [_track("ann", 1, 1), _track("ann", 2, 2), _track("bob", 1, 2), _track("eve", 1, 3, "x")],
        [_track("ann", 3, 3), _group("ann", "acme", 4), _track("eve", 2, 4)],
        [_track("ann", 4, 5), _group("ann", "globex", 6), _track("ann", 5, 7)],
    ]
    files = []
    for i, messages in enumerate(loads):
        path = tmp_path / f"load-{i}.ndjson"
        path.write_bytes(records(messages) + records([_track("ann", 9, 1)], workspace_id=2))
        files.append(path)

    def accounts() -> dict[str, str | None]:
        return {e.message_id: e.account_id for e in store.all_events(1) if e.type == "track"}

    store.load([files[0]])
    assert accounts() == {"ann-t1": None, "ann-t2": None, "bob-t1": None, "eve-t1": "x"}
    store.load([files[1]])
    expected = {
        "ann-t1": "acme",  # stored before the first group call: attributed now
        "ann-t2": "acme",
        "ann-t3": "acme",  # in the same load as the group call
        "bob-t1": None,  # bob never called group
        "eve-t1": "x",  # context.groupId is kept
        "eve-t2": None,
    }
    assert accounts() == expected
    store.load([files[2]])
    # Events of a load take the user's latest account as of the load (ann-t4 shares its load
    # with the move to globex); events stored earlier keep theirs: history is not rewritten.
    expected |= {"ann-t4": "globex", "ann-t5": "globex"}
    assert accounts() == expected
    for path in files:  # replays store nothing and change nothing
        assert store.load([path]).stored == 0
    assert accounts() == expected
    # The same user id in another workspace is not touched.
    assert [e.account_id for e in store.all_events(2)] == [None]
    assert store.count(EventFilter(1, account_id="acme")).count == 4  # 3 tracks, the group


@pytest.mark.parametrize("step", ["REATTRIBUTE", "INSERT_EVENTS", "CATALOG_EVENTS"])
@pytest.mark.parametrize("url", ["duckdb://", "chdb://"])
def test_a_load_killed_around_the_re_attribution_is_replayed_to_the_same_result(
    url: str, step: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ClickHouse has no transactions: a crash during the re-attribution, or after it (before
    or after the load's events went in), leaves part of the load done; the replay must end
    where an uninterrupted load ends. DuckDB rolls the whole load back."""
    from tobloop.analytics.store import clickhouse_store, duckdb_store

    store = open_store(url, tmp_path)
    before = tmp_path / "before.ndjson"
    before.write_bytes(records([_track("ann", 1, 1), _track("ann", 2, 2)]))
    linking = tmp_path / "linking.ndjson"
    linking.write_bytes(records([_group("ann", "acme", 3), _track("ann", 3, 4)]))
    store.load([before])
    module: Any = duckdb_store if url == "duckdb://" else clickhouse_store
    crash = "SELECT error('killed')" if url == "duckdb://" else "SELECT throwIf(1, 'killed')"
    monkeypatch.setattr(module, step, crash)
    with pytest.raises(Exception, match="killed"):
        store.load([linking])
    monkeypatch.undo()
    store.load([linking])  # the replay
    assert {e.message_id: e.account_id for e in store.all_events(1)} == {
        "ann-t1": "acme",
        "ann-t2": "acme",
        "ann-g-acme": "acme",
        "ann-t3": "acme",
    }
    assert store.load([linking]).stored == 0


@pytest.mark.parametrize("url", ["duckdb://", "chdb://"])
def test_the_catalog_counts_each_property_over_events_of_different_shapes(
    url: str, tmp_path: Path
) -> None:
    """Keys counted per event whatever the other keys, their order, or empty properties;
    first and last seen per key; the counts add up over two loads."""
    shapes = [
        {"a": 1, "b": "x"},  # 12:00
        {"b": "y", "a": 2},  # 12:01, the same keys in another order
        {"a": 3},  # 12:02
        {},  # 12:03: no keys
        {"c": True, "a": 4},  # 12:04
        {"a": 5},  # 12:05, a shape seen before
    ]
    messages = [
        {
            "type": "track",
            "event": "E",
            "userId": "u",
            "properties": props,
            "messageId": f"shape-{i}",
            "timestamp": _iso(RECEIVED - DAY + i * 60_000),
        }
        for i, props in enumerate(shapes)
    ]
    store = open_store(url, tmp_path)
    first, second = tmp_path / "1.ndjson", tmp_path / "2.ndjson"
    first.write_bytes(records(messages[:3]))
    second.write_bytes(records(messages[3:]))
    store.load([first])
    store.load([second])
    (entry,) = store.catalog(1)
    assert entry.count == 6
    minute = timedelta(minutes=1)
    start = datetime(2026, 11, 19, 12, tzinfo=UTC)  # RECEIVED - DAY
    assert [(p.name, p.count, p.first_seen, p.last_seen) for p in entry.properties] == [
        ("a", 5, start, start + 5 * minute),
        ("b", 2, start, start + minute),
        ("c", 1, start + 4 * minute, start + 4 * minute),
    ]


def test_the_duckdb_dedupe_key_is_the_first_8_bytes_of_the_md5_big_endian() -> None:
    """schema.duckdb_dedupe_key computes the key without the hex text; it must stay the key
    stored so far: the digest's first 16 hex digits read as an unsigned 64-bit number."""
    import hashlib

    import duckdb

    from tobloop.analytics.store.schema import DUCKDB_DEDUPE_KEY

    ids = ["m-1", "", "ü-ключ-键", "x" * 255, "0", "h:" + "f" * 32]
    rows = [(ws, m) for ws in (1, 42, 9_007_199_254_740_993) for m in ids]
    con = duckdb.connect()
    con.execute("CREATE TABLE t (workspace_id BIGINT, message_id VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?)", rows)
    got = con.execute(
        f"SELECT workspace_id, message_id, {DUCKDB_DEDUPE_KEY} FROM t ORDER BY ALL"
    ).fetchall()
    for ws, message_id, key in got:
        digest = hashlib.md5(f"{ws}:{message_id}".encode()).hexdigest()
        assert key == int(digest[:16], 16), (ws, message_id)
