"""Runners: a typed query in, the builder's SQL run on an engine, a typed result out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any, Protocol

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from tobloop.analytics.insights.active_builder import WINDOWS, build_active
from tobloop.analytics.insights.breakdown import fold_top
from tobloop.analytics.insights.breakdown import label as value_label
from tobloop.analytics.insights.dialect import BuiltQuery, Dialect
from tobloop.analytics.insights.funnel_builder import (
    HISTOGRAM_EDGES,
    build_funnel,
    build_funnel_anchors,
    build_funnel_keys,
    build_funnel_sequences,
    distinct_step_names,
)
from tobloop.analytics.insights.funnel_fold import (
    Folded,
    fits_time_bits,
    fold_keys,
    fold_sequences,
    keys_fit,
    timing_row,
)
from tobloop.analytics.insights.models import (
    OTHER,
    ActivePoint,
    ActiveQuery,
    ActiveResult,
    By,
    Cohort,
    FunnelBreakdownRow,
    FunnelBucket,
    FunnelQuery,
    FunnelResult,
    FunnelStepResult,
    HistogramBucket,
    PathLink,
    PathNode,
    PathsQuery,
    PathsResult,
    Period,
    RetentionBreakdownRow,
    RetentionQuery,
    RetentionResult,
    StepTiming,
    TrendPoint,
    TrendsBreakdownRow,
    TrendsQuery,
    TrendsResult,
)
from tobloop.analytics.insights.paths_builder import build_paths
from tobloop.analytics.insights.periods import periods_between, range_ms
from tobloop.analytics.insights.retention_builder import build_retention, period_number
from tobloop.analytics.insights.trends_builder import build_trends


class QueryEngine(Protocol):
    """Runs one read statement with bind parameters and answers its rows."""

    dialect: Dialect

    def rows(self, sql: str, params: dict[str, Any]) -> list[list[Any]]: ...


class DuckDBEngine:
    """A DuckDB connection (duckdb 2: ``execute(sql, params).fetchall()``)."""

    dialect = Dialect.DUCKDB

    def __init__(self, con: Any) -> None:
        self.con = con
        self._numbered: dict[str, bool] = {}

    def rows(self, sql: str, params: dict[str, Any]) -> list[list[Any]]:
        return [list(r) for r in self.con.execute(sql, params).fetchall()]

    def arrow(
        self, sql: str, params: dict[str, Any], *, tables: dict[str, pa.Table] | None = None
    ) -> pa.Table:
        """The statement's result as an Arrow table (columns, no Python objects per row);
        ``tables`` are Arrow tables the statement may read by name."""
        for name, data in (tables or {}).items():
            self.con.register(name, data)
        try:
            table: pa.Table = self.con.sql(sql, params=params).to_arrow_table()
        finally:
            for name in tables or {}:
                self.con.unregister(name)
        return table

    def has_user_numbers(self, table: str) -> bool:
        """Whether ``table`` stores a user number per event (docs/decisions/0012)."""
        if table not in self._numbered:
            found = self.con.execute(
                "SELECT count(*) FROM duckdb_columns() WHERE table_name = $t "
                "AND column_name = 'user_number' AND NOT internal",
                {"t": table},
            ).fetchall()
            self._numbered[table] = bool(found[0][0])
        return self._numbered[table]


class ChdbEngine:
    """A ``chdb.session.Session`` (ClickHouse's engine in this process)."""

    dialect = Dialect.CLICKHOUSE

    def __init__(self, session: Any) -> None:
        self.session = session

    def rows(self, sql: str, params: dict[str, Any]) -> list[list[Any]]:
        values = {k: escape_parameter(v) if isinstance(v, str) else v for k, v in params.items()}
        result = self.session.query(sql, "JSONCompact", params=values)
        data: list[list[Any]] = orjson.loads(result.bytes())["data"]
        return data


def escape_parameter(value: str) -> str:
    """ClickHouse reads a parameter value in its escaped text format: ``\\`` ``\\t`` …"""
    return value.translate(_ESCAPES)


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\0": "\\0"})


class FunnelRunner:
    def __init__(
        self,
        query: FunnelQuery,
        *,
        workspace_id: int,
        table: str = "events",
        packed: bool | None = None,
        account_values: dict[str, str] | None = None,
        user_numbers: bool = True,
    ) -> None:
        """``packed`` True/False asks for the SQL fold (see ``build_funnel``); with
        ``user_numbers`` False the DuckDB column fold groups by user id even when the store
        holds user numbers."""
        self.query = query
        self.workspace_id = workspace_id
        self.table = table
        self.packed = packed
        self.account_values = account_values
        self.user_numbers = user_numbers

    def _built(self, engine: QueryEngine, **options: Any) -> BuiltQuery:
        return build_funnel(
            self.query,
            dialect=engine.dialect,
            workspace_id=self.workspace_id,
            table=self.table,
            packed=self.packed,
            account_values=self.account_values,
            **options,
        )

    def _folds_in_columns(self, engine: QueryEngine) -> bool:
        """DuckDB folds distinct-named steps in numpy (funnel_fold), several times faster
        than its ``list_reduce``; ``packed`` True/False asks for the SQL fold."""
        return (
            isinstance(engine, DuckDBEngine)
            and self.packed is None
            and distinct_step_names(self.query)
            and fits_time_bits(self.query)
        )

    def _fold(
        self, engine: DuckDBEngine, *, grouped: bool, timing: bool
    ) -> tuple[pa.Table, Folded]:
        """The fold, and per folded entity (in the fold's order) ``entity`` and, grouped,
        its anchor's ``value`` and ``bucket``."""
        q = self.query
        if self.user_numbers and q.by is By.USER and engine.has_user_numbers(self.table):
            numbered = self._fold_user_numbers(engine, grouped=grouped, timing=timing)
            if numbered is not None:
                return numbered
        built = build_funnel_sequences(
            q,
            workspace_id=self.workspace_id,
            table=self.table,
            grouped=grouped,
            account_values=self.account_values,
        )
        table = engine.arrow(built.sql, built.params)
        seq = table.column("seq").combine_chunks()
        start_ms, end_ms = range_ms(q)
        folded = fold_sequences(
            seq.values.to_numpy().astype(np.int64, copy=False),
            seq.offsets.to_numpy().astype(np.int64),
            steps=len(q.steps),
            range_ms=end_ms - start_ms,
            window_ms=q.window * 1000,
            first_attempt=q.first_attempt,
            timing=timing,
        )
        return table, folded

    def _fold_user_numbers(
        self, engine: DuckDBEngine, *, grouped: bool, timing: bool
    ) -> tuple[pa.Table, Folded] | None:
        """The fold over one row per event keyed by user number (no grouping by text), with
        the anchors of a grouped query from a second scan of the step-1 events only. None
        when the numbers do not fit the keys or some row has no number."""
        q = self.query
        most = engine.rows(
            "SELECT max(number) FROM user_numbers WHERE workspace_id = $ws",
            {"ws": self.workspace_id},
        )[0][0]
        if most is not None and not keys_fit(q, int(most)):
            return None
        built = build_funnel_keys(q, workspace_id=self.workspace_id, table=self.table)
        column = engine.arrow(built.sql, built.params).column("key")
        if column.null_count:  # rows stored without a number: not a store this path knows
            return None
        keys = _numpy(column)
        del column
        folded = fold_keys(keys, q=q, timing=timing)
        del keys
        n = folded.starts.shape[1]
        if not grouped:
            return pa.table({"entity": pa.array(np.arange(n, dtype=np.int64))}), folded
        built = build_funnel_anchors(
            q,
            workspace_id=self.workspace_id,
            table=self.table,
            account_values=self.account_values,
        )
        anchors = engine.arrow(built.sql, built.params)
        # every entity whose chain started has a step-1 event in the range: an anchor
        at = _numpy(anchors.column("entity")).astype(np.int64)
        anchors = anchors.filter(pa.array(at < n))
        at = at[at < n]
        starts = folded.starts[:, at]
        reached = None if folded.reached_at is None else folded.reached_at[:, at]
        return anchors, Folded(starts=starts, reached_at=reached)

    def calculate(self, engine: QueryEngine) -> FunnelResult:
        q = self.query
        grouped_query = q.breakdown is not None or q.over_time is not None
        if self._folds_in_columns(engine):
            assert isinstance(engine, DuckDBEngine)
            table, folded = self._fold(engine, grouped=grouped_query, timing=q.time_to_convert)
            timing = timing_row(folded) if q.time_to_convert else None
            if not grouped_query:
                return funnel_result(q, folded.counts(), timing_row=timing)
            return funnel_result(q, [], grouped=_grouped_counts(table, folded), timing_row=timing)
        built = self._built(engine)
        rows = engine.rows(built.sql, built.params)
        timing = None
        if q.time_to_convert:
            timed = self._built(engine, timing=True)
            timing = engine.rows(timed.sql, timed.params)[0]
        if not grouped_query:
            counts = [int(v) for v in rows[0]] if rows else [0] * len(q.steps)
            return funnel_result(q, counts, timing_row=timing)
        grouped = [(value_label(r[0]), int(r[1]), [int(v) for v in r[2:]]) for r in rows]
        return funnel_result(q, [], grouped=grouped, timing_row=timing)

    def dropped(self, engine: QueryEngine, *, step: int, limit: int = 1000) -> list[str]:
        """Entities that reached step ``step`` − 1 and not ``step`` (numbered from 1)."""
        if self._folds_in_columns(engine):
            if not 2 <= step <= len(self.query.steps):
                raise ValueError(f"step {step} is not a later step of this funnel")
            assert isinstance(engine, DuckDBEngine)
            table, folded = self._fold(engine, grouped=False, timing=False)
            stopped = (folded.starts[step - 2] >= 0) & (folded.starts[step - 1] < 0)
            entities = table.column("entity").take(np.flatnonzero(stopped))
            if pa.types.is_integer(entities.type):
                return self._user_ids(engine, entities, limit)
            first = pc.sort_indices(entities)[:limit]  # byte order, as SQL's ORDER BY
            return [str(e) for e in entities.take(first).to_pylist()]
        built = self._built(engine, dropped_at=step, limit=limit)
        return [str(row[0]) for row in engine.rows(built.sql, built.params)]

    def _user_ids(self, engine: DuckDBEngine, numbers: pa.ChunkedArray, limit: int) -> list[str]:
        """The first ``limit`` user ids (in byte order, as SQL's ORDER BY) of user numbers."""
        rows = engine.arrow(
            "SELECT n.distinct_id FROM user_numbers AS n SEMI JOIN dropped_numbers AS d "
            "ON n.number = d.number WHERE n.workspace_id = $ws ORDER BY n.distinct_id "
            "LIMIT $limit",
            {"ws": self.workspace_id, "limit": limit},
            tables={"dropped_numbers": pa.table({"number": numbers})},
        )
        return [str(e) for e in rows.column("distinct_id").to_pylist()]


def _numpy(column: pa.ChunkedArray) -> Any:
    return column.combine_chunks().to_numpy(zero_copy_only=False)


def _grouped_counts(table: pa.Table, folded: Folded) -> list[tuple[str, int, list[int]]]:
    """``(value, period number, count per step)`` over the entities whose chain started."""
    keep = np.flatnonzero(folded.starts[0] >= 0)
    reached = folded.starts[:, keep] >= 0
    columns = {f"s{i}": pa.array(r.astype(np.int64)) for i, r in enumerate(reached)}
    grouped = (
        pa.table(
            {"value": table.column("value").take(keep), "bucket": table.column("bucket").take(keep)}
            | columns
        )
        .group_by(["value", "bucket"])
        .aggregate([(c, "sum") for c in columns])
    )
    sums = [grouped.column(f"{c}_sum").to_pylist() for c in columns]
    return [
        (value_label(v), int(b), [int(s[i]) for s in sums])
        for i, (v, b) in enumerate(
            zip(
                grouped.column("value").to_pylist(),
                grouped.column("bucket").to_pylist(),
                strict=True,
            )
        )
    ]


def _sum_counts(rows: Sequence[list[int]], k: int) -> list[int]:
    return [sum(r[i] for r in rows) for i in range(k)]


def _step_results(q: FunnelQuery, counts: list[int]) -> list[FunnelStepResult]:
    first = counts[0]
    return [
        FunnelStepResult(event=s.event, count=n, conversion=n / first if first else None)
        for s, n in zip(q.steps, counts, strict=True)
    ]


def funnel_result(
    q: FunnelQuery,
    counts: list[int],
    *,
    grouped: list[tuple[str, int, list[int]]] | None = None,
    timing_row: list[Any] | None = None,
) -> FunnelResult:
    """Totals, and with ``grouped`` rows ``(value, period number, counts)`` the breakdown
    (top values, the rest folded into ``$other``) and the conversion over time."""
    k = len(q.steps)
    breakdown = over_time = None
    if grouped is not None or q.breakdown is not None or q.over_time is not None:
        grouped = grouped or []
        counts = _sum_counts([c for _, _, c in grouped], k)
        if q.breakdown is not None:
            by_value: dict[str, list[list[int]]] = {}
            for value, _, c in grouped:
                by_value.setdefault(value, []).append(c)
            totals = {v: _sum_counts(cs, k) for v, cs in by_value.items()}
            breakdown = [
                FunnelBreakdownRow(value=v, steps=_step_results(q, c))
                for v, c in fold_top(
                    totals,
                    top=q.breakdown.top,
                    size=lambda c: c[0],
                    merge=lambda cs: _sum_counts(list(cs), k),
                )
            ]
        if q.over_time is not None:
            per_bucket: dict[int, list[list[int]]] = {}
            for _, bucket, c in grouped:
                per_bucket.setdefault(bucket, []).append(c)
            over_time = []
            for day in periods_between(q.date_from, q.date_to, q.over_time):
                c = _sum_counts(per_bucket.get(period_number(day, q.over_time), []), k)
                entered, converted = (c[0], c[-1]) if c else (0, 0)
                over_time.append(
                    FunnelBucket(
                        date=day,
                        entered=entered,
                        converted=converted,
                        conversion=converted / entered if entered else None,
                    )
                )
    timing = None
    if q.time_to_convert:
        timing = step_timings(q, timing_row)
    return FunnelResult(
        by=q.by,
        window_seconds=q.window,
        first_attempt=q.first_attempt,
        steps=_step_results(q, counts),
        breakdown=breakdown,
        over_time=over_time,
        time_to_convert=timing,
    )


def step_timings(q: FunnelQuery, row: list[Any] | None) -> list[StepTiming]:
    """The timing statement's row (``funnel_builder.timing_columns``) as results, ms → s."""
    width = 4 + len(HISTOGRAM_EDGES)
    out = []
    for i, step in enumerate(q.steps[1:], start=1):
        cells: list[Any] = row[(i - 1) * width : i * width] if row else [0, 0, None, None]
        n, total, median, p90 = (int(cells[0]), int(cells[1]), cells[2], cells[3])
        bins = [int(v) for v in cells[4:]] if row else [0] * len(HISTOGRAM_EDGES)
        edges = [*HISTOGRAM_EDGES, None]
        out.append(
            StepTiming(
                step=i + 1,
                event=step.event,
                entities=n,
                median_seconds=None if not n or median is None else int(median) / 1000,
                p90_seconds=None if not n or p90 is None else int(p90) / 1000,
                mean_seconds=total / n / 1000 if n else None,
                histogram=[
                    HistogramBucket(min_seconds=lo, max_seconds=edges[b + 1], count=bins[b])
                    for b, lo in enumerate(HISTOGRAM_EDGES)
                ],
            )
        )
    return out


class RetentionRunner:
    def __init__(
        self,
        query: RetentionQuery,
        *,
        workspace_id: int,
        table: str = "events",
        account_values: dict[str, str] | None = None,
    ) -> None:
        self.query = query
        self.workspace_id = workspace_id
        self.table = table
        self.account_values = account_values

    def calculate(self, engine: QueryEngine) -> RetentionResult:
        q = self.query
        built = build_retention(
            q,
            dialect=engine.dialect,
            workspace_id=self.workspace_id,
            table=self.table,
            account_values=self.account_values,
        )
        raw = engine.rows(built.sql, built.params)
        if q.breakdown is None:
            return retention_result(q, [(int(pn), int(k), int(n)) for pn, k, n in raw])
        return retention_breakdown(
            q, [(value_label(v), int(pn), int(k), int(n)) for v, pn, k, n in raw]
        )


def _merge_cohorts(groups: Sequence[list[Cohort]]) -> list[Cohort]:
    first = groups[0]
    return [
        Cohort(
            cohort=c.cohort,
            size=sum(g[i].size for g in groups),
            retained=[sum(g[i].retained[k] for g in groups) for k in range(len(c.retained))],
        )
        for i, c in enumerate(first)
    ]


def retention_breakdown(
    q: RetentionQuery, rows: list[tuple[str, int, int, int]]
) -> RetentionResult:
    """Cohorts per value (top values by entities, the rest in ``$other``) and in total."""
    assert q.breakdown is not None
    per_value: dict[str, list[tuple[int, int, int]]] = {}
    for value, pn, k, n in rows:
        per_value.setdefault(value, []).append((pn, k, n))
    tables = {v: retention_result(q, r).cohorts for v, r in per_value.items()}
    total = retention_result(q, [])
    if tables:
        total = total.model_copy(update={"cohorts": _merge_cohorts(list(tables.values()))})
    folded = fold_top(
        tables,
        top=q.breakdown.top,
        size=lambda cs: sum(c.size for c in cs),
        merge=lambda groups: _merge_cohorts(list(groups)),
    )
    return total.model_copy(
        update={"breakdown": [RetentionBreakdownRow(value=v, cohorts=cs) for v, cs in folded]}
    )


def retention_result(q: RetentionQuery, rows: list[tuple[int, int, int]]) -> RetentionResult:
    """Every period of the range is a cohort, empty ones included, in time order."""
    labels = periods_between(q.date_from, q.date_to, q.period)
    size = {period_number(label, q.period): 0 for label in labels}
    kept = {pn: [0] * q.periods for pn in size}
    for pn, k, n in rows:
        if pn not in size:
            continue
        if k == 0:
            size[pn] = n
        elif q.bounded:
            kept[pn][k - 1] += n
        else:  # k is the furthest period the entities came back in: they count up to it
            for i in range(k):
                kept[pn][i] += n
    return RetentionResult(
        period=q.period,
        by=q.by,
        bounded=q.bounded,
        cohorts=[
            Cohort(cohort=label, size=size[pn], retained=kept[pn])
            for label, pn in ((label, period_number(label, q.period)) for label in labels)
        ],
    )


class TrendsRunner:
    def __init__(
        self,
        query: TrendsQuery,
        *,
        workspace_id: int,
        table: str = "events",
        account_values: dict[str, str] | None = None,
    ) -> None:
        self.query = query
        self.workspace_id = workspace_id
        self.table = table
        self.account_values = account_values

    def _rows(self, engine: QueryEngine, *, split: bool) -> list[list[Any]]:
        built = build_trends(
            self.query,
            dialect=engine.dialect,
            workspace_id=self.workspace_id,
            table=self.table,
            account_values=self.account_values,
            split=split,
        )
        return engine.rows(built.sql, built.params)

    def calculate(self, engine: QueryEngine) -> TrendsResult:
        rows = [[int(v) for v in row] for row in self._rows(engine, split=False)]
        result = trends_result(self.query, rows)
        bd = self.query.breakdown
        if bd is None:
            return result
        per_value: dict[str, list[list[int]]] = {}
        for value, *measures in self._rows(engine, split=True):
            per_value.setdefault(str(value), []).append([int(v) for v in measures])
        # ranked by events in the SQL; here: the kept values by events (then text), $other last
        ranked = sorted(
            (v for v in per_value if v != OTHER),
            key=lambda v: (-sum(r[1] for r in per_value[v]), v),
        )
        if OTHER in per_value:
            ranked.append(OTHER)
        breakdown = [
            TrendsBreakdownRow(
                value=value_label(v), series=trends_result(self.query, per_value[v]).series
            )
            for v in ranked
        ]
        return result.model_copy(update={"breakdown": breakdown})


def trends_result(q: TrendsQuery, rows: list[list[int]]) -> TrendsResult:
    """Every period of the range, zeros where nothing happened."""
    by_period = {row[0]: row[1:] for row in rows}
    series = []
    for day in periods_between(q.date_from, q.date_to, q.interval):
        count, users, accounts = by_period.get(period_number(day, q.interval), [0, 0, 0])
        series.append(TrendPoint(date=day, count=count, users=users, accounts=accounts))
    return TrendsResult(interval=q.interval, series=series, breakdown=[] if q.breakdown else None)


class ActiveRunner:
    def __init__(self, query: ActiveQuery, *, workspace_id: int, table: str = "events") -> None:
        self.query = query
        self.workspace_id = workspace_id
        self.table = table

    def calculate(self, engine: QueryEngine) -> ActiveResult:
        built = build_active(
            self.query, dialect=engine.dialect, workspace_id=self.workspace_id, table=self.table
        )
        rows = [(int(day), int(w), int(n)) for day, w, n in engine.rows(built.sql, built.params)]
        return active_result(self.query, rows)


def active_result(q: ActiveQuery, rows: list[tuple[int, int, int]]) -> ActiveResult:
    """Running sums of the span changes (``active_builder``) for every day of the range."""
    change = {(day, w): n for day, w, n in rows}
    first = period_number(q.date_from, Period.DAY) - max(WINDOWS) + 1
    last = period_number(q.date_to, Period.DAY)
    running = dict.fromkeys(WINDOWS, 0)
    series = []
    for offset, number in enumerate(range(first, last + 1)):
        for w in WINDOWS:
            running[w] += change.get((number, w), 0)
        if number < first + max(WINDOWS) - 1:
            continue
        dau, wau, mau = (running[w] for w in WINDOWS)
        day = q.date_from + timedelta(days=offset - max(WINDOWS) + 1)
        series.append(
            ActivePoint(date=day, dau=dau, wau=wau, mau=mau, stickiness=dau / mau if mau else None)
        )
    days = len(series)
    sticky = [p.stickiness for p in series if p.stickiness is not None]
    return ActiveResult(
        by=q.by,
        series=series,
        average_dau=sum(p.dau for p in series) / days,
        average_wau=sum(p.wau for p in series) / days,
        average_mau=sum(p.mau for p in series) / days,
        stickiness=sum(sticky) / len(sticky) if sticky else None,
    )


class PathsRunner:
    def __init__(self, query: PathsQuery, *, workspace_id: int, table: str = "events") -> None:
        self.query = query
        self.workspace_id = workspace_id
        self.table = table

    def calculate(self, engine: QueryEngine) -> PathsResult:
        built = build_paths(
            self.query, dialect=engine.dialect, workspace_id=self.workspace_id, table=self.table
        )
        rows = [
            (tuple(str(e) for e in path), int(n))
            for path, n in engine.rows(built.sql, built.params)
        ]
        return paths_result(self.query, rows)


def paths_result(q: PathsQuery, rows: list[tuple[tuple[str, ...], int]]) -> PathsResult:
    """Rank each level by entities (then name), keep ``top``, fold the rest into ``$other``."""
    per_level: list[dict[str, int]] = [{} for _ in range(q.depth)]
    for path, n in rows:
        for level, name in enumerate(path):
            per_level[level][name] = per_level[level].get(name, 0) + n
    kept = [
        {name for name, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[: q.top]}
        for counts in per_level
    ]
    nodes: dict[tuple[int, str], int] = {}
    links: dict[tuple[int, str, str], int] = {}
    for path, n in rows:
        folded = [name if name in kept[i] else OTHER for i, name in enumerate(path)]
        for i, name in enumerate(folded):
            nodes[(i + 1, name)] = nodes.get((i + 1, name), 0) + n
            if i + 1 < len(folded):
                key = (i + 1, name, folded[i + 1])
                links[key] = links.get(key, 0) + n
    return PathsResult(
        direction="after" if q.start is not None else "before",
        event=q.start if q.start is not None else str(q.end),
        by=q.by,
        entities=sum(n for _, n in rows),
        nodes=[
            PathNode(level=lv, event=e, count=c)
            for (lv, e), c in sorted(nodes.items(), key=lambda kv: (kv[0][0], -kv[1], kv[0][1]))
        ],
        links=[
            PathLink(level=lv, source=s, target=t, count=c)
            for (lv, s, t), c in sorted(
                links.items(), key=lambda kv: (kv[0][0], -kv[1], kv[0][1], kv[0][2])
            )
        ],
    )
