"""SQL for trends: per period, events, distinct users and distinct accounts.

Periods are numbered as in retention (``retention_builder.period_number``), from the local
date in the workspace time zone. Empty user or account ids are not counted as one.
"""

from __future__ import annotations

from tobloop.analytics.insights.breakdown import breakdown_sql
from tobloop.analytics.insights.dialect import (
    BuiltQuery,
    Dialect,
    Params,
    checked_table,
    matcher_condition,
    time_at_least,
    time_below,
)
from tobloop.analytics.insights.models import OTHER, TrendsQuery
from tobloop.analytics.insights.periods import range_ms
from tobloop.analytics.insights.retention_builder import ANY_EVENT_TYPES, period_sql


def build_trends(
    q: TrendsQuery,
    *,
    dialect: Dialect,
    workspace_id: int,
    table: str = "events",
    account_values: dict[str, str] | None = None,
    split: bool = False,
) -> BuiltQuery:
    """Rows ``(period number, events, users, accounts)`` for the periods that have events.

    With ``split`` (and a breakdown in the query) the rows are ``(value, period number, events,
    users, accounts)``: the ``top`` values by events in the range (then by text, none as ``''``
    first), every other value as ``$other``.
    """
    d, p = dialect, Params(dialect)
    table = checked_table(table)
    start_ms, end_ms = range_ms(q)
    ws = p.add(workspace_id, "UInt64")
    lo, hi = p.add(start_ms, "Int64"), p.add(end_ms, "Int64")
    tz = p.add(q.timezone, "String")
    which = ANY_EVENT_TYPES if q.event is None else matcher_condition(d, q.event, p)
    if q.account is not None:
        which += f" AND account_id = {p.add(q.account, 'String')}"
    pn = period_sql(d, "timestamp", q.interval, tz, zone=q.timezone, span_ms=(start_ms, end_ms))
    if d is Dialect.DUCKDB:
        measures = (
            "count(*), count(DISTINCT nullif(distinct_id, '')), "
            "count(DISTINCT nullif(account_id, ''))"
        )
    else:
        measures = "count(), uniqExact(nullIf(distinct_id, '')), uniqExact(nullIf(account_id, ''))"
    scope = f"workspace_id = {ws} AND {which} AND {time_at_least(d, lo)} AND {time_below(d, hi)}"
    if not split or q.breakdown is None:
        sql = f"""SELECT {pn} AS pn, {measures}
FROM {table}
WHERE {scope}
GROUP BY pn
ORDER BY pn"""
        return BuiltQuery(sql=sql, params=p.values)
    bd = breakdown_sql(d, q.breakdown, p, table=table, workspace=ws, account_values=account_values)
    value = f"coalesce({bd.value}, '')" if d is Dialect.DUCKDB else f"ifNull({bd.value}, '')"
    top = p.add(q.breakdown.top, "UInt32")
    sql = f"""WITH {bd.ctes}tagged AS (
    SELECT {pn} AS pn, {value} AS bv, distinct_id, account_id
    FROM {table}{bd.join}
    WHERE {scope}
), ranked AS (
    SELECT bv FROM tagged GROUP BY bv ORDER BY count(*) DESC, bv LIMIT {top}
)
SELECT CASE WHEN bv IN (SELECT bv FROM ranked) THEN bv ELSE '{OTHER}' END AS value, pn, {measures}
FROM tagged
GROUP BY value, pn
ORDER BY value, pn"""
    return BuiltQuery(sql=sql, params=p.values)
