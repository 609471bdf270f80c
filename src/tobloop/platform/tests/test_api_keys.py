"""API keys: shown once, stored as SHA-256 only, prefixed, scoped, expiring, revocable."""

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from tobloop.kernel.errors import InvalidInput, NotAuthenticated
from tobloop.platform import facade
from tobloop.platform.models import ApiKey
from tobloop.platform.permissions import parse_scopes, scopes_allow

JSON = "application/json"


def bearer(key):
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def test_key_is_shown_once_and_only_its_hash_is_stored(make_workspace, api_key, client):
    owner = make_workspace()
    admin_key = api_key(owner, "admin")
    # when a key is made through the API
    r = client.post(
        "/api/v1/api-keys",
        {"name": "ci", "scopes": ["read", "accounts:write"]},
        content_type=JSON,
        **bearer(admin_key),
    )
    assert r.status_code == 201
    made = r.json()
    key, prefix = made["key"], made["prefix"]
    # then the secret is in this answer only, behind a visible prefix
    assert key.startswith(prefix + "_") and prefix.startswith("tbk_")
    assert made["scopes"] == ["accounts:write", "read"]
    assert made["expires_at"] is None
    row = ApiKey.objects.for_workspace(owner.workspace_id).get(prefix=prefix)
    assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
    stored = " ".join(
        str(v) for v in ApiKey.objects.unscoped().filter(pk=row.pk).values()[0].values()
    )
    assert key not in stored
    listed = client.get("/api/v1/api-keys", **bearer(admin_key))
    assert key not in listed.content.decode()
    mine = [k for k in listed.json()["items"] if k["prefix"] == prefix]
    assert mine[0]["name"] == "ci" and mine[0]["kind"] == "api"
    assert "key" not in mine[0] and "key_hash" not in mine[0]
    # and the key works
    assert client.get("/api/v1/accounts", **bearer(key)).status_code == 200


def test_keys_are_unique_and_unguessable(make_workspace):
    owner = make_workspace()
    keys = {facade.create_api_key(workspace_id=owner.workspace_id).key for _ in range(20)}
    assert len(keys) == 20
    assert all(len(k) >= 40 for k in keys)


@pytest.mark.parametrize(
    ("scopes", "read_accounts", "write_accounts", "read_workspace", "admin"),
    [
        ("read", 200, 403, 200, 403),
        ("write", 200, 201, 200, 403),
        ("admin", 403, 403, 403, 200),
        ("read,write,admin", 200, 201, 200, 200),
        ("accounts:read", 200, 403, 403, 403),
        ("accounts:write", 200, 201, 403, 403),
        ("revenue:write", 403, 403, 403, 403),
        ("platform:read", 403, 403, 200, 403),
        ("accounts:read,platform:write", 200, 403, 200, 403),
    ],
)
def test_scopes_narrow_what_a_key_can_do(
    scopes, read_accounts, write_accounts, read_workspace, admin, make_workspace, api_key, client
):
    key = api_key(make_workspace(), scopes)
    auth = bearer(key)
    assert client.get("/api/v1/accounts", **auth).status_code == read_accounts
    r = client.post("/api/v1/accounts", {"name": "A"}, content_type=JSON, **auth)
    assert r.status_code == write_accounts
    assert client.get("/api/v1/contacts", **auth).status_code == read_accounts
    assert client.get("/api/v1/workspace", **auth).status_code == read_workspace
    assert client.get("/api/v1/api-keys", **auth).status_code == admin
    assert client.get("/api/v1/audit", **auth).status_code == admin


def test_scope_rules():
    assert parse_scopes(" read , accounts:write,read ") == ("accounts:write", "read")
    assert scopes_allow(frozenset({"accounts:write"}), "accounts", "read")
    assert not scopes_allow(frozenset({"accounts:write"}), "revenue", "read")
    assert not scopes_allow(frozenset({"write"}), "accounts", "admin")
    assert not scopes_allow(frozenset({"read"}), "accounts", "delete")
    for bad in ("", " , ", "superuser", "accounts:admin", "nomodule:read", "READ"):
        with pytest.raises(InvalidInput) as err:
            parse_scopes(bad)
        assert err.value.code == "invalid_scopes"


def test_invalid_scopes_are_refused_by_the_api(make_workspace, api_key, client):
    auth = bearer(api_key(make_workspace(), "admin"))
    for scopes in (["root"], [], ["accounts:admin"]):
        r = client.post("/api/v1/api-keys", {"scopes": scopes}, content_type=JSON, **auth)
        assert r.status_code == 422, scopes
        assert r.json()["error"]["code"] == "invalid_scopes"
    r = client.post("/api/v1/api-keys", {"expires_in_days": 0}, content_type=JSON, **auth)
    assert r.status_code == 422


def test_expired_keys_stop_working(make_workspace, client):
    owner = make_workspace()
    made = facade.create_api_key(workspace_id=owner.workspace_id, expires_in_days=30)
    assert made.expires_at is not None
    assert timedelta(days=29) < made.expires_at - timezone.now() <= timedelta(days=30)
    assert client.get("/api/v1/accounts", **bearer(made.key)).status_code == 200
    ApiKey.objects.unscoped().filter(pk=made.id).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    r = client.get("/api/v1/accounts", **bearer(made.key))
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "invalid_api_key"


def test_revoked_keys_stop_working_and_revoking_twice_is_harmless(make_workspace, api_key, client):
    owner = make_workspace()
    admin = bearer(api_key(owner, "admin"))
    victim = facade.create_api_key(workspace_id=owner.workspace_id, scopes="read")
    assert client.get("/api/v1/accounts", **bearer(victim.key)).status_code == 200
    assert client.delete(f"/api/v1/api-keys/{victim.id}", **admin).status_code == 204
    r = client.get("/api/v1/accounts", **bearer(victim.key))
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_api_key"
    assert client.delete(f"/api/v1/api-keys/{victim.id}", **admin).status_code == 204
    listed = client.get("/api/v1/api-keys", **admin).json()["items"]
    assert [k["revoked_at"] is not None for k in listed if k["id"] == victim.id] == [True]
    assert client.delete("/api/v1/api-keys/999999", **admin).status_code == 404


def test_revoking_needs_admin(make_workspace, api_key, client):
    owner = make_workspace()
    victim = facade.create_api_key(workspace_id=owner.workspace_id, scopes="read")
    r = client.delete(f"/api/v1/api-keys/{victim.id}", **bearer(api_key(owner, "read,write")))
    assert r.status_code == 403
    assert ApiKey.objects.unscoped().get(pk=victim.id).revoked_at is None


def test_last_used_at_is_recorded_at_most_once_a_minute(make_workspace, client):
    owner = make_workspace()
    made = facade.create_api_key(workspace_id=owner.workspace_id)
    row = ApiKey.objects.unscoped().filter(pk=made.id)
    assert row.get().last_used_at is None
    client.get("/api/v1/accounts", **bearer(made.key))
    first = row.get().last_used_at
    assert first is not None and timezone.now() - first < timedelta(seconds=10)
    client.get("/api/v1/accounts", **bearer(made.key))
    assert row.get().last_used_at == first  # no write on every request
    row.update(last_used_at=timezone.now() - timedelta(minutes=2))
    client.get("/api/v1/accounts", **bearer(made.key))
    assert timezone.now() - row.get().last_used_at < timedelta(seconds=10)


def test_write_key_cannot_call_the_rest_api(make_workspace, api_key, client):
    owner = make_workspace()
    r = client.post(
        "/api/v1/api-keys",
        {"write_key": True, "scopes": ["admin"]},
        content_type=JSON,
        **bearer(api_key(owner, "admin")),
    )
    assert r.status_code == 201
    made = r.json()
    assert made["prefix"].startswith("tbw_") and made["key"].startswith("tbw_")
    assert made["scopes"] == ["events:write"]  # the asked-for scopes do not apply
    for path in ("/api/v1/accounts", "/api/v1/workspace", "/api/v1/api-keys"):
        r = client.get(path, **bearer(made["key"]))
        assert r.status_code == 401, path
        assert r.json()["error"]["code"] == "wrong_key_kind"
    with pytest.raises(NotAuthenticated):
        facade.principal_for_key(made["key"])
    assert facade.principal_for_key(made["key"], kind="write").scopes == {"events:write"}


def test_api_key_principal_carries_the_key(make_workspace):
    owner = make_workspace()
    made = facade.create_api_key(workspace_id=owner.workspace_id, scopes="read")
    p = facade.principal_for_key(made.key)
    assert p.workspace_id == owner.workspace_id
    assert p.label == f"key:{made.prefix}" and p.api_key_id == made.id
    assert p.user_id is None and p.scopes == {"read"}


@pytest.mark.parametrize(
    "header", ["Basic abc", "Bearer", "Bearer ", "Token tbk_x", "tbk_abc", "Bearer tbk_nope"]
)
def test_malformed_or_unknown_credentials_are_401(header, make_workspace, client):
    make_workspace()
    r = client.get("/api/v1/accounts", HTTP_AUTHORIZATION=header)
    assert r.status_code == 401
    assert r.json()["error"]["code"] in {"invalid_api_key", "not_authenticated"}
