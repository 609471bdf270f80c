"""Health for the demo: a health code for small accounts, a weighted score for the others,
scored over the last months so the account pages show a history and some accounts are red
for clear reasons (quiet, shrinking usage ahead of a cancellation, no decision maker); then the
churn risk model is trained, so the demo shows its out-of-time figures and accounts by risk."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from tobloop.platform.facade import Principal

KEY_EVENTS = ["Report Exported", "Alert Created", "Comment Added"]
DAILY_DAYS = 14  # a verdict a day for the last two weeks…
WEEKLY_WEEKS = 12  # …and a weekly one for the three months before

SMALL_CODE: dict[str, Any] = {
    "name": "Small accounts · health code",
    "kind": "code",
    "segment": "small",
    "rules": [
        {"id": "quiet", "color": "red", "measure": "days_since_last_activity", "op": "gt",
         "value": 21, "label": "No product use for more than 3 weeks"},
        {"id": "usage_halved", "color": "red", "measure": "usage_trend", "op": "lt",
         "value": -0.5, "label": "Usage fell by more than half against its own baseline"},
        {"id": "shrinking", "color": "yellow", "measure": "contraction", "op": "gt", "value": 0,
         "label": "MRR contracted in the last 90 days"},
        {"id": "no_dm", "color": "yellow", "measure": "no_decision_maker",
         "label": "No known decision maker (P-PROFILE-2)"},
    ],
}  # fmt: skip


def _bands(*pairs: tuple[float, int]) -> list[dict[str, float | int]]:
    return [{"threshold": t, "points": p} for t, p in pairs]


WEIGHTED: dict[str, Any] = {
    "name": "Customer health score",
    "kind": "score",
    "measures": [
        {"measure": "usage_trend", "window_days": 30, "weight": 25,
         "bands": _bands((-0.5, 30), (-0.2, 70), (0, 100))},
        {"measure": "days_since_last_activity", "weight": 20,
         "direction": "lower_better", "bands": _bands((3, 100), (7, 70), (14, 40), (30, 10))},
        {"measure": "active_users", "window_days": 30, "weight": 15,
         "bands": _bands((1, 40), (3, 70), (5, 100))},
        {"measure": "seat_utilization", "window_days": 30, "weight": 10,
         "bands": _bands((0.2, 40), (0.5, 70), (0.8, 100))},
        {"measure": "key_feature_adoption", "window_days": 30, "weight": 10,
         "events": KEY_EVENTS, "bands": _bands((0.34, 50), (0.67, 100))},
        {"measure": "mrr_change", "window_days": 90, "weight": 10,
         "bands": _bands((-0.1, 50), (0, 100))},
        {"measure": "days_to_renewal", "weight": 5, "bands": _bands((0, 40), (30, 70), (90, 100))},
        {"measure": "decision_maker_known", "weight": 5, "bands": _bands((1, 100))},
    ],
    "bands": {"green_min": 70, "yellow_min": 45},
}  # fmt: skip


def history_days(today: date) -> list[date]:
    daily = [today - timedelta(days=i) for i in range(DAILY_DAYS)]
    start = today - timedelta(days=DAILY_DAYS)
    weekly = [start - timedelta(weeks=i) for i in range(1, WEEKLY_WEEKS + 1)]
    return sorted(daily + weekly)


def install_demo_health(principal: Principal, today: date) -> None:
    """Create the two default profiles and score the demo's recent history."""
    from tobloop.success import facade

    facade.create_health_profile(principal, SMALL_CODE)
    facade.create_health_profile(principal, WEIGHTED)
    facade.score_history(principal, history_days(today))
    # The churn risk model, trained after scoring so it learns from the recorded health too.
    facade.train_churn_model(principal, today=today)
