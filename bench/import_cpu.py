"""CPU time of the bulk event import, for A/B comparisons on a shared machine.

    .venv/bin/python bench/import_cpu.py [--events 2000000] [--file F.ndjson] [--runs 1]
        [--statements] [--parts] [--floors]

Imports an NDJSON file of Segment ``track`` events (generated as ``bench/ingest.py`` does,
and kept beside the other bench data for the next run) into a fresh DuckDB store, in this
process and without the CLI's start-up, and prints the elapsed time, the CPU time of the
process (all threads; less sensitive to other work on the machine than the elapsed time),
CPU seconds per million events, minor page faults per million, peak RSS and the load average.
``--statements`` adds the CPU time of each SQL statement of the store, ``--parts`` the time,
CPU time and page faults of each part.

``--floors`` measures instead, on a part of one million events (the size the import works
in), what DuckDB itself costs: reading the columns the import reads, reading and storing them
as they are, the import's checks and normalization without storing, the import's statement
storing them without user numbers or order, and the import's own statement
(``INSERT_IMPORT``); each into a fresh database, best of ``--runs`` (3).

To compare two versions of the code, export the other one (``git archive REV src | tar -x -C
/tmp/old``) and alternate runs: ``PYTHONPATH=/tmp/old/src .venv/bin/python bench/import_cpu.py``
then the same without ``PYTHONPATH``.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if not os.environ.get("PYTHONPATH"):
    sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))


def cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def read_through(path: Path) -> None:
    """Read the file once before anything is timed: a file not read for a while may have been
    reclaimed from the page cache (on these machines DAMON pages out what was not accessed for
    60 s), and the first run would time reading it back from disk."""
    with path.open("rb", buffering=0) as f:
        while f.read(16 << 20):
            pass


def minor_faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def timed_parts() -> None:
    """Print the elapsed time, CPU time and minor page faults of every bulk part (the direct
    insert and everything in its transaction)."""
    from tobloop.analytics.store.duckdb_store import DuckDBStore

    insert = DuckDBStore.insert_import

    def timed(self: Any, *args: Any, **kwargs: Any) -> Any:
        faults, before, started = minor_faults(), cpu_s(), time.monotonic()
        try:
            return insert(self, *args, **kwargs)
        finally:
            print(
                f"  part: {time.monotonic() - started:.2f} s, {cpu_s() - before:.2f} CPU-s, "
                f"{minor_faults() - faults:,} page faults",
                flush=True,
            )

    DuckDBStore.insert_import = timed  # type: ignore[method-assign]


def memory_limit() -> str:
    """DuckDB's memory limit as the CLI sets it (``TOBLOOP_EVENTS_MEMORY_LIMIT``, by default a
    quarter of the machine's memory): a lower one makes DuckDB evict and flush its allocator
    during a part, which costs the import CPU the CLI does not spend."""
    from django.conf import settings

    return str(settings.TOBLOOP_EVENTS_MEMORY_LIMIT)


def timed_statements(stats: dict[str, list[float]]) -> None:
    """Count the CPU and elapsed time of every statement the DuckDB store runs."""
    import duckdb

    import tobloop.analytics.store.duckdb_store as store_module

    connect = duckdb.connect

    class Timed:
        def __init__(self, con: Any) -> None:
            self._con = con

        def execute(self, sql: str, *args: Any) -> Any:
            before, started = cpu_s(), time.monotonic()
            out = self._con.execute(sql, *args)
            key = " ".join(sql.split())[:70]
            entry = stats.setdefault(key, [0.0, 0.0, 0])
            entry[0] += cpu_s() - before
            entry[1] += time.monotonic() - started
            entry[2] += 1
            return out

        def __getattr__(self, name: str) -> Any:
            return getattr(self._con, name)

    store_module.duckdb = type(  # type: ignore[attr-defined,assignment]
        "TimedDuckDB", (), {"connect": staticmethod(lambda *a, **k: Timed(connect(*a, **k)))}
    )


def floors(source: Path, work: Path, runs: int) -> None:
    """What DuckDB itself costs per million events on ``source`` (see the module's text)."""
    import duckdb

    from tobloop.analytics.logic import importing
    from tobloop.analytics.store.duckdb_store import INSERT_IMPORT, DuckDBStore

    read = (
        f"read_ndjson($path, columns={importing._READ_COLUMNS}, format='newline_delimited', "
        "records=true, maximum_object_size=1048576)"
    )
    columns = ", ".join(f"min({c})" for c in importing._SOURCE_FIELDS)
    outputs = (
        "workspace_id", "type", "event", "distinct_id", "user_id", "anonymous_id", "account_id",
        "dedupe_key", "timestamp", "properties", "traits", "context",
    )  # fmt: skip
    unsorted = (
        "INSERT INTO events SELECT workspace_id, type, coalesce(event, ''), distinct_id, "
        "user_id, anonymous_id, account_id, epoch_ms(timestamp), epoch_ms(received_at), "
        "message_id, dedupe_key, previous_id, properties, traits, context, source, 0 "
        f"FROM ({importing.BULK_SELECT}) WHERE line_ok"
    )
    steps = {
        "read the columns": (f"SELECT {columns} FROM {read}", False),
        "read and store them as they are": (f"CREATE TABLE raw AS SELECT * FROM {read}", False),
        "checks and normalization, not stored": (
            f"SELECT count(*) FILTER (WHERE line_ok), {', '.join(f'min({c})' for c in outputs)} "
            f"FROM ({importing.BULK_SELECT})",
            True,
        ),
        "stored without user numbers or order": (unsorted, True),
        "the import's statement (INSERT_IMPORT)": (
            INSERT_IMPORT.format(select=importing.BULK_SELECT),
            True,
        ),
    }
    rows = importing.count_lines(source)
    for label, (sql, needs_store) in steps.items():
        best: tuple[float, float] | None = None
        for _ in range(runs):
            with tempfile.TemporaryDirectory(dir=work) as tmp:
                path = Path(tmp) / "events.duckdb"
                store = DuckDBStore(path, memory_limit=memory_limit())
                if needs_store:
                    store.ensure_schema()
                con = duckdb.connect(str(path), config=store.config)  # the store's settings
                params: dict[str, Any] = {"path": str(source)}
                if needs_store:
                    params |= {"workspace": 1, "received": int(time.time() * 1000)}
                if "$top" in sql:
                    params["top"] = 0
                before, started = cpu_s(), time.monotonic()
                con.execute(sql, params).fetchall()
                con.close()
                took = (time.monotonic() - started, cpu_s() - before)
            best = took if best is None or took[0] < best[0] else best
        assert best is not None
        print(
            f"  {label:42} {best[0] / (rows / 1e6):5.2f} s per million "
            f"({rows / best[0]:>11,.0f} events/s), {best[1] / (rows / 1e6):5.2f} CPU-s per million",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=2_000_000)
    parser.add_argument("--file", type=Path)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--statements", action="store_true")
    parser.add_argument("--floors", action="store_true")
    parser.add_argument("--parts", action="store_true")
    args = parser.parse_args()

    work = Path(tempfile.gettempdir()) / "tobloop-bench-import"
    work.mkdir(exist_ok=True)
    os.environ.setdefault("TOBLOOP_DATA_DIR", str(work / "data"))
    from tobloop.cli.runtime import setup_django

    setup_django()
    from tobloop.analytics.logic import importing
    from tobloop.analytics.store.duckdb_store import DuckDBStore

    source = args.file or work / f"history-{args.events}.ndjson"
    if not source.exists():
        from ingest import generate_history

        generate_history(source, args.events)
    read_through(source)
    if args.floors:
        if not args.file:
            source = work / "history-1000000.ndjson"
            if not source.exists():
                from ingest import generate_history

                generate_history(source, 1_000_000)
        print(f"DuckDB's own costs on {source.name}, best of {max(args.runs, 3)}:")
        floors(source, work, max(args.runs, 3))
        return
    stats: dict[str, list[float]] = {}
    if args.statements:
        timed_statements(stats)
    if args.parts:
        timed_parts()
    total_elapsed = 0.0
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(dir=work) as tmp:
            store = DuckDBStore(Path(tmp) / "events.duckdb", memory_limit=memory_limit())
            importer = importing._Importer(1, store, lambda rows: None, lambda *a: None)
            load = os.getloadavg()
            faults, before, started = minor_faults(), cpu_s(), time.monotonic()
            out = importer.ndjson(source, row_offset=0, columns={})
            cpu, elapsed = cpu_s() - before, time.monotonic() - started
            faults = minor_faults() - faults
            total_elapsed += elapsed
        per_million = cpu / (out.rows / 1e6)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"{out.rows:,} events ({out.stored:,} stored, {len(out.rejected)} rejected): "
            f"{elapsed:.1f} s, {out.rows / elapsed:,.0f} events/s, CPU {cpu:.1f} s = "
            f"{per_million:.2f} CPU-s per million, {faults / (out.rows / 1e6):,.0f} page faults "
            f"per million, peak RSS {peak:.0f} MiB, "
            f"load average {load[0]:.1f} {load[1]:.1f}",
            flush=True,
        )
    millions = out.rows / 1e6 * args.runs
    in_statements = sum(wall for _, wall, _ in stats.values())
    for key, (spent, wall, n) in sorted(stats.items(), key=lambda kv: -kv[1][0]):
        if spent >= 0.05 or wall >= 0.05:
            print(
                f"  {spent / millions:5.2f} CPU-s/M  {wall / millions:5.2f} s/M  ×{int(n):<3} {key}"
            )
    if stats:
        outside = (total_elapsed - in_statements) / millions
        print(f"  elapsed outside the store's statements: {outside:.2f} s/M")


if __name__ == "__main__":
    main()
