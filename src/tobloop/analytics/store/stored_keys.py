"""The dedupe keys of the stored events, kept in memory by the process that loads (DuckDB).

Without it a load checks its keys against every stored key of its workspaces: a scan of the
events table whose cost grows with the workspace (~0.15 s per load at 8 million events).
With it the check is a binary search per staged key in sorted arrays (8 bytes per stored
key), and the scan happens once per workspace and process.

The keys stay exact, not a cache that may be stale: every load and every workspace deletion
bumps a counter in the database (``store_writes``) inside its transaction; a load that finds
the counter where this process left it knows that nobody else (the bulk import, a loader in
another process, a deletion) has written since, and otherwise reads the keys again. Keys of a
load join the arrays only after its commit.

Arrays are kept per workspace as a few sorted runs of decreasing size (a small log-structured
merge): a load adds one run, and a run is merged into the one before it once it is at least
half its size, so each key is copied O(log n) times and a look-up searches O(log n) runs.
"""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np

WRITES_TABLE = "CREATE TABLE IF NOT EXISTS store_writes (n UBIGINT NOT NULL)"

# Keys repeated inside the load (the other half of duckdb_store.DUPLICATE_KEYS).
REPEATED_KEYS = """
CREATE OR REPLACE TEMP TABLE duplicate_keys AS
SELECT workspace_id, dedupe_key, false AS stored FROM staging
GROUP BY workspace_id, dedupe_key HAVING count(*) > 1
"""
STORED_DUPLICATES = """
INSERT INTO duplicate_keys
SELECT ?::BIGINT, unnest(?::UBIGINT[]), true
"""

Keys = np.ndarray[Any, np.dtype[np.uint64]]


def sorted_unique(values: np.ndarray[Any, Any]) -> Any:
    """The distinct values, sorted: ``np.unique`` without its cost (numpy 2.4 takes 24–39 ms
    for a load's 120,000 keys, a sort and a comparison of neighbours 2 ms)."""
    ordered = np.sort(values)
    if len(ordered) < 2:
        return ordered
    keep = np.empty(len(ordered), dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def store_writes(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("SELECT coalesce(max(n), 0) FROM store_writes").fetchone()
    return int(row[0]) if row else 0


def bump_store_writes(con: duckdb.DuckDBPyConnection) -> int:
    """Count a write that adds or removes stored keys (inside its transaction)."""
    row = con.execute("UPDATE store_writes SET n = n + 1 RETURNING n").fetchone()
    if row is None:
        con.execute("INSERT INTO store_writes VALUES (1)")
        return 1
    return int(row[0])


class StoredKeys:
    def __init__(self) -> None:
        self._runs: dict[int, list[Keys]] = {}
        self._writes: int | None = None  # the store_writes value the runs reflect
        self._pending: list[tuple[int, Keys]] = []

    def __len__(self) -> int:
        return sum(len(run) for runs in self._runs.values() for run in runs)

    def duplicate_keys(self, con: duckdb.DuckDBPyConnection) -> None:
        """Create the temp table ``duplicate_keys`` of the staged load, as DUPLICATE_KEYS does.

        Call inside the load's transaction, before its events are inserted; then
        :meth:`committed` after the commit, or :meth:`rolled_back`.
        """
        writes = store_writes(con)
        if writes != self._writes:  # another writer since this process's last load
            self._runs.clear()
            self._writes = writes
        self._pending = []
        staged = con.execute("SELECT workspace_id, dedupe_key FROM staging").fetchnumpy()
        workspaces = np.asarray(staged["workspace_id"], dtype=np.int64)
        keys: Keys = np.asarray(staged["dedupe_key"], dtype=np.uint64)
        con.execute(REPEATED_KEYS)
        for workspace in sorted_unique(workspaces).tolist():
            # Sorted needles: each binary search starts where the one before ended, which
            # keeps a large run's memory access nearly sequential (5× faster than unsorted).
            mine: Keys = sorted_unique(keys[workspaces == workspace])
            found = self._contains(con, int(workspace), mine)
            if found.any():
                con.execute(STORED_DUPLICATES, [int(workspace), mine[found].tolist()])
            self._pending.append((int(workspace), mine[~found]))

    def committed(self, writes: int | None) -> None:
        """The load's transaction committed; ``writes``: the ``store_writes`` it left, None
        when it stored nothing (and did not count a write)."""
        for workspace, new in self._pending:
            if len(new):
                self._add(workspace, new)
        self._pending = []
        if writes is not None:
            self._writes = writes

    def rolled_back(self) -> None:
        self._pending = []

    # -- the sorted runs ---------------------------------------------------------------------

    def _contains(self, con: duckdb.DuckDBPyConnection, workspace: int, keys: Keys) -> Any:
        runs = self._runs.get(workspace)
        if runs is None:
            stored = con.execute(
                "SELECT dedupe_key FROM events WHERE workspace_id = ?", [workspace]
            ).fetchnumpy()["dedupe_key"]
            run: Keys = np.sort(np.asarray(stored, dtype=np.uint64))
            runs = self._runs[workspace] = [run] if len(run) else []
        found = np.zeros(len(keys), dtype=bool)
        for run in runs:
            at = np.searchsorted(run, keys)
            at[at == len(run)] = len(run) - 1
            found |= run[at] == keys
        return found

    def _add(self, workspace: int, new: Keys) -> None:
        runs = self._runs.setdefault(workspace, [])
        runs.append(new)  # sorted and unique (sorted_unique)
        while len(runs) > 1 and 2 * len(runs[-1]) >= len(runs[-2]):
            last = runs.pop()
            runs[-1] = np.sort(np.concatenate((runs[-1], last)), kind="stable")
