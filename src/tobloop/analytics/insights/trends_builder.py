"""SQL for trends: per period, events, distinct users and distinct accounts.

Periods are numbered as in retention (``retention_builder.period_number``), from the local
date in the workspace time zone. Empty user or account ids are not counted as one.

ClickHouse counts with ``uniqExact``. DuckDB marks each entity's periods as bits (see
``_duckdb_trends``): at 20 million events its exact ``count(DISTINCT …)`` per period built a
hash table of every (period, user) pair and took 2.4× the CPU time.
"""

from __future__ import annotations

from tobloop.analytics.insights.breakdown import breakdown_sql
from tobloop.analytics.insights.dialect import (
    BLOCK,
    BuiltQuery,
    Dialect,
    Params,
    bit_is_set,
    block_of,
    checked_table,
    matcher_condition,
    period_bits,
    time_at_least,
    time_below,
)
from tobloop.analytics.insights.models import OTHER, TrendsQuery
from tobloop.analytics.insights.periods import period_start, range_ms
from tobloop.analytics.insights.retention_builder import (
    ANY_EVENT_TYPES,
    period_number,
    period_sql,
)


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
    # DuckDB buckets rows of the range by the zone's fixed offsets only (no timezone() call)
    tz = p.add(q.timezone, "String") if d is Dialect.CLICKHOUSE else "NULL"
    which = ANY_EVENT_TYPES if q.event is None else matcher_condition(d, q.event, p)
    if q.account is not None:
        which += f" AND account_id = {p.add(q.account, 'String')}"
    span = (start_ms, end_ms)
    pn = period_sql(d, "timestamp", q.interval, tz, zone=q.timezone, span_ms=span, within_span=True)
    scope = f"workspace_id = {ws} AND {which} AND {time_at_least(d, lo)} AND {time_below(d, hi)}"
    if d is Dialect.DUCKDB:
        first = period_number(period_start(q.date_from, q.interval), q.interval)
        return _duckdb_trends(
            q,
            p,
            table=table,
            scope=scope,
            pn=pn,
            first=first,
            split=split,
            account_values=account_values,
            workspace=ws,
        )
    measures = "count(), uniqExact(nullIf(distinct_id, '')), uniqExact(nullIf(account_id, ''))"
    if not split or q.breakdown is None:
        sql = f"""SELECT {pn} AS pn, {measures}
FROM {table}
WHERE {scope}
GROUP BY pn
ORDER BY pn"""
        return BuiltQuery(sql=sql, params=p.values)
    bd = breakdown_sql(d, q.breakdown, p, table=table, workspace=ws, account_values=account_values)
    value = f"ifNull({bd.value}, '')"
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


# Distinct users and accounts per period without a hash table of every (period, entity) pair:
# each entity's periods are marked as bits of BLOCK-period blocks (offsets from the range's
# first period), one row per (entity, block); a period's distinct count is the number of rows
# with its bit set. Exact, and the table holds ~1/20 of the pairs at daily buckets.


def _duckdb_trends(
    q: TrendsQuery,
    p: Params,
    *,
    table: str,
    scope: str,
    pn: str,
    first: int,
    split: bool,
    account_values: dict[str, str] | None,
    workspace: str,
) -> BuiltQuery:
    base = p.add(first, "Int64")
    grouped = split and q.breakdown is not None
    if grouped:
        assert q.breakdown is not None
        bd = breakdown_sql(
            Dialect.DUCKDB,
            q.breakdown,
            p,
            table=table,
            workspace=workspace,
            account_values=account_values,
        )
        ctes, join, bv = bd.ctes, bd.join, f"coalesce({bd.value}, '')"
        top = p.add(q.breakdown.top, "UInt32")
    else:
        ctes, join, bv = "", "", "''"
    values = (
        f"""ranked AS (
    SELECT bv FROM marks WHERE level = 0 GROUP BY bv ORDER BY sum(n) DESC, bv LIMIT {top}
), folded AS (
    SELECT level, CASE WHEN bv IN (SELECT bv FROM ranked) THEN bv ELSE '{OTHER}' END AS bv,
           off, blk, distinct_id, account_id, n, m
    FROM marks
)"""
        if grouped
        else "folded AS (SELECT * FROM marks)"
    )
    bit = bit_is_set("m", "b")
    value = "e.bv AS value, " if grouped else ""
    order = "value, pn" if grouped else "pn"
    sql = f"""WITH {ctes}scoped AS (
    SELECT {bv} AS bv, {pn} - {base} AS off, distinct_id, account_id
    FROM {table}{join}
    WHERE {scope}
), marks AS MATERIALIZED (
    SELECT GROUPING(off) AS level, bv, off, blk, distinct_id, account_id, count(*) AS n,
           {period_bits("off")} AS m
    FROM (SELECT bv, off, {block_of("off")} AS blk, distinct_id, account_id FROM scoped) AS s
    GROUP BY GROUPING SETS ((bv, off), (bv, distinct_id, account_id, blk))
), {values}, events AS (
    SELECT bv, off, sum(n) AS n FROM folded WHERE level = 0 GROUP BY bv, off
), users AS (
    SELECT bv, blk, bit_or(m) AS m FROM folded WHERE level = 1 AND distinct_id != ''
    GROUP BY bv, distinct_id, blk
), accounts AS (
    SELECT bv, blk, bit_or(m) AS m FROM folded
    WHERE level = 1 AND account_id IS NOT NULL AND account_id != ''
    GROUP BY bv, account_id, blk
), user_counts AS (
    SELECT bv, blk * {BLOCK} + b AS off, count(*) AS n FROM users, range({BLOCK}) AS r(b)
    WHERE {bit} GROUP BY ALL
), account_counts AS (
    SELECT bv, blk * {BLOCK} + b AS off, count(*) AS n FROM accounts, range({BLOCK}) AS r(b)
    WHERE {bit} GROUP BY ALL
)
SELECT {value}e.off + {base} AS pn, e.n, coalesce(u.n, 0), coalesce(a.n, 0)
FROM events AS e
LEFT JOIN user_counts AS u ON u.bv = e.bv AND u.off = e.off
LEFT JOIN account_counts AS a ON a.bv = e.bv AND a.off = e.off
ORDER BY {order}"""
    return BuiltQuery(sql=sql, params=p.values)
