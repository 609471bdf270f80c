"""One account's product usage, for the account page (docs/metrics.md "Account usage").

Everything is counted from the account's ``track``/``page``/``screen`` events (its external id
is the events' ``account_id``), in whole days of the workspace time zone, up to and including
``as_of`` (today by default):

* **Active users** in the last 7 and 30 days (distinct users), and **seat utilization** =
  active users in 30 days ÷ seats paid for on ``as_of``. Seats come from a seat source that a
  layer seeing the revenue module registers (``hooks.register_seat_source``; the sum of the
  quantities of the account's subscriptions active that day); without one, or without a
  quantity, seats are unknown and so is the utilization.
* **Key features**: the key events of the workspace — the events its AARRR settings map to
  activation, retention and referral, when any are set; otherwise its five most common
  non-generic ``track`` events of the last 90 days (generic: log-in/out, page and screen views,
  sessions, heartbeats, names starting with ``$``). Per key event: the account's users who did
  it in the last 30 days, their share of the 30-day active users, its events and last use.
* **Usage trend against the account's own baseline**: weekly active users of the 16 seven-day
  weeks ending ``as_of``; *recent* is the average of the last 4 weeks, *baseline* the average of
  the 12 before, *trend* = recent ÷ baseline − 1 (none when the baseline is 0).
* **Last activity**: the account's latest event, at any time up to the end of ``as_of``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from tobloop.analytics.hooks import seat_source
from tobloop.analytics.insights.dialect import Dialect, Params, time_at_least, time_below, ts_ms
from tobloop.analytics.insights.models import ActiveQuery
from tobloop.analytics.insights.periods import local_midnight_ms
from tobloop.analytics.insights.retention_builder import ANY_EVENT_TYPES
from tobloop.analytics.logic.aarrr import get_aarrr_config
from tobloop.analytics.store import EventStore, event_store
from tobloop.analytics.store.base import ms_to_datetime
from tobloop.platform.facade import Principal, require

if TYPE_CHECKING:
    from tobloop.analytics.insights.runners import QueryEngine

WEEKS, RECENT_WEEKS = 16, 4
DEFAULT_KEY_EVENTS, KEY_EVENT_LOOKBACK_DAYS = 5, 90
GENERIC_EVENTS = frozenset(
    {
        "login", "log in", "logged in", "sign in", "signin", "signed in", "logout", "log out",
        "logged out", "sign out", "signed out", "page", "page view", "pageview", "page viewed",
        "screen", "screen view", "screen viewed", "session start", "session started",
        "session end", "app open", "app opened", "app launched", "heartbeat", "identify",
    }
)  # fmt: skip


def is_generic(event: str) -> bool:
    return (
        event.startswith("$") or re.sub(r"[\s_.\-]+", " ", event.strip().lower()) in GENERIC_EVENTS
    )


@dataclass(frozen=True)
class FeatureUse:
    event: str
    users: int  # the account's users who did it in the last 30 days
    share: float | None  # users ÷ active users in 30 days
    events: int
    last_used: datetime | None


@dataclass(frozen=True)
class AccountUsage:
    as_of: date
    active_users_7d: int
    active_users_30d: int
    seats: int | None
    seat_utilization: float | None
    key_events_source: str  # "aarrr" or "most_common"
    features: list[FeatureUse]
    weeks: list[tuple[date, int]]  # (last day of the seven-day week, weekly active users)
    recent_weekly: float
    baseline_weekly: float
    trend: float | None
    last_activity: datetime | None


def key_events(
    principal: Principal, engine: QueryEngine | None, as_of: date
) -> tuple[list[str], str]:
    """The workspace's key events and where they come from (see the module docstring)."""
    config = get_aarrr_config(principal)
    mapped = [config.event_of(s) for s in ("activation", "retention", "referral")]
    chosen = list(dict.fromkeys(e for e in mapped if e))
    if chosen:
        return chosen, "aarrr"
    if engine is None:
        return [], "most_common"
    d, p = engine.dialect, Params(engine.dialect)
    tz = principal.workspace.timezone
    lo = p.add(local_midnight_ms(as_of - timedelta(days=KEY_EVENT_LOOKBACK_DAYS - 1), tz), "Int64")
    hi = p.add(local_midnight_ms(as_of + timedelta(days=1), tz), "Int64")
    sql = f"""SELECT event, count(*) AS n FROM events
WHERE workspace_id = {p.add(principal.workspace_id, "UInt64")} AND type = 'track' AND event != ''
  AND {time_at_least(d, lo)} AND {time_below(d, hi)}
GROUP BY event ORDER BY n DESC, event LIMIT 50"""
    names = [str(r[0]) for r in engine.rows(sql, p.values)]
    return [n for n in names if not is_generic(n)][:DEFAULT_KEY_EVENTS], "most_common"


def _feature_rows(
    engine: QueryEngine, workspace_id: int, account: str, events: Sequence[str], lo: int, hi: int
) -> dict[str, tuple[int, int, int]]:
    if not events:
        return {}
    d, p = engine.dialect, Params(engine.dialect)
    names = ", ".join(p.add(e, "String") for e in events)
    users = (
        "count(DISTINCT nullif(distinct_id, ''))"
        if d is Dialect.DUCKDB
        else "uniqExact(nullIf(distinct_id, ''))"
    )
    sql = f"""SELECT event, {users}, count(*), max({ts_ms(d)}) FROM events
WHERE workspace_id = {p.add(workspace_id, "UInt64")} AND account_id = {p.add(account, "String")}
  AND {ANY_EVENT_TYPES} AND event IN ({names})
  AND {time_at_least(d, p.add(lo, "Int64"))} AND {time_below(d, p.add(hi, "Int64"))}
GROUP BY event"""
    return {str(e): (int(u), int(n), int(t)) for e, u, n, t in engine.rows(sql, p.values)}


def _last_activity(engine: QueryEngine, workspace_id: int, account: str, hi: int) -> int | None:
    d, p = engine.dialect, Params(engine.dialect)
    sql = f"""SELECT max({ts_ms(d)}) FROM events
WHERE workspace_id = {p.add(workspace_id, "UInt64")} AND account_id = {p.add(account, "String")}
  AND {ANY_EVENT_TYPES} AND {time_below(d, p.add(hi, "Int64"))}"""
    rows = engine.rows(sql, p.values)
    if not rows or rows[0][0] is None:
        return None
    value = int(rows[0][0])
    # ClickHouse answers 0 for the max of no rows
    return None if value == 0 and d is Dialect.CLICKHOUSE else value


def account_usage(
    principal: Principal,
    account_id: int,
    external_id: str | None,
    *,
    as_of: date | None = None,
    store: EventStore | None = None,
) -> AccountUsage:
    """The usage panel's figures for one account (``external_id`` names it in the events)."""
    require(principal.scopes, "analytics", "read")
    tz = principal.workspace.timezone
    day = as_of or datetime.now(ZoneInfo(tz)).date()
    seats_of = seat_source()
    seats = seats_of(principal, account_id, day) if seats_of is not None else None
    first = day - timedelta(days=7 * WEEKS - 1)
    hi = local_midnight_ms(day + timedelta(days=1), tz)
    lo30 = local_midnight_ms(day - timedelta(days=29), tz)
    # imported here: the query engines load pyarrow, which commands that never query
    # events (``tobloop import events``) should not load at start
    from tobloop.analytics.insights.runners import ActiveRunner
    from tobloop.analytics.insights.service import store_engine

    with store_engine(store or event_store()) as engine:
        events, source = key_events(principal, engine, day)
        series: list[tuple[date, int, int, int]] = []
        features: dict[str, tuple[int, int, int]] = {}
        last: int | None = None
        if engine is not None and external_id:
            query = ActiveQuery.model_validate(
                {"from": first, "to": day, "timezone": tz, "account": external_id}
            )
            result = ActiveRunner(query, workspace_id=principal.workspace_id).calculate(engine)
            series = [(p.date, p.dau, p.wau, p.mau) for p in result.series]
            features = _feature_rows(engine, principal.workspace_id, external_id, events, lo30, hi)
            last = _last_activity(engine, principal.workspace_id, external_id, hi)
    wau = {d: w for d, _, w, _ in series}
    weeks = [
        (end, wau.get(end, 0))
        for end in (day - timedelta(days=7 * i) for i in reversed(range(WEEKS)))
    ]
    active7 = series[-1][2] if series else 0
    active30 = series[-1][3] if series else 0
    recent = sum(n for _, n in weeks[-RECENT_WEEKS:]) / RECENT_WEEKS
    baseline = sum(n for _, n in weeks[:-RECENT_WEEKS]) / (WEEKS - RECENT_WEEKS)
    return AccountUsage(
        as_of=day,
        active_users_7d=active7,
        active_users_30d=active30,
        seats=seats,
        seat_utilization=active30 / seats if seats else None,
        key_events_source=source,
        features=[
            FeatureUse(
                event=e,
                users=features[e][0] if e in features else 0,
                share=(features[e][0] if e in features else 0) / active30 if active30 else None,
                events=features[e][1] if e in features else 0,
                last_used=ms_to_datetime(features[e][2]) if e in features else None,
            )
            for e in events
        ],
        weeks=weeks,
        recent_weekly=recent,
        baseline_weekly=baseline,
        trend=recent / baseline - 1 if baseline else None,
        last_activity=None if last is None else ms_to_datetime(last),
    )
