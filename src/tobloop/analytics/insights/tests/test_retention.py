from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tobloop.analytics.insights.models import PropertyFilter, RetentionQuery
from tobloop.analytics.insights.runners import RetentionRunner
from tobloop.analytics.insights.tests.fixtures import Engines, fresh_workspace
from tobloop.analytics.insights.tests.oracle import Ev, retention_table
from tobloop.analytics.insights.tests.strategies import (
    BASE_MS,
    NAMES,
    ZONES,
    fine_times,
    property_filters,
    props,
)

EXAMPLES = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
DAY_MS = 86_400_000
BASE_DATE_LOW, BASE_DATE_HIGH = date(2026, 2, 12), date(2026, 3, 8)
USERS = [f"u{i}" for i in range(12)] + [""]
ACCOUNTS = [f"acc{i}" for i in range(6)] + [None]


@st.composite
def long_event_sets(draw: st.DrawFn) -> list[Ev]:
    """Events over five weeks (and some ties), so weekly and monthly cohorts fill up."""
    n = draw(st.integers(0, 40))
    spread = st.builds(
        lambda day, ms: BASE_MS + (day - 21) * DAY_MS + ms,
        st.sampled_from(range(35)),
        st.integers(0, DAY_MS - 1),
    )
    stamps = draw(st.lists(st.one_of(spread, fine_times()), min_size=n, max_size=n))
    if stamps and draw(st.booleans()):
        stamps[-1] = stamps[0]  # a tie
    return [
        Ev(
            event=draw(st.sampled_from(NAMES)),
            user=draw(st.sampled_from(USERS)),
            account=draw(st.sampled_from(ACCOUNTS)),
            ms=ms,
            props=draw(props),
            uid=i,
        )
        for i, ms in enumerate(stamps)
    ]


def rare_filters() -> st.SearchStrategy[list[PropertyFilter]]:
    """Mostly no filter, so that cohorts are not empty too often."""
    return st.one_of(st.just([]), st.just([]), st.lists(property_filters(), max_size=1))


@st.composite
def retention_queries(draw: st.DrawFn) -> RetentionQuery:
    period = draw(st.sampled_from(["day", "week", "month"]))
    start = {"event": draw(st.sampled_from(NAMES)), "filters": draw(rare_filters())}
    back = draw(
        st.one_of(
            st.none(),
            st.fixed_dictionaries({"event": st.sampled_from(NAMES), "filters": rare_filters()}),
        )
    )
    first = draw(st.dates(min_value=BASE_DATE_LOW, max_value=BASE_DATE_HIGH))
    length = draw(st.integers(0, 40))
    return RetentionQuery.model_validate(
        {
            "start": start,
            "return": back,
            "from": first,
            "to": first + timedelta(days=length),
            "timezone": draw(st.sampled_from(ZONES)),
            "period": period,
            "periods": draw(st.integers(1, 6)),
            "by": draw(st.sampled_from(["user", "account"])),
            "bounded": draw(st.booleans()),
        }
    )


@EXAMPLES
@given(events=long_event_sets(), q=retention_queries())
def test_retention_agrees_with_oracle(
    engines: Engines, events: list[Ev], q: RetentionQuery
) -> None:
    # given random events over ten weeks, some without user or account
    ws = fresh_workspace()
    engines.load(ws, events)
    expected = [{"cohort": c, "size": s, "retained": r} for c, s, r in retention_table(events, q)]
    for engine in engines.all():
        # when
        result = RetentionRunner(q, workspace_id=ws).calculate(engine)
        # then
        assert [c.model_dump() for c in result.cohorts] == expected, engine.dialect


def test_weekly_cohort_labelled_by_monday_and_bounded_vs_unbounded(engines: Engines) -> None:
    # given u1 starts on Wednesday 2026-03-11 and comes back two weeks later only
    wed = 1773187200000  # 2026-03-11 00:00 UTC
    events = [
        Ev("a", "u1", "acme", wed + 3600_000, uid=0),
        Ev("b", "u1", "acme", wed + 14 * DAY_MS, uid=1),
    ]
    ws = fresh_workspace()
    engines.load(ws, events)
    base = {"start": "a", "from": "2026-03-09", "to": "2026-03-15", "period": "week", "periods": 3}
    for engine in engines.all():
        bounded = RetentionRunner(RetentionQuery.model_validate(base), workspace_id=ws).calculate(
            engine
        )
        unbounded = RetentionRunner(
            RetentionQuery.model_validate({**base, "bounded": False}), workspace_id=ws
        ).calculate(engine)
        # then
        assert bounded.model_dump(mode="json")["cohorts"] == [
            {"cohort": "2026-03-09", "size": 1, "retained": [0, 1, 0]}
        ]
        assert unbounded.model_dump(mode="json")["cohorts"] == [
            {"cohort": "2026-03-09", "size": 1, "retained": [1, 1, 0]}
        ]
