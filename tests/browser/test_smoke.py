"""A real Chromium signs in and reads the accounts list."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_in_and_see_accounts(page, live_server, make_workspace, add_member):
    from tobloop.accounts import facade

    owner = make_workspace("acme")
    facade.create_account(owner, facade.AccountCreate(name="Acme Shanghai", headcount=120))
    add_member("acme", "ana", "viewer")
    page.goto(live_server.url + "/login/")
    page.fill("#id_username", "ana")
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url("**/w/acme/accounts/")
    expect(page.get_by_text("Acme Shanghai")).to_be_visible()
