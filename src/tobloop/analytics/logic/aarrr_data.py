"""The event facts the AARRR board needs, read from the event store (DuckDB or ClickHouse).

Three small queries, written once for both dialects with the engine's placeholder and time
helpers (``insights.dialect``); every name and date travels as a bind parameter:

- per account, the first and last time it did an event inside a range;
- events, distinct users of a set of event types or one event inside a range;
- accounts first seen inside a range, with the user of their first event.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tobloop.analytics.insights.dialect import Dialect, Params, time_at_least, time_below, ts_ms
from tobloop.analytics.insights.retention_builder import ANY_EVENT_TYPES
from tobloop.analytics.store import event_store

if TYPE_CHECKING:
    from tobloop.analytics.insights.runners import QueryEngine

HAS_ACCOUNT = "account_id IS NOT NULL AND account_id != ''"


@dataclass(frozen=True)
class AccountSpan:
    """When an account first and last did an event inside the range (epoch ms)."""

    first_ms: int
    last_ms: int


@dataclass(frozen=True)
class FirstSeen:
    """An account's first event ever: its time and the user who sent it."""

    account: str
    user: str
    first_ms: int


class EventFacts:
    """Reads for one workspace and range [start_ms, end_ms) on an open engine."""

    def __init__(
        self, engine: QueryEngine | None, *, workspace_id: int, start_ms: int, end_ms: int
    ) -> None:
        self.engine = engine
        self.workspace_id = workspace_id
        self.start_ms = start_ms
        self.end_ms = end_ms

    def _base(self, p: Params) -> str:
        d = p.dialect
        ws = p.add(self.workspace_id, "UInt64")
        lo, hi = p.add(self.start_ms, "Int64"), p.add(self.end_ms, "Int64")
        return f"workspace_id = {ws} AND {time_at_least(d, lo)} AND {time_below(d, hi)}"

    def account_spans(self, event: str) -> dict[str, AccountSpan]:
        """Accounts that did ``event`` in the range, with their first and last time."""
        if self.engine is None or not event:
            return {}
        d = self.engine.dialect
        p = Params(d)
        where = self._base(p)
        name = p.add(event, "String")
        t = ts_ms(d)
        sql = f"""SELECT account_id, min({t}), max({t}) FROM events
WHERE {where} AND event = {name} AND {HAS_ACCOUNT}
GROUP BY account_id"""
        rows = self.engine.rows(sql, p.values)
        return {str(a): AccountSpan(int(lo), int(hi)) for a, lo, hi in rows}

    def accounts_before(self, event: str) -> set[str]:
        """Accounts that did ``event`` before the range starts."""
        if self.engine is None or not event:
            return set()
        d = self.engine.dialect
        p = Params(d)
        ws = p.add(self.workspace_id, "UInt64")
        lo = p.add(self.start_ms, "Int64")
        name = p.add(event, "String")
        sql = f"""SELECT DISTINCT account_id FROM events
WHERE workspace_id = {ws} AND event = {name} AND {time_below(d, lo)} AND {HAS_ACCOUNT}"""
        return {str(r[0]) for r in self.engine.rows(sql, p.values)}

    def volume(self, event: str | None) -> tuple[int, int]:
        """(events, distinct users) of ``event`` in the range, or of any track/page/screen
        call when ``event`` is None."""
        if self.engine is None:
            return 0, 0
        d = self.engine.dialect
        p = Params(d)
        where = self._base(p)
        which = ANY_EVENT_TYPES if event is None else f"event = {p.add(event, 'String')}"
        users = (
            "count(DISTINCT nullif(distinct_id, ''))"
            if d is Dialect.DUCKDB
            else "uniqExact(nullIf(distinct_id, ''))"
        )
        sql = f"SELECT count(*), {users} FROM events WHERE {where} AND {which}"
        rows = self.engine.rows(sql, p.values)
        return (int(rows[0][0]), int(rows[0][1])) if rows else (0, 0)

    def users_of(self, event: str, *, before_ms: int) -> set[str]:
        """Users who did ``event`` at any time before ``before_ms``."""
        if self.engine is None or not event:
            return set()
        d = self.engine.dialect
        p = Params(d)
        ws = p.add(self.workspace_id, "UInt64")
        hi = p.add(before_ms, "Int64")
        name = p.add(event, "String")
        sql = f"""SELECT DISTINCT distinct_id FROM events
WHERE workspace_id = {ws} AND event = {name} AND {time_below(d, hi)} AND distinct_id != ''"""
        return {str(r[0]) for r in self.engine.rows(sql, p.values)}

    def accounts_first_seen(self) -> list[FirstSeen]:
        """Accounts whose first event ever (any type) falls in the range, and its user; ties
        at the first millisecond go to the smallest user id."""
        if self.engine is None:
            return []
        d = self.engine.dialect
        p = Params(d)
        ws = p.add(self.workspace_id, "UInt64")
        lo, hi = p.add(self.start_ms, "Int64"), p.add(self.end_ms, "Int64")
        t = ts_ms(d)
        et = (
            "epoch_ms(e.timestamp)"
            if d is Dialect.DUCKDB
            else "toUnixTimestamp64Milli(e.timestamp)"
        )
        sql = f"""WITH firsts AS (
  SELECT account_id, min({t}) AS first_ms FROM events
  WHERE workspace_id = {ws} AND {HAS_ACCOUNT}
  GROUP BY account_id
)
SELECT f.account_id, min(e.distinct_id), f.first_ms
FROM firsts f JOIN events e ON e.account_id = f.account_id
WHERE e.workspace_id = {ws} AND f.first_ms >= {lo} AND f.first_ms < {hi}
  AND {et} = f.first_ms
GROUP BY f.account_id, f.first_ms"""
        return [FirstSeen(str(a), str(u), int(ms)) for a, u, ms in self.engine.rows(sql, p.values)]


@contextmanager
def event_facts(*, workspace_id: int, start_ms: int, end_ms: int) -> Iterator[EventFacts]:
    """Facts on the configured event store (empty answers when nothing was ever stored)."""
    # imported here: the query engines load pyarrow, which commands that never query
    # events (``tobloop import events``) should not load at start
    from tobloop.analytics.insights.service import store_engine

    with store_engine(event_store()) as engine:
        yield EventFacts(engine, workspace_id=workspace_id, start_ms=start_ms, end_ms=end_ms)
