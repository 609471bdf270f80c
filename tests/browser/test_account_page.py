"""The account page: profile, decision chain, segment with its reason, risk flags."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_account_page_shows_chain_segment_reason_and_risks(page, live_server, acme, sign_in):
    from tobloop.accounts import facade

    big = facade.list_accounts(acme, facade.AccountFilter(q="Big Bank")).items[0]
    facade.create_contact(
        acme,
        facade.ContactCreate(
            account_id=big.id, name="Wang Li", title="CFO", role="buyer", email="li@bigbank.cn"
        ),
    )
    facade.create_contact(
        acme, facade.ContactCreate(account_id=big.id, name="Zhou Min", role="it_gate")
    )
    sign_in("acme-owner")
    page.get_by_role("link", name="Big Bank").click()
    page.wait_for_url(f"**/w/acme/accounts/{big.id}/")

    assert page.get_by_test_id("account-name").inner_text().startswith("Big Bank")
    profile = page.get_by_test_id("profile").inner_text()
    assert "bigbank.cn" in profile and "5,000" in profile and "Finance" in profile
    assert page.get_by_test_id("segment").inner_text() == "Large"
    assert page.get_by_test_id("service-tier").inner_text() == "Dedicated team"
    reason = page.get_by_test_id("segment-reason").inner_text()
    assert reason == (
        "Headcount 5,000 is at least 1,000: large, served by Dedicated team (P-PROFILE-3)."
    )
    # Contacts are known, but no decision maker: one flag stays.
    assert page.get_by_test_id("risk-flag").all_inner_texts() == [
        "No known decision maker (P-PROFILE-2)"
    ]
    chain = page.get_by_test_id("decision-chain")
    buyer = chain.locator("tr[data-role=buyer]")
    assert "Wang Li" in buyer.inner_text() and "CFO" in buyer.inner_text()
    assert buyer.locator("td").first.inner_text() == "Buyer / procurement"
    assert "Zhou Min" in chain.locator("tr[data-role=it_gate]").inner_text()
    assert "Nobody known" in chain.locator("tr[data-role=decision_maker]").inner_text()
    assert "Decision maker" in page.get_by_test_id("missing-roles").inner_text()

    # The same page in Chinese: the derived sentence and the labels are translated.
    page.select_option("select[name=language]", "zh-hans")
    page.wait_for_function("document.documentElement.lang === 'zh-hans'")
    assert page.get_by_test_id("segment").inner_text() == "大型企业"
    reason_zh = page.get_by_test_id("segment-reason").inner_text()
    assert reason_zh.startswith("员工人数 5,000 不低于 1,000")
    assert page.get_by_test_id("risk-flag").inner_text() == "缺少已知决策人（P-PROFILE-2）"
    assert chain.locator("tr[data-role=buyer] td").first.inner_text() == "采购方"
    assert "5,000" in page.get_by_test_id("profile").inner_text()  # grouped in Chinese too
