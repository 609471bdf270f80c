"""Roles → permissions, for every role, through the API (session) and the pages."""

import pytest

from tobloop.platform.facade import MODULES, ROLE_SCOPES
from tobloop.platform.models import Role, Workspace

# (read accounts, write accounts, admin the workspace) per role
EXPECTED = {
    "owner": (True, True, True),
    "admin": (True, True, True),
    "analyst": (True, False, False),
    "csm": (True, True, False),
    "sales": (True, True, False),
    "partner_manager": (True, False, False),
    "viewer": (True, False, False),
}
# The one module (besides reading everything) each role may write.
WRITES = {
    "owner": set(MODULES),
    "admin": set(MODULES),
    "analyst": {"analytics"},
    "csm": {"accounts", "success"},
    "sales": {"accounts", "revenue", "pricing"},
    "partner_manager": {"ecosystem"},
    "viewer": set(),
}
JSON = "application/json"


def test_every_role_is_covered():
    assert set(EXPECTED) == set(Role.values) == set(ROLE_SCOPES) == set(WRITES)


@pytest.mark.parametrize("role", sorted(ROLE_SCOPES))
def test_role_scopes_per_module(role, make_workspace):
    # given a member with this role, then every module reads, only some write, admins admin
    p = make_workspace(role=role)
    assert p.role == role
    for module in MODULES:
        assert p.can(module, "read"), (role, module)
        assert p.can(module, "write") == (module in WRITES[role]), (role, module)
        assert p.can(module, "admin") == EXPECTED[role][2], (role, module)


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_role_through_the_session_api(role, make_workspace, add_member, client):
    can_read, can_write, can_admin = EXPECTED[role]
    make_workspace("acme")
    add_member("acme", "member", role)
    client.login(username="member", password="pw")
    ws = {"HTTP_X_WORKSPACE": "acme"}
    # read
    assert (client.get("/api/v1/accounts", **ws).status_code == 200) == can_read
    assert (client.get("/api/v1/workspace", **ws).status_code == 200) == can_read
    assert client.get("/api/v1/members", **ws).status_code == 200
    # write
    r = client.post("/api/v1/accounts", {"name": "Acme"}, content_type=JSON, **ws)
    assert r.status_code == (201 if can_write else 403), r.content
    if not can_write:
        assert r.json()["error"]["code"] == "permission_denied"
        assert "accounts:write" in r.json()["error"]["message"]
    # admin
    expected = 200 if can_admin else 403
    assert client.get("/api/v1/api-keys", **ws).status_code == expected
    assert client.get("/api/v1/audit", **ws).status_code == expected
    r = client.post("/api/v1/api-keys", {"scopes": ["read"]}, content_type=JSON, **ws)
    assert r.status_code == (201 if can_admin else 403)
    r = client.patch(
        "/api/v1/workspace/thresholds", {"mid_min_headcount": 50}, content_type=JSON, **ws
    )
    assert r.status_code == expected
    r = client.put("/api/v1/members/member", {"role": "owner"}, content_type=JSON, **ws)
    assert r.status_code == expected
    stored = Workspace.objects.get(slug="acme").thresholds["mid_min_headcount"]
    assert stored == (50 if can_admin else 100)


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_role_through_the_pages(role, make_workspace, add_member, client):
    can_read, can_write, can_admin = EXPECTED[role]
    make_workspace("acme")
    add_member("acme", "member", role)
    client.login(username="member", password="pw")
    assert (client.get("/w/acme/accounts/").status_code == 200) == can_read
    assert client.get("/w/acme/settings/").status_code == 200
    assert client.get("/w/acme/accounts/import/").status_code == (200 if can_write else 403)
    assert client.get("/w/acme/settings/keys/").status_code == (200 if can_admin else 403)
    assert client.get("/w/acme/settings/audit/").status_code == (200 if can_admin else 403)
    # a threshold change from the settings form is kept only for admins
    client.post("/w/acme/settings/", {"mid_min_headcount": "60"})
    stored = Workspace.objects.get(slug="acme").thresholds["mid_min_headcount"]
    assert stored == (60 if can_admin else 100)


def test_pages_need_sign_in(make_workspace, client):
    make_workspace("acme")
    r = client.get("/w/acme/accounts/")
    assert r.status_code == 302 and "/login/" in r["Location"]


def test_session_writes_need_the_csrf_token(make_workspace, add_member):
    from django.test import Client

    make_workspace("acme")
    add_member("acme", "ana", "admin")
    c = Client(enforce_csrf_checks=True)
    c.login(username="ana", password="pw")
    ws = {"HTTP_X_WORKSPACE": "acme"}
    assert c.get("/api/v1/accounts", **ws).status_code == 200
    r = c.post("/api/v1/accounts", {"name": "X"}, content_type=JSON, **ws)
    assert r.status_code == 403 and r.json()["error"]["code"] == "csrf_failed"
    c.get("/w/acme/accounts/")  # sets the CSRF cookie
    token = c.cookies["csrftoken"].value
    r = c.post("/api/v1/accounts", {"name": "X"}, content_type=JSON, HTTP_X_CSRFTOKEN=token, **ws)
    assert r.status_code == 201, r.content
