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
            if q.return_event is None or matches(q.return_event, e)
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
        if q.date_from <= day <= q.date_to and (q.event is None or matches(q.event, e)):
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
