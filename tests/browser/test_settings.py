"""Settings: an API key is shown once and leaves an audit entry; thresholds are validated."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_create_key_once_revoke_and_audit(page, live_server, acme, sign_in):
    sign_in("acme-owner")
    page.click("[data-nav=settings]")
    page.wait_for_url("**/w/acme/settings/")
    page.get_by_role("link", name="API keys").click()
    page.wait_for_url("**/w/acme/settings/keys/")

    page.fill("[data-testid=key-form] input[name=name]", "BI export")
    page.fill("[data-testid=key-form] input[name=scopes]", "read,accounts:write")
    page.click("[data-testid=key-form] button[type=submit]")
    key = page.get_by_test_id("new-key").inner_text().strip()
    assert re.fullmatch(r"tbk_[0-9a-f]{8}_\S{20,}", key)
    prefix = "_".join(key.split("_")[:2])
    row = page.locator(f"tr[data-prefix='{prefix}']")
    assert "BI export" in row.inner_text() and "accounts:write, read" in row.inner_text()
    assert row.get_by_test_id("key-status").inner_text() == "Active"

    # Shown once: the list page never shows the secret again.
    page.goto(live_server.url + "/w/acme/settings/keys/")
    assert page.get_by_test_id("new-key").count() == 0
    assert key not in page.content()

    # The key works against the API until it is revoked.
    api = page.request.get(
        live_server.url + "/api/v1/accounts?limit=1", headers={"Authorization": f"Bearer {key}"}
    )
    assert api.status == 200

    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Revoke").click()
    page.wait_for_url("**/w/acme/settings/keys/")
    assert row.get_by_test_id("key-status").inner_text() == "Revoked"
    api = page.request.get(
        live_server.url + "/api/v1/accounts?limit=1", headers={"Authorization": f"Bearer {key}"}
    )
    assert api.status == 401

    page.get_by_role("link", name="Audit log").click()
    page.wait_for_url("**/w/acme/settings/audit/")
    page.select_option("select[name=object_type]", "api_key")
    page.wait_for_url("**object_type=api_key**")
    events = page.locator("[data-testid=audit-log] tbody tr")
    assert events.count() == 2
    revoked, created = events.nth(0), events.nth(1)
    assert revoked.get_attribute("data-action") == "revoke"
    assert created.get_attribute("data-action") == "create"
    assert "acme-owner" in created.inner_text() and prefix in created.inner_text()
    after = created.get_by_test_id("after").inner_text()
    assert "name: BI export" in after and "scopes:" in after


def test_thresholds_are_validated_and_saved(page, live_server, acme, sign_in, add_member):
    sign_in("acme-owner")
    page.goto(live_server.url + "/w/acme/settings/")
    page.fill("#t-cc_max", "abc")
    page.click("[data-testid=thresholds-form] button[type=submit]")
    expect(page.get_by_test_id("threshold-errors")).to_be_visible()
    expect(page.get_by_test_id("field-error")).to_have_text(["Must be a number."])
    assert page.locator("#t-cc_max").input_value() == "abc"  # what was typed is kept

    page.fill("#t-cc_max", "0.15")
    page.fill("#t-mid_min_headcount", "2000")  # not below large_min_headcount (1000)
    page.click("[data-testid=thresholds-form] button[type=submit]")
    expect(page.get_by_test_id("field-error")).to_have_text(
        ["Must be above the mid-size headcount (P-PROFILE-3)."]
    )
    assert page.locator("#t-large_min_headcount").get_attribute("aria-invalid") == "true"

    page.fill("#t-mid_min_headcount", "5")  # every filler (10 people) becomes mid-size
    page.click("[data-testid=thresholds-form] button[type=submit]")
    page.wait_for_url("**/w/acme/settings/")
    assert "Playbook thresholds saved." in page.get_by_test_id("messages").inner_text()
    assert page.locator("#t-mid_min_headcount").input_value() == "5"
    page.goto(live_server.url + "/w/acme/accounts/?segment=small")
    assert page.get_by_test_id("account-count").inner_text().startswith("0 accounts")

    page.goto(live_server.url + "/w/acme/settings/audit/?object_type=workspace.thresholds")
    entry = page.locator("[data-testid=audit-log] tbody tr").first
    assert "mid_min_headcount: 100" in entry.get_by_test_id("before").inner_text()
    assert "mid_min_headcount: 5" in entry.get_by_test_id("after").inner_text()

    # A viewer sees the numbers but cannot change them, nor open keys or the audit log.
    add_member("acme", "vic", "viewer")
    page.get_by_test_id("sign-out").click()
    sign_in("vic")
    page.goto(live_server.url + "/w/acme/settings/")
    expect(page.get_by_test_id("read-only")).to_be_visible()
    assert page.locator("#t-mid_min_headcount").is_disabled()
    assert page.locator("[data-testid=thresholds-form] button[type=submit]").count() == 0
    assert "API keys" not in page.get_by_test_id("settings-tabs").inner_text()
    response = page.goto(live_server.url + "/w/acme/settings/keys/")
    assert response.status == 403
