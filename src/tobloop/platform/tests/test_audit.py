"""The audit log: who, what, when, before and after, for every kind of write."""

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tobloop.platform import facade
from tobloop.platform.models import AuditEvent

JSON = "application/json"


def events(principal, **filters):
    return list(
        AuditEvent.objects.for_workspace(principal.workspace_id).filter(**filters).order_by("id")
    )


def test_account_and_contact_writes_are_audited(make_workspace, client):
    owner = make_workspace()
    made = facade.create_api_key(workspace_id=owner.workspace_id, scopes="write")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {made.key}"}
    actor = f"key:{made.prefix}"
    started = timezone.now()
    # create
    acct = client.post(
        "/api/v1/accounts", {"name": "Acme", "headcount": 50}, content_type=JSON, **auth
    ).json()
    (created,) = events(owner, object_type="account", action="create")
    assert (created.actor, created.object_id, created.object_repr) == (
        actor,
        str(acct["id"]),
        "Acme",
    )
    assert created.before is None
    assert created.after["headcount"] == 50 and created.after["segment"] == "small"
    assert started - timedelta(seconds=1) <= created.at <= timezone.now()
    # update: before and after
    client.patch(f"/api/v1/accounts/{acct['id']}", {"headcount": 500}, content_type=JSON, **auth)
    (updated,) = events(owner, object_type="account", action="update")
    assert (updated.before["headcount"], updated.after["headcount"]) == (50, 500)
    assert (updated.before["segment"], updated.after["segment"]) == ("small", "mid")
    # a change that changes nothing leaves no entry
    client.patch(f"/api/v1/accounts/{acct['id']}", {"headcount": 500}, content_type=JSON, **auth)
    assert len(events(owner, object_type="account", action="update")) == 1
    # contacts
    contact = client.post(
        "/api/v1/contacts",
        {"name": "Ana", "account_id": acct["id"], "role": "buyer"},
        content_type=JSON,
        **auth,
    ).json()
    client.patch(
        f"/api/v1/contacts/{contact['id']}", {"role": "champion"}, content_type=JSON, **auth
    )
    client.delete(f"/api/v1/contacts/{contact['id']}", **auth)
    kinds = [(e.action, e.object_type) for e in events(owner, object_type="contact")]
    assert kinds == [("create", "contact"), ("update", "contact"), ("delete", "contact")]
    update = events(owner, object_type="contact", action="update")[0]
    assert (update.before["role"], update.after["role"]) == ("buyer", "champion")
    deleted = events(owner, object_type="contact", action="delete")[0]
    assert deleted.before["name"] == "Ana" and deleted.after is None
    # delete
    client.delete(f"/api/v1/accounts/{acct['id']}", **auth)
    (gone,) = events(owner, object_type="account", action="delete")
    assert gone.before["name"] == "Acme" and gone.object_id == str(acct["id"])
    assert {e.actor for e in events(owner)} == {actor}


def test_session_writes_name_the_user(make_workspace, add_member, client):
    make_workspace("acme")
    ana = add_member("acme", "ana", "csm")
    client.login(username="ana", password="pw")
    client.post("/api/v1/accounts", {"name": "Acme"}, content_type=JSON, HTTP_X_WORKSPACE="acme")
    (event,) = events(ana, object_type="account")
    assert event.actor == "user:ana" and event.actor_user_id == ana.user_id


def test_imports_are_audited_as_a_whole_and_row_by_row(make_workspace, api_key, client):
    owner = make_workspace()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {api_key(owner, 'write')}"}
    raw = b"external_id,name,headcount\nA1,Acme,10\nA2,Beta,x\n"
    client.post("/api/v1/accounts/import", {"file": SimpleUploadedFile("crm.csv", raw)}, **auth)
    (summary,) = events(owner, action="import")
    assert summary.object_type == "account" and summary.object_repr == "crm.csv"
    assert summary.after == {
        "file": "crm.csv",
        "rows": 2,
        "created": 1,
        "updated": 0,
        "rejected": 1,
    }
    (row,) = events(owner, object_type="account", action="create")
    assert row.after["external_id"] == "A1"
    raw = b"external_id,name,headcount\nA1,Acme Ltd,10\n"
    client.post("/api/v1/accounts/import", {"file": SimpleUploadedFile("crm.csv", raw)}, **auth)
    (row,) = events(owner, object_type="account", action="update")
    assert (row.before["name"], row.after["name"]) == ("Acme", "Acme Ltd")
    raw = b"account_external_id,name,email\nA1,Ana,ana@acme.cn\n"
    client.post("/api/v1/contacts/import", {"file": SimpleUploadedFile("c.csv", raw)}, **auth)
    assert [e.object_type for e in events(owner, action="import")] == [
        "account",
        "account",
        "contact",
    ]


def test_threshold_changes_are_audited_with_the_changed_fields_only(make_workspace):
    owner = make_workspace()
    facade.update_thresholds(owner, {"cc_max": "0.15", "mid_min_headcount": 100})
    (event,) = events(owner, object_type="workspace.thresholds")
    assert event.action == "update" and event.actor == owner.label
    assert event.before == {"cc_max": "0.20"}
    assert event.after == {"cc_max": "0.15"}
    facade.update_thresholds(owner, {"cc_max": "0.15"})  # no change, no entry
    assert len(events(owner, object_type="workspace.thresholds")) == 1


def test_key_creation_and_revocation_are_audited(make_workspace):
    owner = make_workspace()
    made = facade.create_api_key(
        workspace_id=owner.workspace_id, scopes="read", name="ci", created_by=owner
    )
    facade.revoke_api_key(owner, made.id)
    facade.revoke_api_key(owner, made.id)
    created, revoked = events(owner, object_type="api_key")
    assert (created.action, created.object_repr) == ("create", made.prefix)
    assert created.after == {"prefix": made.prefix, "kind": "api", "scopes": ["read"], "name": "ci"}
    assert made.key not in str(created.after)
    assert (revoked.action, revoked.object_id) == ("revoke", str(made.id))


def test_audit_api_lists_newest_first_with_filter_and_paging(make_workspace, api_key, client):
    owner = make_workspace()
    for n in range(3):
        facade.update_thresholds(owner, {"mid_min_headcount": 10 + n})
    facade.create_api_key(workspace_id=owner.workspace_id, created_by=owner)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {api_key(owner, 'admin')}"}
    body = client.get("/api/v1/audit", **auth).json()
    assert body["count"] == 4 == len(body["items"])
    assert [e["id"] for e in body["items"]] == sorted(
        (e["id"] for e in body["items"]), reverse=True
    )
    first = body["items"][0]
    assert set(first) == {
        "id",
        "actor",
        "action",
        "object_type",
        "object_id",
        "object_repr",
        "before",
        "after",
        "at",
    }
    body = client.get("/api/v1/audit?object_type=workspace.thresholds&limit=2&offset=1", **auth)
    page = body.json()
    assert page["count"] == 3 and len(page["items"]) == 2
    assert [e["after"]["mid_min_headcount"] for e in page["items"]] == [11, 10]
