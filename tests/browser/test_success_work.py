"""Success work in the browser: the worklist filters by tier and completes a task with an
outcome (HTMX); the account page's timeline panel shows entries and takes a note."""

import re
from datetime import date

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AS_OF = date(2026, 11, 20)


@pytest.fixture
def worked(acme):  # type: ignore[no-untyped-def]
    """Big Bank (large), Mid Factory (mid) and Tiny Studio (micro) all red: tasks by tier."""
    from tobloop.accounts.facade import AccountFilter, list_accounts
    from tobloop.success.work import facade
    from tobloop.success.work.tests.fixtures import verdict

    ids = {}
    for name in ("Big Bank", "Mid Factory", "Tiny Studio"):
        found = list_accounts(acme, AccountFilter(q=name)).items[0]
        ids[name] = found.id
        verdict(acme, found.id, AS_OF, "red")
    facade.run_playbooks(acme, AS_OF)
    return ids


def test_worklist_filter_by_tier_and_complete_a_task(page, live_server, worked, sign_in):  # type: ignore[no-untyped-def]
    sign_in("acme-owner")
    page.get_by_test_id("nav").get_by_text("Success", exact=True).click()
    tasks = page.get_by_test_id("tasks")
    expect(page.get_by_test_id("task-count")).to_have_text("2 tasks")  # open: mid and large
    page.get_by_test_id("filter-tier").select_option("dedicated_team")
    expect(page.get_by_test_id("task-count")).to_have_text("1 task")
    expect(tasks).to_contain_text("Big Bank")
    expect(tasks).not_to_contain_text("Mid Factory")
    expect(page).to_have_url(re.compile(r"tier=dedicated_team"))

    row = tasks.locator("tr[data-task]").first
    row.get_by_test_id("outcome").select_option("saved")
    row.get_by_test_id("outcome-note").fill("Exec sponsor call")
    row.get_by_test_id("complete").click()
    done = tasks.locator("tr[data-status='done']")
    expect(done).to_contain_text("Saved (risk averted)")
    expect(done).to_contain_text("Exec sponsor call")

    # the micro account's automated action is on the list of done tasks
    page.get_by_test_id("filter-tier").select_option("online_partner")
    page.get_by_test_id("filter-status").select_option("done")
    expect(tasks).to_contain_text("Tiny Studio")
    expect(tasks).to_contain_text("Handled automatically")


def test_timeline_panel_shows_entries_and_takes_a_note(page, live_server, worked, sign_in):  # type: ignore[no-untyped-def]
    sign_in("acme-owner")
    page.goto(f"{live_server.url}/w/acme/accounts/{worked['Mid Factory']}/")
    panel = page.locator("[data-panel='timeline']")
    expect(panel.get_by_test_id("timeline")).to_contain_text("Task opened: Health turned red")
    expect(panel).to_contain_text("Health first scored red")
    panel.get_by_test_id("note-body").fill("Visited the plant; new IT lead is positive.")
    panel.get_by_test_id("note-sentiment").select_option("positive")
    panel.get_by_test_id("add-note").click()
    expect(panel.locator("li[data-kind='note']")).to_contain_text("new IT lead is positive")
    expect(page.locator("[data-panel='nps']")).to_contain_text("No NPS or CSAT answer")
