"""Importing accounts and contacts from CRM exports.

The contract (docs/import.md): every valid row is stored, every invalid row is reported with
its spreadsheet row number, column, value and reason and stores nothing; re-importing updates
by external id and never duplicates; a file that cannot be read at all changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from pydantic import BaseModel, ValidationError

from tobloop.accounts.contracts import ImportReport, RejectedRow
from tobloop.accounts.logic.csvfile import CsvTable, column_plan, read_csv
from tobloop.accounts.logic.derivation import apply_segment, refresh_risk_flags
from tobloop.accounts.logic.records import assign_account_fields, assign_contact_fields, snapshot
from tobloop.accounts.models import Account, Contact
from tobloop.accounts.schemas import (
    ACCOUNT_FIELDS,
    CONTACT_FIELDS,
    AccountCreate,
    AccountPatch,
    ContactCreate,
    ContactPatch,
)
from tobloop.platform.facade import Principal, record_audit, require

ACCOUNT_ALIASES = {
    "id": "external_id",
    "account id": "external_id",
    "account_id": "external_id",
    "company id": "external_id",
    "客户编号": "external_id",
    "客户id": "external_id",
    "客户编码": "external_id",
    "company": "name",
    "company name": "name",
    "account name": "name",
    "客户名称": "name",
    "公司名称": "name",
    "名称": "name",
    "website": "domain",
    "网站": "domain",
    "域名": "domain",
    "行业": "industry",
    "employees": "headcount",
    "number of employees": "headcount",
    "员工人数": "headcount",
    "人数": "headcount",
    "规模": "headcount",
    "平均薪资": "salary_level",
    "薪资水平": "salary_level",
    "地区": "region",
    "区域": "region",
    "country": "region",
    "营收规模": "revenue_band",
    "有it部门": "has_it_department",
    "生命周期": "lifecycle_stage",
    "客户成功经理": "csm_owner",
    "csm": "csm_owner",
    "lead source": "acquisition_channel",
    "获客渠道": "acquisition_channel",
    "渠道": "acquisition_channel",
    "标杆客户": "is_reference",
    "reference": "is_reference",
}
CONTACT_ALIASES = {
    "id": "external_id",
    "contact id": "external_id",
    "联系人编号": "external_id",
    "account": "account_external_id",
    "account id": "account_external_id",
    "客户编号": "account_external_id",
    "full name": "name",
    "姓名": "name",
    "联系人": "name",
    "e-mail": "email",
    "邮箱": "email",
    "电子邮件": "email",
    "电话": "phone",
    "手机": "phone",
    "mobile": "phone",
    "职位": "title",
    "job title": "title",
    "角色": "role",
    "decision role": "role",
    "决策角色": "role",
    "主要联系人": "is_primary",
    "primary": "is_primary",
}
_CUSTOM = "custom."


@dataclass
class _Outcome:
    rejected: list[RejectedRow] = field(default_factory=list)
    created: int = 0
    updated: int = 0


def _reject(out: _Outcome, row: int, column: str | None, value: str | None, reason: str) -> None:
    out.rejected.append(RejectedRow(row=row, column=column, value=value, reason=reason))


def _row_values(
    table: CsvTable, plan: Mapping[int, str], line: list[str]
) -> tuple[dict[str, Any], dict[str, str], dict[str, Any]]:
    """Field → raw value, field → source column, and custom fields of one line."""
    values: dict[str, Any] = {}
    columns: dict[str, str] = {}
    custom: dict[str, Any] = {}
    for index, target in plan.items():
        raw = line[index] if index < len(line) else ""
        if target.startswith(_CUSTOM):
            if raw.strip():
                custom[target[len(_CUSTOM) :]] = raw.strip()
                columns[target] = table.header[index]
            continue
        values[target] = raw
        columns[target] = table.header[index]
    return values, columns, custom


def _validate(
    schema: type[BaseModel],
    values: dict[str, Any],
    columns: dict[str, str],
    row: int,
    out: _Outcome,
) -> BaseModel | None:
    try:
        return schema.model_validate(values)
    except ValidationError as exc:
        for err in exc.errors():
            name = str(err["loc"][0]) if err["loc"] else ""
            raw = values.get(name)
            reason = str(err["msg"]).removeprefix("Value error, ")
            if err["type"] == "missing":
                reason = f"{name} is required"
            _reject(
                out, row, columns.get(name, name) or None, None if raw is None else str(raw), reason
            )
        return None


def _check_shape(table: CsvTable, row: int, line: list[str], out: _Outcome) -> bool:
    if len(line) > len(table.header):
        _reject(
            out,
            row,
            None,
            None,
            f"the row has {len(line)} cells but the header has {len(table.header)}",
        )
        return False
    return True


def _custom_ok(custom: dict[str, Any], columns: dict[str, str], row: int, out: _Outcome) -> bool:
    """Custom field values are stored as JSON text; PostgreSQL refuses NUL characters in it."""
    for key, value in custom.items():
        if "\x00" in value:
            column = columns[_CUSTOM + key]
            _reject(out, row, column, value, "text cannot contain NUL characters")
            return False
    return True


def _first_seen(seen: dict[str, int], key: str, row: int, column: str, out: _Outcome) -> bool:
    if key in seen:
        _reject(out, row, column, key, f"repeats the {column} of row {seen[key]} in this file")
        return False
    seen[key] = row
    return True


def import_accounts(
    principal: Principal, raw: bytes, *, filename: str = "", mapping: Mapping[str, str] = {}
) -> ImportReport:
    require(principal.scopes, "accounts", "write")
    table = read_csv(raw)
    plan = column_plan(table.header, mapping, ACCOUNT_FIELDS, ACCOUNT_ALIASES)
    if "external_id" not in plan.values():
        from tobloop.kernel.errors import InvalidInput

        raise InvalidInput(
            "the file needs an external id column (e.g. 'external_id' or a "
            "mapping to it) so that re-imports update instead of duplicating",
            code="invalid_mapping",
        )
    ws = principal.workspace_id
    out = _Outcome()
    existing = {
        a.external_id: a
        for a in Account.objects.for_workspace(ws).filter(external_id__isnull=False)
    }
    members = dict(
        get_user_model().objects.filter(memberships__workspace_id=ws).values_list("username", "pk")
    )
    seen: dict[str, int] = {}
    valid: list[tuple[Account, dict[str, Any], bool]] = []
    for row, line in table.rows:
        if not _check_shape(table, row, line, out):
            continue
        values, columns, custom = _row_values(table, plan, line)
        ext = (values.get("external_id") or "").strip()
        current = existing.get(ext)
        schema = AccountPatch if current is not None else AccountCreate
        data = _validate(schema, values, columns, row, out)
        if data is None:
            continue
        changes = data.model_dump(exclude_unset=True)
        if not ext:
            _reject(out, row, columns["external_id"], "", "external_id is required")
            continue
        owner = changes.get("csm_owner")
        if owner and owner not in members:
            _reject(out, row, columns["csm_owner"], owner, "not a member of this workspace")
            continue
        if not _first_seen(seen, ext, row, columns["external_id"], out):
            continue
        if not _custom_ok(custom, columns, row, out):
            continue
        if custom:
            changes["custom_fields"] = custom
        account = current if current is not None else Account(workspace_id=ws)
        valid.append((account, changes, current is None))
    with transaction.atomic():
        _store_accounts(principal, valid, out)
        _audit_import(principal, "account", filename, len(table.rows), out)
    return _report(filename, table, out)


def _store_accounts(
    principal: Principal, valid: list[tuple[Account, dict[str, Any], bool]], out: _Outcome
) -> None:
    thresholds = principal.workspace.thresholds
    new: list[Account] = []
    changed: list[Account] = []
    audits: list[tuple[str, Account, dict[str, Any] | None]] = []
    for account, changes, is_new in valid:
        before = None if is_new else snapshot(account)
        assign_account_fields(account, changes, principal.workspace_id)
        apply_segment(account, thresholds)
        if is_new:
            account.risk_flags = ["no_contacts", "no_decision_maker"]
            new.append(account)
        elif snapshot(account) != before:
            changed.append(account)
            audits.append(("update", account, before))
    Account.objects.bulk_create(new, batch_size=500)
    fields = [f for f in ACCOUNT_FIELDS if f != "csm_owner"] + [
        "csm_owner",
        "segment",
        "service_tier",
        "updated_at",
    ]
    from django.utils import timezone

    now = timezone.now()
    for account in changed:
        account.updated_at = now
    Account.objects.bulk_update(changed, fields, batch_size=500)
    out.created += len(new)
    out.updated += len(changed)
    saved = {
        a.external_id: a.pk
        for a in Account.objects.for_workspace(principal.workspace_id).filter(
            external_id__in=[a.external_id for a in new]
        )
    }
    for account in new:
        account.pk = saved[account.external_id]
        audits.append(("create", account, None))
    for action, account, before in audits:
        record_audit(
            principal,
            action=action,
            object_type="account",
            object_id=account.pk,
            object_repr=account.name,
            before=before,
            after=snapshot(account),
        )


def import_contacts(
    principal: Principal, raw: bytes, *, filename: str = "", mapping: Mapping[str, str] = {}
) -> ImportReport:
    require(principal.scopes, "accounts", "write")
    table = read_csv(raw)
    plan = column_plan(table.header, mapping, CONTACT_FIELDS, CONTACT_ALIASES)
    if "account_external_id" not in plan.values() and "account_id" not in plan.values():
        from tobloop.kernel.errors import InvalidInput

        raise InvalidInput(
            "the file needs an account column (account_external_id) that names "
            "each contact's account",
            code="invalid_mapping",
        )
    ws = principal.workspace_id
    out = _Outcome()
    accounts = dict(
        Account.objects.for_workspace(ws)
        .filter(external_id__isnull=False)
        .values_list("external_id", "pk")
    )
    account_ids = set(Account.objects.for_workspace(ws).values_list("pk", flat=True))
    by_ext = {
        c.external_id: c
        for c in Contact.objects.for_workspace(ws).filter(external_id__isnull=False)
    }
    by_email = {
        (c.account_id, c.email): c for c in Contact.objects.for_workspace(ws).exclude(email="")
    }
    seen: dict[str, int] = {}
    valid: list[tuple[Contact, dict[str, Any], bool]] = []
    for row, line in table.rows:
        if not _check_shape(table, row, line, out):
            continue
        values, columns, _custom = _row_values(table, plan, line)
        data = _validate(ContactPatch, values, columns, row, out)
        if data is None:
            continue
        assert isinstance(data, ContactPatch)
        if data.account_id is not None:
            account_id = data.account_id if data.account_id in account_ids else None
            acct_col, acct_val = columns.get("account_id", "account_id"), str(data.account_id)
        else:
            account_id = accounts.get(data.account_external_id or "")
            acct_col = columns.get("account_external_id", "account_external_id")
            acct_val = data.account_external_id or ""
        if account_id is None:
            _reject(out, row, acct_col, acct_val, "no account with this id in the workspace")
            continue
        key = data.external_id or (f"{account_id}/{data.email}" if data.email else None)
        if key is None:
            _reject(
                out,
                row,
                None,
                None,
                "a contact needs an external_id or an email to be imported idempotently",
            )
            continue
        current = by_ext.get(data.external_id) if data.external_id else None
        if current is None and data.email:
            current = by_email.get((account_id, data.email))
        if current is None and _validate(ContactCreate, values, columns, row, out) is None:
            continue
        if not _first_seen(
            seen, key, row, columns.get("external_id") or columns.get("email", "email"), out
        ):
            continue
        contact = current if current is not None else Contact(workspace_id=ws)
        contact.account_id = account_id
        valid.append((contact, data.model_dump(exclude_unset=True), current is None))
    with transaction.atomic():
        _store_contacts(principal, valid, out)
        _audit_import(principal, "contact", filename, len(table.rows), out)
    return _report(filename, table, out)


def _store_contacts(
    principal: Principal, valid: list[tuple[Contact, dict[str, Any], bool]], out: _Outcome
) -> None:
    touched: set[int] = set()
    for contact, changes, is_new in valid:
        before = None if is_new else snapshot(contact)
        old_account = before["account_id"] if before else None
        assign_contact_fields(contact, changes)
        after = snapshot(contact)
        if not is_new and after == before:
            continue
        contact.save()
        touched.update({contact.account_id, old_account or contact.account_id})
        if is_new:
            out.created += 1
        else:
            out.updated += 1
        record_audit(
            principal,
            action="create" if is_new else "update",
            object_type="contact",
            object_id=contact.pk,
            object_repr=contact.name,
            before=before,
            after=after,
        )
    refresh_risk_flags(principal.workspace_id, touched)


def _audit_import(principal: Principal, kind: str, filename: str, rows: int, out: _Outcome) -> None:
    record_audit(
        principal,
        action="import",
        object_type=kind,
        object_repr=filename,
        after={
            "file": filename,
            "rows": rows,
            "created": out.created,
            "updated": out.updated,
            "rejected": len(out.rejected),
        },
    )


def _report(filename: str, table: CsvTable, out: _Outcome) -> ImportReport:
    rejected = sorted(out.rejected, key=lambda r: r.row)
    return ImportReport(
        file=filename,
        rows=len(table.rows),
        created=out.created,
        updated=out.updated,
        rejected=rejected,
    )
