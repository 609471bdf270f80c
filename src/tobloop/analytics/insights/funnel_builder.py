"""SQL for a funnel, in the DuckDB or the ClickHouse dialect.

Shape (one pass, no self-joins; the events table is sorted by workspace, user and time):

1. ``matched``: the events of the workspace whose name is one of the steps, from ``from`` to
   ``to`` + window, with one 0/1 column per step (name and property filters).
2. ``moments``: per entity and millisecond, how many events match each step. Events with the
   same time may be used in any order (DESIGN.md: t(e1) ≤ t(e2) ≤ …), so ties are one moment.
3. per entity, the moments in time order are folded (``list_reduce`` / ``arrayFold``) into
   ``f``: ``f[k]`` is the latest start time of a chain that reached step k so far, or NONE_MS.
   A later start always leaves more of the window, so it dominates; that is the whole state.
   At a moment t, a chain at step j (``f[j] >= t - window``, or a new chain from step 1 when t
   is in the range) advances through steps j+1…k when the moment has enough distinct events
   for them: ``c[s] >= occ(j, s)``, the number of steps among j+1…s named like step s.
4. the entities that reached each step are counted.

Breakdowns and conversion over time carry, per entity, its *anchor* (the first step-1 event in
the range, with its breakdown value) through steps 2–3 and group the final count by it; time to
convert doubles the fold state: ``f[k + i]`` is the moment the chain of ``f[i]`` reached step i.
Neither changes the statement of a plain funnel.

The count test of step 3 is exact whenever steps that share an event name also share their
filters (or the tied events are not needed by two such steps at once); DESIGN.md's oracle
tests cover both engines against a search over every choice of events.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from tobloop.analytics.insights.breakdown import breakdown_sql
from tobloop.analytics.insights.dialect import (
    NONE_MS,
    BuiltQuery,
    Dialect,
    Params,
    checked_table,
    entity_column,
    matcher_condition,
    time_at_least,
    time_below,
    ts_ms,
)
from tobloop.analytics.insights.models import BreakdownKind, FunnelQuery
from tobloop.analytics.insights.periods import range_ms
from tobloop.analytics.insights.retention_builder import period_sql


def same_name_counts(names: list[str]) -> list[list[int]]:
    """``occ[j][s]`` (0-based steps, j < s+1): steps among j…s named like step s."""
    k = len(names)
    return [
        [sum(1 for i in range(j, s + 1) if names[i] == names[s]) for s in range(k)]
        for j in range(k)
    ]


class _Syntax:
    """Lambda, element and struct spelling of each dialect."""

    def __init__(self, d: Dialect) -> None:
        self.duck = d is Dialect.DUCKDB

    def t(self) -> str:
        return "x.t" if self.duck else "x.1"

    def c(self, s: int) -> str:  # s is 0-based; both engines index lists from 1
        return f"x.c[{s + 1}]" if self.duck else f"x.2[{s + 1}]"

    def acc(self, j: int) -> str:
        return f"acc[{j + 1}]"


class _PackedSyntax(_Syntax):
    """Moments packed into one Int64: time since the scan start, then capped step counts.

    Sorting and folding plain integers is several times faster on both engines than lists of
    structs or tuples; the layout is used when it fits (see :func:`packing`).
    """

    def __init__(self, d: Dialect, layout: Packing, scan_start: str) -> None:
        super().__init__(d)
        self.layout = layout
        self.scan_start = scan_start

    def _div(self, divisor: int) -> str:
        return f"x // {divisor}" if self.duck else f"intDiv(x, {divisor})"

    def t(self) -> str:
        return f"({self._div(2**self.layout.bits)} + {self.scan_start})"

    def c(self, s: int) -> str:
        shifted = "x" if self.layout.offsets[s] == 0 else self._div(2 ** self.layout.offsets[s])
        return f"({shifted} % {2 ** self.layout.widths[s]})"


@dataclass(frozen=True)
class Packing:
    widths: list[int]  # bits per step: enough for the most same-named steps it may need
    offsets: list[int]
    bits: int


# Times since the scan start need 39 bits (ten years and 90 days of milliseconds), so the
# counts may use the remaining 24 of a signed 64-bit integer.
MAX_COUNT_BITS = 24


def packing(names: list[str]) -> Packing:
    widths = [names.count(n).bit_length() for n in names]
    offsets = [sum(widths[:i]) for i in range(len(widths))]
    return Packing(widths=widths, offsets=offsets, bits=sum(widths))


def _advance(
    k: int, q: FunnelQuery, syn: _Syntax, *, start_ok: str, window: str, occ: list[list[int]]
) -> str:
    """The new ``f[k]`` (0-based step k) after one moment ``x``."""
    t = syn.t()
    options = [syn.acc(k)]
    for j in range(k + 1):  # enter at step j (0 = a new chain whose first event is at t)
        counts = " AND ".join(f"{syn.c(s)} >= {occ[j][s]}" for s in range(j, k + 1))
        if j == 0:
            options.append(f"CASE WHEN {start_ok} AND {counts} THEN {t} ELSE {NONE_MS} END")
        else:
            prev = syn.acc(j - 1)
            options.append(
                f"CASE WHEN {prev} >= {t} - {window} AND {counts} THEN {prev} ELSE {NONE_MS} END"
            )
    return "greatest(" + ", ".join(options) + ")"


def build_funnel(
    q: FunnelQuery,
    *,
    dialect: Dialect,
    workspace_id: int,
    table: str = "events",
    packed: bool | None = None,
    dropped_at: int | None = None,
    limit: int = 1000,
    timing: bool = False,
    account_values: dict[str, str] | None = None,
) -> BuiltQuery:
    """One statement answering one row: the number of entities that reached each step.

    ``packed`` chooses the integer layout of moments (default: whenever it fits). With
    ``dropped_at`` (a step number from 2), it answers instead the entities that reached the
    step before and not that one, ordered by id, at most ``limit`` (the CSM's drill-down).

    With a ``breakdown`` or ``over_time`` in the query, the rows are grouped instead by the
    entity's *anchor*, its first step-1 event in the range (on a tie, the smallest breakdown
    text): ``(value, period number, count per step)``. With ``timing`` the row holds, per
    step from 2, the time-to-convert figures of :func:`timing_columns`.
    """
    d, p = dialect, Params(dialect)
    layout = packing([s.event for s in q.steps])
    if packed is None:
        packed = layout.bits <= MAX_COUNT_BITS
    elif packed and layout.bits > MAX_COUNT_BITS:
        raise ValueError("these steps do not fit the packed layout")
    table = checked_table(table)
    start_ms, end_ms = range_ms(q)
    ws = p.add(workspace_id, "UInt64")
    lo, hi = p.add(start_ms, "Int64"), p.add(end_ms, "Int64")
    syn = _PackedSyntax(d, layout, lo) if packed else _Syntax(d)
    window = p.add(q.window * 1000, "Int64")
    scan_end = p.add(end_ms + q.window * 1000, "Int64")
    entity, has_entity = entity_column(q.by)
    names = [s.event for s in q.steps]
    grouped = (
        dropped_at is None and not timing and (q.breakdown is not None or q.over_time is not None)
    )
    bd = breakdown_sql(
        d,
        q.breakdown if grouped else None,
        p,
        table=table,
        workspace=ws,
        account_values=account_values,
    )
    name_list = ", ".join(p.add(n, "String") for n in dict.fromkeys(names))
    marks = ",\n           ".join(
        f"CASE WHEN {matcher_condition(d, s, p)} THEN 1 ELSE 0 END AS m{i}"
        for i, s in enumerate(q.steps)
    )
    k = len(q.steps)
    any_mark = " + ".join(f"m{i}" for i in range(k))
    ts = ts_ms(d)
    cast = "::BIGINT" if syn.duck else ""
    counts = ", ".join(f"sum(m{i}){cast}" if syn.duck else f"toInt64(sum(m{i}))" for i in range(k))
    start_ok = f"{syn.t()} >= {lo} AND {syn.t()} < {hi}"
    if q.first_attempt:
        start_ok += f" AND {syn.t()} = first_ts"
    occ = same_name_counts(names)
    advances = [_advance(i, q, syn, start_ok=start_ok, window=window, occ=occ) for i in range(k)]
    if timing:  # f[k + i] is when the chain of f[i] first reached step i
        advances += [
            f"CASE WHEN {advances[i]} > {syn.acc(i)} THEN {syn.t()} ELSE {syn.acc(k + i)} END"
            for i in range(k)
        ]
    fold_body = ",\n        ".join(advances)
    none = ", ".join([str(NONE_MS)] * len(advances))
    value_column = f" {bd.value} AS bv," if grouped else ""
    matched = f"""SELECT {entity} AS entity, {ts} AS ts,{value_column}
           {marks}
    FROM {table}{bd.join}
    WHERE workspace_id = {ws} AND {has_entity} AND event IN ({name_list})
      AND {time_at_least(d, lo)} AND {time_below(d, scan_end)}"""
    if not grouped:
        anchor_value = ""
    elif syn.duck:
        anchor_value = "min(coalesce(bv, '')) FILTER (WHERE m0 = 1) AS mv, "
    else:
        anchor_value = "minIf(ifNull(bv, ''), m0 = 1) AS mv, "
    if packed:
        parts = [f"(ts - {lo}) * {2**layout.bits}"] + [
            f"{_capped(d, i, 2 ** layout.widths[i] - 1)} * {2 ** layout.offsets[i]}"
            for i in range(k)
        ]
        moments = (
            f"SELECT entity, ts, sum(m0) AS c0, {anchor_value}"
            f"{' + '.join(parts)} AS key FROM matched "
            f"WHERE {any_mark} > 0 GROUP BY entity, ts"
        )
        element = "key"
    else:
        moments = (
            f"SELECT entity, ts, {anchor_value}[{counts}] AS c "
            f"FROM matched WHERE {any_mark} > 0 GROUP BY entity, ts"
        )
        element = "{'t': ts, 'c': c}" if syn.duck else "(ts, c)"
    starts_here = f"{'c0' if packed else 'c[1]'} > 0 AND ts >= {lo} AND ts < {hi}"
    first_ts = f"min(CASE WHEN {starts_here} THEN ts END) AS first_ts"
    if grouped:
        if syn.duck:
            first_ts += f", min({{'t': ts, 'v': mv}}) FILTER (WHERE {starts_here}) AS anchor"
        else:
            first_ts += f", minIf((ts, mv), {starts_here}) AS anchor"
    if syn.duck:
        ordered = f"list_sort(list({element}))" if packed else f"list({element} ORDER BY ts)"
    else:
        ordered = f"arraySort(groupArray({element}))"
    if timing:
        inner, outer = timing_columns(d, k)
        final = (
            "SELECT "
            + ",\n       ".join(outer)
            + "\nFROM (\n    SELECT "
            + ",\n           ".join(inner)
            + "\n    FROM reached) AS timing"
        )
    elif dropped_at is None:
        count = "count(*) FILTER (WHERE f[{}] > {})" if syn.duck else "countIf(f[{}] > {})"
        final = "SELECT " + ", ".join(count.format(i + 1, NONE_MS) for i in range(k))
        final += "\nFROM reached"
        if grouped:
            value = "anchor.v" if syn.duck else "tupleElement(anchor, 2)"
            at = (
                "epoch_ms(anchor.t)"
                if syn.duck
                else "fromUnixTimestamp64Milli(tupleElement(anchor, 1))"
            )
            bucket = (
                "0"
                if q.over_time is None
                else period_sql(d, at, q.over_time, p.add(q.timezone, "String"))
            )
            final = (
                f"SELECT {value} AS value, {bucket} AS bucket, "
                + ", ".join(count.format(i + 1, NONE_MS) for i in range(k))
                + f"\nFROM reached WHERE f[1] > {NONE_MS}\nGROUP BY value, bucket"
            )
    else:
        if not 2 <= dropped_at <= k:
            raise ValueError(f"step {dropped_at} is not a later step of this funnel")
        final = (
            f"SELECT entity FROM reached WHERE f[{dropped_at - 1}] > {NONE_MS} "
            f"AND f[{dropped_at}] = {NONE_MS}\nORDER BY entity LIMIT {p.add(limit, 'UInt32')}"
        )
    carry = ", anchor" if grouped else ""
    if syn.duck:
        sql = f"""WITH {bd.ctes}matched AS (
    {matched}
), moments AS (
    {moments}
), entities AS (
    SELECT entity, {ordered} AS g, {first_ts}
    FROM moments GROUP BY entity
), reached AS (
    SELECT entity{carry}, list_reduce(g, lambda acc, x: [
        {fold_body}
    ], [{none}]::BIGINT[]) AS f
    FROM entities
)
{final}"""
    else:
        sql = f"""WITH {bd.ctes}matched AS (
    {matched}
), moments AS (
    {moments}
), entities AS (
    SELECT entity, {ordered} AS g, {first_ts}
    FROM moments GROUP BY entity
), reached AS (
    SELECT entity{carry}, arrayFold((acc, x) -> [
        {fold_body}
    ], g, CAST([{none}] AS Array(Int64))) AS f
    FROM entities
)
{final}"""
    return BuiltQuery(sql=sql, params=p.values)


def distinct_step_names(q: FunnelQuery) -> bool:
    """Whether no two steps share an event name: then an event can serve one step at most."""
    names = [s.event for s in q.steps]
    return len(set(names)) == len(names)


# Step numbers take the low 4 bits of a sequence element (at most 10 steps).
STEP_BITS = 4


def _column_fold_scan(
    q: FunnelQuery, workspace_id: int, table: str
) -> tuple[Dialect, Params, str, str, str, str]:
    """What the statements for the column fold share: DuckDB, the checked table, and the
    placeholders of the workspace, the range's start and the scan's end (one window after
    the range). Only for steps with distinct event names (an event serves one step)."""
    if not distinct_step_names(q):
        raise ValueError("the column fold needs steps with distinct event names")
    p = Params(Dialect.DUCKDB)
    start_ms, end_ms = range_ms(q)
    ws = p.add(workspace_id, "UInt64")
    lo = p.add(start_ms, "Int64")
    scan_end = p.add(end_ms + q.window * 1000, "Int64")
    return Dialect.DUCKDB, p, checked_table(table), ws, lo, scan_end


def build_funnel_sequences(
    q: FunnelQuery,
    *,
    workspace_id: int,
    table: str = "events",
    grouped: bool = False,
    account_values: dict[str, str] | None = None,
) -> BuiltQuery:
    """DuckDB: one row per entity with its matching events as one list of integers.

    Each element is ``(ms since the range start) * 16 + step`` (0-based step), so the list
    sorted as integers is in time order; :mod:`funnel_fold` sorts and folds all lists at
    once. Only for funnels whose steps have distinct event names
    (:func:`distinct_step_names`), where an event matches one step at most. With ``grouped``
    the row also holds the entity's anchor — its first step-1 event in the range, on a tie
    the smallest breakdown text — as its breakdown value and period number (0 without
    ``over_time``): ``entity, value, bucket, seq``; otherwise ``entity, seq``.
    """
    d, p, table, ws, lo, scan_end = _column_fold_scan(q, workspace_id, table)
    end_ms = range_ms(q)[1]
    entity, has_entity = entity_column(q.by)
    bd = breakdown_sql(
        d,
        q.breakdown if grouped else None,
        p,
        table=table,
        workspace=ws,
        account_values=account_values,
    )
    name_list = ", ".join(p.add(s.event, "String") for s in q.steps)
    step = (
        "CASE "
        + " ".join(f"WHEN {matcher_condition(d, s, p)} THEN {i}" for i, s in enumerate(q.steps))
        + " END"
    )
    value_column = f" {bd.value} AS bv," if grouped else ""
    anchor = ""
    if grouped:
        starts = f"step = 0 AND ts < {p.add(end_ms, 'Int64')}"
        first = f"min({{'t': ts, 'v': coalesce(bv, '')}}) FILTER (WHERE {starts})"
        at = f"epoch_ms({first}.t)"
        bucket = (
            "0"
            if q.over_time is None
            else period_sql(d, at, q.over_time, p.add(q.timezone, "String"))
        )
        anchor = f"{first}.v AS value, {bucket} AS bucket, "
    # epoch_us(...) // 1000 costs about a quarter of epoch_ms(...) per row on DuckDB.
    sql = f"""WITH {bd.ctes}matched AS (
    SELECT {entity} AS entity, epoch_us(timestamp) // 1000 AS ts,{value_column} {step} AS step
    FROM {table}{bd.join}
    WHERE workspace_id = {ws} AND {has_entity} AND event IN ({name_list})
      AND {time_at_least(d, lo)} AND {time_below(d, scan_end)}
)
SELECT entity, {anchor}list((ts - {lo}) * {2**STEP_BITS} + step) AS seq
FROM matched WHERE step IS NOT NULL
GROUP BY entity"""
    return BuiltQuery(sql=sql, params=p.values)


def key_shift(q: FunnelQuery) -> int:
    """Where the entity starts in a key of :func:`build_funnel_keys`: above the bits of every
    time of the scan (ms since the range start, to one window after its end) and the step."""
    start_ms, end_ms = range_ms(q)
    return (end_ms - start_ms + q.window * 1000).bit_length() + STEP_BITS


def build_funnel_keys(q: FunnelQuery, *, workspace_id: int, table: str = "events") -> BuiltQuery:
    """DuckDB, by user, on a store with user numbers: one row per matching event.

    ``key`` is ``user_number << key_shift(q) | (ms since the range start) * 16 + step``
    (docs/decisions/0012; the low part as in :func:`build_funnel_sequences`), so
    :mod:`funnel_fold` can lay every event out by user without any grouping by text. Only for
    funnels whose steps have distinct event names, and user numbers that fit above the shift
    (``funnel_fold.keys_fit``; DuckDB raises an overflow error rather than answer a wrong
    key).
    """
    d, p, table, ws, lo, scan_end = _column_fold_scan(q, workspace_id, table)
    names = [p.add(s.event, "String") for s in q.steps]
    shift = key_shift(q)
    # rows without a user (number 0) are left out by the fold, cheaper than by a condition
    in_time = f"{time_at_least(d, lo)} AND {time_below(d, scan_end)}"
    if not any(s.filters for s in q.steps):
        # names are distinct: the step is the name's position, which also serves as the
        # name test (a tenth cheaper than IN over bound parameters, a hash join in DuckDB)
        position = f"list_position([{', '.join(names)}], event)"
        # (a product instead of << and |: the same number, 0.1 CPU-s less per 42 M rows)
        sql = f"""SELECT user_number::BIGINT * {2**shift}
       + (epoch_us(timestamp) // 1000 - {lo}) * {2**STEP_BITS} + {position} - 1 AS key
FROM {table} WHERE workspace_id = {ws} AND {position} > 0 AND {in_time}"""
        return BuiltQuery(sql=sql, params=p.values)
    where = f"workspace_id = {ws} AND event IN ({', '.join(names)}) AND {in_time}"
    cases = " ".join(f"WHEN {matcher_condition(d, s, p)} THEN {i}" for i, s in enumerate(q.steps))
    sql = f"""SELECT (entity << {shift}) | ((ts - {lo}) * {2**STEP_BITS} + step) AS key FROM (
    SELECT user_number::BIGINT AS entity, epoch_us(timestamp) // 1000 AS ts,
           CASE {cases} END AS step
    FROM {table} WHERE {where}) AS matched
WHERE step IS NOT NULL"""
    return BuiltQuery(sql=sql, params=p.values)


def build_funnel_anchors(
    q: FunnelQuery,
    *,
    workspace_id: int,
    table: str = "events",
    account_values: dict[str, str] | None = None,
) -> BuiltQuery:
    """DuckDB, by user number: ``entity, value, bucket`` of every user with a step-1 event
    in the range — the anchor of :func:`build_funnel_sequences` (``grouped``): the user's
    first step-1 event, on a tie the smallest breakdown text."""
    d, p = Dialect.DUCKDB, Params(Dialect.DUCKDB)
    table = checked_table(table)
    start_ms, end_ms = range_ms(q)
    ws = p.add(workspace_id, "UInt64")
    where = f"""workspace_id = {ws} AND user_number > 0 AND {matcher_condition(d, q.steps[0], p)}
      AND {time_at_least(d, p.add(start_ms, "Int64"))}
      AND {time_below(d, p.add(end_ms, "Int64"))}"""
    if q.breakdown is not None and q.breakdown.kind is BreakdownKind.ACCOUNT_FIELD:
        return _account_field_anchors(q, p, table=table, where=where, values=account_values)
    bd = breakdown_sql(d, q.breakdown, p, table=table, workspace=ws, account_values=account_values)
    first = "min({'t': ts, 'v': coalesce(bv, '')})"
    bucket = (
        "0"
        if q.over_time is None
        else period_sql(d, f"epoch_ms({first}.t)", q.over_time, p.add(q.timezone, "String"))
    )
    sql = f"""WITH {bd.ctes}starts AS (
    SELECT user_number AS entity, epoch_us(timestamp) // 1000 AS ts, {bd.value} AS bv
    FROM {table}{bd.join}
    WHERE {where}
)
SELECT entity, {first}.v AS value, {bucket} AS bucket FROM starts GROUP BY entity"""
    return BuiltQuery(sql=sql, params=p.values)


def _account_field_anchors(
    q: FunnelQuery, p: Params, *, table: str, where: str, values: dict[str, str] | None
) -> BuiltQuery:
    """The anchors of an account-field breakdown, whose values are known before the scan:
    each value becomes its rank among them (0 for none), so the first start with, on a tie,
    the smallest value is one integer minimum, ``ms * ranks + rank`` (a third less work than
    the minimum of a structure with the text)."""
    labels = sorted({v for v in (values or {}).values() if v})
    rank = {v: i + 1 for i, v in enumerate(labels)}
    stride = len(labels) + 1
    codes = p.add(
        orjson.dumps({k: rank[v] for k, v in (values or {}).items() if v}).decode(), "String"
    )
    names = p.add(["", *labels], "Array(String)")
    lo = p.add(range_ms(q)[0], "Int64")
    bucket = (
        "0"
        if q.over_time is None
        else period_sql(
            Dialect.DUCKDB,
            f"epoch_ms(first // {stride} + {lo})",
            q.over_time,
            p.add(q.timezone, "String"),
        )
    )
    sql = f"""WITH ranks AS (
    SELECT key AS account, value::INTEGER AS rank FROM json_each({codes})
), starts AS (
    SELECT user_number AS entity,
           min((epoch_us(timestamp) // 1000 - {lo}) * {stride} + coalesce(ranks.rank, 0)) AS first
    FROM {table} LEFT JOIN ranks ON ranks.account = account_id
    WHERE {where}
    GROUP BY user_number
)
SELECT entity, list_extract({names}, first % {stride} + 1) AS value, {bucket} AS bucket
FROM starts"""
    return BuiltQuery(sql=sql, params=p.values)


# Histogram edges of the time to convert, in seconds; the last bucket is open.
HISTOGRAM_EDGES = (0, 60, 300, 900, 3600, 14400, 86400, 259200, 604800, 2592000)


def timing_columns(d: Dialect, k: int) -> tuple[list[str], list[str]]:
    """Per step from 2: entities, total ms, nearest-rank median and p90 ms, histogram counts.

    The nearest-rank q-quantile of n durations is the ⌈q·n⌉-th smallest: the (n + 1) div 2-th
    for the median, the (9n + 9) div 10-th for p90 (integer arithmetic on both engines).
    """
    duck = d is Dialect.DUCKDB
    inner: list[str] = []
    outer: list[str] = []
    for i in range(1, k):
        reached = f"f[{i + 1}] > {NONE_MS}"
        took = f"(f[{k + i + 1}] - f[{i + 1}])"
        if duck:
            inner += [
                f"count(*) FILTER (WHERE {reached}) AS n{i}",
                f"sum({took}) FILTER (WHERE {reached})::BIGINT AS s{i}",
                f"list_sort(list({took}) FILTER (WHERE {reached})) AS l{i}",
            ]
        else:
            inner += [
                f"countIf({reached}) AS n{i}",
                f"toInt64(sumIf({took}, {reached})) AS s{i}",
                f"arraySort(groupArrayIf({took}, {reached})) AS l{i}",
            ]
        bins = []
        for b, lo in enumerate(HISTOGRAM_EDGES):
            cond = f"{reached} AND {took} >= {lo * 1000}"
            if b + 1 < len(HISTOGRAM_EDGES):
                cond += f" AND {took} < {HISTOGRAM_EDGES[b + 1] * 1000}"
            inner.append(
                f"count(*) FILTER (WHERE {cond}) AS h{i}_{b}"
                if duck
                else f"countIf({cond}) AS h{i}_{b}"
            )
            bins.append(f"h{i}_{b}")
        div = "({}) // {}" if duck else "intDiv({}, {})"
        median = div.format(f"n{i} + 1", 2)
        p90 = div.format(f"9 * n{i} + 9", 10)
        outer += [
            f"n{i}",
            f"coalesce(s{i}, 0)",
            f"CASE WHEN n{i} > 0 THEN l{i}[{median}] END",
            f"CASE WHEN n{i} > 0 THEN l{i}[{p90}] END",
            *bins,
        ]
    return inner, outer


def _capped(d: Dialect, step: int, cap: int) -> str:
    """A moment's count of events matching ``step``, at most ``cap`` (all a step can need)."""
    if d is Dialect.DUCKDB:
        return f"least(sum(m{step}), {cap})::BIGINT"
    return f"toInt64(least(sum(m{step}), {cap}))"
