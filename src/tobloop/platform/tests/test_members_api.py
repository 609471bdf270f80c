"""Members through the API: admins change roles, every change is audited, the last owner stays."""

from tobloop.platform.models import AuditEvent


def test_members_roles_and_audit(make_workspace, add_member, api_key, client):
    owner = make_workspace("acme")
    add_member("acme", "ana", "viewer")
    key = api_key(owner, "read,write,admin")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    r = client.get("/api/v1/members", **auth)
    assert r.json()["items"] == [
        {"username": "acme-owner", "role": "owner"},
        {"username": "ana", "role": "viewer"},
    ]
    r = client.put("/api/v1/members/ana", {"role": "csm"}, content_type="application/json", **auth)
    assert r.status_code == 200
    event = AuditEvent.objects.for_workspace(owner.workspace_id).get(object_type="membership")
    assert (event.before, event.after) == ({"role": "viewer"}, {"role": "csm"})
    r = client.put(
        "/api/v1/members/ana", {"role": "emperor"}, content_type="application/json", **auth
    )
    assert r.status_code == 422
    r = client.delete("/api/v1/members/acme-owner", **auth)
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "last_owner"
    assert client.delete("/api/v1/members/ana", **auth).status_code == 204
    assert client.delete("/api/v1/members/ana", **auth).status_code == 404


def test_members_write_needs_admin(make_workspace, add_member, api_key, client):
    owner = make_workspace("acme")
    add_member("acme", "ana", "viewer")
    key = api_key(owner, "read,write")
    r = client.put(
        "/api/v1/members/ana",
        {"role": "owner"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert r.status_code == 403
