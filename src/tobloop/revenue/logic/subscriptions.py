"""Subscriptions one at a time (the REST API): record a dated change, read and list them."""

from __future__ import annotations

from decimal import Decimal

from tobloop.accounts.facade import Page
from tobloop.kernel.errors import ErrorDetail, InvalidInput, NotFound
from tobloop.platform.facade import Principal, require
from tobloop.revenue.contracts import ChangeView, PlanView, SegmentView, SubscriptionView
from tobloop.revenue.logic.importing import context_for, import_rows
from tobloop.revenue.logic.report import Outcome, SourceRow
from tobloop.revenue.models import Plan, RevenueSegment, Source, Subscription
from tobloop.revenue.schemas import SubscriptionRow


def record_subscription_change(principal: Principal, data: SubscriptionRow) -> SubscriptionView:
    """Add or replace one dated record of a subscription's history; the ledger follows.

    The same rules as a CSV row apply (a new subscription starts, names its account, …).
    """
    require(principal.scopes, "revenue", "write")
    values = data.model_dump(exclude_none=True)
    columns = {name: name for name in values}
    src = SourceRow(row=1, values=values, columns=columns)
    ctx = context_for(principal, Source.API, [src], Outcome())
    report = import_rows(ctx, [src], filename="api", total=1)
    if report.rejected:
        raise InvalidInput(
            report.rejected[0].reason,
            code="invalid_change",
            details=[ErrorDetail((r.column or "body",), r.reason) for r in report.rejected],
        )
    sub = Subscription.objects.for_workspace(principal.workspace_id).get(
        external_id=data.subscription_id
    )
    return _view(principal.workspace_id, sub)


def _view(workspace_id: int, sub: Subscription) -> SubscriptionView:
    plans = dict(Plan.objects.for_workspace(workspace_id).values_list("pk", "external_id"))
    changes = [
        ChangeView(
            effective=c.effective,
            event=c.event,
            plan=plans.get(c.plan_id) if c.plan_id else None,
            quantity=c.quantity,
            unit_price=c.unit_price,
            fx_rate=c.fx_rate,
            interval_months=c.interval_months,
            discount=c.discount,
            discount_end=c.discount_end,
        )
        for c in sorted(sub.changes.all(), key=lambda c: (c.effective, c.pk))
    ]
    segments = [
        SegmentView(
            start=s.start,
            end=s.end,
            mrr=Decimal(s.mrr_cents).scaleb(-2),
            plan=plans.get(s.plan_id) if s.plan_id else None,
        )
        for s in RevenueSegment.objects.for_workspace(workspace_id)
        .filter(subscription_id=sub.pk)
        .order_by("start")
    ]
    current = next((s.mrr for s in segments if s.end is None), Decimal("0.00"))
    return SubscriptionView(
        id=sub.pk,
        external_id=sub.external_id,
        account_id=sub.account_id,
        account_external_id=sub.account.external_id,
        currency=sub.currency,
        source=sub.source,
        mrr=current,
        changes=changes,
        segments=segments,
    )


def get_subscription(principal: Principal, subscription_id: int) -> SubscriptionView:
    require(principal.scopes, "revenue", "read")
    sub = (
        Subscription.objects.for_workspace(principal.workspace_id)
        .select_related("account")
        .filter(pk=subscription_id)
        .first()
    )
    if sub is None:
        raise NotFound(f"no subscription with id {subscription_id}", code="subscription_not_found")
    return _view(principal.workspace_id, sub)


def list_subscriptions(
    principal: Principal, *, account_id: int | None = None, limit: int = 50, offset: int = 0
) -> Page[SubscriptionView]:
    require(principal.scopes, "revenue", "read")
    qs = Subscription.objects.for_workspace(principal.workspace_id).select_related("account")
    if account_id is not None:
        qs = qs.filter(account_id=account_id)
    count = qs.count()
    items = [_view(principal.workspace_id, s) for s in qs[offset : offset + limit]]
    return Page(items=items, count=count)


def list_plans(principal: Principal) -> list[PlanView]:
    require(principal.scopes, "revenue", "read")
    return [
        PlanView(
            id=p.pk,
            external_id=p.external_id,
            name=p.name,
            interval_months=p.interval_months,
            unit_price=p.unit_price,
            currency=p.currency,
        )
        for p in Plan.objects.for_workspace(principal.workspace_id)
    ]
