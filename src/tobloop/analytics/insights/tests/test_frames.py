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


def test_new_results_become_dataframes() -> None:
    from tobloop.analytics.insights import frames
    from tobloop.analytics.insights.models import (
        ActivePoint,
        ActiveResult,
        FunnelBreakdownRow,
        FunnelBucket,
        HistogramBucket,
        RetentionBreakdownRow,
        StepTiming,
        TrendsBreakdownRow,
    )

    steps = [
        FunnelStepResult(event="a", count=4, conversion=1.0),
        FunnelStepResult(event="b", count=1, conversion=0.25),
    ]
    funnel = FunnelResult(
        by="user",
        window_seconds=60,
        first_attempt=False,
        steps=steps,
        breakdown=[FunnelBreakdownRow(value="pro", steps=steps)],
        over_time=[FunnelBucket(date=date(2026, 3, 9), entered=4, converted=1, conversion=0.25)],
        time_to_convert=[
            StepTiming(step=2, event="b", entities=1, median_seconds=5.0, p90_seconds=5.0,
                       mean_seconds=5.0, histogram=[
                           HistogramBucket(min_seconds=0, max_seconds=60, count=1),
                           HistogramBucket(min_seconds=60, max_seconds=None, count=0)])
        ],
    )  # fmt: skip
    assert frames.funnel_breakdown_frame(funnel)[["value", "step", "count"]].values.tolist() == [
        ["pro", 1, 4],
        ["pro", 2, 1],
    ]
    assert frames.funnel_over_time_frame(funnel)["converted"].tolist() == [1]
    assert frames.time_to_convert_frame(funnel)["count"].tolist() == [1, 0]
    cohorts = [Cohort(cohort=date(2026, 3, 9), size=3, retained=[2, 1])]
    split = [RetentionBreakdownRow(value="$other", cohorts=cohorts)]
    retention = RetentionResult(
        period="week", by="user", bounded=True, cohorts=cohorts, breakdown=split
    )
    assert list(frames.retention_breakdown_frame(retention).columns) == [
        "value", "cohort", "size", "1", "2",
    ]  # fmt: skip
    series = [TrendPoint(date=date(2026, 3, 9), count=5, users=2, accounts=1)]
    trends = TrendsResult(interval="day", series=series,
                          breakdown=[TrendsBreakdownRow(value="x", series=series)])  # fmt: skip
    assert frames.trends_breakdown_frame(trends)["value"].tolist() == ["x"]
    active = ActiveResult(
        by="user",
        series=[ActivePoint(date=date(2026, 3, 9), dau=1, wau=2, mau=4, stickiness=0.25)],
        average_dau=1,
        average_wau=2,
        average_mau=4,
        stickiness=0.25,
    )
    assert frames.active_frame(active)["stickiness"].tolist() == [0.25]
