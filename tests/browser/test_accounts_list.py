"""The accounts list: filters and search swap the table in place, pages, translated labels."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROWS = "[data-testid=accounts-table] tbody tr[data-account]"


def expect_names(page, names):
    expect(page.locator(f"{ROWS} td.name a")).to_have_text(names)


def expect_count(page, text):
    expect(page.get_by_test_id("account-count")).to_contain_text(text)


def test_filter_search_sort_and_pages(page, live_server, acme, sign_in):
    sign_in("acme-owner")
    # A marker on the window shows that filtering swaps the table, not the whole page.
    page.evaluate("window.notReloaded = true")
    expect_count(page, "58 accounts")

    page.select_option("select[name=segment]", "large")
    expect_names(page, ["Big Bank"])
    expect_count(page, "1 account")
    page.wait_for_url("**segment=large**")
    row = page.locator(ROWS).first
    expect(row.locator("[data-segment]")).to_have_text("Large")
    expect(row.locator("[data-tier]")).to_have_text("Dedicated team")
    expect(row.locator(".badge.risk")).to_have_text(
        ["No contacts known", "No known decision maker (P-PROFILE-2)"]
    )

    page.select_option("select[name=segment]", "")
    page.select_option("select[name=industry]", "Manufacturing")
    expect_names(page, ["Mid Factory"])
    expect_count(page, "1 account")
    expect(page.locator(ROWS).first.locator("[data-segment]")).to_have_text("Mid-size")

    page.select_option("select[name=industry]", "Retail")
    expect_count(page, "55 accounts")
    expect_names(page, [f"Filler {i:02d}" for i in range(1, 51)])

    page.select_option("select[name=industry]", "")
    page.fill("input[name=q]", "tiny")
    expect_names(page, ["Tiny Studio"])
    page.wait_for_url("**q=tiny**")
    page.fill("input[name=q]", "no such company")
    expect(page.get_by_test_id("no-accounts")).to_be_visible()
    expect_count(page, "0 accounts")
    page.fill("input[name=q]", "")
    expect_count(page, "58 accounts")
    assert page.evaluate("window.notReloaded") is True

    # Pages: 50 rows on the first, the rest on the second, and back again.
    expect(page.locator(ROWS)).to_have_count(50)
    page.locator("a[rel=next]").first.click()
    page.wait_for_url("**page=2**")
    expect_names(page, [f"Filler {i}" for i in range(50, 56)] + ["Mid Factory", "Tiny Studio"])
    expect(page.get_by_test_id("page-number").first).to_have_text("Page 2 of 2")
    page.locator("a[rel=prev]").first.click()
    page.wait_for_url("**page=1**")
    expect(page.locator(ROWS).first.locator("td.name a")).to_have_text("Big Bank")
    assert page.evaluate("window.notReloaded") is True

    # Sorting by headcount, largest first, from the column header.
    page.locator("th a[data-sort]", has_text="Headcount").click()
    page.wait_for_url("**sort=-headcount**")
    expect(page.locator(f"{ROWS} td.name a").nth(1)).to_have_text("Mid Factory")
    expect(page.locator("select[name=sort]")).to_have_value("-headcount")

    # A pushed URL opened afresh shows the same filtered page.
    page.goto(live_server.url + "/w/acme/accounts/?segment=mid&sort=name")
    expect_names(page, ["Mid Factory"])
    expect(page.locator("select[name=segment]")).to_have_value("mid")

    # When the session has ended, a filter change opens the sign-in page instead of
    # swapping it into the table.
    page.context.clear_cookies()
    page.select_option("select[name=segment]", "small")
    page.wait_for_url("**/login/?next=*")
    expect(page.locator("#id_username")).to_be_visible()
    expect(page.locator("#account-filters")).to_have_count(0)  # a whole page, not a swap
