"""Playbooks by tier (P-CS-3): triggers, actions per tier, the dedupe rule, escalation."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import IntegrityError, transaction

from tobloop.success.work import facade
from tobloop.success.work.logic.sources import RenewalTerm, Revenue, Usage, next_term_end
from tobloop.success.work.logic.triggers import (
    Facts,
    health_drop,
    health_red,
    low_seat_utilization,
    renewal_due,
    usage_drop,
)
from tobloop.success.work.models import PlaybookFiring, Task
from tobloop.success.work.tests.fixtures import account, contact, subscription, verdict

AS_OF = date(2026, 11, 20)


@pytest.fixture
def owner(make_workspace):  # type: ignore[no-untyped-def]
    return make_workspace("pb")


def _red_everywhere(owner):  # type: ignore[no-untyped-def]
    """One account per tier, each green two days ago and red since yesterday."""
    out = {}
    for size, name in (("small", "Tiny"), ("mid", "Middle"), ("large", "Huge")):
        a = account(owner, name, size, region="East")
        contact(owner, a.id, f"{name} Boss", role="decision_maker")
        verdict(owner, a.id, AS_OF - timedelta(days=2), "green")
        verdict(owner, a.id, AS_OF - timedelta(days=1), "red")
        verdict(owner, a.id, AS_OF, "red")
        out[size] = a
    return out


def test_health_red_gives_each_tier_its_action(owner):  # type: ignore[no-untyped-def]
    accounts = _red_everywhere(owner)

    summary = facade.run_playbooks(owner, AS_OF)

    red = {f.service_tier: f for f in summary.firings if f.playbook == "health-red"}
    assert set(red) == {"online_partner", "regional_csm", "dedicated_team"}
    assert red["online_partner"].occurrence == (AS_OF - timedelta(days=1)).isoformat()
    assert "turned red on 2026-11-19 (was green on 2026-11-18)" in red["online_partner"].reason
    # micro: automated e-mail from the template, no open task
    assert [a["type"] for a in red["online_partner"].actions] == ["email", "in_app"]
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["tiny.boss@example.com"]
    assert "Tiny" in mail.outbox[0].subject
    tiny = Task.objects.get(account_id=accounts["small"].id, trigger="health-red")
    assert (tiny.status, tiny.outcome) == ("done", "automated")
    # mid: a task for the regional CSM team; large: the dedicated team with an escalation path
    mid = Task.objects.get(account_id=accounts["mid"].id, trigger="health-red")
    assert (mid.status, mid.team, mid.due) == ("open", "Regional CSM · East", AS_OF + timedelta(5))
    large = Task.objects.get(account_id=accounts["large"].id, trigger="health-red")
    assert large.team == "Dedicated team · Huge" and large.due == AS_OF + timedelta(days=3)
    assert large.escalation_path[0] == "Account team lead"
    # the drop green → red belongs to health-red, not to health-drop
    assert not [f for f in summary.firings if f.playbook == "health-drop"]
    assert summary.tasks_created == 2 and summary.automated == 1


def test_running_twice_never_duplicates_an_open_task(owner):  # type: ignore[no-untyped-def]
    _red_everywhere(owner)
    facade.run_playbooks(owner, AS_OF)

    again = facade.run_playbooks(owner, AS_OF)
    later = facade.run_playbooks(owner, AS_OF + timedelta(days=1))

    assert again.fired == 0 and later.fired == 0
    assert again.skipped_open_task == 2  # mid and large still have their open task
    assert again.skipped_seen == 1  # micro: the same occurrence was already handled
    assert Task.objects.filter(trigger="health-red").count() == 3
    assert len(mail.outbox) == 1


def test_the_database_refuses_a_second_open_task(owner):  # type: ignore[no-untyped-def]
    accounts = _red_everywhere(owner)
    facade.run_playbooks(owner, AS_OF)
    mid = Task.objects.get(account_id=accounts["mid"].id, trigger="health-red")

    with pytest.raises(IntegrityError), transaction.atomic():
        Task.objects.create(
            workspace_id=owner.workspace_id, account_id=mid.account_id, kind="risk",
            title="copy", trigger="health-red",
        )  # fmt: skip


def test_a_closed_task_is_not_reopened_for_the_same_occurrence_but_for_a_new_one(owner):  # type: ignore[no-untyped-def]
    accounts = _red_everywhere(owner)
    facade.run_playbooks(owner, AS_OF)
    mid = Task.objects.get(account_id=accounts["mid"].id, trigger="health-red")
    facade.complete_task(owner, mid.pk, "saved", "called the sponsor")

    assert facade.run_playbooks(owner, AS_OF + timedelta(days=1)).fired == 0

    # green again, then red again: a new occurrence opens a new task
    verdict(owner, accounts["mid"].id, AS_OF + timedelta(days=2), "green")
    verdict(owner, accounts["mid"].id, AS_OF + timedelta(days=3), "red")
    run = facade.run_playbooks(owner, AS_OF + timedelta(days=3))
    assert [
        (f.playbook, f.account_id) for f in run.firings if f.service_tier == "regional_csm"
    ] == [("health-red", accounts["mid"].id)]
    assert Task.objects.filter(account_id=accounts["mid"].id, trigger="health-red").count() == 2
    assert PlaybookFiring.objects.filter(account_id=accounts["mid"].id).count() == 2


def test_large_account_tasks_escalate_when_overdue(owner):  # type: ignore[no-untyped-def]
    accounts = _red_everywhere(owner)
    facade.run_playbooks(owner, AS_OF)  # due AS_OF + 3, escalation every 2 days overdue
    large = Task.objects.get(account_id=accounts["large"].id, trigger="health-red")

    facade.run_playbooks(owner, AS_OF + timedelta(days=4))  # 1 day overdue → level 1
    large.refresh_from_db()
    assert large.escalation_level == 1
    facade.run_playbooks(owner, AS_OF + timedelta(days=8))  # 5 days overdue → level 3 (cap)
    large.refresh_from_db()
    assert large.escalation_level == 3
    assert facade.get_task(owner, large.pk).escalated_to == "VP customer success"
    mid = Task.objects.get(account_id=accounts["mid"].id, trigger="health-red")
    assert mid.escalation_level == 0  # mid-size tasks have no escalation path


def test_renewal_windows_fire_once_each(owner):  # type: ignore[no-untyped-def]
    a = account(owner, "Renewer", "mid")
    subscription(owner, "renewer", date(2025, 12, 15), interval=12)  # renews 2026-12-15
    b = account(owner, "Monthly", "mid")
    subscription(owner, "monthly", date(2025, 12, 15), interval=1)  # month-to-month: ignored

    run = facade.run_playbooks(owner, AS_OF)  # 25 days before the renewal

    fired = [
        (f.playbook, f.account_id, f.occurrence)
        for f in run.firings
        if f.account_id in {a.id, b.id}
    ]
    assert fired == [("renewal-30", a.id, "2026-12-15")]
    task = Task.objects.get(account_id=a.id, trigger="renewal-30")
    assert task.kind == "renewal"
    assert "renews on 2026-12-15, in 25 days" in task.reason


def test_decision_maker_left_fires_after_the_snapshot(owner):  # type: ignore[no-untyped-def]
    from tobloop.accounts.facade import delete_contact

    a = account(owner, "Chain", "large")
    boss = contact(owner, a.id, "Ana Boss", role="decision_maker")
    assert not [
        f for f in facade.run_playbooks(owner, AS_OF).firings if f.playbook == "decision-maker-left"
    ]

    delete_contact(owner, boss.id)
    run = facade.run_playbooks(owner, AS_OF)

    left = [f for f in run.firings if f.playbook == "decision-maker-left"]
    assert [(f.account_id, f.occurrence) for f in left] == [(a.id, f"contact-{boss.id}")]
    assert "Ana Boss" in left[0].reason


def test_inactive_playbooks_do_not_fire(owner):  # type: ignore[no-untyped-def]
    _red_everywhere(owner)
    facade.update_playbook(owner, "health-red", is_active=False)

    run = facade.run_playbooks(owner, AS_OF)

    assert "health-red" not in run.by_playbook
    assert run.by_playbook["health-drop"] == 3  # now the drop playbook takes the turn to red


# Triggers one by one, with hand-made facts -----------------------------------------------


_made = iter(range(1000))


def _facts(owner, **kw):  # type: ignore[no-untyped-def]
    return Facts(account=account(owner, f"Facts{next(_made)}", "mid"), **kw)


def test_usage_drop_against_the_four_week_baseline(owner):  # type: ignore[no-untyped-def]
    facts = _facts(owner, has_usage_data=True, usage=Usage(weeks=[6, 10, 10, 10, 10]))
    assert usage_drop(facts, {"percent": 40, "min_baseline": 3}, AS_OF) is not None  # −40 %
    assert usage_drop(facts, {"percent": 41, "min_baseline": 3}, AS_OF) is None
    small = _facts(owner, has_usage_data=True, usage=Usage(weeks=[0, 2, 2, 2, 2]))
    assert usage_drop(small, {"percent": 30, "min_baseline": 3}, AS_OF) is None  # too few users
    unknown = _facts(owner, has_usage_data=False)
    assert usage_drop(unknown, {"percent": 30}, AS_OF) is None


def test_seat_utilization_below_the_limit(owner):  # type: ignore[no-untyped-def]
    usage = Usage(weeks=[4, 4, 4, 4, 4], active_30=4)
    facts = _facts(owner, has_usage_data=True, usage=usage, revenue=Revenue(seats=10))
    hit = low_seat_utilization(facts, {"percent": 50, "min_seats": 3}, AS_OF)
    assert hit is not None and "40% utilization" in hit.reason
    assert low_seat_utilization(facts, {"percent": 40, "min_seats": 3}, AS_OF) is None


def test_health_drop_by_levels(owner):  # type: ignore[no-untyped-def]
    health = [(AS_OF, "yellow"), (AS_OF - timedelta(days=3), "green")]
    facts = _facts(owner, health=health)
    assert health_drop(facts, {"levels": 1, "days": 14}, AS_OF) is not None
    assert health_drop(facts, {"levels": 2, "days": 14}, AS_OF) is None
    assert health_drop(facts, {"levels": 1, "days": 2}, AS_OF) is None  # green is too old
    assert health_red(facts, {}, AS_OF) is None


def test_renewal_window_bounds(owner):  # type: ignore[no-untyped-def]
    term = RenewalTerm(1, "s", 1, AS_OF + timedelta(days=60), 12, Decimal(1), 5, date(2025, 1, 1))
    facts = _facts(owner, revenue=Revenue(renewals=[term]))
    assert renewal_due(facts, {"days": 60}, AS_OF, lower=30) is not None  # 60 is inside (30, 60]
    assert renewal_due(facts, {"days": 90}, AS_OF, lower=60) is None


def test_next_term_end() -> None:
    assert next_term_end(date(2024, 1, 31), 1, date(2024, 2, 10)) == date(2024, 2, 29)
    assert next_term_end(date(2024, 3, 1), 12, date(2026, 3, 1)) == date(2027, 3, 1)
    assert next_term_end(date(2024, 3, 1), 12, date(2026, 2, 28)) == date(2026, 3, 1)
    assert next_term_end(date(2024, 3, 1), 36, date(2024, 3, 1)) == date(2027, 3, 1)
