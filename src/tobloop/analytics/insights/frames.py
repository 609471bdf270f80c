"""Results as pandas DataFrames, for notebooks and scripts (pandas is imported only here)."""

from __future__ import annotations

from typing import Any

from tobloop.analytics.insights.models import (
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
