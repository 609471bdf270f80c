"""Usage per account over a window of days, for health scores (success module) in one query.

One grouped query answers, for every account with events before the end of the window: the
events and distinct users inside the window, how many of a list of key events it used there,
and the time of its last event before the end (at any earlier time). Days are whole calendar
days in the workspace time zone; ``start`` is included and ``end`` excluded, so a caller that
scores "as of" day D passes ``end = D + 1`` and can never see an event of a later day.
Only product events count (``track``, ``page``, ``screen``), not identify/group calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from tobloop.analytics.insights.dialect import Dialect, Params, time_at_least, time_below, ts_ms
from tobloop.analytics.insights.retention_builder import ANY_EVENT_TYPES
from tobloop.analytics.store import EventStore, event_store
from tobloop.analytics.store.base import ms_to_datetime
from tobloop.platform.facade import Principal, require


@dataclass(frozen=True)
class AccountActivity:
    """One account's usage in a window; ``account`` is the event's account id (its groupId)."""

    account: str
    events: int
    users: int
    key_events_used: int
    last_seen: datetime | None


def _day_ms(day: date, tz: str) -> int:
    return int(datetime.combine(day, time.min, tzinfo=ZoneInfo(tz)).timestamp() * 1000)


def activity_sql(
    d: Dialect, *, workspace_id: int, start_ms: int, end_ms: int, key_events: Sequence[str]
) -> tuple[str, dict[str, object]]:
    """The grouped query, with every value a bind parameter."""
    p = Params(d)
    ws = p.add(workspace_id, "UInt64")
    lo, hi = p.add(start_ms, "Int64"), p.add(end_ms, "Int64")
    inside = time_at_least(d, lo)
    names = ", ".join(p.add(e, "String") for e in key_events)
    key = f"event IN ({names})" if names else "false"
    if d is Dialect.DUCKDB:
        measures = (
            f"count(*) FILTER (WHERE {inside}), "
            f"count(DISTINCT nullif(distinct_id, '')) FILTER (WHERE {inside}), "
            f"count(DISTINCT event) FILTER (WHERE {inside} AND {key})"
        )
    else:
        measures = (
            f"countIf({inside}), uniqExactIf(distinct_id, {inside} AND distinct_id != ''), "
            f"uniqExactIf(event, {inside} AND {key})"
        )
    sql = f"""SELECT account_id, {measures}, max({ts_ms(d)})
FROM events
WHERE workspace_id = {ws} AND {ANY_EVENT_TYPES} AND account_id IS NOT NULL
  AND account_id != '' AND {time_below(d, hi)}
GROUP BY account_id"""
    return sql, p.values


def account_activity(
    principal: Principal,
    *,
    start: date,
    end: date,
    key_events: Sequence[str] = (),
    store: EventStore | None = None,
) -> dict[str, AccountActivity]:
    """Usage of every account from day ``start`` (included) to day ``end`` (excluded)."""
    require(principal.scopes, "analytics", "read")
    tz = principal.workspace.timezone
    # imported here: the query engines load pyarrow, which commands that never query
    # events (``tobloop import events``) should not load at start
    from tobloop.analytics.insights.service import store_engine

    with store_engine(store or event_store()) as engine:
        if engine is None:
            return {}
        sql, params = activity_sql(
            engine.dialect,
            workspace_id=principal.workspace_id,
            start_ms=_day_ms(start, tz),
            end_ms=_day_ms(end, tz),
            key_events=list(key_events),
        )
        rows = engine.rows(sql, params)
    out = {}
    for account, events, users, used, last in rows:
        out[str(account)] = AccountActivity(
            account=str(account),
            events=int(events),
            users=int(users),
            key_events_used=int(used),
            last_seen=ms_to_datetime(int(last)) if last is not None else None,
        )
    return out
