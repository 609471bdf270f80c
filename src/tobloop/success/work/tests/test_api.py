"""REST API of the success work app: worklist, NPS/CSAT, renewals, timeline, notes."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tobloop.success.work.tests.fixtures import account, subscription, verdict

AS_OF = date(2026, 11, 20)


@pytest.fixture
def client_for(client, api_key):  # type: ignore[no-untyped-def]
    def make(principal, scopes="read,write,admin"):  # type: ignore[no-untyped-def]
        client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {api_key(principal, scopes)}"
        return client

    return make


def _post(c, url, body):  # type: ignore[no-untyped-def]
    return c.post(url, body, content_type="application/json")


def test_worklist_filters_and_completion(make_workspace, client_for):  # type: ignore[no-untyped-def]
    owner = make_workspace("api")
    for size, name in (("mid", "Mid"), ("large", "Big")):
        a = account(owner, name, size)
        verdict(owner, a.id, AS_OF, "red")
    c = client_for(owner)
    run = _post(c, "/api/v1/success/playbooks/run", {"as_of": AS_OF.isoformat()}).json()
    assert run["tasks_created"] == 2 and run["by_tier"] == {
        "dedicated_team": 1, "regional_csm": 1,
    }  # fmt: skip

    r = c.get("/api/v1/success/tasks?tier=dedicated_team")
    assert r.status_code == 200 and r.json()["count"] == 1
    task = r.json()["items"][0]
    assert task["account_name"] == "Big" and task["escalation_path"]
    due = (AS_OF + timedelta(days=3)).isoformat()
    assert c.get(f"/api/v1/success/tasks?due_before={due}").json()["count"] == 1  # large only
    assert c.get("/api/v1/success/tasks?limit=1&offset=1").json()["count"] == 2

    r = _post(c, f"/api/v1/success/tasks/{task['id']}/complete",
              {"outcome": "saved", "note": "exec call"})  # fmt: skip
    assert r.status_code == 200
    assert (r.json()["status"], r.json()["outcome"], r.json()["outcome_note"]) == (
        "done", "saved", "exec call",
    )  # fmt: skip
    assert c.get("/api/v1/success/tasks?status=open").json()["count"] == 1
    bad = _post(c, f"/api/v1/success/tasks/{task['id']}/complete", {"outcome": "maybe"})
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["loc"][-1] == "outcome"


def test_manual_task_with_trigger_is_unique_while_open(make_workspace, client_for):  # type: ignore[no-untyped-def]
    owner = make_workspace("man")
    a = account(owner, "Solo", "mid")
    c = client_for(owner)
    body = {"account": a.id, "kind": "opportunity", "title": "Upsell seats", "trigger": "upsell"}
    assert _post(c, "/api/v1/success/tasks", body).status_code == 201
    again = _post(c, "/api/v1/success/tasks", body)
    assert again.status_code == 409 and again.json()["error"]["code"] == "duplicate_open_task"
    missing = _post(c, "/api/v1/success/tasks", {**body, "account": 999999})
    assert missing.status_code == 404


def test_nps_single_batch_and_scores(make_workspace, client_for):  # type: ignore[no-untyped-def]
    owner = make_workspace("nps")
    a = account(owner, "Voice", "mid")
    c = client_for(owner)
    at = "2026-11-10T10:00:00+08:00"
    r = _post(c, "/api/v1/nps", {"account": a.id, "score": 10, "answered_at": at, "id": "r1"})
    assert r.status_code == 201 and r.json() == {"created": 1, "updated": 0, "rejected": []}
    r = _post(c, "/api/v1/nps", {"responses": [
        {"account_external_id": "voice", "score": 9, "answered_at": at},
        {"account": a.id, "score": 7, "answered_at": at},
        {"account": a.id, "score": 3, "answered_at": at, "comment": "slow"},
        {"account": a.id, "score": 11},
        {"account_external_id": "nobody", "score": 5},
        {"account": a.id, "kind": "csat", "score": 5, "answered_at": at},
        {"account": a.id, "kind": "csat", "score": 2, "answered_at": at},
        {"account": a.id, "score": 0, "answered_at": at, "id": "r1"},
    ]})  # fmt: skip
    body = r.json()
    assert (body["created"], body["updated"]) == (5, 1)
    assert [(x["index"], x["loc"]) for x in body["rejected"]] == [
        (3, ["score"]), (4, ["account_external_id"]),
    ]  # fmt: skip
    # NPS answers now: 9, 7, 3, 0 (r1 re-sent as 0) → 1 promoter, 1 passive, 2 detractors
    s = c.get(f"/api/v1/nps/summary?account={a.id}&as_of=2026-11-20").json()
    assert (s["promoters"], s["passives"], s["detractors"]) == (1, 1, 2)
    assert s["nps"] == -25.0  # (1 − 2) / 4
    assert s["csat"] == 0.5 and s["csat_average"] == 3.5
    assert s["trend"][-1] == {"period": "2026-11", "responses": 4, "score": -25.0}
    all_bad = _post(c, "/api/v1/nps", {"account": a.id, "score": -1})
    assert all_bad.status_code == 422
    assert all_bad.json()["error"]["details"][0]["loc"] == [0, "score"]
    assert c.get("/api/v1/nps?kind=csat").json()["count"] == 2


def test_nps_csv_import_report(make_workspace, client_for):  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    owner = make_workspace("npsi")
    account(owner, "Alpha", "small")
    c = client_for(owner)
    csv = (
        "response_id,account,score,email,date,comment\n"
        "x1,alpha,9,a@alpha.com,2026-11-01,great\n"
        "x2,alpha,12,b@alpha.com,2026-11-02,\n"
        "x3,ghost,8,c@ghost.com,2026-11-02,\n"
        "x4,alpha,6,d@alpha.com,yesterday,\n"
    )
    r = c.post("/api/v1/nps/import", {"file": SimpleUploadedFile("n.csv", csv.encode())})
    report = r.json()
    assert (report["rows"], report["created"], report["updated"]) == (4, 1, 0)
    assert [(x["row"], x["column"]) for x in report["rejected"]] == [
        (3, "score"), (4, "account"), (5, "date"),
    ]  # fmt: skip


def test_renewals_forecast_and_arr(make_workspace, client_for):  # type: ignore[no-untyped-def]
    owner = make_workspace("ren")
    red = account(owner, "Redco", "mid")
    subscription(owner, "redco", date(2025, 12, 1), seats=10, price="1200", interval=12)
    account(owner, "Calm", "mid")
    subscription(owner, "calm", date(2025, 1, 10), seats=2, price="600", interval=12)
    verdict(owner, red.id, AS_OF, "red")
    c = client_for(owner)

    doc = c.get(f"/api/v1/success/renewals?as_of={AS_OF}&within=90").json()

    # Redco: 10 × 1200 per 12 months = MRR 1000, ARR 12000, renews 2026-12-01, red → contract
    # Calm: 2 × 600 = ARR 1200, renews 2027-01-10 (51 days), no signal → renew
    rows = [(i["account_name"], i["renewal_date"], i["arr"], i["forecast"]) for i in doc["items"]]
    assert rows == [
        ("Redco", "2026-12-01", "12000.00", "contract"),
        ("Calm", "2027-01-10", "1200.00", "renew"),
    ]
    assert [i["days_left"] for i in doc["items"]] == [11, 51]
    totals = {t["forecast"]: (t["accounts"], t["arr"]) for t in doc["totals"]}
    assert totals == {"renew": (1, "1200.00"), "expand": (0, "0.00"), "contract": (1, "12000.00"),
                      "churn": (0, "0.00")}  # fmt: skip
    assert doc["arr_total"] == "13200.00"
    # Redco's next term ends 2027-12-01; Calm's on 2027-01-10, 40 days after 2026-12-01
    later = c.get("/api/v1/success/renewals?as_of=2026-12-01&within=60").json()
    assert [(i["account_name"], i["forecast"]) for i in later["items"]] == [("Calm", "renew")]


def test_timeline_and_notes(make_workspace, client_for):  # type: ignore[no-untyped-def]
    owner = make_workspace("tl")
    a = account(owner, "Story", "large")
    subscription(owner, "story", date(2025, 6, 1), seats=5)
    verdict(owner, a.id, date(2026, 11, 1), "green")
    verdict(owner, a.id, date(2026, 11, 2), "green")
    verdict(owner, a.id, date(2026, 11, 3), "yellow")
    c = client_for(owner)
    r = _post(
        c, f"/api/v1/accounts/{a.id}/notes", {"body": "QBR went well", "sentiment": "positive"}
    )
    assert r.status_code == 201
    _post(c, "/api/v1/nps", {"account": a.id, "score": 8, "contact": "Li"})

    items = c.get(f"/api/v1/accounts/{a.id}/timeline").json()["items"]

    kinds = [i["kind"] for i in items]
    assert {"note", "nps", "health", "subscription"} <= set(kinds)
    titles = [i["title"] for i in items]
    assert "Health green → yellow" in titles and "Health first scored green" in titles
    assert titles.count("Health green → yellow") == 1  # consecutive equal colours are no change
    assert "Subscription sub-story started" in titles
    assert items == sorted(items, key=lambda i: i["at"], reverse=True)
    only = c.get(f"/api/v1/accounts/{a.id}/timeline?kind=note").json()
    assert [i["title"] for i in only["items"]] == [f"Note by {owner.label}"] or only["count"] == 1
    assert c.get("/api/v1/accounts/999999/timeline").status_code == 404
