"""Analytics benchmark: every query kind at scale, beside chdb's windowFunnel and the scan floor.

    .venv/bin/python bench/analytics.py [--events 100000000] [--users 1000000]
        [--accounts 10000] [--names 20] [--days 180] [--scratch DIR] [--json]
        [--only funnel,retention,paths,trends,active,floor,chdb]

1. **Generate** a reproducible event set with DuckDB (``--events`` rows, ``--users`` users
   spread over ``--accounts`` accounts with a segment each, ``--names`` event names, ``--days``
   days): Parquet under the scratch directory, then an event store of tobloop's DuckDB layout
   (the ``events`` table of ``DuckDBStore`` with its user numbers, rows in (workspace, user
   number, time) order as the loader inserts each load). Both steps are timed and cached in
   the scratch directory.
2. **Queries** through tobloop's own runners on that store: a 5-step funnel with a 7-day
   window counted by user, broken down by account segment; weekly retention for 12 weeks;
   paths of depth 4 from a start event; daily events, users and accounts (trends); DAU, WAU
   and MAU of accounts (active). ``--only`` runs a subset.
3. **References** on the same data: the funnel question asked of ClickHouse's
   ``windowFunnel`` through chdb over the Parquet file (explicit non-nullable schema), and the
   DuckDB scan floor (reading the columns the funnel needs once, doing nothing else: workspace,
   event name, user number, time), and beside it the floor with the user id text.

Every query runs ``--repeat`` times (2): the best run is reported and the ratios are taken
between best runs; the first runs (the store's blocks not yet in DuckDB's buffers) are listed
too. Prints seconds per query, the funnels' ratios to the chdb reference and to the scan floor,
and the process's peak memory. Results of the two funnel paths are compared (same step counts).
"""

from __future__ import annotations

import argparse
import calendar
import json
import resource
import shutil
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

WORKSPACE = 1
START = date(2026, 5, 1)
# what --only can pick: the query kinds, the scan floor and the chdb windowFunnel reference
KINDS = ("funnel", "retention", "paths", "trends", "active", "floor", "chdb")


def _args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--events", type=int, default=100_000_000)
    p.add_argument("--users", type=int, default=1_000_000)
    p.add_argument("--accounts", type=int, default=10_000)
    p.add_argument("--names", type=int, default=20)
    p.add_argument("--days", type=int, default=180)
    p.add_argument("--scratch", type=Path, default=Path("/tmp/tobloop-bench-analytics"))
    p.add_argument("--memory-limit", default="6GB", help="DuckDB memory limit")
    p.add_argument("--json", action="store_true")
    p.add_argument("--repeat", type=int, default=2, help="runs per query; the best is reported")
    p.add_argument(
        "--only",
        default=",".join(KINDS),
        help=f"comma-separated parts to run (default: all of {','.join(KINDS)})",
    )
    a = p.parse_args()
    a.only = {k.strip() for k in a.only.split(",") if k.strip()}
    if unknown := a.only - set(KINDS):
        p.error(f"--only: unknown part(s) {', '.join(sorted(unknown))}; choose from {KINDS}")
    return a


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# Each query runs this many times (--repeat); the best run is reported, the first (the
# store's blocks not yet in DuckDB's buffers) beside it.
REPEAT = [2]
FIRST_RUNS: dict[str, float] = {}


def _timed(label: str, fn: Callable[[], Any], log: list[str]) -> tuple[float, Any]:
    runs: list[float] = []
    out: Any = None
    for _ in range(REPEAT[0]):
        t0 = time.perf_counter()
        out = fn()
        runs.append(time.perf_counter() - t0)
    FIRST_RUNS[label] = round(runs[0], 3)
    shown = ", ".join(f"{s:.2f}" for s in runs)
    log.append(f"{label}: {shown} s")
    print(f"  {label}: {shown} s", file=sys.stderr, flush=True)
    return round(min(runs), 3), out


def generate(a: argparse.Namespace, parquet: Path, accounts_csv: Path) -> float:
    """Events: each user active over a random stretch of the period, events in time order.

    Event ``e0`` … ``e{names-1}`` is drawn with a skew towards low numbers, so a funnel
    ``e0 → e1 → e2 → e3 → e4`` converts partly; users belong to ``hash(user) % accounts``.
    """
    import duckdb

    per_user = max(1, a.events // a.users)
    span_ms = a.days * 86_400_000
    start_ms = calendar.timegm(START.timetuple()) * 1000
    con = duckdb.connect()
    con.execute(f"SET memory_limit='{a.memory_limit}'; SET preserve_insertion_order=true")
    t0 = time.perf_counter()
    con.execute(
        f"""
COPY (
  WITH u AS (
    SELECT u, hash(u, 1) % {a.accounts} AS acct,
           -- the user's active stretch: 7 days … the whole period
           (604800000 + (hash(u, 2) % {span_ms - 604_800_000}))::BIGINT AS stretch,
           hash(u, 3) AS h
    FROM range({a.users}) t(u)
  ), ev AS (
    SELECT u, acct, j,
           ((h % 1000003) / 1000003.0 * ({span_ms} - stretch))::BIGINT
             + (j * stretch / {per_user})::BIGINT
             + (hash(u, j, 4) % greatest(1, (stretch / {per_user})::BIGINT))::BIGINT AS off,
           floor({a.names} * pow((hash(u, j, 5) % 1000000) / 1000000.0, 1.6))::INT AS n
    FROM u, range({per_user}) r(j)
  )
  SELECT {WORKSPACE}::BIGINT AS workspace_id,
         'e' || n AS event,
         'u' || lpad(u::VARCHAR, 8, '0') AS distinct_id,
         'acct_' || lpad(acct::VARCHAR, 6, '0') AS account_id,
         make_timestamp(({start_ms} + off) * 1000) AS timestamp
  FROM ev ORDER BY u, j
) TO '{parquet}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)
"""
    )
    con.execute(
        f"""
COPY (SELECT 'acct_' || lpad(a::VARCHAR, 6, '0') AS account_id,
             ['micro', 'small', 'mid', 'large'][1 + (hash(a, 7) % 4)::INT] AS segment
      FROM range({a.accounts}) t(a))
TO '{accounts_csv}' (HEADER)
"""
    )
    return time.perf_counter() - t0


def build_store(a: argparse.Namespace, parquet: Path, store_dir: Path) -> float:
    """tobloop's DuckDB event store filled from the Parquet file, in the loader's sort order."""
    from tobloop.analytics.store.duckdb_store import DuckDBStore

    t0 = time.perf_counter()
    store = DuckDBStore(store_dir / "events.duckdb", memory_limit=a.memory_limit)
    store.ensure_schema()
    with store.writing() as con:
        # user numbers as one load gives them: per workspace, in distinct_id order
        con.execute(
            f"""
INSERT INTO user_numbers
SELECT workspace_id, distinct_id,
       row_number() OVER (PARTITION BY workspace_id ORDER BY distinct_id)
FROM (SELECT DISTINCT workspace_id, distinct_id FROM read_parquet('{parquet}'))
"""
        )
        con.execute("SET preserve_insertion_order=true")
        con.execute(
            f"""
INSERT INTO events (workspace_id, type, event, distinct_id, user_id, account_id, timestamp,
                    received_at, message_id, dedupe_key, properties, source, user_number)
SELECT e.workspace_id, 'track', event, e.distinct_id, e.distinct_id, account_id, timestamp,
       timestamp, e.distinct_id || ':' || row_number() OVER (),
       hash(e.distinct_id, timestamp, event), '{{}}', 'import', n.number
FROM read_parquet('{parquet}') AS e
JOIN user_numbers AS n ON n.workspace_id = e.workspace_id AND n.distinct_id = e.distinct_id
ORDER BY e.workspace_id, n.number, timestamp
"""
        )
    return time.perf_counter() - t0


def _has_user_numbers(path: Path) -> bool:
    """Whether a store was built, with the current schema (a user number per event)."""
    if not path.exists():
        return False
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        found = con.execute(
            "SELECT count(*) FROM duckdb_columns() WHERE table_name = 'events' "
            "AND column_name = 'user_number'"
        ).fetchall()
    finally:
        con.close()
    return bool(found[0][0])


def main() -> None:
    a = _args()
    REPEAT[0] = max(1, a.repeat)
    a.scratch.mkdir(parents=True, exist_ok=True)
    tag = f"{a.events}-{a.users}-{a.accounts}-{a.names}-{a.days}"
    parquet = a.scratch / f"events-{tag}.parquet"
    accounts_csv = a.scratch / f"accounts-{tag}.csv"
    store_dir = a.scratch / f"store-{tag}"
    log: list[str] = []
    report: dict[str, Any] = {"events": a.events, "users": a.users, "accounts": a.accounts}

    print(f"data ({a.events:,} events) in {a.scratch}", file=sys.stderr)
    if not parquet.exists():
        report["generate_s"] = round(generate(a, parquet, accounts_csv), 2)
        print(f"  generated Parquet in {report['generate_s']} s", file=sys.stderr)
    if not _has_user_numbers(store_dir / "events.duckdb"):
        shutil.rmtree(store_dir, ignore_errors=True)
        store_dir.mkdir()
        report["store_load_s"] = round(build_store(a, parquet, store_dir), 2)
        print(f"  loaded the event store in {report['store_load_s']} s", file=sys.stderr)

    import duckdb

    from tobloop.analytics.insights.models import (
        ActiveQuery,
        FunnelQuery,
        PathsQuery,
        RetentionQuery,
        TrendsQuery,
    )
    from tobloop.analytics.insights.runners import (
        ActiveRunner,
        DuckDBEngine,
        FunnelRunner,
        PathsRunner,
        RetentionRunner,
        TrendsRunner,
    )

    con = duckdb.connect(str(store_dir / "events.duckdb"), read_only=True)
    con.execute(f"SET memory_limit='{a.memory_limit}'")
    engine = DuckDBEngine(con)
    first, last = START.isoformat(), (START + timedelta(days=a.days - 1)).isoformat()
    span = {"from": first, "to": last, "timezone": "UTC"}
    steps = [{"event": f"e{i}"} for i in range(5)]

    print("queries", file=sys.stderr)
    funnel_q = FunnelQuery.model_validate({**span, "steps": steps, "window": "7d", "by": "user"})
    ours: list[int] | None = None
    if "funnel" in a.only:
        report["funnel_s"], funnel = _timed(
            "funnel, 5 steps, 7 d, by user",
            lambda: FunnelRunner(funnel_q, workspace_id=WORKSPACE).calculate(engine),
            log,
        )
        ours = [s.count for s in funnel.steps]
        report["funnel_counts"] = ours

    breakdown_q = _with_segment_breakdown(funnel_q) if "funnel" in a.only else None
    if breakdown_q is not None:
        report["funnel_breakdown_s"], _ = _timed(
            "funnel, 5 steps, 7 d, by user, breakdown by account segment",
            lambda: FunnelRunner(breakdown_q, workspace_id=WORKSPACE).calculate(engine),
            log,
        )

    retention_q = RetentionQuery.model_validate(
        {**span, "start": {"event": "e0"}, "period": "week", "periods": 12, "by": "user"}
    )
    if "retention" in a.only:
        report["retention_s"], _ = _timed(
            "retention, weekly, 12 weeks",
            lambda: RetentionRunner(retention_q, workspace_id=WORKSPACE).calculate(engine),
            log,
        )
    paths_q = PathsQuery.model_validate({**span, "start": "e0", "depth": 4})
    if "paths" in a.only:
        report["paths_s"], _ = _timed(
            "paths, depth 4 from e0",
            lambda: PathsRunner(paths_q, workspace_id=WORKSPACE).calculate(engine),
            log,
        )
    trends_q = TrendsQuery.model_validate({**span, "interval": "day"})
    if "trends" in a.only:
        report["trends_s"], _ = _timed(
            "trends: daily events, users and active accounts",
            lambda: TrendsRunner(trends_q, workspace_id=WORKSPACE).calculate(engine),
            log,
        )
    active_q = ActiveQuery.model_validate({**span, "by": "account"})
    if "active" in a.only:
        report["active_s"], _ = _timed(
            "active accounts: DAU, WAU and MAU of every day",
            lambda: ActiveRunner(active_q, workspace_id=WORKSPACE).calculate(engine),
            log,
        )

    names = ", ".join(f"'e{i}'" for i in range(5))
    if "floor" in a.only:
        # the columns the funnel reads: workspace, event name, user number and time
        report["scan_floor_s"], _ = _timed(
            "scan floor (DuckDB reads the funnel's columns)",
            lambda: con.execute(
                "SELECT count(*), max(user_number), max(timestamp) FROM events "
                f"WHERE workspace_id = {WORKSPACE} AND event IN ({names})"
            ).fetchall(),
            log,
        )
        report["scan_floor_breakdown_s"], _ = _timed(
            "scan floor of the funnel by segment (its columns and the account)",
            lambda: con.execute(
                "SELECT count(*), max(user_number), max(timestamp), max(account_id) FROM events "
                f"WHERE workspace_id = {WORKSPACE} AND event IN ({names})"
            ).fetchall(),
            log,
        )
        report["scan_floor_user_id_s"], _ = _timed(
            "scan floor with the user id text instead of the user number",
            lambda: con.execute(
                "SELECT count(*), max(distinct_id), max(timestamp) FROM events "
                f"WHERE workspace_id = {WORKSPACE} AND event IN ({names})"
            ).fetchall(),
            log,
        )
    con.close()

    if "chdb" in a.only:
        report["chdb_window_funnel_s"], reference = _timed(
            "reference: chdb windowFunnel over the Parquet file",
            lambda: _chdb_window_funnel(parquet, first, last),
            log,
        )
        report["chdb_counts"] = reference
    if {"funnel", "chdb"} <= a.only:
        report["same_counts"] = ours == report["chdb_counts"]
    for kind in ("funnel", "funnel_breakdown"):
        if f"{kind}_s" not in report:
            continue
        if "chdb_window_funnel_s" in report:
            ratio = report[f"{kind}_s"] / report["chdb_window_funnel_s"]
            report[f"{kind}_ratio_to_chdb"] = round(ratio, 3)
        floor = "scan_floor_breakdown_s" if kind == "funnel_breakdown" else "scan_floor_s"
        if floor in report:
            report[f"{kind}_ratio_to_scan_floor"] = round(report[f"{kind}_s"] / report[floor], 2)
    report["first_runs_s"] = FIRST_RUNS
    report["peak_rss_mib"] = round(_peak_rss_mib())
    if a.json:
        print(json.dumps(report))
        return
    print()
    for key, value in report.items():
        print(f"{key:>36}: {value}")


def _with_segment_breakdown(q: Any) -> Any:
    """The funnel broken down by account segment, when the query model offers breakdowns."""
    try:
        return q.model_copy(
            update={
                "breakdown": type(q)
                .model_fields["breakdown"]
                .annotation.__args__[0](kind="account_field", key="segment")
            }
        )
    except (KeyError, AttributeError, TypeError, ValueError):
        return None


def _chdb_window_funnel(parquet: Path, first: str, last: str) -> list[int]:
    from chdb import session as chdb_session

    s = chdb_session.Session()
    conds = ", ".join(f"event = 'e{i}'" for i in range(5))
    levels = ", ".join(f"countIf(level >= {i + 1})" for i in range(5))
    lo = f"toDateTime64('{first} 00:00:00', 3, 'UTC')"
    hi = f"toDateTime64('{last} 00:00:00', 3, 'UTC') + INTERVAL 1 DAY"
    sql = f"""
SELECT {levels} FROM (
  SELECT distinct_id,
         windowFunnel(604800000)(toUInt64(toUnixTimestamp64Milli(timestamp)),
                                 event = 'e0' AND timestamp >= {lo} AND timestamp < {hi},
                                 {conds.split(", ", 1)[1]}) AS level
  FROM file('{parquet}', Parquet,
            'workspace_id Int64, event String, distinct_id String, account_id String,
             timestamp DateTime64(6, \\'UTC\\')')
  GROUP BY distinct_id)
"""
    out = s.query(sql, "JSONCompact")
    data: list[list[Any]] = json.loads(out.bytes())["data"]
    return [int(v) for v in data[0]]


if __name__ == "__main__":
    main()
