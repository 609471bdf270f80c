"""The health pages: accounts by health, the profile editor and the account panel."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tobloop.platform.models import AuditEvent
from tobloop.success import facade
from tobloop.success.models import HealthProfile
from tobloop.success.tests.fixtures import AS_OF, seed
from tobloop.success.tests.test_health_score import PROFILE


@pytest.fixture
def world(make_workspace: Any, settings: Any, tmp_path: Path) -> tuple[Any, dict[str, int]]:
    settings.DATA_DIR = tmp_path
    principal = make_workspace("acme", timezone="UTC")
    return principal, seed(principal, tmp_path)


def login(client: Client, username: str) -> Client:
    client.force_login(get_user_model().objects.get(username=username))
    return client


def test_profile_editor_creates_a_weighted_profile_and_names_bad_fields(
    world: Any, client: Client
) -> None:
    login(client, "acme-owner")
    url = "/w/acme/settings/health/"
    page = client.get(url)
    assert page.status_code == 200 and b'data-measure="usage_trend"' in page.content
    form = {"name": "Usage", "kind": "score", "is_active": "on", "green_min": "70",
            "yellow_min": "40", "m-active_users-weight": "60",
            "m-active_users-bands": "1:50, 2:100", "m-days_since_last_activity-weight": "30",
            "m-days_since_last_activity-bands": "7:100, 30:50"}  # fmt: skip
    bad = client.post(url, form)
    assert bad.status_code == 400
    assert b"measures: Value error, the measures&#x27; weights total 90" in bad.content
    assert b'value="Usage"' in bad.content  # what was typed is kept
    garbled = client.post(url, {**form, "m-active_users-bands": "lots"})
    assert garbled.status_code == 400 and b"is not threshold:points" in garbled.content
    ok = client.post(url, {**form, "m-days_since_last_activity-weight": "40"})
    assert ok.status_code == 302
    profile = HealthProfile.objects.get(name="Usage")
    assert [m["measure"] for m in profile.measures] == ["active_users", "days_since_last_activity"]
    assert profile.measures[0]["bands"] == [
        {"threshold": 1.0, "points": 50}, {"threshold": 2.0, "points": 100},
    ]  # fmt: skip
    assert client.get(f"{url}?edit={profile.pk}").status_code == 200
    client.post(f"/w/acme/settings/health/{profile.pk}/active/")
    profile.refresh_from_db()
    assert not profile.is_active


def test_profile_editor_saves_health_code_flags(world: Any, client: Client) -> None:
    login(client, "acme-owner")
    form = {"name": "Code", "kind": "code", "is_active": "on", "rule_rows": "2",
            "r-0-id": "quiet", "r-0-color": "red", "r-0-measure": "days_since_last_activity",
            "r-0-op": "gt", "r-0-value": "30", "r-1-measure": ""}  # fmt: skip
    assert client.post("/w/acme/settings/health/", form).status_code == 302
    rules = HealthProfile.objects.get(name="Code").rules
    assert rules[0]["value"] == 30 and rules[0]["label"] == "days since last activity above 30"


def test_account_panel_shows_the_verdict_and_a_csm_overrides_it(
    world: Any, client: Client, add_member: Any
) -> None:
    principal, ids = world
    facade.create_health_profile(principal, PROFILE)
    facade.score_workspace(principal)
    add_member("acme", "carol", "csm")
    login(client, "carol")
    url = f"/w/acme/accounts/{ids['A2']}/panels/health/"
    panel = client.get(url)
    assert panel.status_code == 200 and b"<html" not in panel.content
    assert b'data-testid="health-measures"' in panel.content
    assert b'data-testid="health-override-form"' in panel.content
    today = facade.account_health(principal, ids["A2"]).current.day  # type: ignore[union-attr]
    until = (today + timedelta(days=5)).isoformat()
    saved = client.post(f"{url}override/", {"color": "green", "reason": "Signed", "until": until})
    assert saved.status_code == 200 and b"Overridden to green" in saved.content
    assert AuditEvent.objects.filter(action="override", object_type="health").count() == 1
    no_reason = client.post(f"{url}override/", {"color": "green", "reason": "", "until": until})
    assert no_reason.status_code == 400 and b"reason" in no_reason.content
    cleared = client.post(f"{url}override/clear/")
    assert cleared.status_code == 200 and b"Overridden to" not in cleared.content


def test_viewer_sees_the_panel_without_the_override_form(
    world: Any, client: Client, add_member: Any
) -> None:
    principal, ids = world
    facade.create_health_profile(principal, PROFILE)
    facade.score_workspace(principal)
    add_member("acme", "vic", "viewer")
    login(client, "vic")
    panel = client.get(f"/w/acme/accounts/{ids['A2']}/panels/health/")
    assert panel.status_code == 200 and b"health-override-form" not in panel.content
    denied = client.post(f"/w/acme/accounts/{ids['A2']}/panels/health/override/", {})
    assert denied.status_code == 403


def test_health_list_filters_by_colour(world: Any, client: Client) -> None:
    principal, _ids = world
    facade.create_health_profile(principal, PROFILE)
    facade.score_workspace(principal, AS_OF)
    login(client, "acme-owner")
    page = client.get("/w/acme/success/health/")
    assert page.status_code == 200 and b"Account A1" in page.content
    red = client.get("/w/acme/success/health/?color=red", HTTP_HX_REQUEST="true")
    assert b"Account A3" in red.content and b"Account A1" not in red.content
