"""REST endpoints for accounts and contacts: thin, over the facade."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from tobloop.accounts import facade
from tobloop.platform.facade import request_principal

router = Router(tags=["accounts"])


class AccountOut(Schema):
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


class AccountList(Schema):
    items: list[AccountOut]
    count: int


class ContactOut(Schema):
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


class ContactList(Schema):
    items: list[ContactOut]
    count: int


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


@router.get("/accounts", response=AccountList, summary="List accounts with filters")
def list_accounts(request: HttpRequest, filters: Query[facade.AccountFilter]) -> dict[str, Any]:
    page = facade.list_accounts(request_principal(request), filters)
    return {"items": [asdict(a) for a in page.items], "count": page.count}


@router.post("/accounts", response={201: AccountOut}, summary="Create an account")
def create_account(request: HttpRequest, payload: facade.AccountCreate) -> Status[Any]:
    return Status(201, asdict(facade.create_account(request_principal(request), payload)))


@router.get("/accounts/{int:account_id}", response=AccountOut, summary="One account")
def get_account(request: HttpRequest, account_id: int) -> Any:
    return asdict(facade.get_account(request_principal(request), account_id))


@router.patch("/accounts/{int:account_id}", response=AccountOut, summary="Change an account")
def update_account(request: HttpRequest, account_id: int, payload: facade.AccountPatch) -> Any:
    return asdict(facade.update_account(request_principal(request), account_id, payload))


@router.delete("/accounts/{int:account_id}", response={204: None}, summary="Delete an account")
def delete_account(request: HttpRequest, account_id: int) -> Status[Any]:
    facade.delete_account(request_principal(request), account_id)
    return Status(204, None)


@router.get("/contacts", response=ContactList, summary="List contacts with filters")
def list_contacts(request: HttpRequest, filters: Query[facade.ContactFilter]) -> dict[str, Any]:
    page = facade.list_contacts(request_principal(request), filters)
    return {"items": [asdict(c) for c in page.items], "count": page.count}


@router.post("/contacts", response={201: ContactOut}, summary="Create a contact")
def create_contact(request: HttpRequest, payload: facade.ContactCreate) -> Status[Any]:
    return Status(201, asdict(facade.create_contact(request_principal(request), payload)))


@router.get("/contacts/{int:contact_id}", response=ContactOut, summary="One contact")
def get_contact(request: HttpRequest, contact_id: int) -> Any:
    return asdict(facade.get_contact(request_principal(request), contact_id))


@router.patch("/contacts/{int:contact_id}", response=ContactOut, summary="Change a contact")
def update_contact(request: HttpRequest, contact_id: int, payload: facade.ContactPatch) -> Any:
    return asdict(facade.update_contact(request_principal(request), contact_id, payload))


@router.delete("/contacts/{int:contact_id}", response={204: None}, summary="Delete a contact")
def delete_contact(request: HttpRequest, contact_id: int) -> Status[Any]:
    facade.delete_contact(request_principal(request), contact_id)
    return Status(204, None)


@router.post("/accounts/import", response=ImportOut, summary="Import accounts from CSV")
def import_accounts(
    request: HttpRequest, file: File[UploadedFile], mapping: Form[str | None] = None
) -> Any:
    raw, parsed = facade.read_upload(file, mapping)
    report = facade.import_accounts(
        request_principal(request), raw, filename=file.name or "", mapping=parsed
    )
    return asdict(report)


@router.post("/contacts/import", response=ImportOut, summary="Import contacts from CSV")
def import_contacts(
    request: HttpRequest, file: File[UploadedFile], mapping: Form[str | None] = None
) -> Any:
    raw, parsed = facade.read_upload(file, mapping)
    report = facade.import_contacts(
        request_principal(request), raw, filename=file.name or "", mapping=parsed
    )
    return asdict(report)
