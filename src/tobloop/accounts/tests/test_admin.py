"""Django admin edits re-derive segments and leave an audit entry like every other write."""

from django.contrib.auth import get_user_model

from tobloop.accounts import facade
from tobloop.accounts.models import Account
from tobloop.platform.models import AuditEvent


def test_admin_change_rederives_and_audits(make_workspace, client):
    owner = make_workspace("acme")
    acct = facade.create_account(owner, facade.AccountCreate(name="Acme", headcount=10))
    get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.login(username="root", password="pw")
    url = f"/admin/accounts/account/{acct.id}/change/"
    form = client.get(url).context["adminform"].form
    data = {k: ("" if v is None else v) for k, v in form.initial.items()}
    data.update(
        {
            "name": "Acme",
            "headcount": "5000",
            "custom_fields": "{}",
            "workspace": owner.workspace_id,
            "lifecycle_stage": "active",
        }
    )
    data = {
        k: v
        for k, v in data.items()
        if v is not False and k not in {"is_reference", "has_it_department"}
    }
    data["has_it_department"] = "unknown"
    r = client.post(url, data)
    assert r.status_code == 302, r.context["adminform"].form.errors if r.context else r
    stored = Account.objects.unscoped().get(pk=acct.id)
    assert (stored.headcount, stored.segment, stored.service_tier) == (
        5000,
        "large",
        "dedicated_team",
    )
    event = AuditEvent.objects.for_workspace(owner.workspace_id).filter(actor="admin:root").get()
    assert event.before["segment"] == "small"
    assert event.after["segment"] == "large"
