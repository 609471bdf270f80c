"""Health in the browser: the profile editor and the account panel (override, history chart)."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_profile_editor_validates_weights_then_saves(page, live_server, acme, sign_in):
    sign_in("acme-owner")
    page.goto(live_server.url + "/w/acme/settings/health/")
    form = page.get_by_test_id("profile-form")
    form.get_by_test_id("profile-name").fill("Usage score")
    form.get_by_test_id("weight-active_users").fill("60")
    form.get_by_test_id("bands-active_users").fill("1:50, 3:100")
    form.get_by_test_id("weight-days_since_last_activity").fill("30")
    form.get_by_test_id("bands-days_since_last_activity").fill("7:100, 30:40")
    form.get_by_test_id("profile-save").click()
    errors = page.get_by_test_id("profile-errors")
    expect(errors).to_contain_text("weights total 90; they must total 100")
    # What was typed is still there; fix the weight and save.
    expect(page.get_by_test_id("bands-active_users")).to_have_value("1:50, 3:100")
    page.get_by_test_id("weight-days_since_last_activity").fill("40")
    page.get_by_test_id("profile-save").click()
    row = page.get_by_test_id("health-profiles").locator("tr[data-profile='Usage score']")
    expect(row).to_contain_text("Weighted score")
    expect(row).to_contain_text("active users 60")
    # A health code, chosen with the kind switch.
    page.get_by_test_id("profile-name").fill("Quiet code")
    page.get_by_test_id("profile-kind").select_option("code")
    page.get_by_test_id("rule-measure-0").select_option("days_since_last_activity")
    page.locator("select[name='r-0-op']").select_option("gt")
    page.locator("input[name='r-0-value']").fill("30")
    page.get_by_test_id("profile-save").click()
    code_row = page.get_by_test_id("health-profiles").locator("tr[data-profile='Quiet code']")
    expect(code_row).to_contain_text("days since last activity above 30")


def test_account_panel_overrides_and_charts_the_history(page, live_server, acme, sign_in):
    from tobloop.accounts import facade as accounts
    from tobloop.success import facade

    facade.create_health_profile(acme, {"name": "Contacts", "kind": "score", "measures": [
        {"measure": "contacts_count", "weight": 100,
         "bands": [{"threshold": 1, "points": 50}, {"threshold": 3, "points": 100}]}]})  # fmt: skip
    big = accounts.list_accounts(acme, accounts.AccountFilter(q="Big Bank")).items[0]
    today = facade.score_account(acme, big.id).day
    facade.score_account(acme, big.id, today - timedelta(days=1))
    sign_in("acme-owner")
    page.goto(live_server.url + f"/w/acme/accounts/{big.id}/")
    panel = page.get_by_test_id("health-panel")
    expect(panel.get_by_test_id("health-color")).to_have_text("Red")
    expect(panel.get_by_test_id("health-score")).to_have_text("0")
    expect(panel.get_by_test_id("health-reason")).to_contain_text("contacts 0 (0/100 points)")
    # ECharts drew the two-day history into a canvas.
    expect(panel.get_by_test_id("health-chart").locator("canvas")).to_have_count(1)
    panel.locator("summary").click()
    form = panel.get_by_test_id("health-override-form")
    form.locator("select[name=color]").select_option("green")
    form.locator("input[name=until]").fill((today + timedelta(days=7)).isoformat())
    form.locator("input[name=reason]").fill("Champion confirmed renewal by phone")
    form.get_by_test_id("health-override-save").click()
    panel = page.get_by_test_id("health-panel")
    expect(panel.get_by_test_id("health-color")).to_have_text("Green")
    expect(panel.get_by_test_id("health-computed")).to_contain_text("red")
    expect(panel.get_by_test_id("health-reason")).to_contain_text("Champion confirmed renewal")
    expect(panel.get_by_test_id("health-changes")).to_contain_text("Set to green by")
    panel.get_by_test_id("health-override-clear").click()
    expect(page.get_by_test_id("health-panel").get_by_test_id("health-color")).to_have_text("Red")
