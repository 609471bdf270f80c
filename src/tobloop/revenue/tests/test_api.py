"""REST API under /api/v1/revenue/ over real HTTP handling (Django test client)."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tobloop.revenue.tests.test_import import seed_accounts

HISTORY = (
    b"subscription_id,account_external_id,date,event,quantity,unit_price,interval\n"
    b"S1,A1,2023-01-10,start,10,100,month\n"
    b"S2,A2,2023-01-01,start,1,12000,year\n"
    b"S2,,2023-09-01,cancel,,,\n"
    b"S3,A3,2023-06-01,start,2,2500,month\n"
    b"S1,,2023-11-01,change,15,,\n"
)


@pytest.fixture
def client_for(client, api_key):
    def make(principal, scopes="read,write,admin"):
        client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {api_key(principal, scopes)}"
        return client

    return make


@pytest.fixture
def owner(make_workspace):
    principal = make_workspace(slug="acme")
    seed_accounts(principal, ("A1", "field"), ("A2", "telesales"), ("A3", "inbound"))
    return principal


def upload(c, path, content, **form):
    return c.post(path, {"file": SimpleUploadedFile("f.csv", content), **form})


def test_import_then_metrics_and_check(owner, client_for):
    c = client_for(owner)
    r = upload(c, "/api/v1/revenue/subscriptions/import", HISTORY)
    assert r.status_code == 200, r.content
    assert r.json() == {"file": "f.csv", "rows": 5, "created": 5, "updated": 0, "rejected": []}
    r = upload(c, "/api/v1/revenue/spend/import", b"channel,month,amount\ninbound,2023-06,9000\n")
    assert r.json()["created"] == 1
    r = c.get("/api/v1/revenue/metrics?as_of=2024-01-31")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["mrr"] == "6500.00" and body["arr"] == "78000.00"  # 15 × 100 + 2 × 2500
    assert body["paying_accounts"] == 2 and body["currency"] == "CNY"
    # a year before: A1 1000 and A2 1000 (annual); now A1 1500, A2 gone
    assert body["nrr_12"] == 0.75 and body["cc"] == 0.25 and body["grr_12"] == 0.5
    assert body["logo_churn_12"] == 0.5
    feb = body["months"][0]
    assert feb["month"] == "2023-01" and feb["new"] == "2000.00"
    cac = {ch["channel"]: ch for ch in body["channels"]}
    assert set(cac) == {"inbound"} and cac["inbound"]["cac"] == "9000.00"  # A3, June 2023
    r = c.get("/api/v1/revenue/metrics?as_of=2024-01-31&channel=field")
    assert r.json()["mrr"] == "1500.00"
    r = c.get("/api/v1/revenue/check?as_of=2024-01-31")
    assert r.status_code == 200, r.content
    rules = {rule["rule"]: rule for rule in r.json()["rules"]}
    assert list(rules) == [f"P-ECON-{i}" for i in range(1, 7)]
    cc = rules["P-ECON-2"]
    assert (cc["verdict"], cc["value"], cc["threshold"]) == ("fail", 0.25, 0.2)
    assert cc["explanation"].startswith("CC is 25.0%, above the 20.0% limit of P-ECON-2")
    assert "100.0% of the loss comes from 1 small account in no industry" in cc["explanation"]
    assert len(cc["accounts"]) == 1 and cc["link"].startswith("/w/acme/revenue/accounts/?ids=")
    assert r.json()["milestones"]["reached"] == [1]


def test_movements_cohorts_accounts_and_subscriptions(owner, client_for):
    c = client_for(owner)
    upload(c, "/api/v1/revenue/subscriptions/import", HISTORY)
    r = c.get("/api/v1/revenue/movements?month=2023-09&as_of=2023-12-31")
    assert r.json()["items"][0]["kind"] == "churn" and r.json()["items"][0]["amount"] == "1000.00"
    r = c.get("/api/v1/revenue/movements?month=2023-11&kind=expansion&as_of=2023-12-31")
    assert [i["amount"] for i in r.json()["items"]] == ["500.00"]
    assert c.get("/api/v1/revenue/movements?month=2023-11&kind=bogus").status_code == 422
    r = c.get("/api/v1/revenue/cohorts?as_of=2023-12-31")
    assert [co["cohort"] for co in r.json()["cohorts"]] == ["2023-01", "2023-06"]
    r = c.get("/api/v1/revenue/accounts?as_of=2023-12-31")
    items = r.json()["items"]
    assert [i["acv"] for i in items] == ["60000.00", "18000.00"]
    assert items[0]["recommended_motion"] == "field" and items[0]["actual_motion"] == "telesales"
    assert items[0]["mismatch"] is True
    r = c.get("/api/v1/revenue/subscriptions")
    assert r.json()["count"] == 3
    sid = r.json()["items"][0]["id"]
    one = c.get(f"/api/v1/revenue/subscriptions/{sid}").json()
    assert one["external_id"] == "S1" and one["mrr"] == "1500.00"
    assert [ch["event"] for ch in one["changes"]] == ["start", "change"]
    assert c.get("/api/v1/revenue/subscriptions/999999").status_code == 404


def test_record_change_through_the_api(owner, client_for):
    c = client_for(owner)
    body = {
        "subscription_id": "S9",
        "account_external_id": "A1",
        "date": "2024-01-01",
        "unit_price": "99.50",
        "quantity": 2,
    }
    r = c.post("/api/v1/revenue/subscriptions/changes", body, content_type="application/json")
    assert r.status_code == 201, r.content
    assert r.json()["mrr"] == "199.00"
    cancel = {"subscription_id": "S9", "date": "2024-03-01", "event": "cancel"}
    r = c.post("/api/v1/revenue/subscriptions/changes", cancel, content_type="application/json")
    assert r.json()["segments"][-1]["end"] == "2024-03-01"
    again = {"subscription_id": "S9", "date": "2024-04-01", "event": "change", "quantity": 3}
    r = c.post("/api/v1/revenue/subscriptions/changes", again, content_type="application/json")
    assert r.status_code == 422
    assert "reactivate" in r.json()["error"]["message"]
    bad = {
        "subscription_id": "S10",
        "date": "2024-04-01",
        "unit_price": "1",
        "currency": "USD",
        "account_external_id": "A1",
    }
    r = c.post("/api/v1/revenue/subscriptions/changes", bad, content_type="application/json")
    assert r.status_code == 422 and "fx_rate" in r.json()["error"]["message"]
    r = c.post(
        "/api/v1/revenue/subscriptions/changes", {"date": "x"}, content_type="application/json"
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_input"
    r = c.post(
        "/api/v1/revenue/spend",
        {"channel": "event", "month": "2024-02", "amount": "10"},
        content_type="application/json",
    )
    assert r.status_code == 201 and r.json()["amount"] == "10.00"


def test_scopes_and_errors(owner, client, api_key):
    assert client.get("/api/v1/revenue/metrics").status_code == 401
    accounts_only = api_key(owner, "accounts:read")
    r = client.get("/api/v1/revenue/metrics", HTTP_AUTHORIZATION=f"Bearer {accounts_only}")
    assert r.status_code == 403
    reader = api_key(owner, "revenue:read")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {reader}"}
    assert client.get("/api/v1/revenue/metrics", **auth).status_code == 200
    r = client.post(
        "/api/v1/revenue/subscriptions/import",
        {"file": SimpleUploadedFile("f.csv", HISTORY)},
        **auth,
    )
    assert r.status_code == 403
    assert client.get("/api/v1/revenue/metrics?as_of=not-a-date", **auth).status_code == 422
    for bad in ("as_of=9999-12-31", "as_of=0001-01-01", "segment=a%00b", "plan=" + "x" * 200):
        r = client.get(f"/api/v1/revenue/metrics?{bad}", **auth)
        assert r.status_code == 422, bad
        assert set(r.json()["error"]) == {"code", "message", "details"}
    r = client.get("/api/v1/revenue/check?as_of=9999-12-31", **auth)
    assert r.json()["error"]["code"] == "invalid_date"
    r = client.post(
        "/api/v1/revenue/subscriptions/import",
        {"file": SimpleUploadedFile("f.csv", HISTORY), "mapping": "{nope"},
        HTTP_AUTHORIZATION=f"Bearer {api_key(owner, 'revenue:write')}",
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_mapping"


def test_stripe_export_through_the_api(owner, client_for):
    from tobloop.revenue.tests.test_stripe import EXPORT

    c = client_for(owner)
    r = upload(c, "/api/v1/revenue/subscriptions/import", EXPORT, format="stripe")
    assert r.status_code == 200, r.content
    assert r.json()["created"] == 3
    assert json.loads(r.content)["rejected"][0]["column"] == "Interval"
