"""The churn risk page in the browser: retrain, reliability diagram, accounts, pooling toggle."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_retrain_shows_the_model_and_accounts_then_opt_in(
    page, live_server, make_workspace, settings, tmp_path, sign_in
):
    from tobloop.success.tests.test_churn_risk import build

    settings.DATA_DIR = tmp_path
    owner = make_workspace("acme", timezone="UTC")
    build(owner)
    sign_in("acme-owner")
    page.goto(live_server.url + "/w/acme/success/health/")
    page.get_by_test_id("churn-risk-link").click()
    expect(page.get_by_test_id("churn-untrained")).to_be_visible()

    page.get_by_test_id("churn-retrain").click()
    expect(page.get_by_test_id("churn-done")).to_contain_text("retrained")
    expect(page.get_by_test_id("churn-roc-auc")).to_have_text(re.compile(r"^(0\.9\d\d|1\.000)$"))
    expect(page.get_by_test_id("churn-row")).to_have_count(8)
    expect(page.get_by_test_id("churn-row").first).to_contain_text("MRR 500 lowers the churn risk")
    # The reliability diagram is drawn by ECharts into the chart box.
    expect(page.get_by_test_id("churn-calibration-chart").locator("canvas")).to_have_count(1)
    expect(page.get_by_test_id("churn-calibration").locator("tbody tr").first).to_be_visible()

    page.get_by_test_id("churn-pooling-toggle").click()
    expect(page.get_by_test_id("churn-done")).to_contain_text("audit log")
    expect(page.get_by_test_id("churn-pooling-toggle")).to_have_text("Stop sharing")
    expect(page.get_by_test_id("churn-pooling")).to_contain_text("Changed by")
