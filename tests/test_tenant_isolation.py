"""Tenant isolation matrix: nothing in workspace A reads or writes workspace B.

Two workspaces, ``alpha`` (A) and ``beta`` (B), each with accounts, contacts, members, API keys
and audit events. Every REST operation of the OpenAPI spec, every workspace page, the imports
and the Django admin are driven as A and must neither show B's rows nor change them. The REST
and page matrices walk the spec and the URL map, so endpoints and pages added later are covered
without editing this file; a path parameter the matrix does not know yet fails the test with a
pointer to ``FOREIGN_IDS`` / ``PAGE_KWARGS`` below.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tobloop.accounts import facade as accounts
from tobloop.analytics.logic import saved_insights
from tobloop.platform import facade as platform
from tobloop.platform.admin_scoping import WorkspaceScopedAdmin
from tobloop.platform.models import ApiKey, AuditEvent, Workspace
from tobloop.revenue import facade as revenue
from tobloop.success import facade as success
from tobloop.success.work import facade as success_work

SECRET = "BETA-SECRET"  # in every name of B's rows: a response that contains it leaked B's data
JSON = "application/json"


@dataclass
class Tenants:
    a: Any  # owner Principal of alpha
    b: Any  # owner Principal of beta
    a_key: str
    b_key: str
    b_key_id: int
    a_account: int
    a_contact: int
    b_account: int
    b_account_ext: str
    b_contact: int
    b_member: str  # user name of a member of beta only
    b_profile: int  # a health profile of beta
    b_subscription: int  # a subscription of beta
    b_insight: int  # a saved analytics insight of beta
    b_dashboard: int  # an analytics dashboard of beta
    b_task: int  # a success task of beta
    b_endpoint: int  # a webhook endpoint of beta


@pytest.fixture
def tenants(make_workspace, add_member) -> Tenants:
    a = make_workspace("alpha")
    b = make_workspace("beta")
    add_member("alpha", "alpha-csm", "csm")
    add_member("beta", "beta-secret-csm", "csm")
    shared = accounts.AccountCreate(name="Alpha Shared", external_id="SHARED-1", headcount=50)
    a_account = accounts.create_account(a, shared)
    accounts.create_account(a, accounts.AccountCreate(name="Alpha Two", external_id="A-2"))
    a_contact = accounts.create_contact(
        a, accounts.ContactCreate(name="Alpha Person", account_id=a_account.id, email="p@a.cn")
    )
    b_account = accounts.create_account(
        b,
        accounts.AccountCreate(
            name=f"{SECRET} Co", external_id="SHARED-1", headcount=5000, csm_owner="beta-secret-csm"
        ),
    )
    accounts.create_account(
        b, accounts.AccountCreate(name=f"{SECRET} Only", external_id="BETA-ONLY", headcount=5)
    )
    b_contact = accounts.create_contact(
        b,
        accounts.ContactCreate(
            name=f"{SECRET} Person",
            account_id=b_account.id,
            email="secret@beta.cn",
            role="decision_maker",
        ),
    )
    platform.update_thresholds(b, {"mid_min_headcount": 80})
    b_created = platform.create_api_key(
        workspace_id=b.workspace_id, scopes="read,write,admin", name=SECRET, created_by=b
    )
    a_key = platform.create_api_key(workspace_id=a.workspace_id, scopes="read,write,admin").key
    b_profile = success.create_health_profile(b, {"name": f"{SECRET} health", "rules": []})
    revenue.import_subscriptions(
        b,
        b"subscription_id,account_external_id,date,quantity,unit_price\n"
        b"BETA-SUB,BETA-ONLY,2024-01-01,3,100\n",
        filename="subs.csv",
    )
    b_subscription = revenue.list_subscriptions(b, account_id=None, limit=1, offset=0).items[0]
    b_insight = saved_insights.create_insight(
        b,
        saved_insights.InsightIn(
            name=f"{SECRET} insight",
            kind="funnel",
            query={"steps": ["A", "B"], "from": "2026-01-01", "to": "2026-01-31"},
        ),
    )
    b_dashboard = saved_insights.create_dashboard(
        b, saved_insights.DashboardIn(name=f"{SECRET} board", insights=[b_insight.id])
    )
    b_task = success_work.create_task(
        b,
        success_work.TaskCreate(
            account=b_account.id, kind="risk", title=f"{SECRET} task", trigger="beta"
        ),
    )
    b_endpoint = success_work.create_endpoint(
        b, url="https://beta.example.com/hook", events=["task.created"]
    ).endpoint
    return Tenants(
        a=a,
        b=b,
        a_key=a_key,
        b_key=b_created.key,
        b_key_id=b_created.id,
        a_account=a_account.id,
        a_contact=a_contact.id,
        b_account=b_account.id,
        b_account_ext="BETA-ONLY",
        b_contact=b_contact.id,
        b_member="beta-secret-csm",
        b_profile=b_profile.id,
        b_subscription=b_subscription.id,
        b_insight=b_insight.id,
        b_dashboard=b_dashboard.id,
        b_task=b_task.id,
        b_endpoint=b_endpoint.id,
    )


def snapshot_of(workspace_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every row of every workspace-owned model of one workspace (and the workspace itself)."""
    out: dict[str, list[dict[str, Any]]] = {
        "workspace": list(Workspace.objects.filter(pk=workspace_id).values())
    }
    for model in apps.get_models():
        if not _owned_by_workspace(model):
            continue
        manager = model._default_manager
        rows = manager.unscoped() if hasattr(manager, "unscoped") else manager.all()
        out[model._meta.label] = list(
            rows.filter(workspace_id=workspace_id).order_by("pk").values()
        )
    return out


def _owned_by_workspace(model: type[Model]) -> bool:
    return any(
        f.name == "workspace" and f.is_relation and f.related_model is Workspace
        for f in model._meta.get_fields()
    )


def bearer(key: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def load_spec(client: Client) -> dict[str, Any]:
    return client.get("/api/v1/openapi.json").json()


def spec_operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]


# B's object for each parameter name that identifies a row (in the path, the query or a JSON
# body). A new path parameter fails the matrix until B gets a row of that kind here and in
# the ``tenants`` fixture.
FOREIGN_IDS = {
    "account_id": lambda t: t.b_account,
    "account": lambda t: t.b_account,
    "contact_id": lambda t: t.b_contact,
    "key_id": lambda t: t.b_key_id,
    "username": lambda t: t.b_member,
    "profile_id": lambda t: t.b_profile,
    "subscription_id": lambda t: t.b_subscription,
    "insight_id": lambda t: t.b_insight,
    "dashboard_id": lambda t: t.b_dashboard,
    "task_id": lambda t: t.b_task,
    "endpoint_id": lambda t: t.b_endpoint,
    "key": lambda t: "health-red",  # a playbook key: every workspace has its own of that name
}
# Operations that answer something other than 404 for B's identifiers, with the reason. They
# must still leave B unchanged and show nothing of B.
NOT_404 = {
    # Users are global to an installation; an admin of A may invite any user by name into A.
    ("PUT", "/api/v1/members/{username}"): {200},
    # Playbook keys are per workspace (the defaults exist in every one): A changes its own.
    ("PATCH", "/api/v1/success/playbooks/{key}"): {200},
}


@dataclass
class Call:
    method: str
    path: str
    url: str
    kwargs: dict[str, Any]
    names_b_in_path: bool  # a path parameter is B's row: the answer must be 404
    names_b_elsewhere: bool  # a query parameter or body field is B's row: 404 or 422


def resolve(schema: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    return schema


def minimal_value(schema: dict[str, Any], spec: dict[str, Any], t: Tenants, name: str) -> Any:
    """The smallest value the schema accepts; fields that name a row get B's row."""
    if name in FOREIGN_IDS:
        return FOREIGN_IDS[name](t)
    schema = resolve(schema, spec)
    if "default" in schema:
        return schema["default"]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [o for o in schema[key] if o.get("type") != "null"]
            return minimal_value(options[0], spec, t, name)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        wanted = set(schema.get("required", [])) | (set(props) & set(FOREIGN_IDS))
        return {p: minimal_value(props[p], spec, t, p) for p in sorted(wanted)}
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return max(1, schema.get("minimum", 1))
    if kind == "boolean":
        return False
    if kind == "array":
        return []
    return "x" * max(1, schema.get("minLength", 1))


def call_naming_b(method: str, path: str, op: dict[str, Any], spec: dict, t: Tenants) -> Call:
    """The operation called as A with B's identifiers wherever a parameter names a row."""
    url, query = path, {}
    in_path = elsewhere = False
    for param in op.get("parameters", []):
        name = param["name"]
        if param["in"] == "path":
            if name not in FOREIGN_IDS:
                pytest.fail(
                    f"{path} has the path parameter {name!r}: add B's object of that kind to "
                    "FOREIGN_IDS and the tenants fixture in tests/test_tenant_isolation.py"
                )
            url = url.replace("{" + name + "}", str(FOREIGN_IDS[name](t)))
            in_path = True
        elif param["in"] == "query" and param.get("required"):
            query[name] = minimal_value(param.get("schema", {}), spec, t, name)
            elsewhere = elsewhere or name in FOREIGN_IDS
    kwargs: dict[str, Any] = bearer(t.a_key)
    content = op.get("requestBody", {}).get("content", {})
    if JSON in content:
        body = minimal_value(content[JSON].get("schema", {}), spec, t, "")
        if path.endswith("/members/{username}"):
            body = {"role": "viewer"}
        elsewhere = elsewhere or bool(set(body) & set(FOREIGN_IDS))
        kwargs.update(content_type=JSON, data=json.dumps(body))
    if query:
        kwargs["QUERY_STRING"] = urlencode(query)
    return Call(method, path, url, kwargs, in_path, elsewhere)


def test_every_operation_as_a_stays_inside_a(client, tenants):
    # given B's state, when A calls every operation of the spec, naming B's rows where it can
    t = tenants
    spec = load_spec(client)
    before = snapshot_of(t.b.workspace_id)
    ops = spec_operations(spec)
    assert {p for _m, p, _o in ops} >= {
        "/api/v1/accounts",
        "/api/v1/contacts/{contact_id}",
        "/api/v1/api-keys/{key_id}",
        "/api/v1/audit",
    }
    for method, path, op in ops:
        call = call_naming_b(method, path, op, spec, t)
        with transaction.atomic():  # each operation starts from the same state
            r = client.generic(method, call.url, **call.kwargs)
            where = (method, path, r.status_code, r.content[:300])
            assert r.status_code < 500, where
            # then nothing of B is in the answer and B is exactly as it was
            text = r.content.decode()
            if t.b_member in call.url:  # an answer may echo the name A sent
                text = text.replace(t.b_member, "")
            assert SECRET not in text and t.b_member not in text, where
            assert "beta" not in text.lower(), where
            assert snapshot_of(t.b.workspace_id) == before, where
            # an operation on B's row does not find it; one that names B's row elsewhere
            # does not find it or refuses it; one that names nothing answers A's rows
            if call.names_b_in_path:
                assert r.status_code in NOT_404.get((method, path), {404}), where
            elif call.names_b_elsewhere:
                assert r.status_code in (404, 422), where
            elif method == "GET":
                assert r.status_code == 200, where
            transaction.set_rollback(True)
    # B's key still works
    assert client.get("/api/v1/accounts", **bearer(t.b_key)).json()["count"] == 2


def test_lists_answer_only_own_rows(client, tenants):
    t = tenants
    accounts_page = client.get("/api/v1/accounts?limit=500", **bearer(t.a_key)).json()
    assert {a["name"] for a in accounts_page["items"]} == {"Alpha Shared", "Alpha Two"}
    assert accounts_page["count"] == 2
    contacts_page = client.get("/api/v1/contacts", **bearer(t.a_key)).json()
    assert [c["id"] for c in contacts_page["items"]] == [t.a_contact]
    keys = client.get("/api/v1/api-keys", **bearer(t.a_key)).json()
    assert t.b_key_id not in {k["id"] for k in keys["items"]}
    assert {
        m["username"] for m in client.get("/api/v1/members", **bearer(t.a_key)).json()["items"]
    } == {"alpha-owner", "alpha-csm"}
    audit = client.get("/api/v1/audit?limit=500", **bearer(t.a_key)).json()
    assert audit["count"] == len(audit["items"]) > 0
    assert {e["object_type"] for e in audit["items"]} >= {"account", "contact"}
    assert "workspace.thresholds" not in {e["object_type"] for e in audit["items"]}


def test_filters_cannot_reach_other_workspace(client, tenants):
    # given filters that name B's rows, then A's answers stay empty
    t, auth = tenants, bearer(tenants.a_key)
    for query in (
        f"account_id={t.b_account}",
        "q=secret@beta.cn",
        f"q={SECRET}",
    ):
        r = client.get(f"/api/v1/contacts?{query}", **auth)
        assert r.json() == {"items": [], "count": 0}, query
    for query in (f"q={SECRET}", "q=BETA-ONLY", f"csm_owner={t.b_member}", "segment=large"):
        r = client.get(f"/api/v1/accounts?{query}", **auth)
        assert r.json() == {"items": [], "count": 0}, query
    r = client.get("/api/v1/audit?object_type=workspace.thresholds", **auth)
    assert r.json() == {"items": [], "count": 0}


def test_writes_cannot_point_at_other_workspace(client, tenants):
    t, auth = tenants, bearer(tenants.a_key)
    before = snapshot_of(t.b.workspace_id)
    # a contact cannot be attached to B's account, by id or by external id
    for ref in ({"account_id": t.b_account}, {"account_external_id": t.b_account_ext}):
        r = client.post("/api/v1/contacts", {"name": "X", **ref}, content_type=JSON, **auth)
        assert r.status_code == 422, (ref, r.content)
        assert r.json()["error"]["details"][0]["msg"] == "unknown account"
        r = client.patch(f"/api/v1/contacts/{t.a_contact}", ref, content_type=JSON, **auth)
        assert r.status_code == 422, (ref, r.content)
    # a member of B only cannot own A's account
    r = client.patch(
        f"/api/v1/accounts/{t.a_account}",
        {"csm_owner": t.b_member},
        content_type=JSON,
        **auth,
    )
    assert r.status_code == 422
    # B's key cannot be revoked from A
    assert client.delete(f"/api/v1/api-keys/{t.b_key_id}", **auth).status_code == 404
    # the same external id is a different account in each workspace
    r = client.patch(f"/api/v1/accounts/{t.a_account}", {"headcount": 7}, content_type=JSON, **auth)
    assert r.status_code == 200
    # creating in A leaves B alone
    r = client.post(
        "/api/v1/accounts", {"name": "New", "external_id": "BETA-ONLY"}, content_type=JSON, **auth
    )
    assert r.status_code == 201
    r = client.post("/api/v1/api-keys", {"scopes": ["read"]}, content_type=JSON, **auth)
    assert r.status_code == 201
    assert snapshot_of(t.b.workspace_id) == before
    assert client.get("/api/v1/accounts", **bearer(t.b_key)).status_code == 200


def test_imports_with_a_key_never_touch_b(client, tenants):
    t, auth = tenants, bearer(tenants.a_key)
    before = snapshot_of(t.b.workspace_id)
    # given a CRM file whose external ids are B's, when A imports it
    raw = b"external_id,name,headcount\nSHARED-1,Alpha Shared Renamed,60\nBETA-ONLY,Mine Now,9\n"
    r = client.post("/api/v1/accounts/import", {"file": SimpleUploadedFile("a.csv", raw)}, **auth)
    # then A's account is updated and a new one made in A; B is untouched
    assert r.status_code == 200, r.content
    report = r.json()
    assert (report["created"], report["updated"], report["rejected"]) == (1, 1, [])
    # contacts cannot be imported into B's accounts by id; B-ONLY now names A's own account
    raw = b"account_external_id,name,email\nBETA-ONLY,Colleague,i1@a.cn\n"
    r = client.post("/api/v1/contacts/import", {"file": SimpleUploadedFile("c.csv", raw)}, **auth)
    assert (r.json()["created"], r.json()["rejected"]) == (1, [])
    raw = f"account_id,name,email\n{t.b_account},Intruder,i2@a.cn\n".encode()
    r = client.post("/api/v1/contacts/import", {"file": SimpleUploadedFile("c.csv", raw)}, **auth)
    assert r.json()["created"] == 0
    assert [(x["row"], x["column"]) for x in r.json()["rejected"]] == [(2, "account_id")]
    raw = b"account_external_id,name,email\nNOT-IN-A,Intruder,i3@a.cn\n"
    r = client.post("/api/v1/contacts/import", {"file": SimpleUploadedFile("c.csv", raw)}, **auth)
    assert r.json()["rejected"][0]["column"] == "account_external_id"
    assert snapshot_of(t.b.workspace_id) == before
    b_accounts = {
        a.external_id: a.name for a in accounts.list_accounts(t.b, accounts.AccountFilter()).items
    }
    assert b_accounts == {"SHARED-1": f"{SECRET} Co", "BETA-ONLY": f"{SECRET} Only"}


def test_contact_import_by_external_id_of_b_only_is_rejected(tenants):
    # given an account external id that exists only in B, then A's import rejects the row
    raw = b"account_external_id,name,email\nBETA-ONLY,Intruder,i@a.cn\n"
    report = accounts.import_contacts(tenants.a, raw, filename="c.csv")
    assert report.created == 0
    assert [(r.row, r.column, r.value) for r in report.rejected] == [
        (2, "account_external_id", "BETA-ONLY")
    ]


def test_session_api_needs_membership_of_the_named_workspace(client, tenants, add_member):
    t = tenants
    add_member("alpha", "ana", "admin")
    client.login(username="ana", password="pw")
    # the only membership is used when no workspace is named
    assert client.get("/api/v1/accounts").json()["count"] == 2
    for path in ("/api/v1/accounts", "/api/v1/contacts", "/api/v1/audit", "/api/v1/workspace"):
        for how in ({"HTTP_X_WORKSPACE": "beta"}, {"QUERY_STRING": "workspace=beta"}):
            r = client.get(path, **how)
            assert r.status_code == 403, (path, how, r.content)
            assert r.json()["error"]["code"] == "permission_denied"
        # a workspace that does not exist gets the same answer (no probing of tenants)
        assert client.get(path, HTTP_X_WORKSPACE="nope").status_code == 403
    r = client.post("/api/v1/accounts", {"name": "X"}, content_type=JSON, HTTP_X_WORKSPACE="beta")
    assert r.status_code == 403
    r = client.delete(f"/api/v1/accounts/{t.b_account}", HTTP_X_WORKSPACE="beta")
    assert r.status_code == 403
    # a bearer key decides the workspace; X-Workspace cannot widen it
    r = client.get("/api/v1/accounts", HTTP_X_WORKSPACE="beta", **bearer(t.a_key))
    assert {a["name"] for a in r.json()["items"]} == {"Alpha Shared", "Alpha Two"}


def test_member_of_both_must_name_the_workspace(client, tenants, add_member):
    add_member("alpha", "both", "viewer")
    add_member("beta", "both", "viewer")
    client.login(username="both", password="pw")
    r = client.get("/api/v1/accounts")
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "workspace_required"
    names = {
        a["name"] for a in client.get("/api/v1/accounts", HTTP_X_WORKSPACE="beta").json()["items"]
    }
    assert names == {f"{SECRET} Co", f"{SECRET} Only"}


def workspace_pages() -> list[tuple[str, str]]:
    """(route, url name) of every page under ``w/<slug:slug>/``, found in the URL map."""
    found: list[tuple[str, str]] = []

    def walk(patterns: list[Any], prefix: str, namespace: str) -> None:
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
                walk(p.url_patterns, route, ns)
            elif isinstance(p, URLPattern) and route.startswith("w/<slug:slug>/"):
                found.append((route, f"{namespace}{p.name}"))

    walk(get_resolver().url_patterns, "", "")
    return found


# Values for the other URL parameters of workspace pages: B's object of that kind.
PAGE_KWARGS = {"pk": lambda t: t.b_account}


def page_url(route: str, slug: str, t: Tenants) -> str:
    url = route.replace("<slug:slug>", slug)
    while "<" in url:
        start, end = url.index("<"), url.index(">")
        name = url[start + 1 : end].split(":")[-1]
        if name not in PAGE_KWARGS:
            pytest.fail(
                f"the page {route} has the URL parameter {name!r}: add B's object of that "
                "kind to PAGE_KWARGS in tests/test_tenant_isolation.py"
            )
        url = url[:start] + str(PAGE_KWARGS[name](t)) + url[end + 1 :]
    return "/" + url


def test_pages_of_other_workspace_are_forbidden(client, tenants, add_member):
    t = tenants
    add_member("alpha", "ana", "owner")
    client.login(username="ana", password="pw")
    before = snapshot_of(t.b.workspace_id)
    pages = workspace_pages()
    assert {name for _r, name in pages} >= {"accounts:list", "accounts:detail", "settings:keys"}
    for route, name in pages:
        url = page_url(route, "beta", t)
        # as a member of A only, every page of B is forbidden, to read and to post
        r = client.get(url)
        assert r.status_code == 403, (name, url, r.status_code)
        assert SECRET not in r.content.decode(), name
        r = client.post(url, {"revoke": str(t.b_key_id), "mid_min_headcount": "5"})
        assert r.status_code == 403, (name, url, r.status_code)
    assert snapshot_of(t.b.workspace_id) == before


def test_b_ids_under_own_workspace_are_not_found(client, tenants, add_member):
    t = tenants
    add_member("alpha", "ana", "owner")
    client.login(username="ana", password="pw")
    before = snapshot_of(t.b.workspace_id)
    for route, name in workspace_pages():
        if "<" not in route.replace("<slug:slug>", ""):
            continue
        url = page_url(route, "alpha", t)
        r = client.get(url)
        assert r.status_code == 404, (name, url, r.status_code)
        assert SECRET not in r.content.decode()
    assert client.get(f"/w/alpha/accounts/{t.a_account}/").status_code == 200
    # revoking B's key from A's key page finds no such key
    r = client.post("/w/alpha/settings/keys/", {"revoke": str(t.b_key_id)})
    assert r.status_code in (200, 302, 404)
    assert ApiKey.objects.unscoped().get(pk=t.b_key_id).revoked_at is None
    # A's list pages show none of B's rows
    for url in ("/w/alpha/accounts/", "/w/alpha/settings/", "/w/alpha/settings/audit/"):
        r = client.get(url)
        assert r.status_code == 200, url
        assert SECRET not in r.content.decode(), url
        assert t.b_member not in r.content.decode(), url
    assert snapshot_of(t.b.workspace_id) == before


def test_web_upload_imports_into_own_workspace_only(client, tenants, add_member):
    t = tenants
    add_member("alpha", "ana", "owner")
    client.login(username="ana", password="pw")
    before = snapshot_of(t.b.workspace_id)
    raw = b"external_id,name\nBETA-ONLY,Alpha Copy\n"
    r = client.post(
        "/w/alpha/accounts/import/",
        {"kind": "accounts", "file": SimpleUploadedFile("a.csv", raw)},
    )
    assert r.status_code in (200, 302)
    names = {a.name for a in accounts.list_accounts(t.a, accounts.AccountFilter()).items}
    assert "Alpha Copy" in names
    assert snapshot_of(t.b.workspace_id) == before


@pytest.fixture
def staff_of_alpha(tenants) -> Client:
    """A staff user (not superuser) with every model permission, member of A only."""
    user = get_user_model().objects.create_user("alpha-staff", password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.all())
    platform.add_member(workspace_slug="alpha", user_id=user.pk, role="admin")
    c = Client()
    c.force_login(user)
    return c


def scoped_admins() -> list[tuple[type[Model], Any]]:
    return [
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if model is Workspace or _owned_by_workspace(model)
    ]


def admin_url(model: type[Model], view: str, pk: Any = None) -> str:
    base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    return base if view == "changelist" else f"{base}{pk}/{view}/"


def rows_of(model: type[Model], workspace_id: int) -> list[Any]:
    if model is Workspace:
        return list(Workspace.objects.filter(pk=workspace_id))
    manager = model._default_manager
    rows = manager.unscoped() if hasattr(manager, "unscoped") else manager.all()
    return list(rows.filter(workspace_id=workspace_id))


def test_every_workspace_model_admin_is_scoped():
    for model, model_admin in scoped_admins():
        if model is Workspace:
            continue
        assert isinstance(model_admin, WorkspaceScopedAdmin), (
            f"{model._meta.label} is owned by a workspace; its admin must extend "
            "WorkspaceScopedAdmin"
        )


def test_staff_admin_sees_only_own_workspace(staff_of_alpha, tenants):
    t = tenants
    checked = 0
    for model, _model_admin in scoped_admins():
        r = staff_of_alpha.get(admin_url(model, "changelist"))
        assert r.status_code == 200, model
        shown = list(r.context["cl"].queryset)
        owner_ids = {obj.pk if model is Workspace else obj.workspace_id for obj in shown}
        assert owner_ids <= {t.a.workspace_id}, model
        assert SECRET not in r.content.decode(), model
        for obj in rows_of(model, t.b.workspace_id):
            checked += 1
            for view in ("change", "delete", "history"):
                r = staff_of_alpha.get(admin_url(model, view, obj.pk))
                assert r.status_code in (403, 404), (model, view, r.status_code)
            r = staff_of_alpha.post(admin_url(model, "delete", obj.pk), {"post": "yes"})
            assert r.status_code in (403, 404), (model, "delete POST")
    assert checked >= 6  # B's workspace, members, key, accounts, contact, audit events
    r = staff_of_alpha.get(f"/admin/accounts/account/?q={SECRET}")
    assert r.context["cl"].result_count == 0
    assert rows_of(Workspace, t.b.workspace_id)  # B still exists


def test_staff_admin_cannot_point_rows_at_other_workspace(staff_of_alpha, tenants):
    t = tenants
    before = snapshot_of(t.b.workspace_id)
    url = admin_url(apps.get_model("accounts", "Contact"), "change", t.a_contact)
    form = staff_of_alpha.get(url).context["adminform"].form
    data = {k: ("" if v is None else v) for k, v in form.initial.items() if v is not False}
    data.update({"workspace": t.a.workspace_id, "account": t.b_account, "name": "Moved"})
    r = staff_of_alpha.post(url, data)
    assert r.status_code == 200  # the form comes back with an error
    assert "account" in r.context["adminform"].form.errors
    data.update({"workspace": t.b.workspace_id, "account": t.a_account})
    r = staff_of_alpha.post(url, data)
    assert r.status_code == 200
    assert "workspace" in r.context["adminform"].form.errors
    add = admin_url(apps.get_model("accounts", "Account"), "changelist") + "add/"
    r = staff_of_alpha.post(
        add, {"workspace": t.b.workspace_id, "name": "Sneaky", "lifecycle_stage": "active"}
    )
    assert r.status_code == 200 and "workspace" in r.context["adminform"].form.errors
    assert snapshot_of(t.b.workspace_id) == before
    assert accounts.get_contact(t.a, t.a_contact).account_id == t.a_account


def test_superuser_admin_sees_every_workspace(client, tenants):
    t = tenants
    get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.login(username="root", password="pw")
    for model, _model_admin in scoped_admins():
        r = client.get(admin_url(model, "changelist"))
        assert r.status_code == 200, model
        shown = list(r.context["cl"].queryset)
        owners = {obj.pk if model is Workspace else obj.workspace_id for obj in shown}
        expected = {ws for ws in (t.a.workspace_id, t.b.workspace_id) if rows_of(model, ws)}
        assert owners == expected, model
    for obj in rows_of(apps.get_model("accounts", "Account"), t.b.workspace_id):
        r = client.get(admin_url(type(obj), "change", obj.pk))
        assert r.status_code == 200
    assert AuditEvent.objects.unscoped().filter(workspace_id=t.b.workspace_id).exists()


def test_superuser_admin_cannot_mix_workspaces_in_one_row(client, tenants):
    # a superuser sees every workspace, but a contact of A still cannot point at B's account
    t = tenants
    get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.login(username="root", password="pw")
    before = snapshot_of(t.b.workspace_id)
    url = admin_url(apps.get_model("accounts", "Contact"), "change", t.a_contact)
    form = client.get(url).context["adminform"].form
    data = {k: ("" if v is None else v) for k, v in form.initial.items() if v is not False}
    data.update({"workspace": t.a.workspace_id, "account": t.b_account, "name": "Moved"})
    r = client.post(url, data)
    assert r.status_code == 200
    assert "account" in r.context["adminform"].form.errors
    assert accounts.get_contact(t.a, t.a_contact).account_id == t.a_account
    assert snapshot_of(t.b.workspace_id) == before
