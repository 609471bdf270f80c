"""Runners: a typed query in, the builder's SQL run on an engine, a typed result out."""

from __future__ import annotations

from typing import Any, Protocol

import orjson

from tobloop.analytics.insights.dialect import Dialect
from tobloop.analytics.insights.funnel_builder import build_funnel
from tobloop.analytics.insights.models import (
    OTHER,
    Cohort,
    FunnelQuery,
    FunnelResult,
    FunnelStepResult,
    PathLink,
    PathNode,
    PathsQuery,
    PathsResult,
    RetentionQuery,
    RetentionResult,
    TrendPoint,
    TrendsQuery,
    TrendsResult,
)
from tobloop.analytics.insights.paths_builder import build_paths
from tobloop.analytics.insights.periods import periods_between
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

    def rows(self, sql: str, params: dict[str, Any]) -> list[list[Any]]:
        return [list(r) for r in self.con.execute(sql, params).fetchall()]


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
    ) -> None:
        self.query = query
        self.workspace_id = workspace_id
        self.table = table
        self.packed = packed

    def calculate(self, engine: QueryEngine) -> FunnelResult:
        built = build_funnel(
            self.query,
            dialect=engine.dialect,
            workspace_id=self.workspace_id,
            table=self.table,
            packed=self.packed,
        )
        rows = engine.rows(built.sql, built.params)
        counts = [int(v) for v in rows[0]] if rows else [0] * len(self.query.steps)
        return funnel_result(self.query, counts)

    def dropped(self, engine: QueryEngine, *, step: int, limit: int = 1000) -> list[str]:
        """Entities that reached step ``step`` − 1 and not ``step`` (numbered from 1)."""
        built = build_funnel(
            self.query,
            dialect=engine.dialect,
            workspace_id=self.workspace_id,
            table=self.table,
            packed=self.packed,
            dropped_at=step,
            limit=limit,
        )
        return [str(row[0]) for row in engine.rows(built.sql, built.params)]


def funnel_result(q: FunnelQuery, counts: list[int]) -> FunnelResult:
    first = counts[0]
    return FunnelResult(
        by=q.by,
        window_seconds=q.window,
        first_attempt=q.first_attempt,
        steps=[
            FunnelStepResult(event=s.event, count=n, conversion=n / first if first else None)
            for s, n in zip(q.steps, counts, strict=True)
        ],
    )


class RetentionRunner:
    def __init__(self, query: RetentionQuery, *, workspace_id: int, table: str = "events") -> None:
        self.query = query
        self.workspace_id = workspace_id
        self.table = table

    def calculate(self, engine: QueryEngine) -> RetentionResult:
        built = build_retention(
            self.query, dialect=engine.dialect, workspace_id=self.workspace_id, table=self.table
        )
        rows = [(int(pn), int(k), int(n)) for pn, k, n in engine.rows(built.sql, built.params)]
        return retention_result(self.query, rows)


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
    def __init__(self, query: TrendsQuery, *, workspace_id: int, table: str = "events") -> None:
        self.query = query
        self.workspace_id = workspace_id
        self.table = table

    def calculate(self, engine: QueryEngine) -> TrendsResult:
        built = build_trends(
            self.query, dialect=engine.dialect, workspace_id=self.workspace_id, table=self.table
        )
        rows = [[int(v) for v in row] for row in engine.rows(built.sql, built.params)]
        return trends_result(self.query, rows)


def trends_result(q: TrendsQuery, rows: list[list[int]]) -> TrendsResult:
    """Every period of the range, zeros where nothing happened."""
    by_period = {row[0]: row[1:] for row in rows}
    series = []
    for label in periods_between(q.date_from, q.date_to, q.interval):
        count, users, accounts = by_period.get(period_number(label, q.interval), [0, 0, 0])
        series.append(TrendPoint(date=label, count=count, users=users, accounts=accounts))
    return TrendsResult(interval=q.interval, series=series)


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
