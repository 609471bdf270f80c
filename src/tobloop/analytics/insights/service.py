"""Funnels and retention on the workspace's event store (CLI, API and Python callers).

The event store exposes no generic read query, so this thin adapter opens the store's own read
connection — DuckDB's read-only connection under the store's file lock, or a ClickHouse session
(chdb or a server) — and hands it to the runners. Dates are read in the workspace time zone.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any, TypeVar

import duckdb

from tobloop.accounts import facade as accounts
from tobloop.analytics.insights.cache import cached
from tobloop.analytics.insights.dialect import Dialect
from tobloop.analytics.insights.models import (
    ActiveQuery,
    ActiveResult,
    Breakdown,
    BreakdownKind,
    DroppedQuery,
    DroppedResult,
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
    ActiveRunner,
    DuckDBEngine,
    FunnelRunner,
    PathsRunner,
    QueryEngine,
    RetentionRunner,
    TrendsRunner,
    active_result,
    escape_parameter,
    funnel_result,
    paths_result,
    retention_result,
    trends_result,
)
from tobloop.analytics.store import EventStore, event_store
from tobloop.kernel.errors import OverCapacity
from tobloop.platform.facade import Principal, require

Q = TypeVar("Q", FunnelQuery, RetentionQuery, TrendsQuery, PathsQuery, ActiveQuery, DroppedQuery)


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
            try:
                yield None if con is None else DuckDBEngine(con)
            except duckdb.OutOfMemoryException as exc:
                limit = store.config["memory_limit"]
                raise OverCapacity(
                    f"the query needs more memory than the event store may use here ({limit},"
                    " TOBLOOP_EVENTS_MEMORY_LIMIT): narrow its dates or raise the limit"
                ) from exc
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


def account_values(principal: Principal, breakdown: Breakdown | None) -> dict[str, str] | None:
    """``{account external id: field value}`` for an ``account_field`` breakdown, else None.

    Read through the accounts facade (it needs the ``accounts:read`` scope); ``plan`` is the
    account's custom field ``plan`` (set by group calls' ``plan`` trait or an import).
    """
    if breakdown is None or breakdown.kind is not BreakdownKind.ACCOUNT_FIELD:
        return None
    values: dict[str, str] = {}
    offset = 0
    while True:
        page = accounts.list_accounts(
            principal, accounts.AccountFilter(sort="name", limit=500, offset=offset)
        )
        for a in page.items:
            if a.external_id:
                values[a.external_id] = account_field(a, breakdown.key)
        offset += len(page.items)
        if not page.items or offset >= page.count:
            return values


def account_field(account: accounts.AccountView, key: str) -> str:
    if key == "plan":
        plan = account.custom_fields.get("plan")
        return "" if plan is None or isinstance(plan, dict | list) else str(plan)
    return str(getattr(account, key) or "")


def run_funnel(
    principal: Principal, query: FunnelQuery, *, store: EventStore | None = None
) -> FunnelResult:
    """Entities reaching each step (DESIGN.md "Funnel") in the principal's workspace."""
    require(principal.scopes, "analytics", "read")
    query = in_workspace_zone(principal, query)
    values = account_values(principal, query.breakdown)
    with store_engine(store or event_store()) as engine:
        if engine is None:
            return funnel_result(query, [0] * len(query.steps))
        runner = FunnelRunner(query, workspace_id=principal.workspace_id, account_values=values)
        return cached(
            engine,
            principal.workspace_id,
            query,
            FunnelResult,
            partial(runner.calculate, engine),
            extra=values,
        )


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


def run_dropped(
    principal: Principal, query: DroppedQuery, *, store: EventStore | None = None
) -> DroppedResult:
    """The drill-down as a result: who reached step − 1 and not the step, at most ``limit``."""
    require(principal.scopes, "analytics", "read")
    query = in_workspace_zone(principal, query)
    event = query.steps[query.step - 1].event

    def result(ids: list[str]) -> DroppedResult:
        return DroppedResult(
            by=query.by,
            step=query.step,
            event=event,
            entities=ids[: query.limit],
            truncated=len(ids) > query.limit,
        )

    with store_engine(store or event_store()) as engine:
        if engine is None:
            return result([])
        runner = FunnelRunner(query, workspace_id=principal.workspace_id)

        def compute() -> DroppedResult:
            assert engine is not None
            return result(runner.dropped(engine, step=query.step, limit=query.limit + 1))

        return cached(engine, principal.workspace_id, query, DroppedResult, compute)


def run_retention(
    principal: Principal, query: RetentionQuery, *, store: EventStore | None = None
) -> RetentionResult:
    """Cohorts and their retention (DESIGN.md "Retention") in the principal's workspace."""
    require(principal.scopes, "analytics", "read")
    query = in_workspace_zone(principal, query)
    values = account_values(principal, query.breakdown)
    with store_engine(store or event_store()) as engine:
        if engine is None:
            empty = retention_result(query, [])
            return empty.model_copy(update={"breakdown": [] if query.breakdown else None})
        runner = RetentionRunner(query, workspace_id=principal.workspace_id, account_values=values)
        return cached(
            engine,
            principal.workspace_id,
            query,
            RetentionResult,
            partial(runner.calculate, engine),
            extra=values,
        )


def run_trends(
    principal: Principal, query: TrendsQuery, *, store: EventStore | None = None
) -> TrendsResult:
    """Events, distinct users and distinct accounts per period in the principal's workspace."""
    require(principal.scopes, "analytics", "read")
    query = in_workspace_zone(principal, query)
    values = account_values(principal, query.breakdown)
    with store_engine(store or event_store()) as engine:
        if engine is None:
            return trends_result(query, [])
        runner = TrendsRunner(query, workspace_id=principal.workspace_id, account_values=values)
        return cached(
            engine,
            principal.workspace_id,
            query,
            TrendsResult,
            partial(runner.calculate, engine),
            extra=values,
        )


def run_active(
    principal: Principal, query: ActiveQuery, *, store: EventStore | None = None
) -> ActiveResult:
    """DAU, WAU, MAU and stickiness per day (docs/metrics.md) in the principal's workspace."""
    require(principal.scopes, "analytics", "read")
    query = in_workspace_zone(principal, query)
    with store_engine(store or event_store()) as engine:
        if engine is None:
            return active_result(query, [])
        runner = ActiveRunner(query, workspace_id=principal.workspace_id)
        return cached(
            engine, principal.workspace_id, query, ActiveResult, partial(runner.calculate, engine)
        )


def run_paths(
    principal: Principal, query: PathsQuery, *, store: EventStore | None = None
) -> PathsResult:
    """Top paths after a start event or before an end event, in the principal's workspace."""
    require(principal.scopes, "analytics", "read")
    query = in_workspace_zone(principal, query)
    with store_engine(store or event_store()) as engine:
        if engine is None:
            return paths_result(query, [])
        runner = PathsRunner(query, workspace_id=principal.workspace_id)
        return cached(
            engine, principal.workspace_id, query, PathsResult, partial(runner.calculate, engine)
        )
