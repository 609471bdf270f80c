"""Funnel, retention and dashboards in the browser, on a small event set in the store."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tobloop.analytics.logic.importing import import_events
from tobloop.analytics.tests.test_builder_pages import HISTORY, write_history

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shop(make_workspace, settings, tmp_path: Path):
    settings.DATA_DIR = tmp_path
    owner = make_workspace("shop", timezone="UTC")
    assert import_events(owner, write_history(tmp_path / "h.ndjson", HISTORY)).created == 6
    return owner


def test_build_a_funnel_drill_down_and_save_it_to_a_dashboard(page, live_server, shop, sign_in):
    sign_in("shop-owner")
    page.goto(live_server.url + "/w/shop/analytics/funnel/")
    steps = page.locator("input[name=step]")
    steps.nth(0).fill("Signed Up")
    steps.nth(1).fill("Report Created")
    page.fill("input[name=from]", "2026-05-01")
    page.fill("input[name=to]", "2026-05-31")
    page.fill("input[name=window]", "8d")
    page.get_by_test_id("run").click()
    # the URL carries the query; the chart is drawn and the table has the numbers
    expect(page.get_by_test_id("funnel-chart")).to_have_attribute("data-drawn", "1")
    assert "step=Signed%20Up" in page.url and "window=8d" in page.url
    expect(page.get_by_test_id("step-count")).to_have_text(["3", "2"])
    # a third step appears once two are filled
    page.locator("input[name=step]").nth(2).fill("Invite Sent")
    page.get_by_test_id("run").click()
    expect(page.get_by_test_id("step-count")).to_have_text(["3", "2", "1"])
    expect(page.locator("#funnel-table, [data-testid=funnel-table]")).to_contain_text("33.3%")
    expect(page.get_by_test_id("funnel-chart").locator("canvas").first).to_be_visible()
    # who dropped between step 1 and step 2: u3
    page.get_by_test_id("dropped-link").first.click()
    expect(page.get_by_test_id("dropped-list")).to_contain_text("u3")
    # a bad window is shown beside its field, and nothing runs
    page.fill("input[name=window]", "120d")
    page.get_by_test_id("run").click()
    expect(page.locator("[data-error-for=window]")).to_contain_text("90 days")
    expect(page.get_by_test_id("funnel-chart")).to_have_count(0)
    page.fill("input[name=window]", "8d")
    page.get_by_test_id("run").click()
    expect(page.get_by_test_id("funnel-chart")).to_have_attribute("data-drawn", "1")
    # save it onto a new dashboard
    form = page.get_by_test_id("save-form")
    form.locator("input[name=name]").fill("Onboarding")
    form.locator("select[name=dashboard]").select_option("new")
    form.locator("input[name=dashboard_name]").fill("Growth")
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("dashboard-name")).to_have_text("Growth")
    tile = page.get_by_test_id("tile")
    expect(tile).to_contain_text("Onboarding")
    expect(tile.locator("[data-chart]")).to_have_attribute("data-drawn", "1")
    expect(page.get_by_test_id("tile-summary")).to_contain_text("33.3%")


def test_retention_heatmap_renders(page, live_server, shop, sign_in):
    sign_in("shop-owner")
    page.goto(
        live_server.url + "/w/shop/analytics/retention/?start=Signed+Up&return=Report+Created"
        "&from=2026-05-04&to=2026-05-17&period=week&periods=2&by=user&bounded=0&bounded=1"
    )
    heatmap = page.get_by_test_id("retention-heatmap")
    expect(heatmap).to_have_attribute("data-drawn", "1")
    expect(heatmap.locator("canvas").first).to_be_visible()
    expect(page.get_by_test_id("retention-curves")).to_have_attribute("data-drawn", "1")
    # the week of May 4: 3 users started, 1 made a report the next week
    row = page.get_by_test_id("retention-table").locator("tbody tr").first
    expect(row).to_contain_text("2026-05-04")
    expect(row.locator("td")).to_have_text(["2026-05-04", "3", "33.3%", "0.0%"])
