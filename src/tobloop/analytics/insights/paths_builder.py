"""SQL for paths: per entity, the anchored slice of its event sequence; counted per path.

The statement answers ``(path, entities)`` rows, the path as a list of event names starting
at the anchor (for "before" paths, read backwards from the end event). Ranking each level and
folding the rest into ``$other`` is done on these rows by the runner, identically for both
engines. Sequences are ordered by time, then event name, so ties are broken the same way.

On DuckDB, an ordered ``list(event ORDER BY …)`` of every entity's events was most of the
time; instead each event becomes one integer, its milliseconds from the range's start times
the number of event names plus the name's rank (so integer order is time-then-name order).
One pass per entity keeps its first (for "before": last) 8 × depth integers with the top-n
``min(x, n)`` / ``max(x, n)``, the anchor's integer, and the unordered list of all of them.
When the anchor lies in that head and the head from it holds the path (after collapsing),
the path is read there; otherwise from the entity's whole tail past the anchor, filtered
from the list and sorted. Only those slices are turned back into name ranks; names come back
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


def _collapsed(items: str) -> str:
    """``items`` without the elements equal to their predecessor (name ranks are ≥ 0)."""
    return (
        f"list_transform(list_filter(list_zip({items}, list_prepend(-1, {items})), "
        "lambda pair: pair[1] != pair[2]), lambda pair: pair[1])"
    )


def _duckdb_paths(
    q: PathsQuery, p: Params, *, table: str, entity: str, where: str, lo: str, anchor: str
) -> BuiltQuery:
    depth = q.depth
    after = q.start is not None
    # epoch_us // 1000 is epoch_ms (times are after 1970) at a quarter of its cost per row
    packed = f"(epoch_us(timestamp) // 1000 - {lo}::BIGINT) * w + code"
    # the anchor: the first start event, or the last end event (read backwards from it);
    # min(x, n) / max(x, n) answer the n smallest / largest in that order
    first = "min" if after else "max"
    # entities whose anchor is not in their first (last) events, or whose head is too short
    # once repeats are collapsed, take their whole tail from the anchor on
    tail = (
        "list_sort(list_filter(l, lambda x: x >= anchor_at))"
        if after
        else "list_reverse_sort(list_filter(l, lambda x: x <= anchor_at))"
    )
    head_len = 8 * depth
    rank = "lambda x: x % w"
    if q.collapse_repeats:
        head, whole = _collapsed("h"), _collapsed("t")
    else:
        head, whole = "h", "t"
    sql = f"""WITH codes AS MATERIALIZED (
    SELECT event, (row_number() OVER (ORDER BY event) - 1)::BIGINT AS code
    FROM (SELECT DISTINCT event FROM {table} WHERE {where}) AS named
), dictionary AS (
    SELECT count(*)::BIGINT AS w, list(event ORDER BY code) AS names,
           coalesce(max(code) FILTER (WHERE event = {anchor}), -1) AS anchor_code
    FROM codes
), sequences AS (
    SELECT {first}({packed}, {head_len}) AS head, count(*) AS total, list({packed}) AS l,
           {first}({packed}) FILTER (WHERE code = anchor_code) AS anchor_at
    FROM {table} JOIN codes USING (event) CROSS JOIN dictionary
    WHERE {where}
    GROUP BY {entity}
), anchored AS (
    SELECT head, total, l, anchor_at, coalesce(list_position(head, anchor_at), 0) AS hpos
    FROM sequences WHERE anchor_at IS NOT NULL
), heads AS (
    SELECT {head} AS h, hpos, total, l, anchor_at FROM (
        SELECT list_transform(list_slice(head, greatest(hpos, 1), {head_len}), {rank}) AS h,
               hpos, total, l, anchor_at
        FROM anchored CROSS JOIN dictionary) AS cut
), tails AS (
    SELECT h, hpos > 0 AND (len(h) >= {depth} OR total <= {head_len}) AS enough,
           CASE WHEN enough THEN NULL ELSE list_transform({tail}, {rank}) END AS t
    FROM heads CROSS JOIN dictionary
), paths AS (
    SELECT list_slice(CASE WHEN enough THEN h ELSE {whole} END, 1, {depth}) AS path,
           count(*) AS n
    FROM tails
    GROUP BY path
)
SELECT list_transform(path, lambda c: names[c + 1]) AS path, n FROM paths CROSS JOIN dictionary"""
    return BuiltQuery(sql=sql, params=p.values)
