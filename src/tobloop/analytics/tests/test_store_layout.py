"""The DuckDB store's column types (``type`` and ``source`` as ENUMs), the conversion of a
store made before them, and the instance a bulk import keeps across its writes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pytest

from tobloop.analytics.ingest import segment, sensors
from tobloop.analytics.store.duckdb_store import SOURCE_ENUM, TYPE_ENUM, DuckDBStore
from tobloop.analytics.store.schema import EVENT_SOURCES, EVENT_TYPES
from tobloop.analytics.tests.records import OLD_EVENTS, RECEIVED, old_row, stored_record


def column_types(store: DuckDBStore) -> dict[str, str]:
    with store.reading() as con:
        assert con is not None
        return {r[0]: r[1] for r in con.execute("DESCRIBE events").fetchall()}


def load(store: DuckDBStore, path: Path, *lines: bytes) -> Any:
    path.write_bytes(b"".join(lines))
    return store.load([path])


def test_every_type_and_source_the_ingestion_writes_is_in_the_enums() -> None:
    """A record whose type or source the ENUM lacked would fail its whole load."""
    written: list[dict[str, Any]] = []
    for kind in segment.SEGMENT_TYPES:
        msg: dict[str, Any] = {"type": kind, "userId": "u", "messageId": f"m-{kind}"}
        msg |= {"event": "E"} if kind == "track" else {}
        msg |= {"groupId": "g"} if kind == "group" else {}
        msg |= {"previousId": "p"} if kind == "alias" else {}
        for source in ("segment", "import"):
            line = segment.normalize(msg, workspace_id=1, received_ms=RECEIVED, source=source)
            written.append(orjson.loads(line))
    sensors_events = [
        {"type": "track", "event": "E", "distinct_id": "u"},
        {"type": "profile_set", "distinct_id": "u", "properties": {"a": 1}},
        {"type": "track_signup", "event": "$SignUp", "distinct_id": "u", "original_id": "a"},
        {"type": "item_set", "item_type": "company", "item_id": "c1", "properties": {}},
        {"type": "item_set", "item_type": "book", "item_id": "b1", "properties": {}},
    ]
    for event in sensors_events:
        event |= {"time": RECEIVED, "properties": event.get("properties", {})}
        written.append(orjson.loads(sensors.normalize(event, workspace_id=1, received_ms=RECEIVED)))
    assert {r["type"] for r in written} <= set(EVENT_TYPES)
    assert {r["type"] for r in written} >= set(segment.SEGMENT_TYPES) | {"item"}
    assert {r["source"] for r in written} | {"import"} <= set(EVENT_SOURCES)
    assert list(EVENT_TYPES) == sorted(EVENT_TYPES)  # ordered as their text is


def test_a_new_store_keeps_type_and_source_as_enums(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "events.duckdb")
    load(store, tmp_path / "r.ndjson", stored_record("m1"), stored_record("m2", kind="identify"))
    types = column_types(store)
    assert (types["type"], types["source"]) == (TYPE_ENUM, SOURCE_ENUM)
    with store.reading() as con:
        assert con is not None
        rows = con.execute("SELECT type, source FROM events ORDER BY type").fetchall()
    assert rows == [("identify", "segment"), ("track", "segment")]


def test_a_new_store_compresses_message_ids_and_contexts_with_zstd(tmp_path: Path) -> None:
    """The two columns only read back with whole events are written with zstd (cheaper to write
    than DuckDB's dictionary/FSST, docs/performance.md); the others keep DuckDB's choice."""
    store = DuckDBStore(tmp_path / "events.duckdb")
    load(store, tmp_path / "r.ndjson", *(stored_record(f"m{i}") for i in range(200)))
    with store.reading() as con:
        assert con is not None
        used = dict(
            con.execute(
                "SELECT column_name, string_agg(DISTINCT compression, ',') "
                "FROM pragma_storage_info('events') WHERE segment_type <> 'VALIDITY' GROUP BY 1"
            ).fetchall()
        )
        assert con.execute("SELECT count(DISTINCT message_id) FROM events").fetchone() == (200,)
    assert (used["message_id"], used["context"]) == ("ZSTD", "ZSTD")
    assert "ZSTD" not in used["distinct_id"]


def old_store(path: Path, rows: list[list[Any]]) -> None:
    con = duckdb.connect(str(path))
    con.execute(OLD_EVENTS)
    con.executemany("INSERT INTO events VALUES (" + ", ".join(["?"] * 16) + ")", rows)
    con.close()


def test_a_store_with_text_type_and_source_converts_them_at_its_first_write(
    tmp_path: Path,
) -> None:
    path = tmp_path / "events.duckdb"
    old_store(path, [old_row(1, "a", "o1"), old_row(1, "b", "o2")])
    store = DuckDBStore(path)
    assert column_types(store)["type"] == "VARCHAR"  # reading changes nothing

    result = load(store, tmp_path / "r.ndjson", stored_record("n1"), stored_record("o1"))
    assert (result.stored, result.duplicates) == (1, 1)
    types = column_types(store)
    assert (types["type"], types["source"]) == (TYPE_ENUM, SOURCE_ENUM)
    with store.reading() as con:
        assert con is not None
        rows = con.execute("SELECT message_id, type, source FROM events ORDER BY 1").fetchall()
    assert rows == [
        ("n1", "track", "segment"),
        ("o1", "track", "segment"),
        ("o2", "track", "segment"),
    ]


def test_a_text_column_holding_another_value_stays_text_and_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "events.duckdb"
    legacy = old_row(1, "a", "o1")
    legacy[-1] = "legacy-source"
    old_store(path, [legacy, old_row(1, "b", "o2")])
    store = DuckDBStore(path)

    result = load(store, tmp_path / "r.ndjson", stored_record("n1"))
    assert result.stored == 1
    types = column_types(store)
    assert (types["type"], types["source"]) == (TYPE_ENUM, "VARCHAR")
    with store.reading() as con:
        assert con is not None
        sources = con.execute("SELECT message_id, source FROM events ORDER BY 1").fetchall()
    assert sources == [("n1", "segment"), ("o1", "legacy-source"), ("o2", "segment")]


def open_elsewhere(path: Path) -> int:
    """The store's event count, read by another process."""
    code = (
        "import duckdb, sys; "
        "print(duckdb.connect(sys.argv[1], read_only=True)"
        ".execute('SELECT count(*) FROM events').fetchone()[0])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True
    )
    return int(done.stdout)


def test_a_kept_instance_holds_the_store_file_only_during_each_write(tmp_path: Path) -> None:
    path = tmp_path / "events.duckdb"
    store = DuckDBStore(path)
    with store.kept_instance():
        load(store, tmp_path / "a.ndjson", stored_record("m1"))
        kept = store._kept
        assert kept is not None
        assert open_elsewhere(path) == 1  # between writes the file is free
        load(store, tmp_path / "b.ndjson", stored_record("m2"), stored_record("m1"))
        assert store._kept is kept  # one instance for every write
        assert open_elsewhere(path) == 2
    assert store._kept is None
    load(store, tmp_path / "c.ndjson", stored_record("m3"))  # one instance per write again
    assert open_elsewhere(path) == 3


def test_a_failed_write_in_a_kept_instance_stores_nothing_and_the_next_one_works(
    tmp_path: Path,
) -> None:
    path = tmp_path / "events.duckdb"
    store = DuckDBStore(path)

    def refuse(rows: list[Any]) -> None:
        raise RuntimeError("profiles failed")

    with store.kept_instance():
        load(store, tmp_path / "a.ndjson", stored_record("m1"))
        (tmp_path / "b.ndjson").write_bytes(stored_record("m2", kind="identify"))
        with pytest.raises(RuntimeError):
            store.load([tmp_path / "b.ndjson"], on_profiles=refuse)
        assert open_elsewhere(path) == 1
        load(store, tmp_path / "c.ndjson", stored_record("m3"))
    assert open_elsewhere(path) == 2


def fail_without_rolling_back(store: DuckDBStore) -> None:
    with store.writing() as con:
        con.execute("BEGIN TRANSACTION")
        con.execute("DELETE FROM events")
        raise RuntimeError("a write that fails without rolling back")


def test_a_write_that_leaves_its_transaction_open_frees_the_file_all_the_same(
    tmp_path: Path,
) -> None:
    path = tmp_path / "events.duckdb"
    store = DuckDBStore(path)
    with store.kept_instance():
        load(store, tmp_path / "a.ndjson", stored_record("m1"))
        first = store._kept
        with pytest.raises(RuntimeError):
            fail_without_rolling_back(store)
        assert open_elsewhere(path) == 1  # rolled back, and the file is free
        load(store, tmp_path / "b.ndjson", stored_record("m2"))
        assert store._kept is not None and open_elsewhere(path) == 2
    assert first is not None
