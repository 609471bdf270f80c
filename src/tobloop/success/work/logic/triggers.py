"""Playbook triggers (P-CS-1, P-CS-3): each one answers, for one account on one day, whether
it fires, for which *occurrence*, and why — in a sentence a CSM can act on.

The occurrence names the instance of the trigger (the day health turned red, the renewal
date, the month usage dropped, the contact who left). A task closed for an occurrence is not
reopened for the same occurrence; a later occurrence opens a new one.

A fact that is unknown (no health verdict yet, no events at all in the workspace, no seat
count) never fires a trigger, so a missing import does not flood the worklist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from tobloop.accounts.facade import AccountView
from tobloop.success.work.logic.sources import BASELINE_WEEKS, Revenue, Usage

LEVEL = {"red": 0, "yellow": 1, "green": 2}

DEFAULT_PARAMS: dict[str, dict[str, Any]] = {
    "health_red": {},
    "health_drop": {"levels": 1, "days": 14},
    "usage_drop": {"percent": 30, "min_baseline": 3},
    "renewal_due": {"days": 90, "min_term_months": 12},
    "onboarding": {"days": 30},
    "low_seat_utilization": {"percent": 50, "min_seats": 3},
    "decision_maker_left": {},
}


@dataclass
class Facts:
    """What the triggers know about one account on the as-of day."""

    account: AccountView
    health: list[tuple[date, str]] = field(default_factory=list)  # newest first, ≤ as_of
    usage: Usage | None = None
    has_usage_data: bool = False  # the workspace has any events in the window
    revenue: Revenue | None = None
    decision_makers_left: list[tuple[int, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Hit:
    occurrence: str
    reason: str


def _streak_start(health: list[tuple[date, str]]) -> date:
    """The first day of the latest run of the current colour."""
    color = health[0][1]
    start = health[0][0]
    for day, c in health:
        if c != color:
            break
        start = day
    return start


def health_red(facts: Facts, params: dict[str, Any], as_of: date) -> Hit | None:
    if not facts.health or facts.health[0][1] != "red":
        return None
    start = _streak_start(facts.health)
    before = next(((d, c) for d, c in facts.health if d < start), None)
    was = f" (was {before[1]} on {before[0].isoformat()})" if before else ""
    return Hit(start.isoformat(), f"Health turned red on {start.isoformat()}{was}.")


def health_drop(facts: Facts, params: dict[str, Any], as_of: date) -> Hit | None:
    """The colour fell by at least ``levels`` steps (green → yellow = 1, green → red = 2)
    against the best colour of the last ``days`` days."""
    if not facts.health:
        return None
    levels, days = int(params.get("levels", 1)), int(params.get("days", 14))
    now_day, now_color = facts.health[0]
    window = [(d, c) for d, c in facts.health if d >= as_of - timedelta(days=days)]
    if not window or now_day < as_of - timedelta(days=days):
        return None
    best_day, best_color = max(window, key=lambda dc: (LEVEL[dc[1]], dc[0]))
    if LEVEL[best_color] - LEVEL[now_color] < levels:
        return None
    start = _streak_start(facts.health)
    return Hit(
        start.isoformat(),
        f"Health dropped from {best_color} ({best_day.isoformat()}) to {now_color} "
        f"({start.isoformat()}): {LEVEL[best_color] - LEVEL[now_color]} level(s), "
        f"limit {levels}.",
    )


def usage_drop(facts: Facts, params: dict[str, Any], as_of: date) -> Hit | None:
    """Weekly active users of the last 7 days against the mean of the 4 weeks before."""
    if not facts.has_usage_data:
        return None
    usage = facts.usage or Usage()
    percent = float(params.get("percent", 30))
    if usage.baseline < float(params.get("min_baseline", 3)):
        return None
    change = usage.change
    if change is None or change > -percent / 100:
        return None
    return Hit(
        f"{as_of:%Y-%m}",
        f"Weekly active users {usage.current} against a baseline of {usage.baseline:.1f} "
        f"(mean of the {BASELINE_WEEKS} weeks before): {change * 100:.0f}%, at or beyond "
        f"the −{percent:g}% limit.",
    )


def renewal_due(facts: Facts, params: dict[str, Any], as_of: date, lower: int = 0) -> Hit | None:
    """A contract term (≥ ``min_term_months``) ends in (lower, days] days; ``lower`` is the
    next shorter renewal window, so 90/60/30 each fire once per renewal."""
    if facts.revenue is None:
        return None
    days, min_term = int(params.get("days", 90)), int(params.get("min_term_months", 12))
    due = sorted(
        (r for r in facts.revenue.renewals if r.term_months >= min_term),
        key=lambda r: r.renewal_date,
    )
    for term in due:
        left = (term.renewal_date - as_of).days
        if lower < left <= days:
            return Hit(
                term.renewal_date.isoformat(),
                f"A {term.term_months}-month term (ARR {term.mrr * 12:.2f}) renews on "
                f"{term.renewal_date.isoformat()}, in {left} days (window {days} days).",
            )
    return None


def onboarding(facts: Facts, params: dict[str, Any], as_of: date) -> Hit | None:
    """A new account: in the onboarding stage, or paying for the first time in ``days`` days."""
    if facts.account.lifecycle_stage == "onboarding":
        return Hit("onboarding", "The account is in the onboarding stage.")
    days = int(params.get("days", 30))
    started = facts.revenue.started if facts.revenue else None
    if started is not None and as_of - timedelta(days=days) <= started <= as_of:
        return Hit(
            "onboarding",
            f"New paying account since {started.isoformat()} (within {days} days).",
        )
    return None


def low_seat_utilization(facts: Facts, params: dict[str, Any], as_of: date) -> Hit | None:
    """Active users of the last 30 days ÷ seats bought below ``percent``."""
    if not facts.has_usage_data or facts.revenue is None or not facts.revenue.seats:
        return None
    seats = facts.revenue.seats
    if seats < int(params.get("min_seats", 3)):
        return None
    active = facts.usage.active_30 if facts.usage else 0
    ratio = active / seats
    percent = float(params.get("percent", 50))
    if ratio >= percent / 100:
        return None
    return Hit(
        f"{as_of:%Y-%m}",
        f"{active} active users in 30 days on {seats} seats: {ratio * 100:.0f}% utilization, "
        f"below {percent:g}%.",
    )


def decision_maker_left(facts: Facts, params: dict[str, Any], as_of: date) -> Hit | None:
    if not facts.decision_makers_left:
        return None
    contact_id = facts.decision_makers_left[0][0]
    names = ", ".join(n or f"#{i}" for i, n in facts.decision_makers_left)
    return Hit(
        f"contact-{contact_id}",
        f"Decision maker {names} is no longer on the account (P-PROFILE-2).",
    )


TRIGGERS = {
    "health_red": health_red,
    "health_drop": health_drop,
    "usage_drop": usage_drop,
    "renewal_due": renewal_due,
    "onboarding": onboarding,
    "low_seat_utilization": low_seat_utilization,
    "decision_maker_left": decision_maker_left,
}
