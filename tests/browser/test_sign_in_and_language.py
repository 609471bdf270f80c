"""Signing in and out, and switching the interface between English and 简体中文."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_in_switch_language_and_sign_out(page, live_server, acme, add_member):
    add_member("acme", "ana", "viewer")
    page.goto(live_server.url + "/w/acme/accounts/")
    page.wait_for_url("**/login/?next=/w/acme/accounts/")

    # A wrong password is refused with a message.
    page.fill("#id_username", "ana")
    page.fill("#id_password", "wrong")
    page.click("button[type=submit]")
    expect(page.get_by_test_id("login-error")).to_be_visible()

    page.fill("#id_username", "ana")
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url("**/w/acme/accounts/")
    assert page.locator("h1").inner_text() == "Accounts"
    assert page.get_by_test_id("account-count").inner_text().startswith("58 accounts")
    expect(page.locator("[data-testid=accounts-table] tbody tr")).to_have_count(50)
    # A viewer may read but not import.
    assert page.get_by_test_id("import-link").count() == 0

    page.select_option("select[name=language]", "zh-hans")
    page.wait_for_function("document.documentElement.lang === 'zh-hans'")
    assert page.locator("h1").inner_text() == "客户"
    assert page.locator("[data-nav=accounts]").inner_text() == "客户"
    assert page.get_by_test_id("account-count").inner_text().startswith("共 58 个客户")
    small = page.locator("tr", has_text="Filler 01").locator("[data-segment]")
    assert small.inner_text() == "小微企业"
    assert page.url.endswith("/w/acme/accounts/")  # stays on the same page

    page.select_option("select[name=language]", "en")
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert page.locator("h1").inner_text() == "Accounts"
    assert small.inner_text() == "Micro / small"

    page.get_by_test_id("sign-out").click()
    page.wait_for_url("**/login/")
    page.goto(live_server.url + "/w/acme/accounts/")
    page.wait_for_url("**/login/?next=/w/acme/accounts/")
