from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tobloop.analytics.insights.models import FunnelQuery
from tobloop.analytics.insights.runners import FunnelRunner
from tobloop.analytics.insights.tests.fixtures import Engines, fresh_workspace
from tobloop.analytics.insights.tests.oracle import Ev, dropped_entities, funnel_counts
from tobloop.analytics.insights.tests.strategies import (
    DATE_FROM,
    DATE_TO,
    NAMES,
    ZONES,
    event_sets,
    step_filters,
)

EXAMPLES = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@st.composite
def funnel_queries(draw: st.DrawFn, *, filters_per_name: bool) -> FunnelQuery:
    names = draw(st.lists(st.sampled_from(NAMES), min_size=2, max_size=4))
    by_name = {n: draw(step_filters()) for n in NAMES}
    steps = [
        {"event": n, "filters": by_name[n] if filters_per_name else draw(step_filters())}
        for n in names
    ]
    return FunnelQuery.model_validate(
        {
            "steps": steps,
            "from": DATE_FROM,
            "to": DATE_TO,
            "timezone": draw(st.sampled_from(ZONES)),
            "window": draw(st.sampled_from(["30m", "3h", "1d", 90])),
            "by": draw(st.sampled_from(["user", "account"])),
            "first_attempt": draw(st.booleans()),
        }
    )


def counts_on_each_engine(
    engines: Engines,
    events: list[Ev],
    q: FunnelQuery,
    packed: bool | None = None,
    numbers: bool = True,
) -> dict[str, Any]:
    ws = fresh_workspace()
    engines.load(ws, events)
    runner = FunnelRunner(q, workspace_id=ws, packed=packed, user_numbers=numbers)
    return {e.dialect.value: [s.count for s in runner.calculate(e).steps] for e in engines.all()}


@EXAMPLES
@given(
    events=event_sets(ties=True),
    q=funnel_queries(filters_per_name=True),
    packed=st.sampled_from([None, True, False]),
    numbers=st.booleans(),
)
def test_funnel_agrees_with_oracle_with_ties_and_repeated_steps(
    engines: Engines, events: list[Ev], q: FunnelQuery, packed: bool | None, numbers: bool
) -> None:
    # given random events with many equal timestamps; steps sharing a name share filters
    # when (folded in columns by user number or by user id, or in SQL with moments packed
    # into integers or kept as lists)
    got = counts_on_each_engine(engines, events, q, packed, numbers)
    # then
    expected = funnel_counts(events, q)
    assert got == {"duckdb": expected, "clickhouse": expected}


@EXAMPLES
@given(events=event_sets(ties=False), q=funnel_queries(filters_per_name=False))
def test_funnel_agrees_with_oracle_without_ties_any_filters(
    engines: Engines, events: list[Ev], q: FunnelQuery
) -> None:
    got = counts_on_each_engine(engines, events, q)
    expected = funnel_counts(events, q)
    assert got == {"duckdb": expected, "clickhouse": expected}


def test_funnel_result_shape_and_conversion(engines: Engines) -> None:
    # given two users: one converts a → b within the window, the other only does a
    day = 1773014400000  # 2026-03-09 00:00 UTC
    events = [
        Ev("a", "u1", "acme", day + 1000, uid=0),
        Ev("b", "u1", "acme", day + 2000, uid=1),
        Ev("a", "u2", None, day + 1000, uid=2),
    ]
    q = FunnelQuery.model_validate(
        {"steps": ["a", "b"], "from": "2026-03-09", "to": "2026-03-09", "window": "1h"}
    )
    ws = fresh_workspace()
    engines.load(ws, events)
    for engine in engines.all():
        # when
        result = FunnelRunner(q, workspace_id=ws).calculate(engine)
        # then
        assert result.model_dump(mode="json") == {
            "by": "user",
            "window_seconds": 3600,
            "first_attempt": False,
            "steps": [
                {"event": "a", "count": 2, "conversion": 1.0},
                {"event": "b", "count": 1, "conversion": 0.5},
            ],
            "breakdown": None,
            "over_time": None,
            "time_to_convert": None,
        }


def test_empty_funnel_has_null_conversion(engines: Engines) -> None:
    q = FunnelQuery.model_validate({"steps": ["a", "b"], "from": "2026-03-09", "to": "2026-03-09"})
    for engine in engines.all():
        result = FunnelRunner(q, workspace_id=fresh_workspace()).calculate(engine)
        assert [(s.count, s.conversion) for s in result.steps] == [(0, None), (0, None)]


@pytest.mark.parametrize("by", ["user", "account"])
def test_later_steps_may_fall_after_to_within_the_window(engines: Engines, by: str) -> None:
    # given a start at 23:59 on the last day and the next step two minutes later
    end = 1773100800000  # 2026-03-10 00:00 UTC
    events = [
        Ev("a", "u1", "acme", end - 60_000, uid=0),
        Ev("b", "u1", "acme", end + 60_000, uid=1),
    ]
    q = FunnelQuery.model_validate(
        {"steps": ["a", "b"], "from": "2026-03-09", "to": "2026-03-09", "window": "5m", "by": by}
    )
    ws = fresh_workspace()
    engines.load(ws, events)
    for engine in engines.all():
        assert [s.count for s in FunnelRunner(q, workspace_id=ws).calculate(engine).steps] == [1, 1]


def test_repeated_steps_need_distinct_events_even_when_tied(engines: Engines) -> None:
    # given u1 with one "a" event and u2 with two "a" events at the same millisecond
    day = 1773014400000
    events = [
        Ev("a", "u1", None, day + 5, uid=0),
        Ev("a", "u2", None, day + 5, uid=1),
        Ev("a", "u2", None, day + 5, uid=2),
    ]
    q = FunnelQuery.model_validate({"steps": ["a", "a"], "from": "2026-03-09", "to": "2026-03-09"})
    ws = fresh_workspace()
    engines.load(ws, events)
    for engine in engines.all():
        # then only u2 reaches the second step
        assert [s.count for s in FunnelRunner(q, workspace_id=ws).calculate(engine).steps] == [2, 1]


def test_ten_steps_of_one_name_use_the_list_layout_and_agree_with_oracle(engines: Engines) -> None:
    # given 12 "a" events of two users, some tied; ten steps "a" do not fit the packed layout
    day = 1773014400000
    events = [Ev("a", "u1", None, day + 1000 * (i // 2), uid=i) for i in range(9)]
    events += [Ev("a", "u2", None, day + 1000 * i, uid=100 + i) for i in range(3)]
    events += [Ev("a", "u2", None, day + 1000 * 3, uid=200 + i) for i in range(7)]
    q = FunnelQuery.model_validate(
        {"steps": ["a"] * 10, "from": "2026-03-09", "to": "2026-03-09", "window": "1h"}
    )
    # when
    got = counts_on_each_engine(engines, events, q)
    # then u1 has only nine events; u2 has ten
    expected = funnel_counts(events, q)
    assert expected == [2] * 9 + [1]
    assert got == {"duckdb": expected, "clickhouse": expected}


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    events=event_sets(ties=True),
    q=funnel_queries(filters_per_name=True),
    step=st.integers(2, 4),
    packed=st.sampled_from([None, True, False]),
    numbers=st.booleans(),
)
def test_dropped_entities_agree_with_oracle(
    engines: Engines,
    events: list[Ev],
    q: FunnelQuery,
    step: int,
    packed: bool | None,
    numbers: bool,
) -> None:
    # given random events and a step of the funnel
    step = min(step, len(q.steps))
    ws = fresh_workspace()
    engines.load(ws, events)
    runner = FunnelRunner(q, workspace_id=ws, packed=packed, user_numbers=numbers)
    for engine in engines.all():
        # when / then: the entities that reached the step before and stopped there
        assert runner.dropped(engine, step=step) == dropped_entities(events, q, step)
