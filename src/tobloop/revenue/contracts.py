"""Frozen data the revenue module hands to other modules, its API, CLI and pages.

Money is ``Decimal`` in the workspace currency (2 decimals); ratios are floats (0.953, not
95.3); ``None`` means undefined (no spend for a channel, nobody paying a year ago, …).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class MonthRow:
    """One month of the MRR bridge: mrr_end = mrr_start + new + reactivation + expansion −
    contraction − churn, exactly."""

    month: str
    mrr_start: Decimal
    new: Decimal
    reactivation: Decimal
    expansion: Decimal
    contraction: Decimal
    churn: Decimal
    mrr_end: Decimal
    paying_accounts: int
    new_accounts: int = 0
    reactivated_accounts: int = 0
    expanded_accounts: int = 0
    contracted_accounts: int = 0
    churned_accounts: int = 0
    nrr_12: float | None = None
    grr_12: float | None = None


@dataclass(frozen=True)
class ChannelEconomics:
    """CAC and CAC payback of one acquisition channel over the CAC period."""

    channel: str
    spend: Decimal
    new_accounts: int
    cac: Decimal | None
    avg_first_mrr: Decimal | None
    cac_payback_months: float | None


@dataclass(frozen=True)
class RevenueMetrics:
    """The headline figures at ``as_of`` and the monthly bridge up to it."""

    as_of: date
    currency: str
    mrr: Decimal
    arr: Decimal
    paying_accounts: int
    arpa: Decimal | None
    nrr_12: float | None
    grr_12: float | None
    cc: float | None
    gross_churn_12: float | None
    logo_churn_12: float | None
    quick_ratio: float | None
    ltv: Decimal | None
    ltv_km: Decimal | None
    lifetime_years: float | None
    km_lifetime_years: float | None
    cac: Decimal | None
    cac_payback_months: float | None
    growth_12: float | None
    mrr_12_months_ago: Decimal
    cac_period: tuple[str, str] | None
    channels: list[ChannelEconomics] = field(default_factory=list)
    months: list[MonthRow] = field(default_factory=list)


@dataclass(frozen=True)
class CohortTable:
    """Rows are start months; ``mrr[i][k]`` is the cohort's MRR k months after it started."""

    months: list[str]
    size: list[int]
    start_mrr: list[Decimal]
    mrr: list[list[Decimal]]
    logos: list[list[int]]
    mrr_retention: list[list[float | None]]
    logo_retention: list[list[float | None]]


@dataclass(frozen=True)
class AccountMovement:
    """What one account did in one month (the drill-down behind a bar of the bridge)."""

    account_id: int
    account_name: str
    month: str
    kind: str
    mrr_start: Decimal
    mrr_end: Decimal
    amount: Decimal


@dataclass(frozen=True)
class AccountRevenue:
    """One account's revenue position at the as-of date and its ACV-based sales motion."""

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


@dataclass(frozen=True)
class RuleResult:
    """One line of the playbook check (P-ECON-1 … P-ECON-6)."""

    rule: str
    title: str
    value: Decimal | float | None
    threshold: Decimal | float
    verdict: str  # pass | warn | fail | unknown
    explanation: str
    threshold_max: Decimal | float | None = None
    accounts: list[int] = field(default_factory=list)
    link: str | None = None


@dataclass(frozen=True)
class Milestone:
    count: int
    meaning: str
    reached: bool
    reached_in: str | None


@dataclass(frozen=True)
class Milestones:
    """P-REQ-3: 1 / 100 / 1,000 / 10,000 paying customers."""

    paying_accounts: int
    reached: list[int]
    next: int | None
    items: list[Milestone]


@dataclass(frozen=True)
class PlaybookCheck:
    as_of: date
    rules: list[RuleResult]
    milestones: Milestones


@dataclass(frozen=True)
class PlanView:
    id: int
    external_id: str
    name: str
    interval_months: int
    unit_price: Decimal | None
    currency: str


@dataclass(frozen=True)
class ChangeView:
    effective: date
    event: str
    plan: str | None
    quantity: int | None
    unit_price: Decimal | None
    fx_rate: Decimal | None
    interval_months: int | None
    discount: Decimal | None
    discount_end: date | None


@dataclass(frozen=True)
class SegmentView:
    start: date
    end: date | None
    mrr: Decimal
    plan: str | None


@dataclass(frozen=True)
class SubscriptionView:
    id: int
    external_id: str
    account_id: int
    account_external_id: str | None
    currency: str
    source: str
    mrr: Decimal
    changes: list[ChangeView]
    segments: list[SegmentView]


@dataclass(frozen=True)
class SpendView:
    channel: str
    month: str
    amount: Decimal
