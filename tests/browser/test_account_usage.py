"""The product usage panel on the account page (analytics module), drawn in the browser."""

from datetime import UTC, datetime

import orjson
import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_usage_panel_shows_on_the_account_page(
    page, live_server, acme, sign_in, settings, tmp_path
):
    from tobloop.accounts import facade as accounts
    from tobloop.analytics.insights.tests.test_service import record
    from tobloop.analytics.store import event_store

    # given Big Bank (external id B1) with two users active in the last days
    settings.DATA_DIR = tmp_path
    now = int(datetime.now(UTC).timestamp() * 1000)
    day = 86_400_000
    rows = [
        record(acme.workspace_id, 1, "report_created", "b1", "B1", now - day),
        record(acme.workspace_id, 2, "report_created", "b2", "B1", now - 3 * day),
        record(acme.workspace_id, 3, "export", "b2", "B1", now - 40 * day),
    ]
    path = tmp_path / "records.ndjson"
    path.write_bytes(b"\n".join(orjson.dumps(r) for r in rows) + b"\n")
    event_store().load([path])
    big = accounts.list_accounts(acme, accounts.AccountFilter(q="Big Bank")).items[0]
    # when the owner opens the account page
    sign_in("acme-owner")
    page.goto(live_server.url + f"/w/acme/accounts/{big.id}/")
    # then the usage panel loads with its figures, key features and the weekly chart
    panel = page.get_by_test_id("usage-panel")
    expect(panel.get_by_test_id("usage-active-7")).to_have_text("2")
    expect(panel.get_by_test_id("usage-active-30")).to_have_text("2")
    expect(panel.get_by_test_id("usage-seats")).to_contain_text("unknown")
    features = panel.get_by_test_id("usage-features")
    expect(features.locator("tr[data-feature='report_created']")).to_contain_text("100%")
    expect(features.locator("tr[data-feature='export']")).to_contain_text("not used")
    expect(panel.get_by_test_id("usage-chart").locator("canvas")).to_have_count(1)
