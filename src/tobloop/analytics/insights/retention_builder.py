"""SQL for retention, in the DuckDB or the ClickHouse dialect.

An entity joins the cohort of the period holding its first start event ever, when that event
falls inside ``from``…``to``; it is retained k periods later when it does the return event in
period p+k (bounded) or in any period from p+k on (unbounded, "on or after"). Periods are
numbered the same way on both engines, from the local date in the workspace time zone:
days since 1970-01-01, weeks ``(days + 3) div 7`` (Monday-based: 1970-01-05 was a Monday), and
months ``year * 12 + month - 1``.

The statement answers rows ``(cohort period, k, entities)``: k = 0 is the cohort's size; for
bounded retention k ≥ 1 counts the entities back in period p+k; for unbounded retention k is
the furthest period (capped at N) an entity came back in, and the runner sums the tail.
"""

from __future__ import annotations

from datetime import date

from tobloop.analytics.insights.breakdown import breakdown_sql
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
from tobloop.analytics.insights.models import Period, RetentionQuery
from tobloop.analytics.insights.periods import (
    DAY_MS,
    OFFSET_MARGIN_MS,
    add_periods,
    local_midnight_ms,
    offset_segments,
    period_start,
    range_ms,
)

EPOCH = date(1970, 1, 1)
ANY_EVENT_TYPES = "type IN ('track', 'page', 'screen')"  # "any event": not identify/group/alias


def period_number(day: date, period: Period) -> int:
    """The number a period gets in SQL (see the module docstring)."""
    days = (day - EPOCH).days
    if period is Period.DAY:
        return days
    if period is Period.WEEK:
        return (days + 3) // 7
    return day.year * 12 + day.month - 1


# Shifting epoch milliseconds by a whole number of days keeps them positive, so integer
# division is floor division on every engine.
_SHIFT_DAYS = 1_000_000


def period_sql(
    d: Dialect,
    column: str,
    period: Period,
    tz: str,
    *,
    zone: str | None = None,
    span_ms: tuple[int, int] | None = None,
    within_span: bool = False,
) -> str:
    """The period number of ``column`` in the time zone ``tz`` (a bound parameter).

    On DuckDB, with the zone's name and the span of the query (epoch ms), rows inside the span
    (widened by ``OFFSET_MARGIN_MS``) are bucketed with the zone's UTC offsets of that span as
    integer constants — several times faster than converting every timestamp through ICU —
    and rows outside it with ``timezone()``. Both give the same local date. ``within_span``
    says every row's ``column`` lies inside the span (the statement filters on it), so the
    check and the fallback are left out.
    """
    if d is Dialect.DUCKDB:
        local = f"CAST(timezone({tz}, {column} AT TIME ZONE 'UTC') AS DATE)"
        days = f"date_diff('day', DATE '1970-01-01', {local})"
        if zone is not None and span_ms is not None:
            days = _fixed_offset_days(column, zone, span_ms, fallback=None if within_span else days)
            local = f"(DATE '1970-01-01' + CAST({days} AS INTEGER))"
        if period is Period.DAY:
            return f"CAST({days} AS BIGINT)"
        if period is Period.WEEK:
            return f"CAST(({days} + 3) // 7 AS BIGINT)"
        return f"CAST(year({local}) * 12 + month({local}) - 1 AS BIGINT)"
    local = f"toDate({column}, {tz})"
    days = f"toInt64(dateDiff('day', toDate('1970-01-01'), {local}))"
    if period is Period.DAY:
        return days
    if period is Period.WEEK:
        return f"intDiv({days} + 3, 7)"
    return f"toInt64(toYear({local}) * 12 + toMonth({local}) - 1)"


def _fixed_offset_days(
    column: str, zone: str, span_ms: tuple[int, int], *, fallback: str | None
) -> str:
    """Local days since 1970-01-01 from epoch microseconds plus the zone's offset (integers).

    Microseconds, because DuckDB's ``epoch_us`` reads the stored value as it is while
    ``epoch_ms`` costs about four times as much per row; the day is the same (offsets and the
    shift are whole milliseconds).
    """
    lo, hi = span_ms[0] - OFFSET_MARGIN_MS, span_ms[1] + OFFSET_MARGIN_MS
    us = f"epoch_us({column})"
    segments = offset_segments(zone, lo, hi)
    offset = str(segments[0][1] * 1000)
    if len(segments) > 1:
        offset = (
            "CASE "
            + " ".join(
                f"WHEN {us} < {start * 1000} THEN {off * 1000}"
                for (start, _), (_, off) in zip(segments[1:], segments, strict=False)
            )
            + f" ELSE {segments[-1][1] * 1000} END"
        )
    shift, day_us = _SHIFT_DAYS * DAY_MS * 1000, DAY_MS * 1000
    fast = f"(({us} + {offset} + {shift}) // {day_us} - {_SHIFT_DAYS})"
    if fallback is None:
        return fast
    return f"(CASE WHEN {us} >= {lo * 1000} AND {us} < {hi * 1000} THEN {fast} ELSE {fallback} END)"


def build_retention(
    q: RetentionQuery,
    *,
    dialect: Dialect,
    workspace_id: int,
    table: str = "events",
    account_values: dict[str, str] | None = None,
) -> BuiltQuery:
    """Rows ``(cohort period, k, entities)``; with a breakdown ``(value, period, k, entities)``,
    the value being the one on the entity's first start event (ties: the smallest text)."""
    d, p = dialect, Params(dialect)
    table = checked_table(table)
    start_ms, end_ms = range_ms(q)
    ws = p.add(workspace_id, "UInt64")
    lo, hi = p.add(start_ms, "Int64"), p.add(end_ms, "Int64")
    # bounded retention on DuckDB buckets every row by the zone's fixed offsets (no timezone())
    fixed = d is Dialect.DUCKDB and q.bounded
    tz = "NULL" if fixed else p.add(q.timezone, "String")
    n = p.add(q.periods, "Int64")
    entity, has_entity = entity_column(q.by)
    start = matcher_condition(d, q.start, p)
    back = ANY_EVENT_TYPES if q.return_event is None else matcher_condition(d, q.return_event, p)
    scope = f"workspace_id = {ws} AND {has_entity}"
    span = (start_ms, end_ms)
    first_period = period_sql(
        d, "first_at", q.period, tz, zone=q.timezone, span_ms=span, within_span=True
    )
    bd = breakdown_sql(d, q.breakdown, p, table=table, workspace=ws, account_values=account_values)
    v, cv = ("bv, ", "c.bv, ") if q.breakdown is not None else ("", "")
    if not fixed:  # every return from the range's start on, bucketed in the zone (tz bound)
        return_period = period_sql(d, "timestamp", q.period, tz, zone=q.timezone, span_ms=span)
        returns = f"""SELECT {entity} AS entity, {return_period} AS pn FROM {table}
    WHERE {scope} AND {back} AND {time_at_least(d, lo)}
      AND {entity} IN (SELECT entity FROM cohort)"""
    if not q.bounded:
        # unbounded: only each entity's furthest return period matters
        back_cte = f"SELECT entity, max(pn) AS pn FROM ({returns}) AS r GROUP BY entity"
        tail = f"""SELECT {v}pn, k, count(*) AS n FROM (
    SELECT {cv}c.pn AS pn, least(r.pn - c.pn, {n}) AS k
    FROM cohort AS c JOIN back AS r ON r.entity = c.entity) AS furthest
WHERE k >= 1
GROUP BY {v}pn, k"""
    elif fixed:
        # each entity's return periods as bits of BLOCK-period blocks counted from the range's
        # first period (returns are on or after it): one row per entity and block instead of
        # one per entity and period, and a cohort's period p+k is one bit test. Returns after
        # the last cohort's period N are not read.
        base = p.add(period_number(period_start(q.date_from, q.period), q.period), "Int64")
        last = add_periods(period_start(q.date_to, q.period), q.period, q.periods + 1)
        horizon_ms = local_midnight_ms(last, q.timezone)
        horizon = p.add(horizon_ms, "Int64")
        within = period_sql(
            d,
            "timestamp",
            q.period,
            tz,
            zone=q.timezone,
            span_ms=(start_ms, horizon_ms),
            within_span=True,
        )
        returns = f"""SELECT {entity} AS entity, {within} AS pn FROM {table}
    WHERE {scope} AND {back} AND {time_at_least(d, lo)} AND {time_below(d, horizon)}
      AND {entity} IN (SELECT entity FROM cohort)"""
        back_cte = f"""SELECT entity, {block_of("off")} AS blk,
           {period_bits("off")} AS m
    FROM (SELECT entity, pn - {base} AS off FROM ({returns}) AS r) AS o
    GROUP BY entity, blk"""
        at = f"(c.pn + ks.k - {base})"
        tail = f"""SELECT {cv}c.pn, ks.k AS k, count(*) AS n
FROM cohort AS c CROSS JOIN range(1, {n} + 1) AS ks(k)
JOIN back AS r ON r.entity = c.entity AND r.blk = {block_of(at)}
WHERE {bit_is_set("r.m", f"({at} % {BLOCK})")}
GROUP BY {cv}c.pn, ks.k"""
    else:
        back_cte = f"SELECT DISTINCT entity, pn FROM ({returns}) AS r"
        tail = f"""SELECT {cv}c.pn, r.pn - c.pn AS k, count(DISTINCT c.entity) AS n
FROM cohort AS c JOIN back AS r ON r.entity = c.entity
WHERE r.pn - c.pn BETWEEN 1 AND {n}
GROUP BY {cv}c.pn, r.pn - c.pn"""
    if q.breakdown is None:
        firsts = f"""SELECT {entity} AS entity, min(timestamp) AS first_at FROM {table}
    WHERE {scope} AND {start} AND {time_below(d, hi)}
    GROUP BY {entity}"""
    else:
        if d is Dialect.DUCKDB:
            first = f"min({{'t': timestamp, 'v': coalesce({bd.value}, '')}})"
            parts = "first.t AS first_at, first.v AS bv"
        else:
            first = f"min((timestamp, ifNull({bd.value}, '')))"
            parts = "tupleElement(first, 1) AS first_at, tupleElement(first, 2) AS bv"
        firsts = f"""SELECT entity, {parts} FROM (
        SELECT {entity} AS entity, {first} AS first FROM {table}{bd.join}
        WHERE {scope} AND {start} AND {time_below(d, hi)}
        GROUP BY {entity}) AS starts"""
    sql = f"""WITH {bd.ctes}firsts AS (
    {firsts}
), cohort AS (
    SELECT entity, {v}{first_period} AS pn FROM firsts
    WHERE {time_at_least(d, lo, "first_at")}
), back AS (
    {back_cte}
)
SELECT {v}pn, 0 AS k, count(*) AS n FROM cohort GROUP BY {v}pn
UNION ALL
{tail}"""
    return BuiltQuery(sql=sql, params=p.values)
