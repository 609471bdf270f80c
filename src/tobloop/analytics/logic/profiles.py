"""What ``group`` and ``identify`` calls change outside the event store (P-DATA-3).

``group``: the account whose external id is the groupId is created or updated through the
accounts module's import (so its segment and service tier re-derive), from the traits name,
industry, employees (headcount), website (domain), region and plan. ``identify``: the user is
created or updated with its traits and linked to the Contact with the same e-mail.

Both are idempotent, because the loader may replay a load after a crash.
"""

from __future__ import annotations

import csv
import io
import logging
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import orjson
from django.db import transaction
from pydantic import ValidationError

from tobloop.accounts import facade as accounts
from tobloop.analytics.models import EventUser
from tobloop.analytics.store.base import ProfileRow
from tobloop.kernel.errors import NotFound
from tobloop.platform import facade as platform

log = logging.getLogger(__name__)

# Account field ← group traits, first present wins. "plan" becomes a custom field.
ACCOUNT_TRAITS: dict[str, tuple[str, ...]] = {
    "name": ("name", "company_name"),
    "industry": ("industry",),
    "headcount": ("employees", "employee_count", "employees_count", "headcount", "size"),
    "domain": ("website", "domain"),
    "region": ("region", "country"),
    "plan": ("plan",),
}
_CSV_FIELDS = {"plan": "custom.plan"}
EMAIL_LOOKUP_ONE_BY_ONE = 50


def apply_profiles(rows: list[ProfileRow]) -> None:
    """The loader's hook: apply the new group/identify calls of one load, per workspace."""
    by_workspace: dict[int, list[ProfileRow]] = defaultdict(list)
    for row in rows:
        by_workspace[int(row["workspace_id"])].append(row)
    for workspace_id, items in by_workspace.items():
        try:
            info = platform.get_workspace_by_id(workspace_id)
        except NotFound:
            continue  # the workspace was deleted meanwhile
        principal = platform.system_principal(info.slug, "event ingestion")
        groups = [r for r in items if r["type"] == "group" and r["account_id"]]
        if groups:
            upsert_accounts(principal, groups)
        upsert_users(principal, items)


def _traits(row: ProfileRow) -> dict[str, Any]:
    raw = row.get("traits")
    value = orjson.loads(raw) if isinstance(raw, str | bytes) and raw else raw
    return value if isinstance(value, dict) else {}


def _scalar(value: Any) -> str | None:
    if isinstance(value, bool) or value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text or None


def account_changes(traits: dict[str, Any]) -> dict[str, str]:
    """The account fields a group call's traits set, dropping values the accounts reject."""
    changes: dict[str, str] = {}
    for target, names in ACCOUNT_TRAITS.items():
        value = next((_scalar(traits[n]) for n in names if _scalar(traits.get(n))), None)
        if value is None:
            continue
        if target != "plan":
            try:
                accounts.AccountPatch.model_validate({target: value})
            except ValidationError:
                continue
        changes[target] = value[:200]
    return changes


def upsert_accounts(principal: platform.Principal, groups: list[ProfileRow]) -> None:
    merged: dict[str, dict[str, str]] = {}
    for row in sorted(groups, key=lambda r: r["timestamp"]):
        merged.setdefault(str(row["account_id"]), {}).update(account_changes(_traits(row)))
    by_columns: dict[tuple[str, ...], list[tuple[str, dict[str, str]]]] = defaultdict(list)
    for external_id, changes in merged.items():
        by_columns[tuple(sorted(changes))].append((external_id, changes))
    unnamed: list[tuple[str, dict[str, str]]] = []
    for columns, items in by_columns.items():
        report = _import(principal, columns, items)
        missing_name = {r.row for r in report.rejected if r.column == "name"}
        unnamed += [item for i, item in enumerate(items) if i + 2 in missing_name]
        others = [r for r in report.rejected if r.column != "name"]
        if others:
            log.warning("group traits not applied: %s", others[:5])
    if unnamed:  # new accounts whose group call named no company: named by their id
        named = [(ext, {**changes, "name": ext}) for ext, changes in unnamed]
        by_named: dict[tuple[str, ...], list[tuple[str, dict[str, str]]]] = defaultdict(list)
        for item in named:
            by_named[tuple(sorted(item[1]))].append(item)
        for columns, items in by_named.items():
            _import(principal, columns, items)


def _import(
    principal: platform.Principal, columns: tuple[str, ...], items: list[tuple[str, dict[str, str]]]
) -> accounts.ImportReport:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["external_id", *columns])
    for external_id, changes in items:
        writer.writerow([external_id, *(changes[c] for c in columns)])
    mapping = {c: _CSV_FIELDS[c] for c in columns if c in _CSV_FIELDS}
    return accounts.import_accounts(
        principal, buf.getvalue().encode(), filename="group calls", mapping=mapping
    )


def _when(ms: int) -> datetime:
    return datetime.fromtimestamp(int(ms) / 1000, tz=UTC)


@transaction.atomic
def upsert_users(principal: platform.Principal, rows: list[ProfileRow]) -> None:
    ws = principal.workspace_id
    rows = [r for r in rows if r.get("distinct_id")]
    if not rows:
        return
    ids = {str(r["distinct_id"]) for r in rows}
    found = EventUser.objects.for_workspace(ws).filter(distinct_id__in=ids)
    existing = {u.distinct_id: u for u in found}
    touched: dict[str, EventUser] = {}
    for row in sorted(rows, key=lambda r: r["timestamp"]):
        did, when = str(row["distinct_id"]), _when(row["timestamp"])
        user = existing.get(did) or touched.get(did)
        if user is None:
            user = EventUser(workspace_id=ws, distinct_id=did, first_seen=when, last_seen=when)
        user.first_seen, user.last_seen = min(user.first_seen, when), max(user.last_seen, when)
        if row["account_id"]:
            user.account_external_id = str(row["account_id"])[:120]
        if row["type"] == "identify":
            traits = _traits(row)
            if row.get("event") == "profile_set_once":
                traits = {k: v for k, v in traits.items() if k not in user.traits}
            user.traits = {**user.traits, **traits}
            email = traits.get("email") or traits.get("$email")
            if isinstance(email, str) and "@" in email:
                user.email = email.strip().lower()[:254]
        touched[did] = user
    _link_contacts(principal, [u for u in touched.values() if u.email])
    new = [u for u in touched.values() if u.pk is None]
    old = [u for u in touched.values() if u.pk is not None]
    EventUser.objects.bulk_create(new, batch_size=500)
    fields = ["email", "traits", "account_external_id", "contact_id", "first_seen", "last_seen"]
    EventUser.objects.bulk_update(old, fields, batch_size=500)


def _link_contacts(principal: platform.Principal, users: list[EventUser]) -> None:
    emails = {u.email for u in users}
    if not emails:
        return
    found: dict[str, int] = {}
    if len(emails) <= EMAIL_LOOKUP_ONE_BY_ONE:
        for email in emails:
            page = accounts.list_contacts(principal, accounts.ContactFilter(q=email, limit=50))
            found.update({c.email.lower(): c.id for c in page.items if c.email.lower() == email})
    else:
        offset = 0
        while True:
            page = accounts.list_contacts(
                principal, accounts.ContactFilter(limit=500, offset=offset)
            )
            found.update({c.email.lower(): c.id for c in page.items if c.email})
            offset += 500
            if offset >= page.count:
                break
    for user in users:
        user.contact_id = found.get(user.email, user.contact_id)
