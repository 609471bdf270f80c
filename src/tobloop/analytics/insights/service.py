"""Funnels and retention on the workspace's event store (CLI, API and Python callers).

The event store exposes no generic read query, so this thin adapter opens the store's own read
connection — DuckDB's read-only connection under the store's file lock, or a ClickHouse session
(chdb or a server) — and hands it to the runners. Dates are read in the workspace time zone.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from tobloop.analytics.insights.dialect import Dialect
from tobloop.analytics.insights.models import (
    FunnelQuery,
    FunnelResult,
    PathsQuery,
    PathsResult,
    RetentionQuery,
    RetentionResult,
    TrendsQuery,
    TrendsResult,
)
from tobloop.analytics.insights.runners import (
    DuckDBEngine,
    FunnelRunner,
    PathsRunner,
    QueryEngine,
    RetentionRunner,
    TrendsRunner,
    escape_parameter,
    funnel_result,
    paths_result,
    retention_result,
    trends_result,
)
from tobloop.analytics.store import EventStore, event_store
from tobloop.platform.facade import Principal, require

Q = TypeVar("Q", FunnelQuery, RetentionQuery, TrendsQuery, PathsQuery)


class StoreSessionEngine:
    """A ClickHouse session of the event store; chdb reads parameters in escaped text."""

    dialect = Dialect.CLICKHOUSE

    def __init__(self, session: Any, *, escape: bool) -> None:
        self.session = session
        self.escape = escape

    def rows(self, sql: str, params: dict[str, Any]) -> list[list[Any]]:
        if self.escape:
            params = {
                k: escape_parameter(v) if isinstance(v, str) else v for k, v in params.items()
            }
        rows: list[list[Any]] = self.session.rows(sql, params)
        return rows


@contextmanager
def store_engine(store: EventStore) -> Iterator[QueryEngine | None]:
    """A read engine on ``store``, or None when nothing was ever stored."""
    from tobloop.analytics.store.clickhouse_store import ClickHouseStore
    from tobloop.analytics.store.duckdb_store import DuckDBStore

    if isinstance(store, DuckDBStore):
        with store.reading() as con:
            yield None if con is None else DuckDBEngine(con)
    elif isinstance(store, ClickHouseStore):
        store.ensure_schema()
        with store.adapter.session(write=False) as session:
            yield StoreSessionEngine(session, escape=store.adapter.escape_params)
    else:
        raise TypeError(f"no query engine for the {store.name} store")


def in_workspace_zone(principal: Principal, query: Q) -> Q:
    """Dates are read in the workspace time zone unless the query names a zone itself."""
    if "timezone" in query.model_fields_set:
        return query
    return query.model_copy(update={"timezone": principal.workspace.timezone})


def run_funnel(
    principal: Principal, query: FunnelQuery, *, store: EventStore | None = None
) -> FunnelResult:
    """Entities reaching each step (DESIGN.md "Funnel") in the principal's workspace."""
    require(principal.scopes, "analytics", "read")
    query = in_workspace_zone(principal, query)
    with store_engine(store or event_store()) as engine:
        if engine is None:
            return funnel_result(query, [0] * len(query.steps))
        return FunnelRunner(query, workspace_id=principal.workspace_id).calculate(engine)


def funnel_dropped(
    principal: Principal,
    query: FunnelQuery,
    *,
    step: int,
    limit: int = 1000,
    store: EventStore | None = None,
) -> list[str]:
    """Users or accounts that reached step ``step`` − 1 and not ``step``: whom a CSM calls."""
    require(principal.scopes, "analytics", "read")
    query = in_workspace_zone(principal, query)
    with store_engine(store or event_store()) as engine:
        if engine is None:
            return []
        runner = FunnelRunner(query, workspace_id=principal.workspace_id)
        return runner.dropped(engine, step=step, limit=limit)


def run_retention(
    principal: Principal, query: RetentionQuery, *, store: EventStore | None = None
) -> RetentionResult:
    """Cohorts and their retention (DESIGN.md "Retention") in the principal's workspace."""
    require(principal.scopes, "analytics", "read")
    query = in_workspace_zone(principal, query)
    with store_engine(store or event_store()) as engine:
        if engine is None:
            return retention_result(query, [])
        return RetentionRunner(query, workspace_id=principal.workspace_id).calculate(engine)


def run_trends(
    principal: Principal, query: TrendsQuery, *, store: EventStore | None = None
) -> TrendsResult:
    """Events, distinct users and distinct accounts per period in the principal's workspace."""
    require(principal.scopes, "analytics", "read")
    query = in_workspace_zone(principal, query)
    with store_engine(store or event_store()) as engine:
        if engine is None:
            return trends_result(query, [])
        return TrendsRunner(query, workspace_id=principal.workspace_id).calculate(engine)


def run_paths(
    principal: Principal, query: PathsQuery, *, store: EventStore | None = None
) -> PathsResult:
    """Top paths after a start event or before an end event, in the principal's workspace."""
    require(principal.scopes, "analytics", "read")
    query = in_workspace_zone(principal, query)
    with store_engine(store or event_store()) as engine:
        if engine is None:
            return paths_result(query, [])
        return PathsRunner(query, workspace_id=principal.workspace_id).calculate(engine)
