from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tobloop.analytics.insights.models import TrendsQuery
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
