"""One filter definition that drives both the UI list and the API list."""

from __future__ import annotations

from typing import Literal

from django.db.models import F, Q, QuerySet
from pydantic import BaseModel, ConfigDict, Field, field_validator

from tobloop.accounts.contracts import AccountView, ContactView, Page
from tobloop.accounts.logic.records import account_view, contact_view
from tobloop.accounts.models import Account, Contact
from tobloop.platform.facade import Principal, require

AccountSort = Literal[
    "name",
    "-name",
    "headcount",
    "-headcount",
    "created_at",
    "-created_at",
    "updated_at",
    "-updated_at",
    "industry",
    "-industry",
    "region",
    "-region",
]


# Offsets beyond this are not a page anyone reads; bigger ones overflow SQL integer types.
MAX_OFFSET = 1_000_000_000
MAX_ID = 2**63 - 1


class _Filter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: object) -> object:
        # PostgreSQL cannot compare text with NUL characters: refuse them on every engine.
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("text cannot contain NUL characters")
        return value


class AccountFilter(_Filter):
    q: str | None = Field(None, max_length=200, description="search name, domain, external id")
    segment: str | None = None
    industry: str | None = None
    region: str | None = None
    service_tier: str | None = None
    csm_owner: str | None = Field(None, description="user name; '-' for accounts without one")
    lifecycle_stage: str | None = None
    risk_flag: str | None = None
    is_reference: bool | None = None
    sort: AccountSort = "name"
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


def filter_accounts(workspace_id: int, f: AccountFilter) -> QuerySet[Account]:
    qs = Account.objects.for_workspace(workspace_id)
    if f.q:
        qs = qs.filter(
            Q(name__icontains=f.q) | Q(domain__icontains=f.q) | Q(external_id__iexact=f.q)
        )
    for name in ("segment", "industry", "region", "service_tier", "lifecycle_stage"):
        value = getattr(f, name)
        if value:
            qs = qs.filter(**{name: value})
    if f.csm_owner == "-":
        qs = qs.filter(csm_owner__isnull=True)
    elif f.csm_owner:
        qs = qs.filter(csm_owner__username=f.csm_owner)
    if f.is_reference is not None:
        qs = qs.filter(is_reference=f.is_reference)
    if f.risk_flag:
        # JSON containment differs across SQLite and PostgreSQL; the flags are short words.
        qs = qs.filter(risk_flags__icontains=f'"{f.risk_flag}"')
    # Unknown headcounts sort last either way: SQLite and PostgreSQL put NULLs at opposite ends.
    column = F(f.sort.lstrip("-"))
    if f.sort.startswith("-"):
        return qs.order_by(column.desc(nulls_last=True), "-id")
    return qs.order_by(column.asc(nulls_last=True), "id")


def list_accounts(principal: Principal, f: AccountFilter) -> Page[AccountView]:
    require(principal.scopes, "accounts", "read")
    qs = filter_accounts(principal.workspace_id, f)
    count = qs.count()
    rows = qs.select_related("csm_owner")[f.offset : f.offset + f.limit]
    thresholds = principal.workspace.thresholds
    return Page(items=[account_view(a, thresholds) for a in rows], count=count)


def facet_values(principal: Principal, field: str) -> list[str]:
    """Distinct non-empty values of a profile field, for filter drop-downs."""
    require(principal.scopes, "accounts", "read")
    if field not in {"industry", "region", "acquisition_channel"}:
        raise ValueError(field)
    qs = Account.objects.for_workspace(principal.workspace_id).exclude(**{field: ""})
    return sorted(set(qs.values_list(field, flat=True)))


class ContactFilter(_Filter):
    q: str | None = Field(None, max_length=200)
    account_id: int | None = Field(None, ge=1, le=MAX_ID)
    role: str | None = None
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


def list_contacts(principal: Principal, f: ContactFilter) -> Page[ContactView]:
    require(principal.scopes, "accounts", "read")
    qs = Contact.objects.for_workspace(principal.workspace_id).select_related("account")
    if f.q:
        qs = qs.filter(Q(name__icontains=f.q) | Q(email__icontains=f.q))
    if f.account_id is not None:
        qs = qs.filter(account_id=f.account_id)
    if f.role:
        qs = qs.filter(role=f.role)
    count = qs.count()
    qs = qs.order_by("account_id", "-is_primary", "name", "id")[f.offset : f.offset + f.limit]
    return Page(items=[contact_view(c) for c in qs], count=count)
