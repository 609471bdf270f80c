"""SQL for paths: per entity, the anchored slice of its event sequence; counted per path.

The statement answers ``(path, entities)`` rows, the path as a list of event names starting
at the anchor (for "before" paths, read backwards from the end event). Ranking each level and
folding the rest into ``$other`` is done on these rows by the runner, identically for both
engines. Sequences are ordered by time, then event name, so ties are broken the same way.
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
    depth = p.add(q.depth, "Int64")
    entity, has_entity = entity_column(q.by)
    where = (
        f"workspace_id = {ws} AND {has_entity} AND {ANY_EVENT_TYPES} AND event != '' "
        f"AND {time_at_least(d, lo)} AND {time_below(d, hi)}"
    )
    if d is Dialect.DUCKDB:
        seq = f"list(event ORDER BY {ts_ms(d)}, event)"
        collapse = "list_filter(l, lambda x, i: i = 1 OR x != l[i - 1])"
        ordered = "l" if q.start is not None else "list_reverse(l)"
        pos = f"coalesce(list_position(s, {anchor}), 0)"
        path = f"list_slice(s, pos, pos + {depth} - 1)"
    else:
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
