"""The AARRR board in the browser: settings saved through the page, the weakest link shown."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tobloop.analytics.logic.importing import import_events
from tobloop.analytics.tests.test_aarrr import HISTORY
from tobloop.analytics.tests.test_builder_pages import write_history

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shop(make_workspace, settings, tmp_path: Path):
    settings.DATA_DIR = tmp_path
    owner = make_workspace("shop", timezone="UTC")
    assert import_events(owner, write_history(tmp_path / "h.ndjson", HISTORY)).created == 19
    return owner


def test_aarrr_settings_then_board_flags_the_weakest_link(page, live_server, shop, sign_in):
    sign_in("shop-owner")
    page.goto(live_server.url + "/w/shop/analytics/aarrr/?from=2026-05-01&to=2026-05-31")
    expect(page.get_by_test_id("aarrr-unconfigured")).to_be_visible()
    page.get_by_test_id("aarrr-settings-link").click()
    form = page.get_by_test_id("aarrr-settings")
    for name, value in {
        "acquisition_event": "Signed Up",
        "acquisition_target": "4",
        "activation_event": "Report Created",
        "activation_target": "50",
        "retention_event": "Dashboard Viewed",
        "retention_target": "80",
        "retention_owner": "Success team",
        "referral_target": "20",
        "invite_sent_event": "Invite Sent",
        "invite_accepted_event": "Invite Accepted",
    }.items():
        form.locator(f"input[name={name}]").fill(value)
    page.get_by_test_id("save-aarrr").click()
    page.wait_for_url("**/w/shop/analytics/aarrr/")
    page.fill("input[name=from]", "2026-05-01")
    page.fill("input[name=to]", "2026-05-31")
    page.get_by_role("button", name="Apply").click()
    # acquired 4, activated 3 (75% vs 50%), retained 2 (66.7% vs 80%): retention is weakest
    expect(page.get_by_test_id("weakest-link")).to_have_text("Weakest link: Retention")
    retention = page.locator("tr[data-stage=retention]")
    expect(retention.get_by_test_id("weakest-badge")).to_be_visible()
    expect(retention).to_contain_text("Success team")
    expect(page.get_by_test_id("stage-count").nth(0)).to_have_text("4")
    expect(page.get_by_test_id("aarrr-chart")).to_have_attribute("data-drawn", "1")
    expect(page.get_by_test_id("viral-k")).to_have_text("0.333")
    expect(page.get_by_test_id("invited-accounts")).to_have_text("1")
