"""The REST error contract (DESIGN.md "Scriptable interfaces", docs/api.md).

Every error answers ``{"error": {"code", "message", "details": [{"loc", "msg"}]}}`` with the
status that fits, and bad input never causes a 500 — checked case by case, then with
schemathesis sending generated requests (valid and invalid) to every operation of the spec.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client

from tobloop.accounts import facade as accounts

JSON = "application/json"


def assert_error_shape(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.content)
    assert response["Content-Type"].startswith(JSON), response["Content-Type"]
    body = response.json()
    assert set(body) == {"error"}, body
    err = body["error"]
    assert set(err) == {"code", "message", "details"}, err
    assert isinstance(err["code"], str) and err["code"]
    assert isinstance(err["message"], str) and err["message"]
    assert isinstance(err["details"], list)
    for d in err["details"]:
        assert set(d) == {"loc", "msg"}, d
        assert isinstance(d["loc"], list) and isinstance(d["msg"], str)
    if code is not None:
        assert err["code"] == code, err
    return err


@pytest.fixture
def owner(make_workspace):
    return make_workspace("acme")


@pytest.fixture
def c(client, owner, api_key) -> Client:
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {api_key(owner)}"
    return client


def test_400_unreadable_json(c):
    for body in ("{not json", '{"name": "x"', "\xff"):
        r = c.post("/api/v1/accounts", body, content_type=JSON)
        assert_error_shape(r, 400, "bad_request")


def test_401_without_or_with_a_bad_key(client, owner, api_key):
    assert_error_shape(client.get("/api/v1/accounts"), 401, "not_authenticated")
    r = client.get("/api/v1/accounts", HTTP_AUTHORIZATION="Bearer tbk_00000000_nope")
    assert_error_shape(r, 401, "invalid_api_key")
    r = client.post("/api/v1/accounts", {"name": "x"}, content_type=JSON)
    assert_error_shape(r, 401)


def test_403_missing_scope_or_membership(client, owner, api_key, add_member):
    r = client.post(
        "/api/v1/accounts",
        {"name": "x"},
        content_type=JSON,
        HTTP_AUTHORIZATION=f"Bearer {api_key(owner, 'read')}",
    )
    err = assert_error_shape(r, 403, "permission_denied")
    assert "accounts:write" in err["message"]
    add_member("acme", "ana", "viewer")
    client.login(username="ana", password="pw")
    assert_error_shape(client.get("/api/v1/accounts", HTTP_X_WORKSPACE="other"), 403)


def test_404_unknown_ids_and_paths(c):
    assert_error_shape(c.get("/api/v1/accounts/999"), 404, "account_not_found")
    assert_error_shape(c.patch("/api/v1/contacts/999", {}, content_type=JSON), 404)
    assert_error_shape(c.delete("/api/v1/api-keys/999"), 404)
    assert_error_shape(c.delete("/api/v1/members/nobody"), 404)
    assert_error_shape(c.get("/api/v1/accounts/99999999999999999999999"), 404)
    # paths the API does not have answer the same shape, not an HTML page
    for path in ("/api/v1/nope", "/api/v1/accounts/abc", "/api/v1/accounts/1/x", "/api/v1/"):
        assert_error_shape(c.get(path), 404, "not_found")


def test_409_conflicts(c):
    c.post("/api/v1/accounts", {"name": "A", "external_id": "E1"}, content_type=JSON)
    r = c.post("/api/v1/accounts", {"name": "B", "external_id": "E1"}, content_type=JSON)
    err = assert_error_shape(r, 409, "duplicate_external_id")
    assert err["details"] == [{"loc": ["external_id"], "msg": "already used"}]
    assert_error_shape(c.delete("/api/v1/members/acme-owner"), 409, "last_owner")


def test_413_too_large(c, settings):
    settings.TOBLOOP_IMPORT_MAX_BYTES = 20
    raw = b"external_id,name\nA1,Acme Corporation\n"
    r = c.post("/api/v1/accounts/import", {"file": SimpleUploadedFile("a.csv", raw)})
    assert_error_shape(r, 413, "payload_too_large")
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    r = c.post("/api/v1/accounts", {"name": "x" * 200}, content_type=JSON)
    assert_error_shape(r, 413, "payload_too_large")


def test_422_invalid_values_name_their_place(c):
    r = c.post(
        "/api/v1/accounts",
        {"name": "X", "headcount": -3, "domain": "nope", "revenue_band": "huge"},
        content_type=JSON,
    )
    err = assert_error_shape(r, 422, "invalid_input")
    assert {d["loc"][-1] for d in err["details"]} >= {"headcount", "domain", "revenue_band"}
    err = assert_error_shape(c.get("/api/v1/accounts?limit=0&sort=bogus"), 422)
    assert {tuple(d["loc"]) for d in err["details"]} == {("query", "limit"), ("query", "sort")}
    err = assert_error_shape(c.post("/api/v1/accounts", "[]", content_type=JSON), 422)
    assert_error_shape(c.post("/api/v1/accounts", {"nam": "typo"}, content_type=JSON), 422)
    r = c.patch("/api/v1/workspace/thresholds", {"cc_max": "high"}, content_type=JSON)
    err = assert_error_shape(r, 422, "invalid_input")
    assert err["details"][0]["loc"] == ["cc_max"]
    assert_error_shape(c.post("/api/v1/api-keys", {"scopes": ["x"]}, content_type=JSON), 422)


def test_422_unreadable_imports(c):
    cases = [
        ({"file": SimpleUploadedFile("a.csv", b"\x00\x01binary")}, "unreadable_file"),
        ({"file": SimpleUploadedFile("a.csv", b"")}, "unreadable_file"),
        ({"file": SimpleUploadedFile("a.csv", b'external_id,name\n"A,B\n')}, "unreadable_file"),
        ({"file": SimpleUploadedFile("a.csv", b"name\nAcme\n")}, "invalid_mapping"),
        (
            {"file": SimpleUploadedFile("a.csv", b"external_id,name\n"), "mapping": "{bad"},
            "invalid_mapping",
        ),
        (
            {"file": SimpleUploadedFile("a.csv", b"external_id\n"), "mapping": '{"x": "name"}'},
            "invalid_mapping",
        ),
        (
            {"file": SimpleUploadedFile("a.csv", b"id\n"), "mapping": '{"id": "nonsense"}'},
            "invalid_mapping",
        ),
        ({}, "invalid_input"),
    ]
    for data, code in cases:
        r = c.post("/api/v1/accounts/import", data)
        assert_error_shape(r, 422, code)


# Inputs that reached the database and failed there (500) on PostgreSQL or SQLite.
BAD_BODIES = [
    ("/api/v1/accounts", {"name": "nul\x00byte"}),
    ("/api/v1/accounts", {"name": "x", "industry": "a\x00"}),
    ("/api/v1/accounts", {"name": "x", "custom_fields": {"k": "v\x00"}}),
    ("/api/v1/accounts", {"name": "x", "custom_fields": {"k\x00": 1}}),
    ("/api/v1/accounts", {"name": "x", "headcount": 10**12}),
    ("/api/v1/accounts", {"name": "x", "headcount": None, "salary_level": "99999999999999"}),
    ("/api/v1/accounts", {"name": "x", "salary_level": "1.239"}),
    ("/api/v1/accounts", {"name": "x", "salary_level": "NaN"}),
    ("/api/v1/accounts", {"name": None}),
    ("/api/v1/contacts", {"name": "x", "account_id": 1, "email": "a\x00@b.cn"}),
    ("/api/v1/api-keys", {"name": "k\x00"}),
    ("/api/v1/api-keys", {"name": "k" * 500}),
]


@pytest.mark.parametrize(("path", "body"), BAD_BODIES)
def test_bad_bodies_are_422_not_500(c, path, body):
    assert_error_shape(c.post(path, body, content_type=JSON), 422)


def test_non_finite_json_numbers_are_422(c):
    r = c.post("/api/v1/accounts", '{"name": "x", "custom_fields": {"k": NaN}}', content_type=JSON)
    assert_error_shape(r, 422)
    r = c.patch("/api/v1/workspace/thresholds", '{"cc_max": Infinity}', content_type=JSON)
    assert_error_shape(r, 422)


@pytest.mark.parametrize(
    "query",
    [
        "/api/v1/accounts?q=%00",
        "/api/v1/accounts?industry=a%00b",
        "/api/v1/accounts?csm_owner=%00",
        "/api/v1/accounts?risk_flag=%00",
        "/api/v1/accounts?offset=100000000000000000000",
        "/api/v1/contacts?q=%00",
        "/api/v1/contacts?account_id=100000000000000000000000",
        "/api/v1/contacts?offset=-1",
        "/api/v1/audit?object_type=%00",
        "/api/v1/audit?offset=100000000000000000000",
    ],
)
def test_bad_queries_are_422_not_500(c, query):
    assert_error_shape(c.get(query), 422)


def test_nul_in_names_and_headers_is_not_found_or_refused(c, client, add_member):
    assert_error_shape(c.delete("/api/v1/members/a%00b"), 404)
    assert_error_shape(c.put("/api/v1/members/a%00b", {"role": "viewer"}, content_type=JSON), 404)
    add_member("acme", "ana", "viewer")
    session = Client()
    session.login(username="ana", password="pw")
    assert_error_shape(session.get("/api/v1/accounts", HTTP_X_WORKSPACE="a\x00b"), 403)
    assert_error_shape(session.get("/api/v1/accounts?workspace=a%00b"), 403)


def test_imports_reject_bad_cells_by_row(c):
    # NUL bytes in the first 4 KiB mark a binary file; further down they are bad cells
    padding = b"".join(b"P%d,Padding,1,1,ok\n" % n for n in range(400))
    raw = (
        b"external_id,name,headcount,salary_level,note\n" + padding + b"A1,Good,10,1000.50,ok\n"
        b"A2,Nul\x00Name,10,1,ok\n"
        b"A3,Big,99999999999,1,ok\n"
        b"A4,Rich,1,99999999999999,ok\n"
        b"A5,Custom,1,1,bad\x00note\n"
    )
    r = c.post(
        "/api/v1/accounts/import",
        {"file": SimpleUploadedFile("a.csv", raw), "mapping": '{"note": "custom.note"}'},
    )
    assert r.status_code == 200, r.content
    report = r.json()
    assert report["created"] == 401
    assert [(x["row"] - 400, x["column"]) for x in report["rejected"]] == [
        (3, "name"),
        (4, "headcount"),
        (5, "salary_level"),
        (6, "note"),
    ]
    r = c.post(
        "/api/v1/accounts/import",
        {"file": SimpleUploadedFile("a.csv", raw), "mapping": '{"note": "custom.n\\u0000"}'},
    )
    assert_error_shape(r, 422, "invalid_mapping")


def test_sorting_puts_unknown_headcounts_last_on_every_engine(c):
    for name, headcount in (("Mid", 500), ("Unknown", None), ("Big", 5000), ("Small", 5)):
        c.post("/api/v1/accounts", {"name": name, "headcount": headcount}, content_type=JSON)

    def names(sort: str) -> list[str]:
        return [a["name"] for a in c.get(f"/api/v1/accounts?sort={sort}").json()["items"]]

    assert names("-headcount") == ["Big", "Mid", "Small", "Unknown"]
    assert names("headcount") == ["Small", "Mid", "Big", "Unknown"]
    assert names("name") == ["Big", "Mid", "Small", "Unknown"]


def test_risk_flag_filter_works_on_every_engine(c, owner):
    a = accounts.create_account(owner, accounts.AccountCreate(name="Lonely"))
    b = accounts.create_account(owner, accounts.AccountCreate(name="Chained"))
    accounts.create_contact(
        owner, accounts.ContactCreate(name="Boss", account_id=b.id, role="decision_maker")
    )
    c2 = accounts.create_account(owner, accounts.AccountCreate(name="Users"))
    accounts.create_contact(owner, accounts.ContactCreate(name="U", account_id=c2.id))

    def names(flag: str) -> set[str]:
        return {x["name"] for x in c.get(f"/api/v1/accounts?risk_flag={flag}").json()["items"]}

    assert names("no_contacts") == {"Lonely"}
    assert names("no_decision_maker") == {"Lonely", "Users"}
    assert names("no_contact") == set()  # a whole flag, not a prefix
    assert names("NO_CONTACTS") == {"Lonely"}
    assert a.id


def test_search_is_case_insensitive_on_every_engine(c):
    c.post(
        "/api/v1/accounts",
        {"name": "Acme Widgets", "domain": "acme.com", "external_id": "CRM-1"},
        content_type=JSON,
    )
    for q in ("acme", "ACME", "Widg", "ACME.COM", "crm-1"):
        assert c.get(f"/api/v1/accounts?q={q}").json()["count"] == 1, q
    assert c.get("/api/v1/accounts?q=crm").json()["count"] == 0  # external id is matched whole


@pytest.fixture
def wsgi_app() -> Iterator[WSGIHandler]:
    """Django as a plain WSGI app inside the test transaction (as Django's test client runs it)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.slow
def test_generated_requests_never_get_a_server_error(wsgi_app, owner, api_key):
    """Schemathesis: valid and invalid requests to every operation; 4xx has the error shape."""
    import schemathesis
    from hypothesis import HealthCheck, Phase, given
    from hypothesis import settings as hyp
    from hypothesis.errors import Unsatisfiable
    from schemathesis.generation import GenerationMode

    accounts.create_account(owner, accounts.AccountCreate(name="Acme", external_id="A1"))
    key = api_key(owner)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", wsgi_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 19
    seen: dict[str, set[int]] = {}
    failures: list[str] = []

    def check(label: str, strategy: Any) -> None:
        @hyp(
            max_examples=2,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def call(case: Any) -> None:
            response = case.call()
            status = response.status_code
            seen.setdefault(label, set()).add(status)
            context = f"{label} → {status} {response.content[:300]!r}\n{case.as_curl_command()}"
            assert status < 500, context
            if status >= 400:
                assert response.headers.get("content-type", [""])[0].startswith(JSON), context
                err = json.loads(response.content)["error"]
                assert set(err) == {"code", "message", "details"}, context
                assert all(set(d) == {"loc", "msg"} for d in err["details"]), context

        try:
            call()
        except Unsatisfiable:  # nothing to make invalid (an operation without parameters)
            pass
        except AssertionError as exc:  # go on, so that one run lists every failing operation
            failures.append(str(exc).split("\nassert")[0])

    for operation in operations:
        label = f"{operation.method.upper()} {operation.path}"
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            auth = {"Authorization": f"Bearer {key}"}
            check(label, operation.as_strategy(generation_mode=mode, headers=auth))
    assert not failures, "\n\n".join(failures)
    assert len(seen) == len(operations)


def test_reimporting_the_same_file_changes_nothing(c):
    raw = b"external_id,name,headcount,salary_level\nA1,Acme,50,180000\nA2,Beta,5,9999.5\n"
    first = c.post("/api/v1/accounts/import", {"file": SimpleUploadedFile("a.csv", raw)}).json()
    again = c.post("/api/v1/accounts/import", {"file": SimpleUploadedFile("a.csv", raw)}).json()
    assert (first["created"], first["updated"]) == (2, 0)
    assert (again["created"], again["updated"], again["rejected"]) == (0, 0, [])
    # the amount reads back as stored, whatever the engine
    acme = c.get("/api/v1/accounts?q=acme").json()["items"][0]
    assert acme["salary_level"] == "180000.00"
    r = c.patch(f"/api/v1/accounts/{acme['id']}", {"salary_level": "180000"}, content_type=JSON)
    assert r.json()["salary_level"] == "180000.00"
    audit = c.get("/api/v1/audit?object_type=account&limit=500").json()["items"]
    assert sorted(e["action"] for e in audit) == ["create", "create", "import", "import"]
