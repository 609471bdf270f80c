"""Results as pandas DataFrames, for notebooks and scripts (pandas is imported only here)."""

from __future__ import annotations

from typing import Any

from tobloop.analytics.insights.models import (
    ActiveResult,
    FunnelResult,
    PathsResult,
    RetentionResult,
    TrendsResult,
)


def _frame(rows: list[dict[str, Any]], columns: list[str]) -> Any:
    import pandas as pd  # type: ignore[import-untyped,unused-ignore]

    return pd.DataFrame(rows, columns=columns)


def funnel_frame(result: FunnelResult) -> Any:
    """One row per step: ``step`` (from 1), ``event``, ``count``, ``conversion``."""
    rows = [{"step": i, **s.model_dump()} for i, s in enumerate(result.steps, start=1)]
    return _frame(rows, ["step", "event", "count", "conversion"])


def retention_frame(result: RetentionResult) -> Any:
    """One row per cohort: ``cohort``, ``size`` and a column per later period (``1``…``N``)."""
    n = max((len(c.retained) for c in result.cohorts), default=0)
    rows = [
        {"cohort": c.cohort, "size": c.size, **{str(k + 1): r for k, r in enumerate(c.retained)}}
        for c in result.cohorts
    ]
    return _frame(rows, ["cohort", "size", *[str(k) for k in range(1, n + 1)]])


def trends_frame(result: TrendsResult) -> Any:
    """One row per period: ``date``, ``count``, ``users``, ``accounts``."""
    return _frame([p.model_dump() for p in result.series], ["date", "count", "users", "accounts"])


def paths_frame(result: PathsResult) -> Any:
    """The Sankey links: ``level``, ``source``, ``target``, ``count``."""
    return _frame([x.model_dump() for x in result.links], ["level", "source", "target", "count"])


def funnel_breakdown_frame(result: FunnelResult) -> Any:
    """One row per breakdown value and step: ``value``, ``step``, ``event``, ``count``,
    ``conversion`` (empty when the query had no breakdown)."""
    rows = [
        {"value": row.value, "step": i, **s.model_dump()}
        for row in result.breakdown or []
        for i, s in enumerate(row.steps, start=1)
    ]
    return _frame(rows, ["value", "step", "event", "count", "conversion"])


def funnel_over_time_frame(result: FunnelResult) -> Any:
    """One row per period of the first step: ``date``, ``entered``, ``converted``,
    ``conversion``."""
    rows = [b.model_dump() for b in result.over_time or []]
    return _frame(rows, ["date", "entered", "converted", "conversion"])


def time_to_convert_frame(result: FunnelResult) -> Any:
    """One row per step from 2 and histogram bucket: ``step``, ``event``, ``entities``,
    ``median_seconds``, ``p90_seconds``, ``mean_seconds``, ``min_seconds``, ``max_seconds``,
    ``count``."""
    rows = [
        {**t.model_dump(exclude={"histogram"}), **h.model_dump()}
        for t in result.time_to_convert or []
        for h in t.histogram
    ]
    columns = ["step", "event", "entities", "median_seconds", "p90_seconds", "mean_seconds"]
    return _frame(rows, [*columns, "min_seconds", "max_seconds", "count"])


def retention_breakdown_frame(result: RetentionResult) -> Any:
    """One row per breakdown value and cohort: ``value``, ``cohort``, ``size``, ``1``…``N``."""
    n = max((len(c.retained) for r in result.breakdown or [] for c in r.cohorts), default=0)
    rows = [
        {"value": r.value, "cohort": c.cohort, "size": c.size,
         **{str(k + 1): v for k, v in enumerate(c.retained)}}
        for r in result.breakdown or []
        for c in r.cohorts
    ]  # fmt: skip
    return _frame(rows, ["value", "cohort", "size", *[str(k) for k in range(1, n + 1)]])


def trends_breakdown_frame(result: TrendsResult) -> Any:
    """One row per breakdown value and period: ``value``, ``date``, ``count``, ``users``,
    ``accounts``."""
    rows = [{"value": r.value, **p.model_dump()} for r in result.breakdown or [] for p in r.series]
    return _frame(rows, ["value", "date", "count", "users", "accounts"])


def active_frame(result: ActiveResult) -> Any:
    """One row per day: ``date``, ``dau``, ``wau``, ``mau``, ``stickiness``."""
    rows = [p.model_dump() for p in result.series]
    return _frame(rows, ["date", "dau", "wau", "mau", "stickiness"])
