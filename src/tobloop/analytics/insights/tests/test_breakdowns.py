"""Retention and trends breakdowns, per-account trends and DAU/WAU/MAU: engines vs oracle."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tobloop.analytics.insights.models import ActiveQuery, RetentionQuery, TrendsQuery
from tobloop.analytics.insights.runners import ActiveRunner, RetentionRunner, TrendsRunner
from tobloop.analytics.insights.tests.fixtures import Engines, fresh_workspace
from tobloop.analytics.insights.tests.oracle import (
    Ev,
    Values,
    active_table,
    retention_breakdown,
    retention_table,
    trends_breakdown,
    trends_table,
)
from tobloop.analytics.insights.tests.strategies import (
    ACCOUNT_VALUES,
    NAMES,
    ZONES,
    breakdowns,
    with_identifies,
)
from tobloop.analytics.insights.tests.test_retention import (
    BASE_DATE_HIGH,
    BASE_DATE_LOW,
    long_event_sets,
    rare_filters,
    retention_queries,
)
from tobloop.analytics.insights.tests.test_trends import trends_queries

EXAMPLES = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
DAY = 1773014400000  # 2026-03-09 00:00 UTC (a Monday)
DAY_MS = 86_400_000


def _rows(cohorts: list[tuple[date, int, list[int]]]) -> list[dict[str, object]]:
    return [{"cohort": c, "size": s, "retained": r} for c, s, r in cohorts]


@EXAMPLES
@given(
    events=with_identifies(long_event_sets()),
    q=retention_queries(),
    bd=breakdowns().filter(lambda b: b is not None),
)
def test_retention_breakdown_agrees_with_oracle(
    engines: Engines, events: list[Ev], q: RetentionQuery, bd: object
) -> None:
    # given random events over weeks, identify calls, users without an account
    q = q.model_copy(update={"breakdown": bd})
    ws = fresh_workspace()
    engines.load(ws, events)
    expected = [
        {"value": v, "cohorts": _rows(t)}
        for v, t in retention_breakdown(events, q, Values(events, ACCOUNT_VALUES))
    ]
    for engine in engines.all():
        # when
        runner = RetentionRunner(q, workspace_id=ws, account_values=ACCOUNT_VALUES)
        result = runner.calculate(engine)
        # then the rows are the oracle's and the totals are the plain retention's
        got = [
            {"value": r.value, "cohorts": [c.model_dump() for c in r.cohorts]}
            for r in result.breakdown or []
        ]
        assert got == expected, engine.dialect
        assert [c.model_dump() for c in result.cohorts] == _rows(retention_table(events, q))


@st.composite
def account_trends(draw: st.DrawFn) -> TrendsQuery:
    q = draw(trends_queries())
    return q.model_copy(
        update={
            "breakdown": draw(breakdowns()),
            "account": draw(st.sampled_from([None, None, "acc1", "acc2"])),
        }
    )


@EXAMPLES
@given(events=with_identifies(long_event_sets()), q=account_trends())
def test_trends_breakdown_and_account_filter_agree_with_oracle(
    engines: Engines, events: list[Ev], q: TrendsQuery
) -> None:
    ws = fresh_workspace()
    engines.load(ws, events)
    values = Values(events, {"acc1": "SMB", "acc2": "Enterprise", "acc3": "SMB"})
    for engine in engines.all():
        result = TrendsRunner(q, workspace_id=ws, account_values=values.accounts).calculate(engine)
        assert [tuple(p.model_dump().values()) for p in result.series] == trends_table(events, q)
        if q.breakdown is None:
            assert result.breakdown is None
            continue
        got = [(r.value, [tuple(p.model_dump().values()) for p in r.series])
               for r in result.breakdown]  # fmt: skip
        assert got == trends_breakdown(events, q, values), engine.dialect


@st.composite
def active_queries(draw: st.DrawFn) -> ActiveQuery:
    first = draw(st.dates(min_value=BASE_DATE_LOW, max_value=BASE_DATE_HIGH))
    event = draw(
        st.one_of(
            st.none(),
            st.fixed_dictionaries({"event": st.sampled_from(NAMES), "filters": rare_filters()}),
        )
    )
    return ActiveQuery.model_validate(
        {
            "event": event,
            "from": first,
            "to": first + timedelta(days=draw(st.integers(0, 20))),
            "timezone": draw(st.sampled_from(ZONES)),
            "by": draw(st.sampled_from(["user", "account"])),
            "account": draw(st.sampled_from([None, None, "acc1"])),
        }
    )


@EXAMPLES
@given(events=with_identifies(long_event_sets()), q=active_queries())
def test_active_users_agree_with_oracle(engines: Engines, events: list[Ev], q: ActiveQuery) -> None:
    ws = fresh_workspace()
    engines.load(ws, events)
    expected = active_table(events, q)
    for engine in engines.all():
        result = ActiveRunner(q, workspace_id=ws).calculate(engine)
        assert [(p.date, p.dau, p.wau, p.mau) for p in result.series] == expected, engine.dialect


def test_active_users_and_stickiness_by_hand(engines: Engines) -> None:
    # given u1 active every day from 1 March, u2 only on 20 February, u3 on 9 and 10 March;
    # an identify call does not make anyone active
    events = [Ev("a", "u1", "acme", DAY - i * DAY_MS + 5, uid=i) for i in range(8)]
    events += [
        Ev("b", "u2", None, DAY - 17 * DAY_MS, uid=100),
        Ev("a", "u3", "acme", DAY + 3600_000, uid=101),
        Ev("c", "u3", "acme", DAY + DAY_MS + 10, uid=102),
        Ev("", "u4", "acme", DAY + 10, type="identify", uid=103),
    ]
    ws = fresh_workspace()
    engines.load(ws, events)
    q = ActiveQuery.model_validate({"from": "2026-03-09", "to": "2026-03-10"})
    for engine in engines.all():
        result = ActiveRunner(q, workspace_id=ws).calculate(engine)
        # then 9 March: DAU u1 u3, WAU u1 u3, MAU u1 u2 u3; 10 March: DAU u3 only
        assert [(p.dau, p.wau, p.mau) for p in result.series] == [(2, 2, 3), (1, 2, 3)]
        assert result.series[0].stickiness == 2 / 3
        assert result.stickiness == (2 / 3 + 1 / 3) / 2
        assert (result.average_dau, result.average_wau, result.average_mau) == (1.5, 2, 3)
        by_account = ActiveRunner(
            q.model_copy(update={"by": "account", "account": "acme"}), workspace_id=ws
        ).calculate(engine)
        assert [(p.dau, p.mau) for p in by_account.series] == [(1, 1), (1, 1)]


def test_trends_breakdown_by_hand(engines: Engines) -> None:
    # given three "pro" events of two users, one "free" and one without a plan, top 1
    events = [
        Ev("a", "u1", "acme", DAY + 1, {"plan": "pro"}, uid=0),
        Ev("a", "u1", "acme", DAY + 2, {"plan": "pro"}, uid=1),
        Ev("a", "u2", "acme", DAY + 3, {"plan": "pro"}, uid=2),
        Ev("a", "u2", None, DAY + 4, {"plan": "free"}, uid=3),
        Ev("a", "u3", None, DAY + DAY_MS, uid=4),
    ]
    ws = fresh_workspace()
    engines.load(ws, events)
    q = TrendsQuery.model_validate(
        {
            "from": "2026-03-09",
            "to": "2026-03-10",
            "breakdown": {"kind": "event_property", "key": "plan", "top": 1},
        }
    )
    for engine in engines.all():
        result = TrendsRunner(q, workspace_id=ws).calculate(engine)
        got = {
            r.value: [(p.count, p.users, p.accounts) for p in r.series]
            for r in result.breakdown or []
        }
        # then "$other" holds free and none, and counts u2 once on 9 March
        assert got == {"pro": [(3, 2, 1), (0, 0, 0)], "$other": [(1, 1, 0), (1, 1, 0)]}
        assert [(p.count, p.users) for p in result.series] == [(4, 2), (1, 1)]


def test_long_ranges_across_daylight_saving_agree_with_oracle(engines: Engines) -> None:
    # given 1,500 events at random milliseconds over 300 days of 2026 (both daylight-saving
    # changes of New York), 20 users, three accounts and users without one, a "plan" property
    import random

    rng = random.Random(7)
    start = 1767225600000  # 2026-01-01 00:00 UTC
    events = [
        Ev(
            rng.choice(NAMES),
            f"u{rng.randrange(20)}",
            rng.choice(["acc1", "acc2", "acc3", None]),
            start + rng.randrange(300 * DAY_MS),
            {"plan": rng.choice(["free", "pro", "team"])},
            uid=i,
        )
        for i in range(1500)
    ]
    ws = fresh_workspace()
    engines.load(ws, events)
    values = Values(events, {"acc1": "SMB", "acc2": "Enterprise", "acc3": "SMB"})
    top1 = {"kind": "event_property", "key": "plan", "top": 1}  # two values fold into $other
    span = {"from": "2026-01-05", "to": "2026-09-30", "timezone": "America/New_York"}
    trends = TrendsQuery.model_validate({**span, "breakdown": top1})  # 269 days: five blocks
    retention = RetentionQuery.model_validate(
        {**span, "start": {"event": NAMES[0]}, "period": "day", "periods": 90,
         "breakdown": {"kind": "account_field", "key": "segment"}}
    )  # fmt: skip
    unbounded = retention.model_copy(update={"bounded": False, "breakdown": None})
    active = ActiveQuery.model_validate({**span, "timezone": "Asia/Kolkata", "by": "account"})
    for engine in engines.all():
        # when / then: every kind equals the oracle on both engines
        got_trends = TrendsRunner(trends, workspace_id=ws, account_values=values.accounts)
        result = got_trends.calculate(engine)
        assert [tuple(p.model_dump().values()) for p in result.series] == trends_table(
            events, trends
        ), engine.dialect
        assert [
            (r.value, [tuple(p.model_dump().values()) for p in r.series])
            for r in result.breakdown or []
        ] == trends_breakdown(events, trends, values), engine.dialect
        kept = RetentionRunner(retention, workspace_id=ws, account_values=values.accounts)
        got = kept.calculate(engine)
        assert [c.model_dump() for c in got.cohorts] == _rows(retention_table(events, retention))
        assert [
            {"value": r.value, "cohorts": [c.model_dump() for c in r.cohorts]}
            for r in got.breakdown or []
        ] == [
            {"value": v, "cohorts": _rows(t)}
            for v, t in retention_breakdown(events, retention, values)
        ], engine.dialect
        loose = RetentionRunner(unbounded, workspace_id=ws).calculate(engine)
        assert [c.model_dump() for c in loose.cohorts] == _rows(retention_table(events, unbounded))
        series = ActiveRunner(active, workspace_id=ws).calculate(engine).series
        assert [(p.date, p.dau, p.wau, p.mau) for p in series] == active_table(events, active)
        # and the case is not empty: one kept value and $other, returns past period 64
        assert [r.value for r in result.breakdown or []][1:] == ["$other"]
        assert any(c.retained[64:] and max(c.retained[64:]) > 0 for c in got.cohorts)
