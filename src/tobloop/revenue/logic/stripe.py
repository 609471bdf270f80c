"""Reading Stripe's dashboard "Export subscriptions" CSV (one row per subscription).

``Amount`` is the unit price per interval in major units, so MRR = Quantity × Amount ÷ months
in ``Interval`` (× ``Interval Count`` when present). Revenue runs from ``Start`` — or from
``Trial End`` when there is a trial — to ``Ended At`` (exclusive); ``Canceled At`` is when the
customer asked to cancel and does not end revenue by itself. Times are UTC and become dates
in the workspace time zone. The account is the Stripe customer (``Customer ID``), created
when missing, or the account whose external id a mapped column (say a metadata column)
names.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from tobloop.accounts import facade as accounts
from tobloop.kernel.errors import InvalidInput
from tobloop.platform.facade import Principal
from tobloop.revenue.logic.ledger import accounts_by_external_id
from tobloop.revenue.logic.report import Outcome, SourceRow
from tobloop.revenue.schemas import stripe_datetime

COLUMNS = {
    "id": "id",
    "subscription id": "id",
    "customer id": "customer",
    "customer": "customer",
    "customer name": "customer_name",
    "customer description": "customer_description",
    "customer email": "customer_email",
    "plan": "plan",
    "plan id": "plan",
    "price id": "plan",
    "product": "product",
    "product name": "product",
    "quantity": "quantity",
    "currency": "currency",
    "interval": "interval",
    "interval count": "interval_count",
    "amount": "amount",
    "status": "status",
    "start (utc)": "start",
    "start date (utc)": "start",
    "trial end (utc)": "trial_end",
    "ended at (utc)": "ended_at",
}
MAPPABLE = ("account_external_id", "fx_rate", "discount", "plan_name")
NO_REVENUE = {"incomplete", "incomplete_expired"}
UNITS = {"month": 1, "year": 12}


def _columns(header: list[str], mapping: Mapping[str, str]) -> dict[str, int]:
    unknown = sorted(v for v in mapping.values() if v not in MAPPABLE and v not in COLUMNS.values())
    if unknown:
        raise InvalidInput(
            f"a Stripe mapping can route columns to {', '.join(MAPPABLE)}; "
            f"not {', '.join(unknown)}",
            code="invalid_mapping",
        )
    missing = sorted(k for k in mapping if k not in header)
    if missing:
        raise InvalidInput(
            f"the mapping names column(s) not in the file: {', '.join(missing)}",
            code="invalid_mapping",
        )
    found: dict[str, int] = {}
    for index, name in enumerate(header):
        key = mapping.get(name) or COLUMNS.get(name.strip().lower())
        if key and key not in found:
            found[key] = index
    needed = {"id", "customer", "amount", "interval", "start"} - set(found)
    if "account_external_id" in found:
        needed.discard("customer")
    if needed:
        raise InvalidInput(
            "this is not a Stripe subscriptions export: missing " + ", ".join(sorted(needed)),
            code="invalid_format",
        )
    return found


def _local_day(value: datetime, zone: ZoneInfo) -> date:
    return value.replace(tzinfo=UTC).astimezone(zone).date()


def stripe_rows(
    principal: Principal, table: Any, mapping: Mapping[str, str], out: Outcome
) -> list[SourceRow]:
    cols = _columns(table.header, mapping)
    zone = ZoneInfo(principal.workspace.timezone)
    rows: list[SourceRow] = []
    customers: dict[str, str] = {}
    for number, line in table.rows:

        def cell(key: str, line: list[str] = line) -> str:
            i = cols.get(key)
            return line[i].strip() if i is not None and i < len(line) else ""

        def column(key: str) -> str:
            return table.header[cols[key]] if key in cols else key

        converted = _convert(number, cell, column, zone, out)
        if converted is None:
            continue
        if "account_external_id" not in cols:
            name = cell("customer_name") or cell("customer_description") or cell("customer_email")
            customers.setdefault(cell("customer"), name or cell("customer"))
        rows.append(converted)
    _create_customers(principal, customers, out, rows)
    return rows


def _convert(number: int, cell: Any, column: Any, zone: ZoneInfo, out: Outcome) -> SourceRow | None:
    status = cell("status").lower()
    if status in NO_REVENUE:
        out.reject(
            number, column("status"), status, "the first payment never succeeded: no revenue"
        )
        return None
    times: dict[str, datetime | None] = {}
    for key in ("start", "trial_end", "ended_at"):
        try:
            times[key] = stripe_datetime(cell(key))
        except ValueError as exc:
            out.reject(number, column(key), cell(key), str(exc))
            return None
    start = times["start"]
    if start is None:
        out.reject(number, column("start"), "", "Start (UTC) is required")
        return None
    begins = _local_day(max(start, times["trial_end"] or start), zone)
    ended = times["ended_at"]
    unit = cell("interval").lower()
    if unit not in UNITS:
        out.reject(
            number,
            column("interval"),
            unit,
            "only month and year intervals are whole months (week and day are not supported)",
        )
        return None
    count = cell("interval_count") or "1"
    if not count.isdigit() or int(count) < 1:
        out.reject(number, column("interval_count"), count, "expected a whole number ≥ 1")
        return None
    values: dict[str, Any] = {
        "subscription_id": cell("id"),
        "account_external_id": cell("account_external_id") or cell("customer"),
        "date": begins.isoformat(),
        "event": "start",
        "end_date": max(_local_day(ended, zone), begins).isoformat() if ended else "",
        "plan": cell("plan"),
        "plan_name": cell("plan_name") or cell("product"),
        "quantity": cell("quantity") or "1",
        "unit_price": cell("amount"),
        "currency": cell("currency"),
        "interval": str(UNITS[unit] * int(count)),
    }
    for extra in ("fx_rate", "discount"):
        if cell(extra):
            values[extra] = cell(extra)
    columns = {
        "subscription_id": column("id"),
        "account_external_id": column("account_external_id")
        if cell("account_external_id")
        else column("customer"),
        "date": column("trial_end")
        if times["trial_end"] and times["trial_end"] > start
        else column("start"),
        "end_date": column("ended_at"),
        "plan": column("plan"),
        "plan_name": column("product"),
        "quantity": column("quantity"),
        "unit_price": column("amount"),
        "currency": column("currency"),
        "interval": column("interval"),
        "fx_rate": column("fx_rate"),
        "discount": column("discount"),
    }
    return SourceRow(number, values, columns)


def _create_customers(
    principal: Principal, customers: dict[str, str], out: Outcome, rows: list[SourceRow]
) -> None:
    """Make an account for every Stripe customer not known yet (external id = Customer ID).

    Needs the accounts:write permission; without it, rows of unknown customers are rejected.
    """
    known = accounts_by_external_id(principal.workspace_id)
    missing = {k: v for k, v in customers.items() if k and k not in known}
    if not missing:
        return
    failed: dict[str, str] = {}
    if principal.can("accounts", "write"):
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(["external_id", "name"])
        order = sorted(missing)
        for ext in order:
            writer.writerow([ext, missing[ext][:200]])
        report = accounts.import_accounts(
            principal, buf.getvalue().encode(), filename="Stripe customers"
        )
        for r in report.rejected:
            failed[order[r.row - 2]] = f"the Stripe customer cannot become an account: {r.reason}"
    else:
        for ext in missing:
            failed[ext] = "no account for this Stripe customer, and making one needs accounts:write"
    for src in list(rows):
        ext = src.values["account_external_id"]
        if ext in failed:
            out.reject(src.row, src.columns["account_external_id"], ext, failed[ext])
            rows.remove(src)
