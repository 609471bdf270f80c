"""REST API for accounts and contacts over real HTTP handling (Django test client)."""

import pytest


@pytest.fixture
def client_for(client, api_key):
    def make(principal, scopes="read,write,admin"):
        key = api_key(principal, scopes)
        client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {key}"
        return client

    return make


def test_crud_and_filters(make_workspace, client_for):
    c = client_for(make_workspace())
    r = c.post(
        "/api/v1/accounts",
        {"name": "Acme", "headcount": 150, "external_id": "A1", "industry": "Retail"},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["segment"] == "mid" and body["service_tier"] == "regional_csm"
    assert body["risk_flags"] == ["no_contacts", "no_decision_maker"]
    c.post("/api/v1/accounts", {"name": "Tiny", "headcount": 5}, content_type="application/json")
    r = c.get("/api/v1/accounts?segment=mid")
    assert r.json()["count"] == 1 and r.json()["items"][0]["name"] == "Acme"
    r = c.patch(
        f"/api/v1/accounts/{body['id']}", {"headcount": 2000}, content_type="application/json"
    )
    assert r.json()["segment"] == "large"
    r = c.post(
        "/api/v1/contacts",
        {"name": "Ana", "account_external_id": "A1", "role": "decision_maker"},
        content_type="application/json",
    )
    assert r.status_code == 201
    assert c.get(f"/api/v1/accounts/{body['id']}").json()["risk_flags"] == []
    assert c.delete(f"/api/v1/accounts/{body['id']}").status_code == 204
    assert c.get(f"/api/v1/accounts/{body['id']}").status_code == 404


def test_errors_have_the_documented_shape(make_workspace, client_for):
    c = client_for(make_workspace())
    r = c.post(
        "/api/v1/accounts",
        {"name": "X", "headcount": -3, "domain": "nope"},
        content_type="application/json",
    )
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "invalid_input" and err["message"]
    assert {tuple(d["loc"])[-1] for d in err["details"]} >= {"headcount", "domain"}
    assert c.post("/api/v1/accounts", "{not json", content_type="application/json").status_code in (
        400,
        422,
    )
    assert c.get("/api/v1/accounts?limit=abc").status_code == 422
    c.post("/api/v1/accounts", {"name": "A", "external_id": "E"}, content_type="application/json")
    r = c.post(
        "/api/v1/accounts", {"name": "B", "external_id": "E"}, content_type="application/json"
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "duplicate_external_id"


def test_authentication_and_scopes(make_workspace, client, api_key):
    owner = make_workspace()
    assert client.get("/api/v1/accounts").status_code == 401
    r = client.get("/api/v1/accounts", HTTP_AUTHORIZATION="Bearer nope")
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_api_key"
    read_only = api_key(owner, "accounts:read")
    assert (
        client.get("/api/v1/accounts", HTTP_AUTHORIZATION=f"Bearer {read_only}").status_code == 200
    )
    r = client.post(
        "/api/v1/accounts",
        {"name": "X"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {read_only}",
    )
    assert r.status_code == 403


def test_import_endpoint_returns_the_report(make_workspace, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    c = client_for(make_workspace())
    f = SimpleUploadedFile("crm.csv", b"external_id,name,headcount\nA1,Acme,10\nA2,B,x\n")
    r = c.post("/api/v1/accounts/import", {"file": f})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["created"] == 1 and body["rejected"][0]["row"] == 3
    assert body["rejected"][0]["column"] == "headcount"


def test_openapi_and_docs(client):
    spec = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/accounts" in spec["paths"]
    assert client.get("/api/v1/docs").status_code == 200
