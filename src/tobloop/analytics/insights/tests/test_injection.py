"""Text from users reaches the engines only as bind parameters, in every field of every query."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from tobloop.analytics.insights.dialect import Dialect, checked_table
from tobloop.analytics.insights.funnel_builder import build_funnel
from tobloop.analytics.insights.models import FunnelQuery, PathsQuery, RetentionQuery, TrendsQuery
from tobloop.analytics.insights.paths_builder import build_paths
from tobloop.analytics.insights.retention_builder import build_retention
from tobloop.analytics.insights.runners import (
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
