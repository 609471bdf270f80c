"""Revenue and Overview pages as a signed-in member sees them."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model

from tobloop.revenue import facade
from tobloop.revenue.tests.test_api import HISTORY
from tobloop.revenue.tests.test_import import seed_accounts


@pytest.fixture
def member_client(client, make_workspace):
    owner = make_workspace(slug="acme")
    seed_accounts(owner, ("A1", "field"), ("A2", "telesales"), ("A3", "inbound"))
    assert not facade.import_subscriptions(owner, HISTORY).rejected
    facade.import_spend(owner, b"channel,month,amount\ninbound,2023-06,9000\n")
    client.force_login(get_user_model().objects.get(username="acme-owner"))
    return client


def test_revenue_page_shows_figures_bridge_and_cohorts(member_client):
    r = member_client.get("/w/acme/revenue/?as_of=2024-01-31")
    assert r.status_code == 200
    html = r.content.decode()
    assert 'data-metric="mrr"' in html and "6,500" in html
    assert 'data-testid="bridge-table"' in html and 'data-month="2023-09"' in html
    assert 'data-channel="inbound"' in html
    data = json.loads(
        html.split('id="revenue-data" type="application/json">')[1].split("</script>")[0]
    )
    assert data["months"][0] == "2023-01" and data["bridge"]["churn"][8] == -1000.0
    assert [c["cohort"] for c in data["cohorts"]] == ["2023-01", "2023-06"]
    assert 'data-nav="revenue"' in html and 'data-nav="overview"' in html


def test_cuts_and_bad_input(member_client):
    r = member_client.get("/w/acme/revenue/?as_of=2024-01-31&channel=field")
    assert r.status_code == 200 and "1,500" in r.content.decode()
    assert member_client.get("/w/acme/revenue/?as_of=nope").status_code == 422
    r = member_client.get("/w/acme/revenue/?segment=" + "x" * 50)
    assert r.status_code == 422


def test_bar_drill_down_lists_account_movements(member_client):
    url = "/w/acme/revenue/movements/?month=2023-09&kind=churn&as_of=2023-12-31"
    r = member_client.get(url, HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    html = r.content.decode()
    assert "<html" not in html and 'data-kind="churn"' in html and "Company A2" in html
    full = member_client.get(url)
    assert "<html" in full.content.decode()
    assert member_client.get("/w/acme/revenue/movements/?month=2023-13").status_code == 404


def test_overview_shows_the_playbook_check_and_milestones(member_client):
    r = member_client.get("/w/acme/overview/?as_of=2024-01-31")
    assert r.status_code == 200
    html = r.content.decode()
    for i in range(1, 7):
        assert f'data-rule="P-ECON-{i}"' in html
    assert 'data-rule="P-ECON-2" data-verdict="fail"' in html
    assert "/w/acme/revenue/accounts/?ids=" in html
    assert 'data-count="100"' in html


def test_accounts_drill_and_motion(member_client):
    r = member_client.get("/w/acme/revenue/accounts/?as_of=2023-12-31&mismatch=1")
    html = r.content.decode()
    assert r.status_code == 200 and html.count('class="mismatch"') == 1 and "Company A3" in html


def test_pages_need_membership(client, make_workspace, member_client):
    other = make_workspace(slug="other")
    assert other.workspace.slug == "other"
    client.logout()
    r = client.get("/w/acme/revenue/")
    assert r.status_code == 302
    client.force_login(get_user_model().objects.get(username="other-owner"))
    assert client.get("/w/acme/revenue/").status_code in (403, 404)
    assert client.get("/w/acme/overview/").status_code in (403, 404)
