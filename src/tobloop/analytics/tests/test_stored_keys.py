"""The in-memory stored keys of the loading process: the same answers as the table scan."""

from __future__ import annotations

import itertools
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tobloop.analytics.contracts import LoadResult
from tobloop.analytics.store.base import EventFilter
from tobloop.analytics.store.duckdb_store import DuckDBStore
from tobloop.analytics.store.stored_keys import StoredKeys, sorted_unique
from tobloop.analytics.tests.records import RECEIVED, stored_record


def record(workspace_id: int, message_id: str, received: int = RECEIVED) -> bytes:
    return stored_record(
        message_id, workspace_id=workspace_id, timestamp=RECEIVED - 60_000, received=received
    )


def load(store: DuckDBStore, path: Path, lines: list[bytes]) -> tuple[int, int]:
    path.write_bytes(b"".join(lines))
    result: LoadResult = store.load([path])
    return result.rows, result.stored


def remembering(path: Path) -> DuckDBStore:
    store = DuckDBStore(path)
    store.stored_keys = StoredKeys()
    return store


def test_retries_and_repeats_are_stored_once(tmp_path: Path) -> None:
    store = remembering(tmp_path / "e.duckdb")
    f = tmp_path / "r.ndjson"
    assert load(store, f, [record(1, "a"), record(1, "b"), record(2, "a")]) == (3, 3)
    # a retry of a, a repeat of c inside the load, b of another workspace, and a new d
    assert load(store, f, [record(1, "a"), record(1, "c"), record(1, "c"), record(3, "b")]) == (
        4,
        2,
    )
    assert load(store, f, [record(1, "c"), record(1, "d"), record(1, "b")]) == (3, 1)
    counts = {w: store.count(EventFilter(w)).count for w in (1, 2, 3)}
    assert counts == {1: 4, 2: 1, 3: 1}
    assert store.stored_keys is not None and len(store.stored_keys) == 6


def test_keys_written_by_another_process_are_seen(tmp_path: Path) -> None:
    """The bulk import or another loader writes between two loads of this process."""
    path = tmp_path / "e.duckdb"
    mine, other = remembering(path), DuckDBStore(path)
    f = tmp_path / "r.ndjson"
    assert load(mine, f, [record(1, "a")]) == (1, 1)
    assert load(other, f, [record(1, "b"), record(1, "a")]) == (2, 1)
    assert load(mine, f, [record(1, "b"), record(1, "c")]) == (2, 1)
    assert mine.count(EventFilter(1)).count == 3


def test_a_deleted_workspace_forgets_its_keys(tmp_path: Path) -> None:
    """After a deletion (in any process) an id used again by later records is stored."""
    path = tmp_path / "e.duckdb"
    mine = remembering(path)
    f = tmp_path / "r.ndjson"
    assert load(mine, f, [record(1, "a"), record(2, "a")]) == (2, 2)
    DuckDBStore(path).delete_workspace(1)
    later = RECEIVED + 10**10  # received after the deletion: a new workspace reusing the id
    assert load(mine, f, [record(1, "a", later), record(2, "a", later)]) == (2, 1)
    assert mine.count(EventFilter(1)).count == 1


def test_a_failed_load_adds_no_keys(tmp_path: Path) -> None:
    store = remembering(tmp_path / "e.duckdb")
    f = tmp_path / "r.ndjson"
    failing: list[Any] = []

    def refuse(rows: list[Any]) -> None:
        failing.append(rows)
        raise RuntimeError("the accounts could not be updated")

    f.write_bytes(
        record(1, "a") + b'{"workspace_id":1,"type":"group","distinct_id":"u",'
        b'"user_id":"u","account_id":"x","timestamp":1,"received_at":1,'
        b'"message_id":"g","traits":{},"context":{},"properties":{},'
        b'"source":"segment","event":""}\n'
    )
    with pytest.raises(RuntimeError):
        store.load([f], refuse)
    assert failing and store.count(EventFilter(1)).count == 0
    assert load(store, f, [record(1, "a")]) == (1, 1)


def test_many_loads_agree_with_the_table_scan(tmp_path: Path) -> None:
    """Random loads with retries, repeats and two workspaces: both checks store the same."""
    rng = random.Random(5)
    scan = DuckDBStore(tmp_path / "scan.duckdb")
    memory = remembering(tmp_path / "memory.duckdb")
    f = tmp_path / "r.ndjson"
    for _ in range(25):
        lines = [record(rng.choice([1, 2]), f"m{rng.randrange(400)}") for _ in range(60)]
        assert load(scan, f, lines) == load(memory, f, lines)
    for w in (1, 2):
        assert scan.count(EventFilter(w)).count == memory.count(EventFilter(w)).count
    assert memory.stored_keys is not None
    stored = sum(scan.count(EventFilter(w)).count for w in (1, 2))
    assert len(memory.stored_keys) == stored
    runs = memory.stored_keys._runs
    for keys in runs.values():  # sorted runs, each a good deal smaller than the one before
        assert all(np.all(run[:-1] < run[1:]) for run in keys)
        assert all(2 * len(b) < len(a) for a, b in itertools.pairwise(keys))


@given(st.lists(st.integers(0, 2**64 - 1) | st.integers(0, 6), max_size=60))
def test_sorted_unique_is_numpys_unique(values: list[int]) -> None:
    keys = np.array(values, dtype=np.uint64)
    got = sorted_unique(keys)
    assert got.dtype == np.uint64
    assert got.tolist() == np.unique(keys).tolist()
