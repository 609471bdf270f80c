"""Weighted health scores, the CSM override and the explained daily history, by hand."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from tobloop.kernel.errors import InvalidInput, NotFound, PermissionDenied
from tobloop.success import facade
from tobloop.success.logic.health_score import (
    ColorBandsIn,
    ScoreMeasureIn,
    points_for,
    weighted_score,
)
from tobloop.success.models import HealthVerdict
from tobloop.success.tests.fixtures import AS_OF, seed

MEASURES = [
    {"measure": "days_since_last_activity", "weight": 40,
     "bands": [{"threshold": 7, "points": 100}, {"threshold": 30, "points": 50}]},
    {"measure": "active_users", "window_days": 30, "weight": 30,
     "bands": [{"threshold": 1, "points": 50}, {"threshold": 2, "points": 100}]},
    {"measure": "mrr_change", "window_days": 90, "weight": 30,
     "bands": [{"threshold": -0.1, "points": 50}, {"threshold": 0, "points": 100}]},
]  # fmt: skip
PROFILE = {"name": "Weighted", "kind": "score", "measures": MEASURES}


def parsed() -> list[ScoreMeasureIn]:
    return [ScoreMeasureIn.model_validate(m) for m in MEASURES]


def test_points_follow_the_direction_and_the_bands() -> None:
    bands = parsed()[0].bands  # lower is better: ≤ 7 → 100, ≤ 30 → 50, else 0
    assert [points_for(v, "lower_better", bands) for v in (0, 7, 8, 30, 31)] == [
        100, 100, 50, 50, 0,
    ]  # fmt: skip
    bands = parsed()[1].bands  # higher is better: ≥ 2 → 100, ≥ 1 → 50, else 0
    assert [points_for(v, "higher_better", bands) for v in (0, 1, 1.5, 2, 9)] == [
        0, 50, 50, 100, 100,
    ]  # fmt: skip


def test_score_is_the_weighted_points_and_no_data_shares_its_weight() -> None:
    values = {"days_since_last_activity:0": 1.0, "active_users:30": 2.0, "mrr_change:90": -0.2}
    full = weighted_score(parsed(), values, ColorBandsIn())
    assert full.score == 70.0 and full.color == "green"  # 40×100 + 30×100 + 30×0, ÷ 100
    partial = weighted_score(
        parsed(),
        {"days_since_last_activity:0": None, "active_users:30": 1.0, "mrr_change:90": 0.0},
        ColorBandsIn(),
    )
    # 60 of the weight has data: 50 × 30/60 + 100 × 30/60 = 75.
    assert partial.score == 75.0 and partial.coverage == 0.6
    assert [m.effective_weight for m in partial.measures] == [0.0, 50.0, 50.0]
    assert "no data: days since last activity" in partial.reason
    none = weighted_score(parsed(), {}, ColorBandsIn())
    assert none.score is None and none.color == "yellow"


def test_colour_bands_come_from_the_profile() -> None:
    values = {"days_since_last_activity:0": 20.0, "active_users:30": 1.0, "mrr_change:90": 0.0}
    # 40×50 + 30×50 + 30×100 = 65: yellow by default, green from 60.
    assert weighted_score(parsed(), values, ColorBandsIn()).color == "yellow"
    assert weighted_score(parsed(), values, ColorBandsIn(green_min=60)).color == "green"
    assert weighted_score(parsed(), values, ColorBandsIn(yellow_min=66, green_min=90)).color == (
        "red"
    )


@pytest.fixture
def world(make_workspace: Any, settings: Any, tmp_path: Path) -> tuple[Any, dict[str, int]]:
    settings.DATA_DIR = tmp_path
    principal = make_workspace("acme", timezone="UTC")
    return principal, seed(principal, tmp_path)


def test_weights_must_total_100_and_the_error_names_the_field(world: Any) -> None:
    principal, _ = world
    bad = {**PROFILE, "measures": [{**MEASURES[0], "weight": 35}, *MEASURES[1:]]}
    with pytest.raises(InvalidInput) as exc:
        facade.create_health_profile(principal, bad)
    assert exc.value.details[0].loc == ("measures",)
    assert "total 95" in exc.value.details[0].msg
    unknown = {**PROFILE, "measures": [{**MEASURES[0], "measure": "vibes", "weight": 100}]}
    with pytest.raises(InvalidInput) as exc:
        facade.create_health_profile(principal, unknown)
    assert exc.value.details[0].loc[0] == "measures" and "vibes" in exc.value.details[0].msg
    adoption = {**PROFILE, "measures": [
        {"measure": "key_feature_adoption", "weight": 100,
         "bands": [{"threshold": 0.5, "points": 100}]}]}  # fmt: skip
    with pytest.raises(InvalidInput, match="not valid"):
        facade.create_health_profile(principal, adoption)
    assert facade.list_health_profiles(principal) == []


def test_weighted_profile_scores_the_workspace_with_reasons(world: Any) -> None:
    principal, ids = world
    profile = facade.create_health_profile(principal, PROFILE)
    assert profile.kind == "score" and profile.bands == {"green_min": 70.0, "yellow_min": 40.0}
    summary = facade.score_workspace(principal, AS_OF)
    assert (summary.scored, summary.green, summary.red) == (3, 1, 2)
    a1 = facade.account_health(principal, ids["A1"]).current
    assert a1 is not None and a1.score == 70.0 and a1.color == "green" and a1.kind == "score"
    a2 = facade.account_health(principal, ids["A2"]).current
    # A2: 70 days quiet (0), no active user (0), flat MRR (100): 30.
    assert a2 is not None and a2.score == 30.0 and a2.color == "red"
    assert a2.reason.startswith("Red: score 30 of 100 — weakest: days since last activity 70")
    a3 = facade.account_health(principal, ids["A3"]).current
    # A3: only active users has data (0 points) and carries all the weight.
    assert a3 is not None and a3.score == 0.0
    assert [m["effective_weight"] for m in a3.measures] == [0.0, 100.0, 0.0]


def test_the_next_day_explains_what_moved(world: Any) -> None:
    principal, ids = world
    facade.create_health_profile(principal, PROFILE)
    facade.score_workspace(principal, AS_OF - timedelta(days=2))
    facade.score_workspace(principal, AS_OF)
    history = facade.account_health(principal, ids["A1"]).history
    assert [v.day for v in history] == [AS_OF, AS_OF - timedelta(days=2)]
    assert history[1].changes[0]["what"] == "first"
    # On May 8 u2 (May 5) and u1 (May 1) were active too, last activity May 5 (3 days):
    # nothing moved but the days since last activity (3 → 1), still within 7 days.
    texts = [c["text"] for c in history[0].changes]
    assert texts == ["days since last activity went from 3 days to 1 days."]


def test_csm_override_applies_until_it_expires_and_keeps_the_computed_colour(
    world: Any, add_member: Any
) -> None:
    principal, ids = world
    facade.create_health_profile(principal, PROFILE)
    today = facade.score_workspace(principal).day
    facade.score_workspace(principal, today - timedelta(days=1))
    until = today + timedelta(days=3)
    data = {"color": "green", "reason": "Renewal signed on the phone", "until": until}
    csm = add_member("acme", "carol", "csm")
    facade.set_health_override(csm, ids["A2"], data)
    current = facade.account_health(principal, ids["A2"]).current
    assert current is not None and current.color == "green"
    assert current.computed_color == "red" and current.override is not None
    assert current.override["reason"] == "Renewal signed on the phone"
    assert "Set to green by" in current.reason
    assert any(c["what"] == "override" for c in current.changes)
    # The day after expiry it no longer applies.
    facade.score_workspace(principal, today)  # same day: still in force
    assert HealthVerdict.objects.get(account_id=ids["A2"], day=today).color == "green"
    from tobloop.success.logic.health_overrides import overrides_in_force

    assert ids["A2"] in overrides_in_force(principal.workspace_id, [ids["A2"]], until)
    assert overrides_in_force(principal.workspace_id, [ids["A2"]], until + timedelta(1)) == {}
    viewer = add_member("acme", "vic", "viewer")
    with pytest.raises(PermissionDenied):
        facade.set_health_override(viewer, ids["A2"], data)
    with pytest.raises(InvalidInput) as exc:
        facade.set_health_override(csm, ids["A2"], {**data, "until": date(2020, 1, 1)})
    assert exc.value.details[0].loc == ("until",)
    facade.clear_health_override(csm, ids["A2"])
    current = facade.account_health(principal, ids["A2"]).current
    assert current is not None and current.color == "red" and current.override is None
    with pytest.raises(NotFound):
        facade.clear_health_override(csm, ids["A2"])
    listed = facade.list_health_overrides(principal, ids["A2"])
    assert len(listed) == 1 and not listed[0].active


def test_code_flags_can_read_registry_measures(world: Any) -> None:
    principal, ids = world
    facade.create_health_profile(principal, {"name": "Code", "rules": [
        {"id": "quiet", "color": "red", "measure": "days_since_last_activity", "op": "gt",
         "value": 30},
        {"id": "shrinking", "color": "yellow", "measure": "mrr_change", "op": "lt",
         "value": 0, "window_days": 90},
    ]})  # fmt: skip
    facade.score_workspace(principal, AS_OF)
    a1 = facade.account_health(principal, ids["A1"]).current
    a2 = facade.account_health(principal, ids["A2"]).current
    assert a1 is not None and a1.color == "yellow" and a1.flags[0].rule == "shrinking"
    assert a2 is not None and a2.color == "red"
    assert a2.reason == "Red: days since last activity above 30."
