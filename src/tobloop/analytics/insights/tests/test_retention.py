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


def test_daily_retention_across_many_periods_by_hand(engines: Engines) -> None:
    # given daily cohorts from 1 January 2026 (day 0) over 120 days, 10 periods, in UTC:
    # u2 starts on day 0 and returns on days 1, 5 and 130 (after the range);
    # u1 starts on day 60 and returns on days 63, 64, 65 and 70; u3 starts on day 100 and
    # returns on days 101 and 127
    jan1 = 1767225600000  # 2026-01-01 00:00 UTC
    plan = [("u2", "s", 0), ("u2", "r", 1), ("u2", "r", 5), ("u2", "r", 130),
            ("u1", "s", 60), ("u1", "r", 63), ("u1", "r", 64), ("u1", "r", 65), ("u1", "r", 70),
            ("u3", "s", 100), ("u3", "r", 101), ("u3", "r", 127)]  # fmt: skip
    events = [
        Ev(name, user, "acme", jan1 + day * DAY_MS + 3_600_000, uid=i)
        for i, (user, name, day) in enumerate(plan)
    ]
    ws = fresh_workspace()
    engines.load(ws, events)
    base = {"start": "s", "return": "r", "from": "2026-01-01", "to": "2026-04-30",
            "period": "day", "periods": 10}  # fmt: skip
    for engine in engines.all():
        # when
        runs = [
            RetentionRunner(RetentionQuery.model_validate({**base, "bounded": b}), workspace_id=ws)
            .calculate(engine)
            .cohorts
            for b in (True, False)
        ]
        # then: every day is a cohort; the three non-empty ones
        assert len(runs[0]) == 120
        bounded = {(c.cohort - date(2026, 1, 1)).days: c.retained for c in runs[0] if c.size}
        assert bounded == {
            0: [1, 0, 0, 0, 1, 0, 0, 0, 0, 0],
            60: [0, 0, 1, 1, 1, 0, 0, 0, 0, 1],
            100: [1, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        }, engine.dialect
        # on or after: each came back on or after day 10 of its cohort
        unbounded = {(c.cohort - date(2026, 1, 1)).days: c.retained for c in runs[1] if c.size}
        assert unbounded == {day: [1] * 10 for day in (0, 60, 100)}, engine.dialect
