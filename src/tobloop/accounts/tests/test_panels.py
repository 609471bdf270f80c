"""Modules above accounts add panels to the account page, loaded from their own URLs."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tobloop.accounts import facade, panels


@pytest.fixture
def isolated_registry(monkeypatch):
    monkeypatch.setattr(panels, "_panels", {})


def test_registered_panels_load_from_their_own_url_in_order(make_workspace, isolated_registry):
    owner = make_workspace("acme")
    account = facade.create_account(owner, facade.AccountCreate(name="Acme", headcount=20))
    facade.register_account_panel(
        facade.AccountPanel(key="second", url_name="accounts:detail", order=20, title="Second")
    )
    facade.register_account_panel(
        facade.AccountPanel(key="first", url_name="accounts:detail", order=10, title="First")
    )
    client = Client()
    client.force_login(get_user_model().objects.get(username="acme-owner"))
    html = client.get(f"/w/acme/accounts/{account.id}/").content.decode()
    url = f"/w/acme/accounts/{account.id}/"
    first = html.index(f'data-panel="first" hx-get="{url}"')
    second = html.index(f'data-panel="second" hx-get="{url}"')
    assert first < second


def test_registering_the_same_key_again_replaces_it(isolated_registry):
    facade.register_account_panel(facade.AccountPanel(key="usage", url_name="a:b"))
    facade.register_account_panel(facade.AccountPanel(key="usage", url_name="a:c"))
    assert [p.url_name for p in facade.account_panels()] == ["a:c"]
