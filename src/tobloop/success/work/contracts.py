"""Frozen data the success-work module hands to other modules, its API and its CLI."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class TaskView:
    id: int
    account_id: int
    account_name: str
    kind: str
    title: str
    reason: str
    trigger: str
    occurrence: str
    playbook: str | None
    service_tier: str
    owner: str
    team: str
    due: date | None
    status: str
    outcome: str
    outcome_note: str
    escalation_level: int
    escalation_path: list[str]
    escalated_to: str | None
    actions: list[dict[str, Any]]
    created_at: datetime
    closed_at: datetime | None


@dataclass(frozen=True)
class PlaybookView:
    key: str
    name: str
    trigger: str
    params: dict[str, Any]
    task_kind: str
    actions: dict[str, Any]
    is_active: bool


@dataclass(frozen=True)
class Firing:
    """A playbook that fired for an account: which occurrence, why, and what was done."""

    playbook: str
    account_id: int
    account_name: str
    service_tier: str
    occurrence: str
    reason: str
    actions: list[dict[str, Any]]
    task_id: int | None


@dataclass(frozen=True)
class RunSummary:
    as_of: date
    accounts: int
    fired: int
    tasks_created: int
    automated: int
    skipped_open_task: int
    skipped_seen: int
    escalated: int
    by_playbook: dict[str, int]
    by_tier: dict[str, int]
    firings: list[Firing] = field(default_factory=list)


@dataclass(frozen=True)
class RenewalRow:
    account_id: int
    account_name: str
    service_tier: str
    csm_owner: str | None
    renewal_date: date
    days_left: int
    subscriptions: list[str]
    arr: Decimal
    forecast: str  # renew | expand | contract | churn
    reason: str
    health: str | None
    usage_change: float | None
    seat_utilization: float | None


@dataclass(frozen=True)
class ForecastTotal:
    forecast: str
    accounts: int
    arr: Decimal


@dataclass(frozen=True)
class RenewalsReport:
    as_of: date
    within_days: int
    currency: str
    items: list[RenewalRow]
    totals: list[ForecastTotal]
    arr_total: Decimal


@dataclass(frozen=True)
class NpsView:
    id: int
    account_id: int
    external_id: str
    kind: str
    score: int
    email: str
    contact_name: str
    comment: str
    answered_at: datetime
    source: str


@dataclass(frozen=True)
class ScorePeriod:
    period: str  # YYYY-MM
    responses: int
    score: float | None


@dataclass(frozen=True)
class NpsSummary:
    """NPS = % promoters (9–10) − % detractors (0–6), from −100 to 100; CSAT = share of 4–5."""

    responses: int
    promoters: int
    passives: int
    detractors: int
    nps: float | None
    csat_responses: int
    csat: float | None
    csat_average: float | None
    trend: list[ScorePeriod]


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # subscription | health | task | note | nps | usage | request
    title: str
    detail: str = ""
    link: str | None = None


@dataclass(frozen=True)
class NoteView:
    id: int
    account_id: int
    author: str
    body: str
    sentiment: str
    created_at: datetime


@dataclass(frozen=True)
class EndpointView:
    id: int
    url: str
    events: list[str]
    is_active: bool
    created_at: datetime


@dataclass(frozen=True)
class DeliveryView:
    id: int
    endpoint_id: int
    url: str
    event: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str
    delivered_at: datetime | None
    created_at: datetime
