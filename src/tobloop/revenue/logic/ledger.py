"""Keeping the MRR ledger consistent with subscription histories, and reading it back."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db import models

from tobloop.revenue.logic.terms import ChangeRecord, Segment, fold_history
from tobloop.revenue.models import RevenueSegment, Subscription, SubscriptionChange

CHUNK = 500


def account_model() -> type[models.Model]:
    """The account model, reached through the subscription's relation (not an import).

    Only the fields that ``accounts.contracts.AccountView`` publishes are read.
    """
    model = Subscription._meta.get_field("account").related_model
    assert isinstance(model, type) and issubclass(model, models.Model)
    return model


def accounts_by_external_id(workspace_id: int) -> dict[str, int]:
    rows = (
        account_model()
        ._default_manager.filter(workspace_id=workspace_id, external_id__isnull=False)
        .values_list("external_id", "pk")
    )
    return {str(ext): int(pk) for ext, pk in rows}


def account_rows(workspace_id: int, ids: Iterable[int] | None = None) -> list[dict[str, Any]]:
    qs = account_model()._default_manager.filter(workspace_id=workspace_id)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return list(
        qs.values(
            "id", "name", "external_id", "segment", "industry", "region", "acquisition_channel"
        )
    )


def record_of(change: SubscriptionChange) -> ChangeRecord:
    return ChangeRecord(
        effective=change.effective,
        event=change.event,
        plan_id=change.plan_id,
        quantity=change.quantity,
        unit_price=change.unit_price,
        fx_rate=change.fx_rate,
        interval_months=change.interval_months,
        discount=change.discount,
        discount_end=change.discount_end,
        key=("db", change.pk),
    )


def histories(workspace_id: int, subscription_ids: list[int]) -> dict[int, list[ChangeRecord]]:
    out: dict[int, list[ChangeRecord]] = {sid: [] for sid in subscription_ids}
    for i in range(0, len(subscription_ids), CHUNK):
        chunk = subscription_ids[i : i + CHUNK]
        for change in SubscriptionChange.objects.for_workspace(workspace_id).filter(
            subscription_id__in=chunk
        ):
            out[change.subscription_id].append(record_of(change))
    return out


def rebuild_ledger(workspace_id: int, subscription_ids: list[int]) -> int:
    """Re-fold the histories of these subscriptions into ledger segments; returns the count.

    Call inside the transaction that changed the histories.
    """
    owners = dict(
        Subscription.objects.for_workspace(workspace_id)
        .filter(pk__in=subscription_ids)
        .values_list("pk", "account_id")
    )
    found = histories(workspace_id, subscription_ids)
    segments: list[RevenueSegment] = []
    for sid, records in found.items():
        if sid not in owners:
            continue
        for seg in fold_history(records):
            segments.append(_row(workspace_id, sid, owners[sid], seg))
    for i in range(0, len(subscription_ids), CHUNK):
        RevenueSegment.objects.for_workspace(workspace_id).filter(
            subscription_id__in=subscription_ids[i : i + CHUNK]
        ).delete()
    RevenueSegment.objects.bulk_create(segments, batch_size=1000)
    return len(segments)


def _row(workspace_id: int, sid: int, account_id: int, seg: Segment) -> RevenueSegment:
    return RevenueSegment(
        workspace_id=workspace_id,
        subscription_id=sid,
        account_id=account_id,
        plan_id=seg.plan_id,
        start=seg.start,
        end=seg.end,
        mrr_cents=seg.mrr_cents,
    )


def ledger_rows(
    workspace_id: int, *, plan_id: int | None = None, account_ids: list[int] | None = None
) -> list[tuple[int, int, date, date | None, int, int | None]]:
    qs = RevenueSegment.objects.for_workspace(workspace_id)
    if plan_id is not None:
        qs = qs.filter(plan_id=plan_id)
    if account_ids is not None:
        qs = qs.filter(account_id__in=account_ids)
    return list(
        qs.order_by().values_list(
            "account_id", "subscription_id", "start", "end", "mrr_cents", "plan_id"
        )
    )
