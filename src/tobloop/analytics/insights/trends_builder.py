"""SQL for trends: per period, events, distinct users and distinct accounts.

Periods are numbered as in retention (``retention_builder.period_number``), from the local
date in the workspace time zone. Empty user or account ids are not counted as one.
"""

from __future__ import annotations

from tobloop.analytics.insights.dialect import (
    Dialect,
    Params,
    checked_table,
    matcher_condition,
    time_at_least,
    time_below,
)
from tobloop.analytics.insights.funnel_builder import BuiltQuery
from tobloop.analytics.insights.models import TrendsQuery
from tobloop.analytics.insights.periods import range_ms
from tobloop.analytics.insights.retention_builder import ANY_EVENT_TYPES, period_sql


def build_trends(
    q: TrendsQuery, *, dialect: Dialect, workspace_id: int, table: str = "events"
) -> BuiltQuery:
    """Rows ``(period number, events, users, accounts)`` for the periods that have events."""
    d, p = dialect, Params(dialect)
    table = checked_table(table)
    start_ms, end_ms = range_ms(q)
    ws = p.add(workspace_id, "UInt64")
    lo, hi = p.add(start_ms, "Int64"), p.add(end_ms, "Int64")
    tz = p.add(q.timezone, "String")
    which = ANY_EVENT_TYPES if q.event is None else matcher_condition(d, q.event, p)
    pn = period_sql(d, "timestamp", q.interval, tz)
    if d is Dialect.DUCKDB:
        measures = (
            "count(*), count(DISTINCT nullif(distinct_id, '')), "
            "count(DISTINCT nullif(account_id, ''))"
        )
    else:
        measures = "count(), uniqExact(nullIf(distinct_id, '')), uniqExact(nullIf(account_id, ''))"
    sql = f"""SELECT {pn} AS pn, {measures}
FROM {table}
WHERE workspace_id = {ws} AND {which} AND {time_at_least(d, lo)} AND {time_below(d, hi)}
GROUP BY pn
ORDER BY pn"""
    return BuiltQuery(sql=sql, params=p.values)
