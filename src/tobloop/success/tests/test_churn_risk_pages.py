"""The churn risk page, its Retrain button, the pooling toggle and the account panel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.test import Client

from tobloop.platform.models import AuditEvent
from tobloop.success.tests.test_churn_risk import build


def login(client: Client, username: str) -> Client:
    client.force_login(get_user_model().objects.get(username=username))
    return client


def test_page_retrain_toggle_and_panel(
    make_workspace: Any, add_member: Any, settings: Any, tmp_path: Path, client: Client
) -> None:
    settings.DATA_DIR = tmp_path
    principal = make_workspace("acme", timezone="UTC")
    ids = build(principal)
    add_member("acme", "acme-viewer", "viewer")
    add_member("acme", "acme-csm", "csm")
    url = "/w/acme/success/churn-risk/"

    viewer = login(Client(), "acme-viewer")
    page = viewer.get(url)
    assert page.status_code == 200 and b'data-testid="churn-untrained"' in page.content
    assert b"churn-retrain" not in page.content and b"churn-pooling-toggle" not in page.content
    assert viewer.post(url + "train/").status_code == 403

    csm = login(Client(), "acme-csm")
    assert b"churn-retrain" in csm.get(url).content
    r = csm.post(url + "train/")
    assert r.status_code == 302 and r["Location"].endswith("?done=trained")
    page = csm.get(url)
    body = page.content.decode()
    assert 'data-testid="churn-roc-auc"' in body and "churn-calibration-data" in body
    assert body.count('data-testid="churn-row"') == 8 and "Account K" in body
    assert "churn-pooling-toggle" not in body  # admins only
    assert csm.post(url + "pooling/", {"enabled": "1"}).status_code == 403

    owner = login(client, "acme-owner")
    r = owner.post(url + "pooling/", {"enabled": "1"})
    assert r.status_code == 302
    [event] = AuditEvent.objects.filter(object_type="churn_pooling")
    assert event.actor_user_id is not None and event.after == {"enabled": True}
    assert b"Stop sharing" in owner.get(url).content

    panel = owner.get(f"/w/acme/accounts/{ids['K0']}/panels/churn-risk/")
    assert panel.status_code == 200 and b"churn-panel-probability" in panel.content
    assert b"<html" not in panel.content
    panel = owner.get(f"/w/acme/accounts/{ids['C0']}/panels/churn-risk/")
    assert b"churn-panel-probability" not in panel.content  # not paying today
