"""SQL for paths: per entity, the anchored slice of its event sequence; counted per path.

The statement answers ``(path, entities)`` rows, the path as a list of event names starting
at the anchor (for "before" paths, read backwards from the end event). Ranking each level and
folding the rest into ``$other`` is done on these rows by the runner, identically for both
engines. Sequences are ordered by time, then event name, so ties are broken the same way.

On DuckDB, an ordered ``list(event ORDER BY …)`` of every entity's events was most of the
time; instead each event becomes one integer, its milliseconds from the range's start times
the number of event names plus the name's rank (so integer order is time-then-name order),
the integers are listed unordered and sorted with ``list_sort``, and only the slice after
(or before) the anchor is turned back into name ranks, collapsed and cut; names come back
once per distinct path. A range is at most 3,660 days (3.2·10¹¹ ms), so the integers fit in
64 bits while the range holds fewer than 28 million distinct event names.
"""

from __future__ import annotations

from tobloop.analytics.insights.dialect import (
    BuiltQuery,
    Dialect,
    Params,
    checked_table,
    entity_column,
    time_at_least,
    time_below,
    ts_ms,
)
from tobloop.analytics.insights.models import PathsQuery
from tobloop.analytics.insights.periods import range_ms
from tobloop.analytics.insights.retention_builder import ANY_EVENT_TYPES


def build_paths(
    q: PathsQuery, *, dialect: Dialect, workspace_id: int, table: str = "events"
) -> BuiltQuery:
    d, p = dialect, Params(dialect)
    table = checked_table(table)
    start_ms, end_ms = range_ms(q)
    ws = p.add(workspace_id, "UInt64")
    lo, hi = p.add(start_ms, "Int64"), p.add(end_ms, "Int64")
    anchor = p.add(q.start if q.start is not None else q.end, "String")
    entity, has_entity = entity_column(q.by)
    where = (
        f"workspace_id = {ws} AND {has_entity} AND {ANY_EVENT_TYPES} AND event != '' "
        f"AND {time_at_least(d, lo)} AND {time_below(d, hi)}"
    )
    if d is Dialect.DUCKDB:
        return _duckdb_paths(q, p, table=table, entity=entity, where=where, lo=lo, anchor=anchor)
    depth = p.add(q.depth, "Int64")
    seq = f"arrayMap(x -> x.2, arraySort(groupArray(({ts_ms(d)}, toString(event)))))"
    collapse = "arrayFilter((x, i) -> i = 1 OR x != l[i - 1], l, arrayEnumerate(l))"
    ordered = "l" if q.start is not None else "arrayReverse(l)"
    pos = f"indexOf(s, {anchor})"
    path = f"arraySlice(s, pos, {depth})"
    sql = f"""WITH sequences AS (
    SELECT {seq} AS l FROM {table} WHERE {where} GROUP BY {entity}
), anchored AS (
    SELECT s, {pos} AS pos FROM (
        SELECT {ordered} AS s FROM (SELECT {collapse if q.collapse_repeats else "l"} AS l
                                    FROM sequences) AS c) AS o
)
SELECT {path} AS path, count(*) AS n FROM anchored WHERE pos > 0 GROUP BY path"""
    return BuiltQuery(sql=sql, params=p.values)


def _duckdb_paths(
    q: PathsQuery, p: Params, *, table: str, entity: str, where: str, lo: str, anchor: str
) -> BuiltQuery:
    depth = q.depth
    after = q.start is not None
    # epoch_us // 1000 is epoch_ms (times are after 1970) at a quarter of its cost per row
    packed = f"(epoch_us(timestamp) // 1000 - {lo}::BIGINT) * w + code"
    # the anchor: the first start event, or the last end event (read backwards from it)
    first = "min" if after else "max"
    ordered = "list_sort(l)" if after else "list_reverse_sort(l)"
    head_len = 8 * depth  # repeats are collapsed in this head; the whole tail only if short
    rank = "lambda x: x % w"
    if q.collapse_repeats:
        path = f"""CASE WHEN len(h) >= {depth} OR len(s) - pos < {head_len} THEN h
        ELSE list_filter(list_transform(list_slice(s, pos, len(s)), {rank}),
                         lambda x, i: i = 1 OR x != s[pos + i - 2] % w) END"""
        head = "list_filter(h, lambda x, i: i = 1 OR x != h[i - 1])"
    else:
        path, head = "h", "h"
    sql = f"""WITH codes AS MATERIALIZED (
    SELECT event, (row_number() OVER (ORDER BY event) - 1)::BIGINT AS code
    FROM (SELECT DISTINCT event FROM {table} WHERE {where}) AS named
), dictionary AS (
    SELECT count(*)::BIGINT AS w, list(event ORDER BY code) AS names,
           coalesce(max(code) FILTER (WHERE event = {anchor}), -1) AS anchor_code
    FROM codes
), sequences AS (
    SELECT list({packed}) AS l, {first}({packed}) FILTER (WHERE code = anchor_code) AS anchor_at
    FROM {table} JOIN codes USING (event) CROSS JOIN dictionary
    WHERE {where}
    GROUP BY {entity}
), anchored AS (
    SELECT s, list_position(s, anchor_at) AS pos
    FROM (SELECT {ordered} AS s, anchor_at FROM sequences WHERE anchor_at IS NOT NULL) AS o
), heads AS (
    SELECT {head} AS h, s, pos FROM (
        SELECT list_transform(list_slice(s, pos, pos + {head_len - 1}), {rank}) AS h, s, pos
        FROM anchored CROSS JOIN dictionary) AS cut
), paths AS (
    SELECT list_slice({path}, 1, {depth}) AS path, count(*) AS n
    FROM heads CROSS JOIN dictionary
    GROUP BY path
)
SELECT list_transform(path, lambda c: names[c + 1]) AS path, n FROM paths CROSS JOIN dictionary"""
    return BuiltQuery(sql=sql, params=p.values)
