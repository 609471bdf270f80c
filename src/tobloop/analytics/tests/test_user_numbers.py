"""User numbers (DuckDB store): every (workspace, distinct_id) numbered densely from 1 when its
first event is stored, and every event row carrying its number (docs/decisions/0012)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pytest

from tobloop.analytics.logic.importing import BULK_SELECT, import_events
from tobloop.analytics.store.duckdb_store import DuckDBStore
from tobloop.analytics.tests.records import OLD_EVENTS, RECEIVED, event_record, old_row
from tobloop.platform import facade

MINUTE = 60_000


def record(
    workspace_id: int,
    distinct_id: str,
    message_id: str,
    minute: int = 0,
    *,
    kind: str = "track",
    received: int = RECEIVED,
) -> dict[str, Any]:
    return event_record(
        message_id,
        user=distinct_id,
        workspace_id=workspace_id,
        timestamp=RECEIVED - 1000 * MINUTE + minute * MINUTE,
        received=received,
        kind=kind,
    )


def write(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r, option=orjson.OPT_APPEND_NEWLINE) for r in rows))
    return path


class Loads:
    """Record files loaded one after the other into a store."""

    def __init__(self, store: DuckDBStore, tmp: Path) -> None:
        self.store = store
        self.tmp = tmp
        self.n = 0

    def load(self, rows: list[dict[str, Any]]) -> Any:
        self.n += 1
        return self.store.load([write(self.tmp / f"load-{self.n}.ndjson", rows)])


def numbers(store: DuckDBStore) -> dict[tuple[int, str], int]:
    with store.reading() as con:
        assert con is not None
        rows = con.execute("SELECT workspace_id, distinct_id, number FROM user_numbers").fetchall()
    out = {(int(w), str(d)): int(n) for w, d, n in rows}
    assert len(out) == len(rows), "one number per (workspace, distinct_id)"
    return out


def event_rows(store: DuckDBStore) -> list[tuple[int, int, str, int, int, str]]:
    """(rowid, workspace, distinct_id, user_number, timestamp ms, message_id) in rowid order."""
    with store.reading() as con:
        assert con is not None
        return [
            (int(r), int(w), str(d), int(n), int(t), str(m))
            for r, w, d, n, t, m in con.execute(
                "SELECT rowid, workspace_id, distinct_id, user_number, epoch_ms(timestamp), "
                "message_id FROM events ORDER BY rowid"
            ).fetchall()
        ]


def assert_rows_carry_their_numbers(store: DuckDBStore) -> None:
    known = numbers(store)
    for _, workspace, distinct_id, number, _, _ in event_rows(store):
        expected = known[(workspace, distinct_id)] if distinct_id else 0
        assert number == expected, (workspace, distinct_id)


def assert_dense(store: DuckDBStore) -> None:
    by_workspace: dict[int, list[int]] = {}
    for (workspace, _), number in numbers(store).items():
        by_workspace.setdefault(workspace, []).append(number)
    for got in by_workspace.values():
        assert sorted(got) == list(range(1, len(got) + 1))


@pytest.fixture(params=["table scan", "stored keys"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> DuckDBStore:
    """Both ways a load checks its keys: the loader's in-memory keys, other processes' scan."""
    store = DuckDBStore(tmp_path / "events.duckdb")
    if request.param == "stored keys":
        store.keep_loaded_keys()
    return store


def test_new_ids_are_numbered_in_distinct_id_order_and_keep_their_numbers(
    store: DuckDBStore, tmp_path: Path
) -> None:
    loads = Loads(store, tmp_path)
    loads.load([record(1, "carol", "m1"), record(1, "alice", "m2"), record(1, "bob", "m3")])
    assert numbers(store) == {(1, "alice"): 1, (1, "bob"): 2, (1, "carol"): 3}
    # known ids keep theirs; the new ones follow in distinct_id order ("Zed" < "dave" bytewise)
    loads.load(
        [
            record(1, "bob", "m4"),
            record(1, "dave", "m5"),
            record(1, "Zed", "m6"),
            record(1, "alice", "m7"),
        ]
    )
    assert numbers(store) == {
        (1, "alice"): 1,
        (1, "bob"): 2,
        (1, "carol"): 3,
        (1, "Zed"): 4,
        (1, "dave"): 5,
    }
    assert_rows_carry_their_numbers(store)
    by_message = {m: n for _, _, _, n, _, m in event_rows(store)}
    assert by_message == {"m1": 3, "m2": 1, "m3": 2, "m4": 2, "m5": 5, "m6": 4, "m7": 1}


def test_workspaces_number_their_users_independently(store: DuckDBStore, tmp_path: Path) -> None:
    loads = Loads(store, tmp_path)
    loads.load([record(1, "b", "1"), record(2, "b", "2"), record(2, "a", "3"), record(1, "c", "4")])
    assert numbers(store) == {(1, "b"): 1, (1, "c"): 2, (2, "a"): 1, (2, "b"): 2}
    loads.load([record(2, "c", "5"), record(3, "c", "6"), record(1, "a", "7")])
    assert numbers(store) == {
        (1, "b"): 1,
        (1, "c"): 2,
        (1, "a"): 3,
        (2, "a"): 1,
        (2, "b"): 2,
        (2, "c"): 3,
        (3, "c"): 1,
    }
    assert_rows_carry_their_numbers(store)


def test_an_empty_distinct_id_carries_zero_and_gets_no_number(
    store: DuckDBStore, tmp_path: Path
) -> None:
    loads = Loads(store, tmp_path)
    loads.load([record(1, "", "1"), record(1, "u", "2"), record(1, "", "3", kind="alias")])
    assert numbers(store) == {(1, "u"): 1}
    assert sorted((d, n) for _, _, d, n, _, _ in event_rows(store)) == [("", 0), ("", 0), ("u", 1)]


def test_duplicates_and_replays_do_not_use_up_numbers(store: DuckDBStore, tmp_path: Path) -> None:
    loads = Loads(store, tmp_path)
    first = [record(1, "a", "1"), record(1, "b", "2")]
    loads.load(first)
    replay = loads.load(first)
    assert (replay.stored, replay.duplicates) == (0, 2)
    # a stored key under a new id (a replay with a changed id) and a key repeated in the
    # load: neither stored row gives its id a number
    result = loads.load(
        [
            record(1, "ghost", "1"),
            record(1, "c", "3"),
            record(1, "c", "3", minute=5),
            record(1, "b", "4"),
        ]
    )
    assert (result.stored, result.duplicates) == (2, 2)
    assert numbers(store) == {(1, "a"): 1, (1, "b"): 2, (1, "c"): 3}
    loads.load([record(1, "d", "5")])
    assert numbers(store)[(1, "d")] == 4
    assert_dense(store)
    assert_rows_carry_their_numbers(store)


def test_a_loads_rows_are_stored_sorted_by_workspace_user_number_and_time(
    store: DuckDBStore, tmp_path: Path
) -> None:
    rng = random.Random(12)
    loads = Loads(store, tmp_path)
    batches: list[list[dict[str, Any]]] = []
    for b in range(3):
        rows = [
            record(
                rng.choice([7, 3, 5]),
                rng.choice(["", *(f"user-{i}" for i in range(40))]),
                f"b{b}-{i}",
                minute=rng.randrange(500),
            )
            for i in range(400)
        ]
        rng.shuffle(rows)
        batches.append(rows)
        loads.load(rows)
    stored = event_rows(store)
    assert len(stored) == 1200
    for b in range(3):
        mine = [r for r in stored if r[5].startswith(f"b{b}-")]
        # rowids of one load are contiguous and the rows come out in the analytics' order
        assert [r[0] for r in mine] == list(range(mine[0][0], mine[0][0] + len(mine)))
        keys = [(w, n, t) for _, w, _, n, t, _ in mine]
        assert keys == sorted(keys)
    assert_dense(store)
    assert_rows_carry_their_numbers(store)
    # every workspace's ids numbered in the order they were first loaded, then by distinct_id
    for workspace in (3, 5, 7):
        first_load: dict[str, int] = {}
        for b, rows in enumerate(batches):
            for r in rows:
                if r["workspace_id"] == workspace and r["distinct_id"]:
                    first_load.setdefault(r["distinct_id"], b)
        expected = sorted(first_load, key=lambda d: (first_load[d], d))
        got = {d: n for (w, d), n in numbers(store).items() if w == workspace}
        assert sorted(got, key=lambda d: got[d]) == expected


def test_deleting_a_workspace_removes_its_numbers(store: DuckDBStore, tmp_path: Path) -> None:
    loads = Loads(store, tmp_path)
    loads.load([record(1, "a", "1"), record(1, "b", "2"), record(2, "a", "3")])
    store.delete_workspace(1)
    assert numbers(store) == {(2, "a"): 1}
    # the id used again later by a new workspace: numbering starts over
    loads.load([record(1, "z", "4", received=RECEIVED + 10**12)])
    assert numbers(store) == {(2, "a"): 1, (1, "z"): 1}
    assert_rows_carry_their_numbers(store)


def test_a_failed_load_leaves_no_numbers(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "events.duckdb")
    loads = Loads(store, tmp_path)
    loads.load([record(1, "a", "1")])

    def refuse(rows: list[dict[str, Any]]) -> None:
        raise RuntimeError("profiles failed")

    path = write(tmp_path / "next.ndjson", [record(1, "b", "2", kind="identify")])
    with pytest.raises(RuntimeError):
        store.load([path], on_profiles=refuse)
    assert numbers(store) == {(1, "a"): 1}
    loads.load([record(1, "c", "3")])
    assert numbers(store) == {(1, "a"): 1, (1, "c"): 2}


# -- a store made before user numbers ---------------------------------------------------------


def test_a_store_made_before_user_numbers_numbers_its_stored_rows(tmp_path: Path) -> None:
    path = tmp_path / "events.duckdb"
    con = duckdb.connect(str(path))
    con.execute(OLD_EVENTS)
    old = [(2, "b", "o1"), (1, "b", "o2"), (1, "", "o3"), (1, "a", "o4"), (1, "b", "o5")]
    con.executemany(
        "INSERT INTO events VALUES (" + ", ".join(["?"] * 16) + ")",
        [old_row(*r) for r in old],
    )
    con.close()

    store = DuckDBStore(path)
    # reading an old store does not change it
    with store.reading() as reader:
        assert reader is not None
        assert reader.execute("SELECT count(*) FROM events").fetchone() == (5,)
    loads = Loads(store, tmp_path)
    result = loads.load([record(1, "c", "n1"), record(1, "a", "n2"), record(1, "", "o3")])
    assert (result.stored, result.duplicates) == (2, 1)
    assert numbers(store) == {(1, "a"): 1, (1, "b"): 2, (1, "c"): 3, (2, "b"): 1}
    assert_rows_carry_their_numbers(store)
    with store.reading() as reader:
        assert reader is not None
        columns = [r[0] for r in reader.execute("DESCRIBE events").fetchall()]
        by_message = dict(reader.execute("SELECT message_id, user_number FROM events").fetchall())
    assert columns[-1] == "user_number" and len(columns) == 17
    assert by_message == {"o1": 1, "o2": 2, "o3": 0, "o4": 1, "o5": 2, "n1": 3, "n2": 1}
    # another store object (another process) opening the migrated store changes nothing
    again = DuckDBStore(path)
    again.ensure_schema()
    assert numbers(again) == numbers(store)


def test_a_new_store_has_the_column_last(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "events.duckdb")
    store.ensure_schema()
    with store.reading() as con:
        assert con is not None
        columns = {r[0]: r[1] for r in con.execute("DESCRIBE events").fetchall()}
        number_columns = {r[0]: r[1] for r in con.execute("DESCRIBE user_numbers").fetchall()}
    assert list(columns)[-1] == "user_number" and columns["user_number"] == "UINTEGER"
    assert number_columns == {
        "workspace_id": "BIGINT",
        "distinct_id": "VARCHAR",
        "number": "UINTEGER",
    }


# -- the bulk import --------------------------------------------------------------------------


@pytest.fixture
def principal(db: None) -> Any:
    facade.create_workspace(name="Numbers", slug="num")
    return facade.system_principal("num", "test")


def segment_lines(path: Path, messages: list[dict[str, Any]], prefix: str) -> Path:
    return write(
        path,
        [
            {**m, "messageId": f"{prefix}-{i}", "timestamp": f"2026-03-01T10:{i % 60:02d}:00Z"}
            for i, m in enumerate(messages)
        ],
    )


def test_both_import_paths_number_users_like_the_loader(
    principal: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    tracks = [
        {"type": "track", "event": "E", "userId": u} for u in ["u3", "u1", "u2", "u1", "u3"]
    ] + [{"type": "page", "anonymousId": "a1", "name": "Home"}]
    more = [
        {"type": "identify", "userId": "u0", "traits": {"plan": "pro"}},
        {"type": "track", "event": "E", "userId": "u2"},
        {"type": "track", "event": "E", "userId": "u9"},
    ]
    files = [
        segment_lines(tmp_path / "tracks.ndjson", tracks, "t"),
        segment_lines(tmp_path / "more.ndjson", more, "m"),  # an identify: the staged load
        # a known and a new user in a direct insert
        segment_lines(
            tmp_path / "late.ndjson",
            [{"event": "E", "userId": "u4"}, {"event": "E", "userId": "u1"}],
            "l",
        ),
    ]
    direct: list[bool] = []
    original = DuckDBStore.insert_import

    def spy(self: DuckDBStore, select_sql: str, params: dict[str, Any]) -> Any:
        result = original(self, select_sql, params)
        direct.append(result is not None)
        return result

    monkeypatch.setattr(DuckDBStore, "insert_import", spy)
    fast = DuckDBStore(tmp_path / "fast.duckdb")
    for f in files:
        import_events(principal, f, store=fast)
    assert direct == [True, False, True]  # the identify stops the direct insert
    workspace = principal.workspace.id
    expected = {"a1": 1, "u1": 2, "u2": 3, "u3": 4, "u0": 5, "u9": 6, "u4": 7}
    assert numbers(fast) == {(workspace, d): n for d, n in expected.items()}
    assert_rows_carry_their_numbers(fast)

    monkeypatch.setattr(DuckDBStore, "insert_import", lambda self, sql, params: None)
    slow = DuckDBStore(tmp_path / "slow.duckdb")
    for f in files:
        import_events(principal, f, store=slow)
    assert numbers(slow) == numbers(fast)
    assert_rows_carry_their_numbers(slow)
    # the direct insert stores its rows in the same order as the staged load
    for store in (fast, slow):
        mine = [r for r in event_rows(store) if r[5].startswith("t-")]
        keys = [(w, n, t) for _, w, _, n, t, _ in mine]
        assert keys == sorted(keys) and len(keys) == 6


def test_a_rolled_back_import_part_leaves_no_numbers(principal: Any, tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "events.duckdb")
    workspace = principal.workspace.id
    first = segment_lines(tmp_path / "a.ndjson", [{"event": "E", "userId": "u1"}], "a")
    import_events(principal, first, store=store)
    # the part's insert stores a new user, then finds a key already stored: rolled back
    part = write(
        tmp_path / "b.ndjson",
        [
            {"event": "E", "userId": "u2", "messageId": "b-0", "timestamp": "2026-03-02"},
            {"event": "E", "userId": "u1", "messageId": "a-0", "timestamp": "2026-03-01"},
        ],
    )
    params = {"path": str(part), "workspace": workspace, "received": 0}
    assert store.insert_import(BULK_SELECT, params) is None
    assert numbers(store) == {(workspace, "u1"): 1}
    # a part the statement refuses (a group call) numbers nobody either
    grouped = write(
        tmp_path / "c.ndjson",
        [
            {"event": "E", "userId": "u3", "messageId": "c-0", "timestamp": "2026-03-02"},
            {
                "type": "group",
                "userId": "u3",
                "groupId": "g",
                "messageId": "c-1",
                "timestamp": "2026-03-02",
            },
        ],
    )
    params = {"path": str(grouped), "workspace": workspace, "received": 0}
    assert store.insert_import(BULK_SELECT, params) is None
    assert numbers(store) == {(workspace, "u1"): 1}
    # nor does one where a line fails a check (no time): the statement raises
    untimed = write(
        tmp_path / "d.ndjson",
        [
            {"event": "E", "userId": "u4", "messageId": "d-0", "timestamp": "2026-03-02"},
            {"event": "E", "userId": "u4", "messageId": "d-1"},
        ],
    )
    params = {"path": str(untimed), "workspace": workspace, "received": 0}
    with pytest.raises(duckdb.InvalidInputException, match="fails a check"):
        store.insert_import(BULK_SELECT, params)
    assert numbers(store) == {(workspace, "u1"): 1}
    # the staged load then stores the part and numbers its new user
    report = import_events(principal, part, store=store)
    assert (report.created, report.duplicates) == (1, 1)
    assert numbers(store) == {(workspace, "u1"): 1, (workspace, "u2"): 2}
    assert_rows_carry_their_numbers(store)
