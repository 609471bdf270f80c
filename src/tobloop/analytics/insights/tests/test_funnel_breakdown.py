"""Funnel breakdowns, conversion over time and time to convert: both engines against the oracle."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tobloop.analytics.insights.models import FunnelQuery
from tobloop.analytics.insights.runners import FunnelRunner
from tobloop.analytics.insights.tests.fixtures import Engines, fresh_workspace
from tobloop.analytics.insights.tests.oracle import (
    Ev,
    Values,
    by_entity,
    conversion_times,
    funnel_breakdown,
    funnel_counts,
    funnel_over_time,
)
from tobloop.analytics.insights.tests.strategies import (
    ACCOUNT_VALUES,
    breakdowns,
    event_sets,
    with_identifies,
)
from tobloop.analytics.insights.tests.test_funnel import funnel_queries

EXAMPLES = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
DAY = 1773014400000  # 2026-03-09 00:00 UTC


@st.composite
def grouped_funnels(draw: st.DrawFn) -> FunnelQuery:
    q = draw(funnel_queries(filters_per_name=True))
    return q.model_copy(
        update={
            "breakdown": draw(breakdowns()),
            "over_time": draw(st.sampled_from([None, "day", "week", "month"])),
        }
    )


def run(
    engines: Engines, events: list[Ev], q: FunnelQuery, packed: bool | None, numbers: bool = True
) -> dict[str, Any]:
    ws = fresh_workspace()
    engines.load(ws, events)
    runner = FunnelRunner(
        q,
        workspace_id=ws,
        packed=packed,
        account_values=ACCOUNT_VALUES,
        user_numbers=numbers,
    )
    return {e.dialect.value: runner.calculate(e) for e in engines.all()}


@EXAMPLES
@given(
    events=with_identifies(event_sets(ties=True)),
    q=grouped_funnels(),
    packed=st.sampled_from([None, True, False]),
    numbers=st.booleans(),
)
def test_breakdown_and_over_time_agree_with_oracle(
    engines: Engines, events: list[Ev], q: FunnelQuery, packed: bool | None, numbers: bool
) -> None:
    # given random events (ties, repeated steps, users without an account, identify calls)
    # when
    results = run(engines, events, q, packed, numbers)
    # then totals, breakdown rows and buckets are the oracle's on both engines
    totals = funnel_counts(events, q)
    for dialect, result in results.items():
        assert [s.count for s in result.steps] == totals, dialect
        if q.breakdown is not None:
            got = [
                {"value": r.value, "counts": [s.count for s in r.steps]} for r in result.breakdown
            ]
            assert got == funnel_breakdown(events, q, Values(events, ACCOUNT_VALUES)), dialect
        else:
            assert result.breakdown is None
        if q.over_time is not None:
            got_t = [(b.date, b.entered, b.converted) for b in result.over_time]
            assert got_t == funnel_over_time(events, q), dialect


@EXAMPLES
@given(
    events=event_sets(ties=True),
    q=funnel_queries(filters_per_name=True),
    packed=st.sampled_from([None, True, False]),
    numbers=st.booleans(),
)
def test_time_to_convert_agrees_with_oracle(
    engines: Engines, events: list[Ev], q: FunnelQuery, packed: bool | None, numbers: bool
) -> None:
    # given random events; the oracle takes, per entity and step, the latest start that
    # reaches the step and the earliest completion of the step from that start
    q = q.model_copy(update={"time_to_convert": True})
    times: dict[int, list[int]] = {}
    for evs in by_entity(events, q.by).values():
        for step, ms in conversion_times(evs, q).items():
            times.setdefault(step, []).append(ms)
    # when
    results = run(engines, events, q, packed, numbers)
    # then
    for dialect, result in results.items():
        for timing in result.time_to_convert:
            spent = sorted(times.get(timing.step, []))
            n = len(spent)
            assert timing.entities == n, dialect
            assert timing.entities == result.steps[timing.step - 1].count
            if n:
                assert timing.median_seconds == spent[(n + 1) // 2 - 1] / 1000
                assert timing.p90_seconds == spent[(9 * n + 9) // 10 - 1] / 1000
                assert timing.mean_seconds is not None
                assert abs(timing.mean_seconds - sum(spent) / n / 1000) < 1e-9
            assert sum(h.count for h in timing.histogram) == n


def test_hand_computed_breakdown_over_time_and_timing(engines: Engines) -> None:
    # given u1 (acme, plan pro) converts a → b in 60 s on 9 March; u2 (no account, plan 2.0)
    # only does a on 9 March; u3 (plan true) converts in one hour on 10 March and starts
    # again with another plan later that day (its first start decides its value)
    events = [
        Ev("a", "u1", "acme", DAY + 1000, {"plan": "pro"}, uid=0),
        Ev("b", "u1", "acme", DAY + 61_000, uid=1),
        Ev("a", "u2", None, DAY + 1000, {"plan": 2.0}, uid=2),
        Ev("a", "u3", None, DAY + 86_400_000 + 5, {"plan": True}, uid=3),
        Ev("b", "u3", None, DAY + 86_400_000 + 3_600_005, uid=4),
        Ev("a", "u3", None, DAY + 86_400_000 + 7_200_000, {"plan": "pro"}, uid=5),
    ]
    q = FunnelQuery.model_validate(
        {
            "steps": ["a", "b"],
            "from": "2026-03-09",
            "to": "2026-03-10",
            "window": "1d",
            "breakdown": {"kind": "event_property", "key": "plan", "top": 2},
            "over_time": "day",
            "time_to_convert": True,
        }
    )
    for packed in (True, False):
        for dialect, result in run(engines, events, q, packed).items():
            # then "2" ranks first only by text among the one-entity values: 2, pro; true folds
            assert result.model_dump(mode="json", exclude={"time_to_convert"}) == {
                "by": "user",
                "window_seconds": 86400,
                "first_attempt": False,
                "steps": [
                    {"event": "a", "count": 3, "conversion": 1.0},
                    {"event": "b", "count": 2, "conversion": 2 / 3},
                ],
                "breakdown": [
                    {
                        "value": "2",
                        "steps": [
                            {"event": "a", "count": 1, "conversion": 1.0},
                            {"event": "b", "count": 0, "conversion": 0.0},
                        ],
                    },
                    {
                        "value": "pro",
                        "steps": [
                            {"event": "a", "count": 1, "conversion": 1.0},
                            {"event": "b", "count": 1, "conversion": 1.0},
                        ],
                    },
                    {
                        "value": "$other",
                        "steps": [
                            {"event": "a", "count": 1, "conversion": 1.0},
                            {"event": "b", "count": 1, "conversion": 1.0},
                        ],
                    },
                ],
                "over_time": [
                    {"date": "2026-03-09", "entered": 2, "converted": 1, "conversion": 0.5},
                    {"date": "2026-03-10", "entered": 1, "converted": 1, "conversion": 1.0},
                ],
            }, dialect
            (timing,) = result.time_to_convert
            # 60 s and 3600 s: the nearest-rank median is the first, p90 the second
            assert (timing.entities, timing.median_seconds, timing.p90_seconds) == (2, 60, 3600)
            assert timing.mean_seconds == 1830
            assert [(h.min_seconds, h.count) for h in timing.histogram if h.count] == [
                (60, 1),
                (3600, 1),
            ]


def test_breakdown_by_account_field_and_user_trait(engines: Engines) -> None:
    # given acme is SMB and globex has no segment; u1's latest identify sets plan "team"
    events = [
        Ev("", "u1", "acme", DAY - 5000, type="identify", traits={"plan": "free"}, uid=0),
        Ev("", "u1", "acme", DAY - 1000, type="identify", traits={"plan": "team"}, uid=1),
        Ev("", "u1", "acme", DAY + 9000, type="identify", traits={"other": 1}, uid=2),
        Ev("a", "u1", "acme", DAY + 1000, uid=3),
        Ev("b", "u1", "acme", DAY + 2000, uid=4),
        Ev("a", "u2", "globex", DAY + 1000, uid=5),
        Ev("a", "u3", None, DAY + 1000, uid=6),
    ]
    base = {"steps": ["a", "b"], "from": "2026-03-09", "to": "2026-03-09"}
    by_segment = FunnelQuery.model_validate(
        {**base, "breakdown": {"kind": "account_field", "key": "segment"}}
    )
    by_trait = FunnelQuery.model_validate(
        {**base, "breakdown": {"kind": "user_trait", "key": "plan"}}
    )
    for dialect, result in run(engines, events, by_segment, None).items():
        rows = [(r.value, [s.count for s in r.steps]) for r in result.breakdown]
        # then acme's user is SMB; globex (segment empty) and no account are $none
        assert rows == [("$none", [2, 0]), ("SMB", [1, 1])], dialect
    for dialect, result in run(engines, events, by_trait, None).items():
        rows = [(r.value, [s.count for s in r.steps]) for r in result.breakdown]
        assert rows == [("$none", [2, 0]), ("team", [1, 1])], dialect
