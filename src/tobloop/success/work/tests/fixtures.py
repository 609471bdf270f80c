"""Small builders for success-work tests: accounts by tier, contacts, subscriptions, health."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import timezone

from tobloop.accounts.facade import AccountCreate, ContactCreate, create_account, create_contact
from tobloop.revenue.facade import SubscriptionRow, record_subscription_change

HEADCOUNT = {"small": 20, "mid": 300, "large": 5000}


def account(principal: Any, name: str, size: str = "mid", **fields: Any) -> Any:
    """An account of the given size (small → online_partner, mid → regional_csm, large →
    dedicated_team) with external id = name in lower case."""
    data = {"name": name, "external_id": name.lower(), "headcount": HEADCOUNT[size], **fields}
    return create_account(principal, AccountCreate(**data))


def contact(principal: Any, account_id: int, name: str, role: str = "end_user") -> Any:
    email = f"{name.lower().replace(' ', '.')}@example.com"
    return create_contact(
        principal,
        ContactCreate(account_id=account_id, name=name, email=email, role=role),  # type: ignore[arg-type]
    )


def subscription(
    principal: Any,
    account_ext: str,
    start: date,
    *,
    seats: int = 10,
    price: str = "100",
    interval: int = 12,
    sub_id: str | None = None,
) -> Any:
    return record_subscription_change(
        principal,
        SubscriptionRow(
            subscription_id=sub_id or f"sub-{account_ext}",
            account_external_id=account_ext,
            date=start,
            quantity=seats,
            unit_price=Decimal(price),
            currency=principal.workspace.currency,
            interval=interval,
        ),  # type: ignore[call-arg]
    )


def verdict(principal: Any, account_id: int, day: date, color: str) -> None:
    from tobloop.success.models import HealthVerdict

    HealthVerdict.objects.update_or_create(
        workspace_id=principal.workspace_id,
        account_id=account_id,
        day=day,
        defaults={"color": color, "profile_name": "test", "computed_at": timezone.now()},
    )
