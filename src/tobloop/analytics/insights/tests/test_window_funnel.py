"""The funnel against ClickHouse's own ``windowFunnel`` (through chdb), on data without ties."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tobloop.analytics.insights.dialect import Dialect, Params, entity_column, matcher_condition
from tobloop.analytics.insights.models import FunnelQuery
from tobloop.analytics.insights.periods import range_ms
from tobloop.analytics.insights.runners import FunnelRunner
from tobloop.analytics.insights.tests.fixtures import Engines, fresh_workspace
from tobloop.analytics.insights.tests.oracle import Ev
from tobloop.analytics.insights.tests.strategies import (
    DATE_FROM,
    DATE_TO,
    NAMES,
    ZONES,
    event_sets,
    step_filters,
)


def window_funnel_counts(engines: Engines, q: FunnelQuery, workspace_id: int) -> list[int]:
    """The same question asked of ``windowFunnel(W)``: step 1 must be inside the range."""
    p = Params(Dialect.CLICKHOUSE)
    lo, hi = range_ms(q)
    ts = "toUnixTimestamp64Milli(timestamp)"
    conds = [matcher_condition(Dialect.CLICKHOUSE, s, p) for s in q.steps]
    conds[0] += f" AND {ts} >= {p.add(lo, 'Int64')} AND {ts} < {p.add(hi, 'Int64')}"
    entity, has_entity = entity_column(q.by)
    window = p.add(q.window * 1000, "UInt64")
    levels = ", ".join(f"countIf(level >= {i + 1})" for i in range(len(q.steps)))
    sql = f"""
SELECT {levels} FROM (
    SELECT {entity}, windowFunnel({window})(toUInt64({ts}), {", ".join(conds)}) AS level
    FROM events WHERE workspace_id = {p.add(workspace_id, "UInt64")} AND {has_entity}
    GROUP BY {entity})"""
    return [int(v) for v in engines.clickhouse.rows(sql, p.values)[0]]


@st.composite
def best_attempt_queries(draw: st.DrawFn) -> FunnelQuery:
    # Distinct names: one event that matches two conditions may fill both levels of
    # windowFunnel (it depends on its sort order), while DESIGN.md needs distinct events.
    names = draw(st.lists(st.sampled_from(NAMES), min_size=2, max_size=4, unique=True))
    return FunnelQuery.model_validate(
        {
            "steps": [{"event": n, "filters": draw(step_filters())} for n in names],
            "from": DATE_FROM,
            "to": DATE_TO,
            "timezone": draw(st.sampled_from(ZONES)),
            "window": draw(st.sampled_from(["30m", "3h", "1d", 90])),
            "by": draw(st.sampled_from(["user", "account"])),
        }
    )


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(events=event_sets(ties=False, max_size=30), q=best_attempt_queries())
def test_funnel_matches_clickhouse_window_funnel_without_ties(
    engines: Engines, events: list[Ev], q: FunnelQuery
) -> None:
    # given events with distinct timestamps and steps with distinct names
    ws = fresh_workspace()
    engines.load(ws, events)
    # when
    reference = window_funnel_counts(engines, q, ws)
    # then
    for engine in engines.all():
        got = [s.count for s in FunnelRunner(q, workspace_id=ws).calculate(engine).steps]
        assert got == reference
