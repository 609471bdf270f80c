from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tobloop.analytics.insights.models import Period, TrendsQuery
from tobloop.analytics.insights.runners import TrendsRunner
from tobloop.analytics.insights.tests.fixtures import Engines, fresh_workspace
from tobloop.analytics.insights.tests.oracle import Ev, trends_table
from tobloop.analytics.insights.tests.strategies import NAMES, ZONES
from tobloop.analytics.insights.tests.test_retention import (
    BASE_DATE_HIGH,
    BASE_DATE_LOW,
    long_event_sets,
    rare_filters,
)


@st.composite
def trends_queries(draw: st.DrawFn) -> TrendsQuery:
    first = draw(st.dates(min_value=BASE_DATE_LOW, max_value=BASE_DATE_HIGH))
    event = draw(
        st.one_of(
            st.none(),
            st.fixed_dictionaries({"event": st.sampled_from(NAMES), "filters": rare_filters()}),
        )
    )
    return TrendsQuery.model_validate(
        {
            "event": event,
            "from": first,
            "to": first + timedelta(days=draw(st.integers(0, 40))),
            "timezone": draw(st.sampled_from(ZONES)),
            "interval": draw(st.sampled_from(["day", "week", "month"])),
        }
    )


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(events=long_event_sets(), q=trends_queries())
def test_trends_agree_with_oracle(engines: Engines, events: list[Ev], q: TrendsQuery) -> None:
    # given random events, some without user or account, some outside the range
    ws = fresh_workspace()
    engines.load(ws, events)
    expected = [
        {"date": d, "count": n, "users": u, "accounts": a} for d, n, u, a in trends_table(events, q)
    ]
    for engine in engines.all():
        # when
        result = TrendsRunner(q, workspace_id=ws).calculate(engine)
        # then
        assert [p.model_dump() for p in result.series] == expected, engine.dialect


def test_trends_count_distinct_entities_across_many_periods_by_hand(engines: Engines) -> None:
    # given 200 days from 1 January 2026 in New York (DST from 8 March), events at 12:00 UTC:
    # u1 (acme) on days 0, 63, 64 (twice) and 130; u2 (acme) on day 64, (beta) on day 199;
    # u3 without an account on day 63
    noon = 1767268800000  # 2026-01-01 12:00 UTC
    day_ms = 86_400_000
    plan = [("u1", "acme", 0), ("u1", "acme", 63), ("u1", "acme", 64), ("u1", "acme", 64),
            ("u1", "acme", 130), ("u2", "acme", 64), ("u2", "beta", 199),
            ("u3", None, 63)]  # fmt: skip
    events = [
        Ev("a", user, account, noon + day * day_ms + i, uid=i)
        for i, (user, account, day) in enumerate(plan)
    ]
    ws = fresh_workspace()
    engines.load(ws, events)
    q = TrendsQuery.model_validate(
        {"from": "2026-01-01", "to": "2026-07-19", "timezone": "America/New_York"}
    )
    for engine in engines.all():
        # when
        series = TrendsRunner(q, workspace_id=ws).calculate(engine).series
        # then: every day of the range, each entity once per day it was active
        assert len(series) == 200
        got = {i: (p.count, p.users, p.accounts) for i, p in enumerate(series) if p.count}
        assert got == {
            0: (1, 1, 1), 63: (2, 2, 1), 64: (3, 2, 1), 130: (1, 1, 1), 199: (1, 1, 1),
        }, engine.dialect  # fmt: skip
        # and by week: days 63 and 64 (Thursday 5 and Friday 6 March) share the week of 2 March
        weekly = TrendsRunner(
            q.model_copy(update={"interval": Period.WEEK}), workspace_id=ws
        ).calculate(engine)
        got_weeks = {p.date.isoformat(): (p.count, p.users, p.accounts)
                     for p in weekly.series if p.count}  # fmt: skip
        assert got_weeks == {
            "2025-12-29": (1, 1, 1), "2026-03-02": (5, 3, 1), "2026-05-11": (1, 1, 1),
            "2026-07-13": (1, 1, 1),
        }, engine.dialect  # fmt: skip
