from __future__ import annotations

from datetime import date

from tobloop.analytics.insights.frames import funnel_frame, retention_frame, trends_frame
from tobloop.analytics.insights.models import (
    Cohort,
    FunnelResult,
    FunnelStepResult,
    RetentionResult,
    TrendPoint,
    TrendsResult,
)


def test_results_become_dataframes() -> None:
    funnel = FunnelResult(
        by="user",
        window_seconds=60,
        first_attempt=False,
        steps=[
            FunnelStepResult(event="a", count=4, conversion=1.0),
            FunnelStepResult(event="b", count=1, conversion=0.25),
        ],
    )
    assert funnel_frame(funnel).to_dict("records") == [
        {"step": 1, "event": "a", "count": 4, "conversion": 1.0},
        {"step": 2, "event": "b", "count": 1, "conversion": 0.25},
    ]
    retention = RetentionResult(
        period="week",
        by="user",
        bounded=True,
        cohorts=[Cohort(cohort=date(2026, 3, 9), size=3, retained=[2, 1])],
    )
    assert list(retention_frame(retention).columns) == ["cohort", "size", "1", "2"]
    trends = TrendsResult(
        interval="day",
        series=[TrendPoint(date=date(2026, 3, 9), count=5, users=2, accounts=1)],
    )
    assert trends_frame(trends)["users"].tolist() == [2]
