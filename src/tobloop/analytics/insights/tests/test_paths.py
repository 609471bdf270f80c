from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tobloop.analytics.insights.models import PathsQuery
from tobloop.analytics.insights.runners import PathsRunner
from tobloop.analytics.insights.tests.fixtures import Engines, fresh_workspace
from tobloop.analytics.insights.tests.oracle import Ev, paths_table
from tobloop.analytics.insights.tests.strategies import NAMES, ZONES, event_sets

PATH_NAMES = [*NAMES, "d", "e"]


@st.composite
def paths_queries(draw: st.DrawFn) -> PathsQuery:
    first = draw(st.dates(min_value=date(2026, 3, 6), max_value=date(2026, 3, 12)))
    anchor = draw(st.sampled_from(["start", "end"]))
    return PathsQuery.model_validate(
        {
            anchor: draw(st.sampled_from(PATH_NAMES[:3])),
            "from": first,
            "to": first + timedelta(days=draw(st.integers(0, 5))),
            "timezone": draw(st.sampled_from(ZONES)),
            "depth": draw(st.integers(2, 6)),
            "top": draw(st.integers(1, 3)),
            "collapse_repeats": draw(st.booleans()),
            "by": draw(st.sampled_from(["user", "account"])),
        }
    )


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(events=event_sets(ties=True, max_size=40, names=PATH_NAMES), q=paths_queries())
def test_paths_agree_with_oracle(engines: Engines, events: list[Ev], q: PathsQuery) -> None:
    # given random events with ties, repeats and events outside the range
    ws = fresh_workspace()
    engines.load(ws, events)
    expected = paths_table(events, q)
    for engine in engines.all():
        # when
        result = PathsRunner(q, workspace_id=ws).calculate(engine).model_dump(mode="json")
        # then
        assert {k: result[k] for k in ("entities", "nodes", "links")} == expected, engine.dialect


def test_paths_fold_rare_events_into_other_and_read_backwards_from_an_end(
    engines: Engines,
) -> None:
    # given three users: a→b→b→c, a→b→d, a→e (one second apart, on 9 March UTC)
    day = 1773014400000
    sequences = {"u1": "abbc", "u2": "abd", "u3": "ae"}
    events = [
        Ev(name, user, None, day + 1000 * i, uid=hash((user, i)))
        for user, names in sequences.items()
        for i, name in enumerate(names)
    ]
    ws = fresh_workspace()
    engines.load(ws, events)
    after = PathsQuery.model_validate(
        {"start": "a", "from": "2026-03-09", "to": "2026-03-09", "depth": 3, "top": 1}
    )
    before = PathsQuery.model_validate(
        {"end": "b", "from": "2026-03-09", "to": "2026-03-09", "depth": 2,
         "collapse_repeats": False}
    )  # fmt: skip
    for engine in engines.all():
        # when
        a = PathsRunner(after, workspace_id=ws).calculate(engine)
        b = PathsRunner(before, workspace_id=ws).calculate(engine)
        # then: repeats collapsed; level 2 keeps b and folds e; level 3 keeps c (tie, by name)
        assert [(n.level, n.event, n.count) for n in a.nodes] == [
            (1, "a", 3), (2, "b", 2), (2, "$other", 1), (3, "$other", 1), (3, "c", 1),
        ]  # fmt: skip
        assert [(x.level, x.source, x.target, x.count) for x in a.links] == [
            (1, "a", "b", 2), (1, "a", "$other", 1), (2, "b", "$other", 1), (2, "b", "c", 1),
        ]  # fmt: skip
        # the last b of u1 follows another b; u2's b follows a
        assert (b.direction, b.entities) == ("before", 2)
        assert [(x.source, x.target, x.count) for x in b.links] == [("b", "a", 1), ("b", "b", 1)]


def test_paths_collapse_long_runs_of_repeats(engines: Engines) -> None:
    # given u1: x, a, then b sixty times, c, d; u2: a, b, b, c (one second apart, 9 March UTC)
    day = 1773014400000
    sequences = {"u1": ["x", "a", *["b"] * 60, "c", "d"], "u2": ["a", "b", "b", "c"]}
    events = [
        Ev(name, user, None, day + 1000 * i, uid=hash((user, i)))
        for user, names in sequences.items()
        for i, name in enumerate(names)
    ]
    ws = fresh_workspace()
    engines.load(ws, events)
    span = {"from": "2026-03-09", "to": "2026-03-09", "depth": 4}
    collapsed = PathsQuery.model_validate({**span, "start": "a"})
    raw = PathsQuery.model_validate({**span, "start": "a", "collapse_repeats": False})
    before = PathsQuery.model_validate({**span, "end": "c", "depth": 5})
    for engine in engines.all():
        # when
        runs = [PathsRunner(q, workspace_id=ws).calculate(engine) for q in (collapsed, raw, before)]
        # then the sixty b count once when collapsed, and as they are when not
        assert [(x.level, x.source, x.target, x.count) for x in runs[0].links] == [
            (1, "a", "b", 2), (2, "b", "c", 2), (3, "c", "d", 1),
        ], engine.dialect  # fmt: skip
        assert [(n.level, n.event, n.count) for n in runs[1].nodes] == [
            (1, "a", 2), (2, "b", 2), (3, "b", 2), (4, "b", 1), (4, "c", 1),
        ], engine.dialect  # fmt: skip
        # read backwards from the last c: c, b, a, then x for u1 only
        assert [(x.level, x.source, x.target, x.count) for x in runs[2].links] == [
            (1, "c", "b", 2), (2, "b", "a", 2), (3, "a", "x", 1),
        ], engine.dialect  # fmt: skip
