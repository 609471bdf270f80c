"""SQL for active entities: DAU, WAU and MAU of every day (docs/metrics.md "Active users").

An entity is active on a local day when it has a matching event that day. WAU of day d counts
the entities active on at least one day of d−6…d, MAU of d−29…d. Per entity, each active day a
with next active day a' covers the days a … min(a + W, a') − 1 of a W-day window; these spans
are disjoint, so the statement answers per day and window the sum of +1 at each span's start
and −1 at its end, and a running sum gives the counts (no per-event work outside the engine).
"""

from __future__ import annotations

from datetime import timedelta

from tobloop.analytics.insights.dialect import (
    BLOCK,
    BuiltQuery,
    Dialect,
    Params,
    bit_is_set,
    block_of,
    checked_table,
    entity_column,
    matcher_condition,
    period_bits,
    time_at_least,
    time_below,
)
from tobloop.analytics.insights.models import ActiveQuery, Period
from tobloop.analytics.insights.periods import local_midnight_ms, range_ms
from tobloop.analytics.insights.retention_builder import (
    ANY_EVENT_TYPES,
    period_number,
    period_sql,
)

WINDOWS = (1, 7, 30)  # DAU, WAU, MAU


def build_active(
    q: ActiveQuery, *, dialect: Dialect, workspace_id: int, table: str = "events"
) -> BuiltQuery:
    """Rows ``(day number, window, change)``: the running sum per window is the count."""
    d, p = dialect, Params(dialect)
    table = checked_table(table)
    _, end_ms = range_ms(q)
    start_ms = local_midnight_ms(q.date_from - timedelta(days=max(WINDOWS) - 1), q.timezone)
    ws = p.add(workspace_id, "UInt64")
    lo, hi = p.add(start_ms, "Int64"), p.add(end_ms, "Int64")
    # DuckDB buckets the rows (all inside the span) by the zone's fixed offsets only
    tz = p.add(q.timezone, "String") if d is Dialect.CLICKHOUSE else "NULL"
    entity, has_entity = entity_column(q.by)
    which = ANY_EVENT_TYPES if q.event is None else matcher_condition(d, q.event, p)
    if q.account is not None:
        which += f" AND account_id = {p.add(q.account, 'String')}"
    day = period_sql(
        d,
        "timestamp",
        Period.DAY,
        tz,
        zone=q.timezone,
        span_ms=(start_ms, end_ms),
        within_span=True,
    )
    if d is Dialect.DUCKDB:
        following = "lead(dn) OVER (PARTITION BY entity ORDER BY dn)"
    else:
        following = (
            "leadInFrame(toNullable(dn)) OVER (PARTITION BY entity ORDER BY dn "
            "ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)"
        )
    changes = "\n    UNION ALL\n    ".join(
        part
        for w in WINDOWS
        for part in (
            f"SELECT dn AS day, {w} AS w, 1 AS delta FROM spans",
            f"SELECT least(dn + {w}, coalesce(nxt, dn + {w})) AS day, {w} AS w, -1 AS delta "
            "FROM spans",
        )
    )
    scope = (
        f"workspace_id = {ws} AND {has_entity} AND {which} "
        f"AND {time_at_least(d, lo)} AND {time_below(d, hi)}"
    )
    if d is Dialect.DUCKDB:
        # each entity's active days as bits of BLOCK-day blocks from the first day (a hash table
        # of entities and blocks instead of every (entity, day) pair), then one row per bit
        base = p.add(
            period_number(q.date_from - timedelta(days=max(WINDOWS) - 1), Period.DAY), "Int64"
        )
        distinct_days = f"""SELECT entity, blk * {BLOCK} + b + {base} AS dn FROM (
        SELECT entity, {block_of("off")} AS blk, {period_bits("off")} AS m
        FROM (SELECT {entity} AS entity, {day} - {base} AS off FROM {table}
              WHERE {scope}) AS o
        GROUP BY entity, blk) AS marks CROSS JOIN range({BLOCK}) AS r(b)
    WHERE {bit_is_set("m", "b")}"""
    else:
        distinct_days = (
            f"SELECT DISTINCT {entity} AS entity, {day} AS dn FROM {table} WHERE {scope}"
        )
    sql = f"""WITH days AS (
    {distinct_days}
), spans AS (
    SELECT dn, {following} AS nxt FROM days
)
SELECT day, w, sum(delta) AS change FROM (
    {changes}
) AS steps
GROUP BY day, w
ORDER BY day, w"""
    return BuiltQuery(sql=sql, params=p.values)
