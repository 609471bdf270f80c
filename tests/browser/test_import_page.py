"""CSV upload: the report names each rejected row's column and reason; valid rows are stored."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CSV = (
    b"external_id,name,domain,industry,headcount,region\n"
    b"N1,Nova Robotics,nova.cn,Manufacturing,450,South\n"
    b"N2,Bad Headcount Co,bad.cn,Retail,lots,East\n"
    b"N3,Orbit Cloud,orbit.io,Software,12,North\n"
)


def test_upload_reports_rejected_row_and_keeps_valid_rows(page, live_server, acme, sign_in):
    sign_in("acme-owner")
    page.get_by_test_id("import-link").click()
    page.wait_for_url("**/w/acme/accounts/import/")
    page.set_input_files(
        "input[name=file]", files=[{"name": "crm.csv", "mimeType": "text/csv", "buffer": CSV}]
    )
    page.click("[data-testid=import-form] button[type=submit]")
    report = page.get_by_test_id("import-report")
    report.wait_for()
    assert report.get_by_test_id("import-summary").inner_text() == (
        "3 rows: 2 created, 0 updated, 1 rejected."
    )
    rejected = page.locator("[data-testid=rejected-rows] tbody tr")
    expect(rejected).to_have_count(1)
    cells = rejected.first.locator("td").all_inner_texts()
    assert cells[:3] == ["3", "headcount", "lots"]
    assert cells[3].strip()  # a reason is given

    page.get_by_role("link", name="Open the accounts list").click()
    page.wait_for_url("**/w/acme/accounts/")
    page.fill("input[name=q]", "Nova")
    expect(page.locator("td.name a")).to_have_text(["Nova Robotics"])
    page.goto(live_server.url + "/w/acme/accounts/?q=Bad+Headcount")
    assert page.get_by_test_id("account-count").inner_text().startswith("0 accounts")
    page.goto(live_server.url + "/w/acme/accounts/?q=orbit")
    assert page.locator("td.name a").all_inner_texts() == ["Orbit Cloud"]
