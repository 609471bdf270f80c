"""Every subscription's dated terms in three bulk queries, for callers that read revenue as of
many days at once (the success module's health measures and back-test).

A subscription's ``segments`` are its MRR ledger rows (active when start ≤ day < end, end
``None`` = open), its ``quantities`` and ``intervals`` the dated seat counts and billing
intervals of its change records, oldest first. Money is Decimal in the workspace currency.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from tobloop.platform.facade import Principal, require
from tobloop.revenue.models import RevenueSegment, Subscription, SubscriptionChange


@dataclass(frozen=True)
class SubscriptionTerms:
    subscription_id: int
    account_id: int
    segments: list[tuple[date, date | None, Decimal]] = field(default_factory=list)
    quantities: list[tuple[date, int]] = field(default_factory=list)
    intervals: list[tuple[date, int]] = field(default_factory=list)


def subscription_terms(principal: Principal) -> list[SubscriptionTerms]:
    """Every subscription of the workspace with its segments and dated changes."""
    require(principal.scopes, "revenue", "read")
    ws = principal.workspace_id
    subs = {
        pk: SubscriptionTerms(subscription_id=pk, account_id=account_id)
        for pk, account_id in Subscription.objects.for_workspace(ws).values_list("pk", "account_id")
    }
    segments = RevenueSegment.objects.for_workspace(ws).order_by("start", "pk")
    for sub_id, start, end, cents in segments.values_list(
        "subscription_id", "start", "end", "mrr_cents"
    ):
        if sub_id in subs:
            subs[sub_id].segments.append((start, end, Decimal(cents).scaleb(-2)))
    changes = SubscriptionChange.objects.for_workspace(ws).order_by("effective", "pk")
    for sub_id, effective, quantity, interval in changes.values_list(
        "subscription_id", "effective", "quantity", "interval_months"
    ):
        if sub_id not in subs:
            continue
        if quantity is not None:
            subs[sub_id].quantities.append((effective, quantity))
        if interval:
            subs[sub_id].intervals.append((effective, interval))
    return list(subs.values())
