"""Writing and reading accounts and contacts, always inside one workspace."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from tobloop.accounts.contracts import AccountView, ContactView
from tobloop.accounts.logic.derivation import apply_segment, explain_segment, refresh_risk_flags
from tobloop.accounts.models import Account, Contact
from tobloop.accounts.schemas import AccountCreate, AccountPatch, ContactCreate, ContactPatch
from tobloop.kernel.errors import Conflict, ErrorDetail, InvalidInput, NotFound
from tobloop.platform.facade import PlaybookThresholds, Principal, record_audit, require

CENTS = Decimal("0.01")
_ACCOUNT_SNAPSHOT = (
    "external_id",
    "name",
    "domain",
    "industry",
    "headcount",
    "salary_level",
    "region",
    "revenue_band",
    "has_it_department",
    "lifecycle_stage",
    "csm_owner_id",
    "acquisition_channel",
    "is_reference",
    "custom_fields",
    "segment",
    "service_tier",
)
_CONTACT_SNAPSHOT = (
    "account_id",
    "external_id",
    "name",
    "email",
    "phone",
    "title",
    "role",
    "is_primary",
)


def snapshot(obj: Account | Contact) -> dict[str, Any]:
    """A JSON-able picture of a row for the audit log."""
    names = _ACCOUNT_SNAPSHOT if isinstance(obj, Account) else _CONTACT_SNAPSHOT
    out: dict[str, Any] = {}
    for name in names:
        value = getattr(obj, name)
        out[name] = str(value) if value is not None and name == "salary_level" else value
    return out


def account_view(account: Account, thresholds: PlaybookThresholds) -> AccountView:
    return AccountView(
        id=account.pk,
        external_id=account.external_id,
        name=account.name,
        domain=account.domain,
        industry=account.industry,
        headcount=account.headcount,
        salary_level=account.salary_level,
        region=account.region,
        revenue_band=account.revenue_band,
        has_it_department=account.has_it_department,
        lifecycle_stage=account.lifecycle_stage,
        csm_owner=account.csm_owner.get_username() if account.csm_owner else None,
        acquisition_channel=account.acquisition_channel,
        is_reference=account.is_reference,
        custom_fields=dict(account.custom_fields or {}),
        segment=account.segment,
        service_tier=account.service_tier,
        segment_reason=explain_segment(account.headcount, thresholds),
        risk_flags=list(account.risk_flags or []),
        created_at=account.created_at,
        updated_at=account.updated_at,
    )


def contact_view(contact: Contact) -> ContactView:
    return ContactView(
        id=contact.pk,
        account_id=contact.account_id,
        account_external_id=contact.account.external_id,
        external_id=contact.external_id,
        name=contact.name,
        email=contact.email,
        phone=contact.phone,
        title=contact.title,
        role=contact.role,
        is_primary=contact.is_primary,
    )


def member_user_id(workspace_id: int, username: str) -> int:
    """The id of a workspace member by user name (CSM owners must be members)."""
    user = (
        get_user_model()
        .objects.filter(username=username, memberships__workspace_id=workspace_id)
        .values_list("pk", flat=True)
        .first()
    )
    if user is None:
        raise InvalidInput(
            f"{username!r} is not a member of this workspace",
            details=[ErrorDetail(("csm_owner",), "not a workspace member")],
        )
    return int(user)


def assign_account_fields(account: Account, data: dict[str, Any], workspace_id: int) -> None:
    """Copy validated fields onto an account (CSM owner by user name)."""
    for name, value in data.items():
        if name == "csm_owner":
            account.csm_owner_id = member_user_id(workspace_id, value) if value else None
        elif name == "custom_fields":
            account.custom_fields = {**(account.custom_fields or {}), **(value or {})}
        elif value is None and name in {
            "domain",
            "industry",
            "region",
            "revenue_band",
            "acquisition_channel",
        }:
            setattr(account, name, "")
        elif value is None and name in {"is_reference"}:
            setattr(account, name, False)
        elif value is None and name == "lifecycle_stage":
            continue  # a blank stage keeps the current one
        elif value is not None and name == "salary_level":
            # As the column stores it (2 places): "180000" and a stored 180000.00 are equal.
            account.salary_level = Decimal(value).quantize(CENTS)
        else:
            setattr(account, name, value)


def _get_account(workspace_id: int, account_id: int) -> Account:
    try:
        return (
            Account.objects.for_workspace(workspace_id)
            .select_related("csm_owner")
            .get(pk=account_id)
        )
    except Account.DoesNotExist:
        raise NotFound(f"no account with id {account_id}", code="account_not_found") from None


def get_account(principal: Principal, account_id: int) -> AccountView:
    require(principal.scopes, "accounts", "read")
    return account_view(
        _get_account(principal.workspace_id, account_id), principal.workspace.thresholds
    )


def get_accounts(principal: Principal, account_ids: Iterable[int]) -> dict[int, AccountView]:
    """The workspace's accounts among ``account_ids`` in one query (missing ids left out)."""
    require(principal.scopes, "accounts", "read")
    thresholds = principal.workspace.thresholds
    qs = (
        Account.objects.for_workspace(principal.workspace_id)
        .select_related("csm_owner")
        .filter(pk__in=set(account_ids))
    )
    return {a.pk: account_view(a, thresholds) for a in qs}


def _save_unique(obj: Account | Contact) -> None:
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:
        raise Conflict(
            f"external id {obj.external_id!r} is already used in this workspace",
            code="duplicate_external_id",
            details=[ErrorDetail(("external_id",), "already used")],
        ) from None


@transaction.atomic
def create_account(principal: Principal, data: AccountCreate) -> AccountView:
    require(principal.scopes, "accounts", "write")
    account = Account(workspace_id=principal.workspace_id)
    assign_account_fields(account, data.model_dump(exclude_unset=True), principal.workspace_id)
    apply_segment(account, principal.workspace.thresholds)
    account.risk_flags = ["no_contacts", "no_decision_maker"]
    _save_unique(account)
    record_audit(
        principal,
        action="create",
        object_type="account",
        object_id=account.pk,
        object_repr=account.name,
        after=snapshot(account),
    )
    return account_view(account, principal.workspace.thresholds)


@transaction.atomic
def update_account(principal: Principal, account_id: int, patch: AccountPatch) -> AccountView:
    require(principal.scopes, "accounts", "write")
    account = _get_account(principal.workspace_id, account_id)
    before = snapshot(account)
    changes = patch.model_dump(exclude_unset=True)
    if "name" in changes and not changes["name"]:
        raise InvalidInput("an account needs a name", details=[ErrorDetail(("name",), "empty")])
    assign_account_fields(account, changes, principal.workspace_id)
    apply_segment(account, principal.workspace.thresholds)
    _save_unique(account)
    after = snapshot(account)
    if after != before:
        record_audit(
            principal,
            action="update",
            object_type="account",
            object_id=account.pk,
            object_repr=account.name,
            before=before,
            after=after,
        )
    return account_view(account, principal.workspace.thresholds)


@transaction.atomic
def delete_account(principal: Principal, account_id: int) -> None:
    require(principal.scopes, "accounts", "write")
    account = _get_account(principal.workspace_id, account_id)
    before = snapshot(account)
    account.delete()
    record_audit(
        principal,
        action="delete",
        object_type="account",
        object_id=account_id,
        object_repr=before["name"],
        before=before,
    )


def resolve_account_id(workspace_id: int, data: ContactPatch) -> int | None:
    """The account a contact names, by id or external id, inside the workspace only."""
    qs = Account.objects.for_workspace(workspace_id)
    if data.account_id is not None:
        if not qs.filter(pk=data.account_id).exists():
            raise InvalidInput(
                "no such account in this workspace",
                details=[ErrorDetail(("account_id",), "unknown account")],
            )
        return data.account_id
    if data.account_external_id is not None:
        found = qs.filter(external_id=data.account_external_id).values_list("pk", flat=True)
        account_id = found.first()
        if account_id is None:
            raise InvalidInput(
                "no account with that external id in this workspace",
                details=[ErrorDetail(("account_external_id",), "unknown account")],
            )
        return int(account_id)
    return None


def _get_contact(workspace_id: int, contact_id: int) -> Contact:
    try:
        return (
            Contact.objects.for_workspace(workspace_id).select_related("account").get(pk=contact_id)
        )
    except Contact.DoesNotExist:
        raise NotFound(f"no contact with id {contact_id}", code="contact_not_found") from None


def get_contact(principal: Principal, contact_id: int) -> ContactView:
    require(principal.scopes, "accounts", "read")
    return contact_view(_get_contact(principal.workspace_id, contact_id))


def assign_contact_fields(contact: Contact, data: dict[str, Any]) -> None:
    for name, value in data.items():
        if name in {"account_id", "account_external_id"}:
            continue
        if value is None and name in {"email", "phone", "title"}:
            value = ""
        if value is None and name == "is_primary":
            value = False
        if value is None and name == "role":
            continue
        setattr(contact, name, value)


@transaction.atomic
def create_contact(principal: Principal, data: ContactCreate) -> ContactView:
    require(principal.scopes, "accounts", "write")
    account_id = resolve_account_id(principal.workspace_id, data)
    if account_id is None:
        raise InvalidInput(
            "a contact needs its account (account_id or account_external_id)",
            details=[ErrorDetail(("account_id",), "missing")],
        )
    contact = Contact(workspace_id=principal.workspace_id, account_id=account_id)
    assign_contact_fields(contact, data.model_dump(exclude_unset=True))
    _save_unique(contact)
    refresh_risk_flags(principal.workspace_id, [account_id])
    record_audit(
        principal,
        action="create",
        object_type="contact",
        object_id=contact.pk,
        object_repr=contact.name,
        after=snapshot(contact),
    )
    return contact_view(contact)


@transaction.atomic
def update_contact(principal: Principal, contact_id: int, patch: ContactPatch) -> ContactView:
    require(principal.scopes, "accounts", "write")
    contact = _get_contact(principal.workspace_id, contact_id)
    before = snapshot(contact)
    old_account = contact.account_id
    new_account = resolve_account_id(principal.workspace_id, patch)
    if new_account is not None:
        contact.account_id = new_account
    changes = patch.model_dump(exclude_unset=True)
    if "name" in changes and not changes["name"]:
        raise InvalidInput("a contact needs a name", details=[ErrorDetail(("name",), "empty")])
    assign_contact_fields(contact, changes)
    _save_unique(contact)
    refresh_risk_flags(principal.workspace_id, {old_account, contact.account_id})
    contact.refresh_from_db()
    after = snapshot(contact)
    if after != before:
        record_audit(
            principal,
            action="update",
            object_type="contact",
            object_id=contact.pk,
            object_repr=contact.name,
            before=before,
            after=after,
        )
    return contact_view(contact)


@transaction.atomic
def delete_contact(principal: Principal, contact_id: int) -> None:
    require(principal.scopes, "accounts", "write")
    contact = _get_contact(principal.workspace_id, contact_id)
    before = snapshot(contact)
    contact.delete()
    refresh_risk_flags(principal.workspace_id, [before["account_id"]])
    record_audit(
        principal,
        action="delete",
        object_type="contact",
        object_id=contact_id,
        object_repr=before["name"],
        before=before,
    )
