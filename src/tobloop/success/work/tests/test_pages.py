"""Success pages and account panels render, filter, complete tasks and add notes."""

from __future__ import annotations

from datetime import date

import pytest

from tobloop.success.work import facade
from tobloop.success.work.models import Task
from tobloop.success.work.tests.fixtures import account, subscription, verdict

AS_OF = date(2026, 11, 20)


@pytest.fixture
def world(make_workspace, client):  # type: ignore[no-untyped-def]
    owner = make_workspace("pages")
    accounts = {}
    for size, name in (("mid", "Mido"), ("large", "Largo")):
        accounts[size] = account(owner, name, size)
        verdict(owner, accounts[size].id, AS_OF, "red")
    subscription(owner, "mido", date(2025, 12, 1), seats=4, price="1200")
    facade.run_playbooks(owner, AS_OF)
    client.login(username="pages-owner", password="pw")
    return owner, accounts, client


def test_worklist_filters_by_tier(world):  # type: ignore[no-untyped-def]
    _owner, _accounts, client = world
    page = client.get("/w/pages/success/worklist/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Mido" in html and "Largo" in html and 'data-nav="success_work"' in html
    part = client.get("/w/pages/success/worklist/?tier=dedicated_team", HTTP_HX_REQUEST="true")
    body = part.content.decode()
    assert "<html" not in body and "Largo" in body and "Mido" not in body


def test_complete_a_task_from_the_worklist(world):  # type: ignore[no-untyped-def]
    _owner, accounts, client = world
    task = Task.objects.get(account_id=accounts["mid"].id, trigger="health-red")
    r = client.post(
        f"/w/pages/success/tasks/{task.pk}/complete/",
        {"outcome": "saved", "note": "sponsor call"},
        HTTP_HX_REQUEST="true",
    )
    assert r.status_code == 200 and 'data-status="done"' in r.content.decode()
    task.refresh_from_db()
    assert (task.status, task.outcome, task.outcome_note) == ("done", "saved", "sponsor call")
    assert client.get(f"/w/pages/success/tasks/{task.pk}/complete/").status_code == 405


def test_timeline_panel_and_note_form(world):  # type: ignore[no-untyped-def]
    _owner, accounts, client = world
    url = f"/w/pages/accounts/{accounts['mid'].id}/panels/timeline/"
    r = client.post(url, {"body": "Renewal call booked", "sentiment": "neutral"})
    html = r.content.decode()
    assert r.status_code == 200 and "<html" not in html
    assert "Renewal call booked" in html and "Task opened: Health turned red" in html
    assert "Subscription sub-mido started" in html
    nps = client.get(f"/w/pages/accounts/{accounts['mid'].id}/panels/nps/")
    assert nps.status_code == 200 and "No NPS or CSAT answer" in nps.content.decode()


def test_renewals_nps_playbooks_and_webhooks_pages(world):  # type: ignore[no-untyped-def]
    owner, _accounts, client = world
    renewals = client.get("/w/pages/success/renewals/?within=30&as_of=2026-11-20")
    assert renewals.status_code == 200 and "Mido" in renewals.content.decode()
    assert client.get("/w/pages/success/nps/").status_code == 200
    assert client.get("/w/pages/success/playbooks/").status_code == 200
    client.post("/w/pages/success/playbooks/", {"key": "usage-drop", "is_active": "0"})
    assert not next(p for p in facade.list_playbooks(owner) if p.key == "usage-drop").is_active
    r = client.post("/w/pages/settings/webhooks/", {"url": "https://example.com/in",
                                                    "events": ["task.created"]})  # fmt: skip
    assert r.status_code == 200 and 'data-testid="webhook-secret"' in r.content.decode()


def test_a_viewer_sees_but_cannot_change(world, add_member, client):  # type: ignore[no-untyped-def]
    _owner, _accounts, _ = world
    add_member("pages", "vera", "viewer")
    client.logout()
    client.login(username="vera", password="pw")
    assert client.get("/w/pages/success/worklist/").status_code == 200
    task = Task.objects.filter(status="open").first()
    assert task is not None
    r = client.post(f"/w/pages/success/tasks/{task.pk}/complete/", {"outcome": "saved"})
    assert r.status_code == 403
    assert client.get("/w/pages/settings/webhooks/").status_code == 403


def test_nps_page_imports_a_csv(world):  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    _owner, _accounts, client = world
    csv = b"account,score,date\nmido,10,2026-11-10\nmido,4,2026-11-11\nlargo,15,2026-11-11\n"
    r = client.post("/w/pages/success/nps/", {"file": SimpleUploadedFile("n.csv", csv)})
    html = r.content.decode()
    assert r.status_code == 200 and "3 rows: 2 created, 0 updated, 1 rejected." in html
    assert "Row 4, score" in html


def test_playbook_parameters_are_changed_on_the_page(world):  # type: ignore[no-untyped-def]
    owner, _accounts, client = world
    r = client.post("/w/pages/success/playbooks/", {"key": "usage-drop", "param-percent": "40",
                                                    "param-min_baseline": "5"})  # fmt: skip
    assert r.status_code == 302
    usage = next(p for p in facade.list_playbooks(owner) if p.key == "usage-drop")
    assert usage.params == {"percent": 40, "min_baseline": 5}
    bad = client.post("/w/pages/success/playbooks/", {"key": "usage-drop", "param-percent": "x"})
    assert bad.status_code == 422 and "percent" in bad.content.decode()
    unknown = client.post("/w/pages/success/playbooks/", {"key": "usage-drop", "param-days": "3"})
    assert unknown.status_code == 422 and "days" in unknown.content.decode()
    nan = client.post("/w/pages/success/playbooks/", {"key": "usage-drop", "param-percent": "nan"})
    assert nan.status_code == 422
