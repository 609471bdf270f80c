"""The demo's success work: tasks of every tier, some done with outcomes, NPS, notes, webhook."""

from __future__ import annotations

from datetime import date, timedelta

from tobloop.demo.success_work import install_demo_success_work
from tobloop.success.work import facade
from tobloop.success.work.models import Note, NpsResponse, Task
from tobloop.success.work.tests.fixtures import account, contact, verdict

TODAY = date(2026, 11, 20)


def test_demo_has_tasks_by_tier_outcomes_answers_notes_and_an_endpoint(make_workspace):  # type: ignore[no-untyped-def]
    owner = make_workspace("demo-like")
    for i in range(24):
        size = ("small", "mid", "large")[i % 3]
        a = account(owner, f"Co{i}", size)
        contact(owner, a.id, f"Boss {i}", role="decision_maker")
        verdict(owner, a.id, TODAY - timedelta(days=22), "green")
        verdict(owner, a.id, TODAY - timedelta(days=21), "red")

    install_demo_success_work(owner, TODAY, seed=3)

    tiers = set(
        Task.objects.filter(workspace_id=owner.workspace_id).values_list("service_tier", flat=True)
    )
    assert tiers == {"online_partner", "regional_csm", "dedicated_team"}
    closed = Task.objects.filter(workspace_id=owner.workspace_id, status="done").exclude(
        outcome="automated"
    )
    assert closed.exists() and all(t.outcome and t.closed_at for t in closed)
    assert all(t.created_at.date() == TODAY - timedelta(days=21) for t in closed)
    assert NpsResponse.objects.filter(workspace_id=owner.workspace_id).exists()
    assert Note.objects.filter(workspace_id=owner.workspace_id).count() >= 3
    assert [e.url for e in facade.list_endpoints(owner)] == [
        "http://127.0.0.1:9/tobloop-demo-webhook"
    ]
    # the large accounts' tasks left open are overdue by 18 days: escalated to the top
    still_open = Task.objects.filter(
        workspace_id=owner.workspace_id, status="open", service_tier="dedicated_team"
    )
    assert still_open.exists() and all(t.escalation_level == 3 for t in still_open)
