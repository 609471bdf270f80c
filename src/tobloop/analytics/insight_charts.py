"""Run a builder's typed queries through the engine and shape the answer for a page.

Each kind gives back the engine's typed result (for the tables and the REST API) and a small
JSON document that ``web/static/analytics/charts.js`` turns into an ECharts option: the data
plus the translated labels, so the chart speaks the page's language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from tobloop.analytics.insights import service
from tobloop.analytics.insights.models import (
    ActiveQuery,
    ActiveResult,
    FunnelQuery,
    FunnelResult,
    PathsQuery,
    PathsResult,
    RetentionQuery,
    RetentionResult,
    TrendsQuery,
    TrendsResult,
)
from tobloop.analytics.insights.periods import add_periods
from tobloop.analytics.templatetags.analytics_ui import duration_text
from tobloop.platform.contracts import Principal


@dataclass
class Insight:
    """One builder answer: the typed result(s), the chart document and table rows."""

    kind: str
    chart: dict[str, Any]
    results: list[Any] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


def run_insight(
    principal: Principal, kind: str, queries: list[Any], body: dict[str, Any]
) -> Insight:
    """Dispatch to the engine for ``kind``; ``queries`` are already validated."""
    if kind == "funnel":
        return funnel_insight(principal, queries[0])
    if kind == "retention":
        return retention_insight(principal, queries[0])
    if kind == "paths":
        return paths_insight(principal, queries[0])
    if kind == "active":
        return active_insight(principal, queries[0])
    return trends_insight(principal, queries, metric=str(body.get("metric", "users")))


def _bucket_label(low: int, high: int | None) -> str:
    if high is None:
        return f"≥ {duration_text(low)}"
    return f"{duration_text(low)} – {duration_text(high)}"


def value_label(value: str) -> str:
    """A breakdown value as people read it."""
    if value == "$none":
        return _("(not set)")
    if value == "$other":
        return _("Other values")
    return value


def _by_label(by: str) -> str:
    return _("accounts") if by == "account" else _("users")


def funnel_insight(principal: Principal, query: FunnelQuery) -> Insight:
    result: FunnelResult = service.run_funnel(principal, query)
    rows, previous = [], None
    for i, s in enumerate(result.steps, start=1):
        step_conv = s.count / previous if previous else None
        dropped = (previous - s.count) if previous is not None else None
        rows.append(
            {
                "n": i,
                "event": s.event,
                "count": s.count,
                "conversion": s.conversion,
                "step_conversion": step_conv,
                "dropped": dropped,
            }
        )
        previous = s.count
    chart: dict[str, Any] = {
        "type": "funnel",
        "steps": [s.event for s in result.steps],
        "counts": [s.count for s in result.steps],
        "conversion": [s.conversion for s in result.steps],
        "labels": {
            "count": _by_label(result.by.value),
            "conversion": _("Conversion from step 1"),
        },
    }
    extra: dict[str, Any] = {}
    breakdown = getattr(result, "breakdown", None)
    if breakdown:
        chart["breakdown"] = [
            {
                "value": value_label(b.value),
                "counts": [x.count for x in b.steps],
                "conversion": [x.conversion for x in b.steps],
            }
            for b in breakdown
        ]
        extra["breakdown"] = chart["breakdown"]
    over_time = getattr(result, "over_time", None)
    if over_time:
        chart["over_time"] = {
            "dates": [b.date.isoformat() for b in over_time],
            "entered": [b.entered for b in over_time],
            "conversion": [b.conversion for b in over_time],
            "labels": {"conversion": _("Conversion to the last step"), "entered": _("Entered")},
        }
        extra["over_time"] = over_time
    timing = getattr(result, "time_to_convert", None)
    if timing:
        extra["time_to_convert"] = timing
        last = timing[-1]
        chart["time_to_convert"] = {
            "step": f"{last.step}. {last.event}",
            "buckets": [_bucket_label(b.min_seconds, b.max_seconds) for b in last.histogram],
            "counts": [b.count for b in last.histogram],
            "labels": {"count": _by_label(result.by.value)},
        }
    return Insight("funnel", chart, [result], rows, extra)


def retention_insight(
    principal: Principal, query: RetentionQuery, *, today: date | None = None
) -> Insight:
    """Heatmap, curves and table; periods that have not begun yet by ``today`` (workspace
    time zone) are not known and show as empty instead of 0%."""
    result: RetentionResult = service.run_retention(principal, query)
    today = today or datetime.now(ZoneInfo(principal.workspace.timezone)).date()
    period = result.period
    width = max((len(c.retained) for c in result.cohorts), default=0)

    def known(cohort: Any) -> list[int | None]:
        return [
            r if add_periods(cohort.cohort, period, k + 1) <= today else None
            for k, r in enumerate(cohort.retained)
        ]

    rows = []
    for c in result.cohorts:
        back = known(c)
        shares = [None if r is None or not c.size else r / c.size for r in back]
        rows.append(
            {"cohort": c.cohort, "size": c.size, "retained": list(zip(back, shares, strict=True))}
        )
    chart = {
        "type": "retention",
        "period": period.value,
        "cohorts": [c.cohort.isoformat() for c in result.cohorts],
        "sizes": [c.size for c in result.cohorts],
        "retained": [known(c) for c in result.cohorts],
        # the size-weighted average over the cohorts that have reached period k
        "curve": _weighted(result.cohorts, width, known)["curve"],
        "labels": {
            "average": _("All cohorts (weighted)"),
            "cohort": _("Cohort"),
            "period": {"day": _("day"), "week": _("week"), "month": _("month")}[period.value],
            "retained": _("Retained"),
        },
    }
    extra: dict[str, Any] = {"width": range(1, width + 1)}
    breakdown = getattr(result, "breakdown", None)
    if breakdown:
        lines = [
            {"value": value_label(b.value), **_weighted(b.cohorts, width, known)} for b in breakdown
        ]
        chart["breakdown"] = lines
        extra["breakdown"] = lines
    return Insight("retention", chart, [result], rows, extra)


def _weighted(cohorts: list[Any], width: int, known: Any) -> dict[str, Any]:
    """Cohort sizes added up and the size-weighted share back in each later period, over
    the cohorts whose period k is known."""
    curve: list[float | None] = []
    values = [(c.size, known(c)) for c in cohorts if c.size]
    for k in range(width):
        reached = [(size, r[k]) for size, r in values if k < len(r) and r[k] is not None]
        sizes = sum(size for size, _back in reached)
        curve.append(sum(back for _size, back in reached) / sizes if sizes else None)
    return {"size": sum(c.size for c in cohorts), "curve": curve}


def paths_insight(principal: Principal, query: PathsQuery) -> Insight:
    result: PathsResult = service.run_paths(principal, query)
    chart = {
        "type": "paths",
        "direction": result.direction,
        "nodes": [n.model_dump() for n in result.nodes],
        "links": [x.model_dump() for x in result.links],
        "labels": {"other": _("Other events"), "entities": _by_label(result.by.value)},
    }
    rows = [x.model_dump() for x in sorted(result.links, key=lambda x: (x.level, -x.count))]
    return Insight("paths", chart, [result], rows)


METRIC_LABELS = {"count": "Events", "users": "Unique users", "accounts": "Unique accounts"}


def trends_insight(principal: Principal, queries: list[TrendsQuery], *, metric: str) -> Insight:
    results: list[TrendsResult] = [service.run_trends(principal, q) for q in queries]
    dates = sorted({p.date for r in results for p in r.series})
    series = []
    for q, r in zip(queries, results, strict=True):
        by_date = {p.date: getattr(p, metric) for p in r.series}
        name = q.event.event if q.event else _("Any event")
        series.append({"name": name, "data": [by_date.get(d, 0) for d in dates]})
    first_breakdown = getattr(results[0], "breakdown", None) if results else None
    if first_breakdown:
        # split by value: the first event's series, one line per value
        series = []
        for b in first_breakdown:
            by_date = {p.date: getattr(p, metric) for p in b.series}
            series.append(
                {"name": value_label(b.value), "data": [by_date.get(d, 0) for d in dates]}
            )
    rows = [{"date": d, "values": [s["data"][i] for s in series]} for i, d in enumerate(dates)]
    labels = {"count": _("Events"), "users": _("Unique users"), "accounts": _("Unique accounts")}
    chart = {
        "type": "trends",
        "dates": [d.isoformat() for d in dates],
        "series": series,
        "labels": {"metric": labels.get(metric, metric)},
    }
    return Insight("trends", chart, results, rows, {"names": [s["name"] for s in series]})


def active_insight(principal: Principal, query: ActiveQuery) -> Insight:
    """DAU, WAU (7 days), MAU (30 days) per day and stickiness (DAU ÷ MAU)."""
    result: ActiveResult = service.run_active(principal, query)
    who = _by_label(result.by.value)
    chart = {
        "type": "active",
        "dates": [p.date.isoformat() for p in result.series],
        "dau": [p.dau for p in result.series],
        "wau": [p.wau for p in result.series],
        "mau": [p.mau for p in result.series],
        "stickiness": [p.stickiness for p in result.series],
        "labels": {
            "dau": _("Daily active %(who)s") % {"who": who},
            "wau": _("Weekly active %(who)s") % {"who": who},
            "mau": _("Monthly active %(who)s") % {"who": who},
            "stickiness": _("Stickiness (DAU ÷ MAU)"),
        },
    }
    rows = [p.model_dump() for p in result.series]
    return Insight("active", chart, [result], rows)
