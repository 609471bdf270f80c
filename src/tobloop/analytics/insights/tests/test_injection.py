"""Text from users reaches the engines only as bind parameters, in every field of every query."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from tobloop.analytics.insights.active_builder import build_active
from tobloop.analytics.insights.dialect import Dialect, checked_table
from tobloop.analytics.insights.funnel_builder import (
    build_funnel,
    build_funnel_anchors,
    build_funnel_keys,
    build_funnel_sequences,
    distinct_step_names,
)
from tobloop.analytics.insights.models import (
    ActiveQuery,
    Breakdown,
    DroppedQuery,
    EventMatcher,
    FunnelQuery,
    PathsQuery,
    RetentionQuery,
    TrendsQuery,
)
from tobloop.analytics.insights.paths_builder import build_paths
from tobloop.analytics.insights.retention_builder import build_retention
from tobloop.analytics.insights.runners import (
    ActiveRunner,
    FunnelRunner,
    PathsRunner,
    RetentionRunner,
    TrendsRunner,
)
from tobloop.analytics.insights.tests.fixtures import Engines, fresh_workspace
from tobloop.analytics.insights.tests.oracle import Ev
from tobloop.analytics.insights.trends_builder import build_trends

ATTACKS = [
    "'; DROP TABLE events; --",
    "a' OR '1'='1",
    '" OR ""="',
    "x\\'; SELECT 1; --",
    "{p0:String}",
    "$p0",
    "?",
    "*/ SELECT 1 /*",
    "ev\x00nt",
    "事件' UNION SELECT * FROM system.tables --",
    '/~0~1"}',
    "tab\there\nnew line\r\\N",
]
DAY = 1773014400000  # 2026-03-09 00:00 UTC


def funnel_with(name: str, key: str, value: str) -> FunnelQuery:
    return FunnelQuery.model_validate(
        {
            "steps": [name, {"event": name, "filters": [{"key": key, "value": value}]}],
            "from": "2026-03-09",
            "to": "2026-03-09",
            "window": "1h",
        }
    )


def retention_with(name: str, key: str, value: str) -> RetentionQuery:
    return RetentionQuery.model_validate(
        {
            "start": {"event": name, "filters": [{"key": key, "op": "contains", "value": value}]},
            "return": {"event": name, "filters": [{"key": key, "op": "neq", "value": value}]},
            "from": "2026-03-09",
            "to": "2026-03-09",
            "period": "day",
            "periods": 1,
        }
    )


def trends_with(name: str, key: str, value: str) -> TrendsQuery:
    return TrendsQuery.model_validate(
        {
            "event": {"event": name, "filters": [{"key": key, "value": value}]},
            "from": "2026-03-09",
            "to": "2026-03-10",
        }
    )


def paths_with(name: str) -> PathsQuery:
    return PathsQuery.model_validate({"start": name, "from": "2026-03-09", "to": "2026-03-10"})


@pytest.mark.parametrize("attack", ATTACKS)
@pytest.mark.parametrize("dialect", list(Dialect))
def test_user_text_changes_only_the_parameters(attack: str, dialect: Dialect) -> None:
    # given the same queries with harmless text and with an attack in name, key and value
    def built(text: str) -> list[tuple[str, dict[str, Any]]]:
        return [
            (b.sql, b.params)
            for b in (
                build_funnel(funnel_with(text, text, text), dialect=dialect, workspace_id=1),
                build_retention(retention_with(text, text, text), dialect=dialect, workspace_id=1),
                build_trends(trends_with(text, text, text), dialect=dialect, workspace_id=1),
                build_paths(paths_with(text), dialect=dialect, workspace_id=1),
            )
        ]

    # when
    safe, attacked = built("plain"), built(attack)
    # then the SQL text is the same; the attack is only in the bound values
    for (safe_sql, safe_params), (sql, params) in zip(safe, attacked, strict=True):
        assert sql == safe_sql
        assert safe_params.keys() == params.keys()
        assert any(isinstance(v, str) and attack in v for v in params.values()) or "/" in attack


@pytest.mark.parametrize("attack", ATTACKS)
def test_attacks_are_matched_literally_on_both_engines(engines: Engines, attack: str) -> None:
    # given events whose name, property key and value are the attack text itself
    events = [
        Ev(attack, "u1", "acme", DAY + 1000, {attack: attack}, uid=0),
        Ev(attack, "u1", "acme", DAY + 2000, {attack: attack}, uid=1),
        Ev(attack, "u2", "acme", DAY + 1000, {attack: "other"}, uid=2),
        Ev(attack, "u2", "acme", DAY + 86_400_000 + 5, {attack: "other"}, uid=3),
    ]
    ws = fresh_workspace()
    engines.load(ws, events)
    for engine in engines.all():
        # when
        funnel = FunnelRunner(funnel_with(attack, attack, attack), workspace_id=ws)
        retention = RetentionRunner(retention_with(attack, attack, attack), workspace_id=ws)
        # then the text is compared as data, and the table is still there
        assert [s.count for s in funnel.calculate(engine).steps] == [2, 1]
        cohorts = retention.calculate(engine).cohorts
        assert [(c.size, c.retained) for c in cohorts] == [(1, [0])]
        trends = TrendsRunner(trends_with(attack, attack, attack), workspace_id=ws)
        assert [(p.count, p.users) for p in trends.calculate(engine).series] == [(2, 1), (0, 0)]
        paths = PathsRunner(paths_with(attack), workspace_id=ws).calculate(engine)
        assert [(n.event, n.count) for n in paths.nodes] == [(attack, 2)]
        assert engine.rows("SELECT count(*) FROM events", {}) == [[_total(engines)]]


def _total(engines: Engines) -> Any:
    return engines.duck_con.execute("SELECT count(*) FROM events").fetchall()[0][0]


@pytest.mark.parametrize("attack", ATTACKS)
def test_attacks_in_validated_fields_are_refused(attack: str) -> None:
    base = {"steps": ["a", "b"], "from": "2026-03-09", "to": "2026-03-09"}
    for field in ("timezone", "window", "by", "from", "to", "first_attempt"):
        with pytest.raises(ValidationError):
            FunnelQuery.model_validate({**base, field: attack})
    with pytest.raises(ValidationError):
        TrendsQuery.model_validate({"from": "2026-03-09", "to": "2026-03-09", "interval": attack})
    for field in ("depth", "top", "collapse_repeats", "by"):
        with pytest.raises(ValidationError):
            PathsQuery.model_validate(
                {"start": "a", "from": "2026-03-09", "to": "2026-03-09", field: attack}
            )
    for field in ("period", "periods", "bounded"):
        with pytest.raises(ValidationError):
            RetentionQuery.model_validate(
                {"start": "a", "from": "2026-03-09", "to": "2026-03-09", field: attack}
            )
    with pytest.raises(ValueError, match="not a table name"):
        checked_table(attack)


def _breakdown_queries(text: str) -> list[tuple[str, Any]]:
    """Every new field that carries user text: breakdown keys, account ids and field values."""
    base = {"from": "2026-03-09", "to": "2026-03-10"}
    funnel = FunnelQuery.model_validate(
        {
            **base,
            "steps": [text, text],
            "breakdown": {"kind": "event_property", "key": text},
            "over_time": "week",
            "time_to_convert": True,
        }
    )
    trait = Breakdown(kind="user_trait", key=text)
    plan = Breakdown(kind="account_field", key="plan")
    return [
        ("funnel", funnel),
        ("funnel_trait", funnel.model_copy(update={"breakdown": trait})),
        ("funnel_account", funnel.model_copy(update={"breakdown": plan})),
        ("funnel_distinct", funnel.model_copy(  # folded in columns on DuckDB
            update={"steps": (funnel.steps[0], EventMatcher(event="b"))})),
        ("retention", RetentionQuery.model_validate(
            {**base, "start": text, "return": text,
             "breakdown": {"kind": "user_trait", "key": text}})),
        ("retention_account", RetentionQuery.model_validate(
            {**base, "start": text, "breakdown": {"kind": "account_field", "key": "segment"}})),
        ("trends", TrendsQuery.model_validate(
            {**base, "event": text, "account": text,
             "breakdown": {"kind": "event_property", "key": text}})),
        ("trends_account", TrendsQuery.model_validate(
            {**base, "account": text, "breakdown": {"kind": "account_field", "key": "region"}})),
        ("active", ActiveQuery.model_validate({**base, "event": text, "account": text})),
    ]  # fmt: skip


def _build(kind: str, q: Any, dialect: Dialect, text: str) -> list[tuple[str, dict[str, Any]]]:
    values = {text: text, "plain": text}
    if kind.startswith("funnel"):
        return [
            (b.sql, b.params)
            for b in (
                build_funnel(q, dialect=dialect, workspace_id=1, account_values=values),
                build_funnel(q, dialect=dialect, workspace_id=1, timing=True),
                build_funnel(q, dialect=dialect, workspace_id=1, dropped_at=2, limit=5),
                *(
                    (
                        build_funnel_sequences(q, workspace_id=1),
                        build_funnel_sequences(
                            q, workspace_id=1, grouped=True, account_values=values
                        ),
                        build_funnel_keys(q, workspace_id=1),
                        build_funnel_anchors(q, workspace_id=1, account_values=values),
                    )
                    if dialect is Dialect.DUCKDB and distinct_step_names(q)
                    else ()
                ),
            )
        ]
    if kind.startswith("retention"):
        b = build_retention(q, dialect=dialect, workspace_id=1, account_values=values)
    elif kind.startswith("trends"):
        b = build_trends(q, dialect=dialect, workspace_id=1, account_values=values, split=True)
    else:
        b = build_active(q, dialect=dialect, workspace_id=1)
    return [(b.sql, b.params)]


@pytest.mark.parametrize("attack", ATTACKS)
@pytest.mark.parametrize("dialect", list(Dialect))
def test_new_fields_change_only_the_parameters(attack: str, dialect: Dialect) -> None:
    # given every breakdown, account filter and account value with harmless text and an attack
    for (kind, safe_q), (_, attacked_q) in zip(
        _breakdown_queries("plain"), _breakdown_queries(attack), strict=True
    ):
        safe, attacked = (
            _build(kind, safe_q, dialect, "plain"),
            _build(kind, attacked_q, dialect, attack),
        )
        # then the SQL text is the same and the attack travels as a parameter
        for (safe_sql, safe_params), (sql, params) in zip(safe, attacked, strict=True):
            assert sql == safe_sql, kind
            assert safe_params.keys() == params.keys()
            assert any(
                isinstance(v, str) and (attack in v or "/" in attack) for v in params.values()
            )


@pytest.mark.parametrize("attack", [a for a in ATTACKS if "\x00" not in a])
def test_attacks_in_breakdowns_are_matched_literally(engines: Engines, attack: str) -> None:
    # given events whose property key and value, account id, and the account's field value
    # are the attack text; an identify call sets the trait named by it
    events = [
        Ev("", "u1", attack, DAY - 10, type="identify", traits={attack: attack}, uid=0),
        Ev("a", "u1", attack, DAY + 1000, {attack: attack}, uid=1),
        Ev("b", "u1", attack, DAY + 2000, {attack: attack}, uid=2),
    ]
    ws = fresh_workspace()
    engines.load(ws, events)
    base = {"steps": ["a", "b"], "from": "2026-03-09", "to": "2026-03-09"}
    for engine in engines.all():
        for kind, key in (("event_property", attack), ("user_trait", attack),
                          ("account_field", "industry")):  # fmt: skip
            q = FunnelQuery.model_validate({**base, "breakdown": {"kind": kind, "key": key}})
            runner = FunnelRunner(q, workspace_id=ws, account_values={attack: attack})
            rows = runner.calculate(engine).breakdown or []
            assert [(r.value, [s.count for s in r.steps]) for r in rows] == [(attack, [1, 1])]
        trends = TrendsQuery.model_validate(
            {"from": "2026-03-09", "to": "2026-03-09", "account": attack}
        )
        assert [
            p.count for p in TrendsRunner(trends, workspace_id=ws).calculate(engine).series
        ] == [2]
        active = ActiveQuery.model_validate(
            {"from": "2026-03-09", "to": "2026-03-09", "account": attack}
        )
        assert [p.dau for p in ActiveRunner(active, workspace_id=ws).calculate(engine).series] == [
            1
        ]
        assert engine.rows("SELECT count(*) FROM events", {}) == [[_total(engines)]]


@pytest.mark.parametrize("attack", ATTACKS)
def test_attacks_in_new_validated_fields_are_refused(attack: str) -> None:
    base = {"steps": ["a", "b"], "from": "2026-03-09", "to": "2026-03-09"}
    for body in (
        {**base, "breakdown": {"kind": attack, "key": "plan"}},
        {**base, "breakdown": {"kind": "account_field", "key": attack}},
        {**base, "breakdown": {"kind": "event_property", "key": "plan", "top": attack}},
        {**base, "over_time": attack},
        {**base, "time_to_convert": attack},
    ):
        with pytest.raises(ValidationError):
            FunnelQuery.model_validate(body)
    for field in ("step", "limit"):
        with pytest.raises(ValidationError):
            DroppedQuery.model_validate({**base, "step": 2, field: attack})
    with pytest.raises(ValidationError):
        ActiveQuery.model_validate({"from": "2026-03-09", "to": "2026-03-09", "by": attack})
