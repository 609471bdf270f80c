"""Frozen data the accounts module hands to other modules and to its API/CLI."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class AccountView:
    id: int
    external_id: str | None
    name: str
    domain: str
    industry: str
    headcount: int | None
    salary_level: Decimal | None
    region: str
    revenue_band: str
    has_it_department: bool | None
    lifecycle_stage: str
    csm_owner: str | None
    acquisition_channel: str
    is_reference: bool
    custom_fields: dict[str, Any]
    segment: str
    service_tier: str
    segment_reason: str
    risk_flags: list[str]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class ContactView:
    id: int
    account_id: int
    account_external_id: str | None
    external_id: str | None
    name: str
    email: str
    phone: str
    title: str
    role: str
    is_primary: bool


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    count: int


@dataclass(frozen=True)
class RejectedRow:
    row: int
    column: str | None
    value: str | None
    reason: str


@dataclass(frozen=True)
class ImportReport:
    file: str
    rows: int
    created: int
    updated: int
    rejected: list[RejectedRow] = field(default_factory=list)
