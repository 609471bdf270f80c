"""Every built-in health measure, hand-computed as of a day, and never reading later data."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tobloop.accounts import facade as accounts
from tobloop.revenue import facade as revenue
from tobloop.success.logic.measure_data import add_months
from tobloop.success.logic.measures import REGISTRY, MeasureContext, compute_measure
from tobloop.success.tests.fixtures import (
    AS_OF,
    LATER_SUBSCRIPTIONS,
    later_events,
    seed,
    send_events,
)

KEY_EVENTS = {"events": ["Report Exported", "Alert Created"]}


@pytest.fixture
def world(make_workspace: Any, settings: Any, tmp_path: Path) -> tuple[Any, dict[str, int]]:
    settings.DATA_DIR = tmp_path
    principal = make_workspace("acme", timezone="UTC")
    return principal, seed(principal, tmp_path)


def measure(principal: Any, key: str, window: int = 0, day: date = AS_OF) -> dict[str, Any]:
    found = accounts.list_accounts(principal, accounts.AccountFilter(limit=10))
    ctx = MeasureContext(principal=principal, as_of=day, accounts=found.items)
    values = compute_measure(ctx, key, window, KEY_EVENTS)
    names = {a.id: a.external_id for a in found.items}
    return {names[i]: (None if v is None else round(v, 4)) for i, v in values.items()}


# Hand computation, as of 2026-05-10 (UTC), windows of 30 days = Apr 11 … May 10:
EXPECTED = {
    # A1: 3 events in the window; 12 in the 90 days before (4 per 30 days): 3/4 − 1.
    # A2: 0 events; 1 before (1/3 per window): 0 ÷ (1/3) − 1. A3: no baseline.
    ("usage_trend", 30): {"A1": -0.25, "A2": -1.0, "A3": None},
    ("active_users", 30): {"A1": 2.0, "A2": 0.0, "A3": 0.0},  # u1, u2
    ("key_feature_adoption", 30): {"A1": 0.5, "A2": 0.0, "A3": 0.0},  # 1 of 2 key events
    ("days_since_last_activity", 0): {"A1": 1.0, "A2": 70.0, "A3": None},  # May 9, Mar 1
    # A1 pays 10 × 100 until Mar 31, then 8 × 100: 800 vs 1000 on Feb 9.
    ("mrr_change", 90): {"A1": -0.2, "A2": 0.0, "A3": None},
    ("contraction", 90): {"A1": 0.2, "A2": 0.0, "A3": None},
    ("seat_utilization", 30): {"A1": 0.25, "A2": 0.0, "A3": None},  # 2 of 8, 0 of 1
    # A1 renews monthly from Jan 1 (next: Jun 1); A2 yearly from 2025-06-15.
    ("days_to_renewal", 0): {"A1": 22.0, "A2": 36.0, "A3": None},
    ("overdue_payments", 0): {"A1": None, "A2": None, "A3": None},
    ("decision_maker_known", 0): {"A1": 1.0, "A2": 0.0, "A3": 0.0},
    ("contacts_count", 0): {"A1": 2.0, "A2": 1.0, "A3": 0.0},
    ("champion_left", 90): {"A1": 0.0, "A2": 0.0, "A3": 0.0},
}


def test_every_builtin_measure_has_a_hand_computed_case() -> None:
    builtin = {k for k, m in REGISTRY.items() if m.source in {"analytics", "revenue", "accounts"}}
    assert {k for k, _w in EXPECTED} == builtin


@pytest.mark.parametrize(("key", "window"), list(EXPECTED))
def test_measure_matches_the_hand_computation(world: Any, key: str, window: int) -> None:
    principal, _ids = world
    assert measure(principal, key, window) == EXPECTED[(key, window)]


def test_data_after_the_day_changes_no_measure(world: Any, tmp_path: Path) -> None:
    principal, _ids = world
    before = {k: measure(principal, *k) for k in EXPECTED}
    send_events(principal, tmp_path, later_events(), "later")
    assert not revenue.import_subscriptions(principal, LATER_SUBSCRIPTIONS).rejected
    after = {k: measure(principal, *k) for k in EXPECTED}
    assert after == before
    # …while the same data does show on a later day: A1 cancelled on May 20.
    assert measure(principal, "mrr_change", 90, date(2026, 5, 25))["A1"] == -1.0
    assert measure(principal, "active_users", 30, date(2026, 5, 12))["A1"] == 4.0


def test_months_are_added_with_the_day_clamped() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2025, 6, 15), 12) == date(2026, 6, 15)
