"""The DuckDB store's row groups: loads fill row groups of ``ROW_GROUP_SIZE`` rows."""

from __future__ import annotations

from pathlib import Path

import duckdb

from tobloop.analytics.store.base import EventFilter
from tobloop.analytics.store.duckdb_store import ROW_GROUP_SIZE, SCHEMA, DuckDBStore
from tobloop.analytics.tests.records import stored_record

ROW_GROUPS = """
SELECT row_group_id, any_value(count) FROM pragma_storage_info('events')
WHERE column_name = 'workspace_id' GROUP BY row_group_id ORDER BY row_group_id
"""


def _records(path: Path, first: int, n: int) -> Path:
    path.write_bytes(
        b"".join(stored_record(f"m{i}", user=f"u{i % 997}") for i in range(first, first + n))
    )
    return path


def _row_groups(path: Path) -> list[int]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return [n for _, n in con.execute(ROW_GROUPS).fetchall()]
    finally:
        con.close()


def test_a_load_is_stored_in_row_groups_of_the_store_size(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "events.duckdb")
    assert store.load([_records(tmp_path / "a.ndjson", 0, 70_000)]).stored == 70_000
    assert store.load([_records(tmp_path / "b.ndjson", 70_000, 40_000)]).stored == 40_000
    groups = _row_groups(store.path)
    assert sum(groups) == 110_000
    assert max(groups) == ROW_GROUP_SIZE < 122_880  # DuckDB's default
    assert not store.path.with_name("events.duckdb.wal").exists()
    assert store.count(EventFilter(1)).count == 110_000


def test_a_store_written_with_the_default_row_groups_takes_more_loads(tmp_path: Path) -> None:
    path = tmp_path / "events.duckdb"
    con = duckdb.connect(str(path))
    con.execute(SCHEMA)
    con.execute(
        "INSERT INTO events SELECT 1, 'track', 'Old', 'u' || (i % 10), 'u' || (i % 10), NULL, "
        "NULL, epoch_ms(1795000000000 + i), epoch_ms(1795000000000), 'old-' || i, i, NULL, "
        "'{}', '{}', '{}', 'segment', 0 FROM range(150000) AS r(i)"
    )
    con.close()
    assert _row_groups(path) == [122_880, 150_000 - 122_880]
    store = DuckDBStore(path)
    assert store.load([_records(tmp_path / "a.ndjson", 0, 40_000)]).stored == 40_000
    groups = _row_groups(path)
    assert groups[0] == 122_880 and sum(groups) == 190_000
    assert store.count(EventFilter(1, event="Old")).count == 150_000
    assert store.count(EventFilter(1, event="E")).count == 40_000
