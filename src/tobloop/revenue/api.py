"""REST endpoints under /api/v1/revenue/: thin, over the facade and the JSON documents."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import ValidationError

from tobloop.accounts.facade import read_upload
from tobloop.kernel.errors import ErrorDetail, InvalidInput
from tobloop.platform.facade import request_principal
from tobloop.revenue import facade, present

router = Router(tags=["revenue"])


class Cut(Schema):
    as_of: date | None = None
    segment: str | None = None
    industry: str | None = None
    region: str | None = None
    channel: str | None = None
    plan: str | None = None

    def revenue_filter(self) -> facade.RevenueFilter:
        values = {c: getattr(self, c) for c in facade.CUTS}
        try:
            return facade.RevenueFilter.model_validate(values)
        except ValidationError as exc:
            raise InvalidInput(
                "the filter values are not valid",
                details=[ErrorDetail((str(e["loc"][0]),), str(e["msg"])) for e in exc.errors()],
            ) from None


class MonthOut(Schema):
    month: str
    mrr_start: str
    new: str
    reactivation: str
    expansion: str
    contraction: str
    churn: str
    mrr_end: str
    paying_accounts: int
    new_accounts: int
    reactivated_accounts: int
    expanded_accounts: int
    contracted_accounts: int
    churned_accounts: int
    nrr_12: float | None
    grr_12: float | None


class ChannelOut(Schema):
    channel: str
    spend: str
    new_accounts: int
    cac: str | None
    avg_first_mrr: str | None
    cac_payback_months: float | None


class MetricsOut(Schema):
    as_of: date
    currency: str
    mrr: str
    arr: str
    paying_accounts: int
    arpa: str | None
    nrr_12: float | None
    grr_12: float | None
    cc: float | None
    gross_churn_12: float | None
    logo_churn_12: float | None
    quick_ratio: float | None
    ltv: str | None
    ltv_km: str | None
    lifetime_years: float | None
    km_lifetime_years: float | None
    cac: str | None
    cac_payback_months: float | None
    growth_12: float | None
    cac_period: dict[str, str] | None
    channels: list[ChannelOut]
    months: list[MonthOut]


class RuleOut(Schema):
    rule: str
    title: str
    value: str | float | None
    threshold: str | float | None
    threshold_max: str | float | None
    verdict: Literal["pass", "warn", "fail", "unknown"]
    explanation: str
    accounts: list[int]
    link: str | None


class MilestoneOut(Schema):
    count: int
    meaning: str
    reached: bool
    reached_in: str | None


class MilestonesOut(Schema):
    paying_accounts: int
    reached: list[int]
    next: int | None
    items: list[MilestoneOut]


class CheckOut(Schema):
    as_of: date
    rules: list[RuleOut]
    milestones: MilestonesOut


class CohortOut(Schema):
    cohort: str
    size: int
    start_mrr: str
    mrr: list[str]
    logos: list[int]
    mrr_retention: list[float | None]
    logo_retention: list[float]


class CohortsOut(Schema):
    cohorts: list[CohortOut]


class MovementOut(Schema):
    account_id: int
    account_name: str
    month: str
    kind: str
    mrr_start: Decimal
    mrr_end: Decimal
    amount: Decimal


class MovementList(Schema):
    items: list[MovementOut]
    count: int


class AccountRevenueOut(Schema):
    account_id: int
    account_name: str
    segment: str
    industry: str
    region: str
    channel: str
    mrr: Decimal
    acv: Decimal
    first_paid: date | None
    recommended_motion: str
    actual_motion: str
    mismatch: bool
    event_fit: bool


class AccountRevenueList(Schema):
    items: list[AccountRevenueOut]
    count: int


class ChangeOut(Schema):
    effective: date
    event: str
    plan: str | None
    quantity: int | None
    unit_price: Decimal | None
    fx_rate: Decimal | None
    interval_months: int | None
    discount: Decimal | None
    discount_end: date | None


class SegmentOut(Schema):
    start: date
    end: date | None
    mrr: Decimal
    plan: str | None


class SubscriptionOut(Schema):
    id: int
    external_id: str
    account_id: int
    account_external_id: str | None
    currency: str
    source: str
    mrr: Decimal
    changes: list[ChangeOut]
    segments: list[SegmentOut]


class SubscriptionList(Schema):
    items: list[SubscriptionOut]
    count: int


class PlanOut(Schema):
    id: int
    external_id: str
    name: str
    interval_months: int
    unit_price: Decimal | None
    currency: str


class SpendOut(Schema):
    channel: str
    month: str
    amount: Decimal


class RejectedOut(Schema):
    row: int
    column: str | None
    value: str | None
    reason: str


class ImportOut(Schema):
    file: str
    rows: int
    created: int
    updated: int
    rejected: list[RejectedOut]


class SubscriptionQuery(Schema):
    account_id: int | None = None
    limit: int = 50
    offset: int = 0


@router.get("/revenue/metrics", response=MetricsOut, summary="MRR, bridge and unit economics")
def metrics(request: HttpRequest, cut: Query[Cut]) -> Any:
    m = facade.revenue_metrics(request_principal(request), cut.as_of, cut.revenue_filter())
    return present.metrics_doc(m)


@router.get("/revenue/check", response=CheckOut, summary="Playbook check P-ECON-1…6, P-REQ-3")
def check(request: HttpRequest, as_of: date | None = None) -> Any:
    return present.check_doc(facade.playbook_check(request_principal(request), as_of))


@router.get("/revenue/cohorts", response=CohortsOut, summary="MRR and logo retention cohorts")
def cohorts(request: HttpRequest, cut: Query[Cut]) -> Any:
    table = facade.cohort_table(request_principal(request), cut.as_of, cut.revenue_filter())
    return present.cohorts_doc(table)


@router.get("/revenue/movements", response=MovementList, summary="Account movements of one month")
def movements(
    request: HttpRequest,
    month: str,
    cut: Query[Cut],
    kind: Literal["new", "reactivation", "expansion", "contraction", "churn"] | None = None,
) -> Any:
    items = facade.month_movements(
        request_principal(request), month, kind, cut.as_of, cut.revenue_filter()
    )
    return {"items": [asdict(i) for i in items], "count": len(items)}


@router.get(
    "/revenue/accounts",
    response=AccountRevenueList,
    summary="Paying accounts: MRR, ACV, recommended and actual sales motion (P-ECON-5)",
)
def accounts(request: HttpRequest, cut: Query[Cut], mismatch: bool | None = None) -> Any:
    items = facade.account_revenue(request_principal(request), cut.as_of, cut.revenue_filter())
    if mismatch is not None:
        items = [i for i in items if i.mismatch == mismatch]
    return {"items": [asdict(i) for i in items], "count": len(items)}


@router.get("/revenue/subscriptions", response=SubscriptionList, summary="List subscriptions")
def list_subscriptions(request: HttpRequest, q: Query[SubscriptionQuery]) -> Any:
    if not 1 <= q.limit <= 500 or q.offset < 0:
        raise InvalidInput("limit is 1–500 and offset ≥ 0", code="invalid_page")
    page = facade.list_subscriptions(
        request_principal(request), account_id=q.account_id, limit=q.limit, offset=q.offset
    )
    return {"items": [asdict(s) for s in page.items], "count": page.count}


@router.get(
    "/revenue/subscriptions/{int:subscription_id}",
    response=SubscriptionOut,
    summary="One subscription with its history and ledger",
)
def get_subscription(request: HttpRequest, subscription_id: int) -> Any:
    return asdict(facade.get_subscription(request_principal(request), subscription_id))


@router.post(
    "/revenue/subscriptions/changes",
    response={201: SubscriptionOut},
    summary="Record a dated change (start, change, cancel, reactivate)",
)
def record_change(request: HttpRequest, payload: facade.SubscriptionRow) -> Status[Any]:
    return Status(
        201, asdict(facade.record_subscription_change(request_principal(request), payload))
    )


@router.get("/revenue/plans", response=list[PlanOut], summary="Plans")
def plans(request: HttpRequest) -> Any:
    return [asdict(p) for p in facade.list_plans(request_principal(request))]


@router.get("/revenue/spend", response=list[SpendOut], summary="Acquisition spend by month")
def spend(request: HttpRequest) -> Any:
    return [asdict(s) for s in facade.list_spend(request_principal(request))]


@router.post("/revenue/spend", response={201: SpendOut}, summary="Record one month's spend")
def record_spend(request: HttpRequest, payload: facade.SpendRow) -> Status[Any]:
    return Status(201, asdict(facade.record_spend(request_principal(request), payload)))


@router.post(
    "/revenue/subscriptions/import",
    response=ImportOut,
    summary="Import subscription histories (CSV or a Stripe subscriptions export)",
)
def import_subscriptions(
    request: HttpRequest,
    file: File[UploadedFile],
    mapping: Form[str | None] = None,
    format: Form[Literal["csv", "stripe"]] = "csv",
) -> Any:
    raw, parsed = read_upload(file, mapping)
    report = facade.import_subscriptions(
        request_principal(request), raw, filename=file.name or "", mapping=parsed, fmt=format
    )
    return asdict(report)


@router.post("/revenue/spend/import", response=ImportOut, summary="Import acquisition spend")
def import_spend(
    request: HttpRequest, file: File[UploadedFile], mapping: Form[str | None] = None
) -> Any:
    raw, parsed = read_upload(file, mapping)
    report = facade.import_spend(
        request_principal(request), raw, filename=file.name or "", mapping=parsed
    )
    return asdict(report)
