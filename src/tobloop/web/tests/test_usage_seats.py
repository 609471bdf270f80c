"""Seats of an account from its subscriptions (the usage panel's seat source)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from tobloop.web.usage_seats import account_seats

pytestmark = pytest.mark.django_db


def test_seats_sum_the_latest_quantities_of_active_subscriptions(
    make_workspace: Callable[..., Any],
) -> None:
    from tobloop.accounts import facade as accounts
    from tobloop.revenue import facade as revenue

    owner = make_workspace()
    acme = accounts.create_account(owner, accounts.AccountCreate(name="Acme", external_id="A1"))

    def change(**row: Any) -> None:
        revenue.record_subscription_change(
            owner, revenue.SubscriptionRow.model_validate({"account_external_id": "A1", **row})
        )

    # given S1: 10 seats from 1 Jan, 15 from 1 Mar; S2: 5 seats from 1 Feb, cancelled 1 Apr
    change(subscription_id="S1", date="2026-01-01", quantity=10, unit_price="10", interval=1)
    change(subscription_id="S1", date="2026-03-01", event="change", quantity=15)
    change(subscription_id="S2", date="2026-02-01", quantity=5, unit_price="10", interval=1,
           end_date="2026-04-01")  # fmt: skip
    # then
    assert account_seats(owner, acme.id, date(2025, 12, 31)) is None
    assert account_seats(owner, acme.id, date(2026, 1, 15)) == 10
    assert account_seats(owner, acme.id, date(2026, 2, 15)) == 15
    assert account_seats(owner, acme.id, date(2026, 3, 15)) == 20
    assert account_seats(owner, acme.id, date(2026, 4, 15)) == 15
