"""Deliberately simple reference answers, written from DESIGN.md's definitions alone.

No SQL, no cleverness: the funnel tries every choice of events (a depth-first search) and
retention walks the events entity by entity. Slow, and meant to be obviously right.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tobloop.analytics.insights.models import (
    ActiveQuery,
    Breakdown,
    BreakdownKind,
    By,
    EventMatcher,
    FilterOp,
    FunnelQuery,
    PathsQuery,
    Period,
    PropertyFilter,
    RetentionQuery,
    TrendsQuery,
)


@dataclass(frozen=True)
class Ev:
    """One test event: epoch milliseconds and plain properties."""

    event: str
    user: str
    account: str | None
    ms: int
    props: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    uid: int = 0
    type: str = "track"
    traits: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


ANY_EVENT = frozenset({"track", "page", "screen"})


def is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def filter_holds(f: PropertyFilter, props: dict[str, Any]) -> bool:
    v = props.get(f.key)
    if f.op is FilterOp.IS_SET:
        return v is not None
    if f.op is FilterOp.IS_NOT_SET:
        return v is None
    if f.op is FilterOp.NEQ:
        return not filter_holds(PropertyFilter(key=f.key, op=FilterOp.EQ, value=f.value), props)
    if f.op is FilterOp.CONTAINS:
        return isinstance(v, str) and isinstance(f.value, str) and f.value in v
    if f.op is FilterOp.EQ:
        if isinstance(f.value, bool):
            return isinstance(v, bool) and v == f.value
        if isinstance(f.value, str):
            return isinstance(v, str) and v == f.value
        return is_number(v) and float(v) == float(f.value)  # type: ignore[arg-type]
    if not is_number(v):
        return False
    a, b = float(v), float(f.value)  # type: ignore[arg-type]
    return {
        FilterOp.GT: a > b,
        FilterOp.GTE: a >= b,
        FilterOp.LT: a < b,
        FilterOp.LTE: a <= b,
    }[f.op]


def matches(m: EventMatcher, e: Ev) -> bool:
    return e.event == m.event and all(filter_holds(f, e.props) for f in m.filters)


def local_date(ms: int, tz: str) -> date:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).astimezone(ZoneInfo(tz)).date()


def entity_of(e: Ev, by: By) -> str | None:
    if by is By.USER:
        return e.user or None
    return e.account or None


def by_entity(events: list[Ev], by: By) -> dict[str, list[Ev]]:
    out: dict[str, list[Ev]] = defaultdict(list)
    for e in events:
        key = entity_of(e, by)
        if key is not None:
            out[key].append(e)
    return out


# -- funnel ----------------------------------------------------------------------------------


def funnel_counts(events: list[Ev], q: FunnelQuery) -> list[int]:
    """Entities that reach each step (best attempt, or first attempt only)."""
    counts = [0] * len(q.steps)
    for evs in by_entity(events, q.by).values():
        for i in range(deepest_step(evs, q)):
            counts[i] += 1
    return counts


def dropped_entities(events: list[Ev], q: FunnelQuery, step: int) -> list[str]:
    """Entities that reached step ``step`` − 1 and not ``step`` (steps numbered from 1)."""
    return sorted(
        entity
        for entity, evs in by_entity(events, q.by).items()
        if deepest_step(evs, q) == step - 1
    )


def deepest_step(evs: list[Ev], q: FunnelQuery) -> int:
    window_ms = q.window * 1000

    def in_range(e: Ev) -> bool:
        return q.date_from <= local_date(e.ms, q.timezone) <= q.date_to

    starts = [e for e in evs if matches(q.steps[0], e) and in_range(e)]
    if q.first_attempt and starts:
        first = min(e.ms for e in starts)
        starts = [e for e in starts if e.ms == first]

    def extend(j: int, last_ms: int, first_ms: int, used: frozenset[int]) -> int:
        """How many more steps, from step j on, distinct unused events can cover."""
        if j == len(q.steps):
            return 0
        best = 0
        for e in evs:
            if (
                e.uid not in used
                and matches(q.steps[j], e)
                and last_ms <= e.ms <= first_ms + window_ms
            ):
                best = max(best, 1 + extend(j + 1, e.ms, first_ms, used | {e.uid}))
                if best == len(q.steps) - j:
                    break
        return best

    return max((1 + extend(1, e.ms, e.ms, frozenset({e.uid})) for e in starts), default=0)


# -- retention -------------------------------------------------------------------------------


def period_of(d: date, period: Period) -> date:
    if period is Period.DAY:
        return d
    if period is Period.WEEK:
        return d - timedelta(days=d.isoweekday() - 1)
    return date(d.year, d.month, 1)


def nth_period(start: date, period: Period, n: int) -> date:
    if period is Period.DAY:
        return start + timedelta(days=n)
    if period is Period.WEEK:
        return start + timedelta(days=7 * n)
    y, m = divmod(start.month - 1 + n, 12)
    return date(start.year + y, m + 1, 1)


def retention_table(events: list[Ev], q: RetentionQuery) -> list[tuple[date, int, list[int]]]:
    """(cohort first day, size, retained per later period) for every period in the range."""
    labels = []
    p = period_of(q.date_from, q.period)
    while p <= q.date_to:
        labels.append(p)
        p = nth_period(p, q.period, 1)
    size = dict.fromkeys(labels, 0)
    kept = {label: [0] * q.periods for label in labels}
    for evs in by_entity(events, q.by).values():
        starts = [e for e in evs if matches(q.start, e)]
        if not starts:
            continue
        first_day = local_date(min(e.ms for e in starts), q.timezone)
        if not q.date_from <= first_day <= q.date_to:
            continue
        cohort = period_of(first_day, q.period)
        size[cohort] += 1
        returns = {
            period_of(local_date(e.ms, q.timezone), q.period)
            for e in evs
            if (e.type in ANY_EVENT if q.return_event is None else matches(q.return_event, e))
        }
        for k in range(1, q.periods + 1):
            target = nth_period(cohort, q.period, k)
            hit = target in returns if q.bounded else any(r >= target for r in returns)
            if hit:
                kept[cohort][k - 1] += 1
    return [(label, size[label], kept[label]) for label in labels]


# -- trends ----------------------------------------------------------------------------------


def trends_table(events: list[Ev], q: TrendsQuery) -> list[tuple[date, int, int, int]]:
    """(period first day, events, users, accounts) for every period, counting only events
    inside the date range."""
    labels = []
    p = period_of(q.date_from, q.interval)
    while p <= q.date_to:
        labels.append(p)
        p = nth_period(p, q.interval, 1)
    seen: dict[date, list[Ev]] = {label: [] for label in labels}
    for e in events:
        day = local_date(e.ms, q.timezone)
        if (
            q.date_from <= day <= q.date_to
            and (e.type in ANY_EVENT if q.event is None else matches(q.event, e))
            and (q.account is None or e.account == q.account)
        ):
            seen[period_of(day, q.interval)].append(e)
    return [
        (
            label,
            len(evs),
            len({e.user for e in evs if e.user}),
            len({e.account for e in evs if e.account}),
        )
        for label, evs in seen.items()
    ]


# -- paths -----------------------------------------------------------------------------------


def paths_table(events: list[Ev], q: PathsQuery) -> dict[str, Any]:
    """Nodes and links of the folded paths, as plain dicts in the result's order."""
    paths: list[list[str]] = []
    for evs in by_entity(events, q.by).values():
        inside = [e for e in evs if q.date_from <= local_date(e.ms, q.timezone) <= q.date_to]
        names = [e.event for e in sorted(inside, key=lambda e: (e.ms, e.event))]
        if q.collapse_repeats:
            names = [n for i, n in enumerate(names) if i == 0 or names[i - 1] != n]
        if q.end is not None:
            names = names[::-1]
        anchor = q.start if q.start is not None else q.end
        if anchor in names:
            at = names.index(anchor)
            paths.append(names[at : at + q.depth])
    top: list[set[str]] = []
    for level in range(q.depth):
        counts: dict[str, int] = defaultdict(int)
        for path in paths:
            if len(path) > level:
                counts[path[level]] += 1
        ranked = sorted(counts, key=lambda name: (-counts[name], name))
        top.append(set(ranked[: q.top]))
    folded = [[n if n in top[i] else "$other" for i, n in enumerate(p)] for p in paths]
    nodes: dict[tuple[int, str], int] = defaultdict(int)
    links: dict[tuple[int, str, str], int] = defaultdict(int)
    for path in folded:
        for i, name in enumerate(path):
            nodes[(i + 1, name)] += 1
        for i in range(len(path) - 1):
            links[(i + 1, path[i], path[i + 1])] += 1
    return {
        "entities": len(paths),
        "nodes": sorted(
            ({"level": lv, "event": e, "count": c} for (lv, e), c in nodes.items()),
            key=lambda d: (d["level"], -d["count"], d["event"]),
        ),
        "links": sorted(
            (
                {"level": lv, "source": s, "target": t, "count": c}
                for (lv, s, t), c in links.items()
            ),
            key=lambda d: (d["level"], -d["count"], d["source"], d["target"]),
        ),
    }


# -- breakdowns, conversion over time, time to convert ---------------------------------------


def scalar_text(v: Any) -> str | None:
    """models.Breakdown's text of a JSON value (None for missing, null, empty, containers)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    if isinstance(v, str):
        return v or None
    return None


@dataclass(frozen=True)
class Values:
    """What a breakdown reads besides the event: identify calls and account fields."""

    events: list[Ev]
    accounts: dict[str, str] = field(default_factory=dict)

    def of(self, e: Ev, bd: Breakdown | None) -> str | None:
        if bd is None:
            return None
        if bd.kind is BreakdownKind.EVENT_PROPERTY:
            return scalar_text(e.props.get(bd.key))
        if bd.kind is BreakdownKind.ACCOUNT_FIELD:
            return (self.accounts.get(e.account) or None) if e.account else None
        sets = [
            (x.ms, text)
            for x in self.events
            if x.type == "identify"
            and x.user
            and x.user == e.user
            and (text := scalar_text(x.traits.get(bd.key))) is not None
        ]
        return max(sets)[1] if sets else None


def fold(groups: dict[str, list[int]], top: int) -> list[tuple[str, list[int]]]:
    ranked = sorted(groups.items(), key=lambda kv: (-kv[1][0], kv[0]))
    rest = [c for _, c in ranked[top:]]
    kept = ranked[:top]
    if rest:
        kept.append(("$other", [sum(c[i] for c in rest) for i in range(len(rest[0]))]))
    return kept


def funnel_anchor(evs: list[Ev], q: FunnelQuery, values: Values) -> tuple[int, str] | None:
    """The entity's first step-1 event in the range (ties: smallest text, none first)."""
    starts = [
        (e.ms, values.of(e, q.breakdown) or "")
        for e in evs
        if matches(q.steps[0], e) and q.date_from <= local_date(e.ms, q.timezone) <= q.date_to
    ]
    return min(starts) if starts else None


def funnel_breakdown(events: list[Ev], q: FunnelQuery, values: Values) -> list[dict[str, Any]]:
    assert q.breakdown is not None
    groups: dict[str, list[int]] = {}
    for evs in by_entity(events, q.by).values():
        depth = deepest_step(evs, q)
        anchor = funnel_anchor(evs, q, values)
        if depth == 0 or anchor is None:
            continue
        counts = groups.setdefault(anchor[1] or "$none", [0] * len(q.steps))
        for i in range(depth):
            counts[i] += 1
    return [{"value": v, "counts": c} for v, c in fold(groups, q.breakdown.top)]


def funnel_over_time(events: list[Ev], q: FunnelQuery) -> list[tuple[date, int, int]]:
    """(period first day, entered, converted) for every period of the range."""
    assert q.over_time is not None
    labels = []
    p = period_of(q.date_from, q.over_time)
    while p <= q.date_to:
        labels.append(p)
        p = nth_period(p, q.over_time, 1)
    entered = dict.fromkeys(labels, 0)
    converted = dict.fromkeys(labels, 0)
    for evs in by_entity(events, q.by).values():
        depth = deepest_step(evs, q)
        anchor = funnel_anchor(evs, q, Values(events))
        if depth == 0 or anchor is None:
            continue
        bucket = period_of(local_date(anchor[0], q.timezone), q.over_time)
        entered[bucket] += 1
        converted[bucket] += depth == len(q.steps)
    return [(d, entered[d], converted[d]) for d in labels]


def conversion_times(evs: list[Ev], q: FunnelQuery) -> dict[int, int]:
    """Per step k ≥ 2 (from 1) reached: the time from the latest start that reaches k to the
    earliest event completing k in a chain from that start, in ms."""
    window_ms = q.window * 1000
    starts = [
        e
        for e in evs
        if matches(q.steps[0], e) and q.date_from <= local_date(e.ms, q.timezone) <= q.date_to
    ]
    if q.first_attempt and starts:
        first = min(e.ms for e in starts)
        starts = [e for e in starts if e.ms == first]
    best: dict[int, tuple[int, int]] = {}  # step → (start ms, -completion ms)

    def walk(j: int, last_ms: int, first_ms: int, used: frozenset[int]) -> None:
        if j == len(q.steps):
            return
        for e in evs:
            if (
                e.uid not in used
                and matches(q.steps[j], e)
                and last_ms <= e.ms <= first_ms + window_ms
            ):
                key = (first_ms, -e.ms)
                if j + 1 not in best or key > best[j + 1]:
                    best[j + 1] = key
                walk(j + 1, e.ms, first_ms, used | {e.uid})

    for e in starts:
        walk(1, e.ms, e.ms, frozenset({e.uid}))
    return {step: -neg - start for step, (start, neg) in best.items()}


def retention_breakdown(
    events: list[Ev], q: RetentionQuery, values: Values
) -> list[tuple[str, list[tuple[date, int, list[int]]]]]:
    """Cohort tables per value of the entity's first start event (top values, then $other)."""
    assert q.breakdown is not None
    groups: dict[str, list[Ev]] = defaultdict(list)
    for evs in by_entity(events, q.by).values():
        starts = [(e.ms, values.of(e, q.breakdown) or "") for e in evs if matches(q.start, e)]
        if starts:
            groups[min(starts)[1] or "$none"] += evs
    tables = {v: retention_table(evs, q) for v, evs in groups.items()}
    tables = {v: t for v, t in tables.items() if sum(size for _, size, _ in t)}
    ranked = sorted(tables.items(), key=lambda kv: (-sum(s for _, s, _ in kv[1]), kv[0]))
    kept, rest = ranked[: q.breakdown.top], [t for _, t in ranked[q.breakdown.top :]]
    if rest:
        merged = [
            (
                label,
                sum(t[i][1] for t in rest),
                [sum(t[i][2][k] for t in rest) for k in range(q.periods)],
            )
            for i, (label, _, _) in enumerate(rest[0])
        ]
        kept.append(("$other", merged))
    return kept


def trends_breakdown(
    events: list[Ev], q: TrendsQuery, values: Values
) -> list[tuple[str, list[tuple[date, int, int, int]]]]:
    """Series per event value: the top values by events in the range, the rest as $other."""
    assert q.breakdown is not None
    inside = [
        e
        for e in events
        if q.date_from <= local_date(e.ms, q.timezone) <= q.date_to
        and (e.type in ANY_EVENT if q.event is None else matches(q.event, e))
        and (q.account is None or e.account == q.account)
    ]
    tagged = [(values.of(e, q.breakdown) or "", e) for e in inside]
    counts: dict[str, int] = defaultdict(int)
    for v, _ in tagged:
        counts[v] += 1
    ranked = sorted(counts, key=lambda v: (-counts[v], v))
    kept = ranked[: q.breakdown.top]
    out = [(v or "$none", trends_table([e for x, e in tagged if x == v], q)) for v in kept]
    rest = [e for x, e in tagged if x not in kept]
    if rest:
        out.append(("$other", trends_table(rest, q)))
    return out


def active_table(events: list[Ev], q: ActiveQuery) -> list[tuple[date, int, int, int]]:
    """(day, DAU, WAU, MAU) for every day of the range."""
    active: dict[date, set[str]] = defaultdict(set)
    for e in events:
        entity = entity_of(e, q.by)
        if entity is None or (q.account is not None and e.account != q.account):
            continue
        if e.type in ANY_EVENT if q.event is None else matches(q.event, e):
            active[local_date(e.ms, q.timezone)].add(entity)
    out = []
    d = q.date_from
    while d <= q.date_to:

        def seen(days: int, d: date = d) -> int:
            return len(set().union(*(active[d - timedelta(days=i)] for i in range(days))))

        out.append((d, seen(1), seen(7), seen(30)))
        d += timedelta(days=1)
    return out
