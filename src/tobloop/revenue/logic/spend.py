"""Acquisition spend per channel per month (P-ECON-8): CSV import, API writes, listing."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction
from pydantic import ValidationError

from tobloop.accounts.facade import ImportReport, column_plan, read_csv
from tobloop.kernel.errors import ErrorDetail, InvalidInput
from tobloop.platform.facade import Principal, record_audit, require
from tobloop.revenue.contracts import SpendView
from tobloop.revenue.logic.report import Outcome
from tobloop.revenue.models import AcquisitionSpend
from tobloop.revenue.schemas import SPEND_FIELDS, SpendRow

CENT = Decimal("0.01")
ALIASES = {
    "source": "channel",
    "acquisition channel": "channel",
    "lead source": "channel",
    "渠道": "channel",
    "获客渠道": "channel",
    "月份": "month",
    "period": "month",
    "spend": "amount",
    "cost": "amount",
    "金额": "amount",
    "花费": "amount",
    "币种": "currency",
    "汇率": "fx_rate",
    "exchange rate": "fx_rate",
}


def converted(principal: Principal, data: SpendRow) -> Decimal:
    """The amount in the workspace currency; another currency needs ``fx_rate``."""
    ws_currency = principal.workspace.currency
    if data.currency in (None, ws_currency):
        return data.amount.quantize(CENT)
    if data.fx_rate is None:
        raise InvalidInput(
            f"{data.currency} differs from the workspace currency {ws_currency}: give fx_rate "
            f"({ws_currency} per 1 {data.currency}) to convert it",
            code="currency_mismatch",
            details=[ErrorDetail(("currency",), "needs fx_rate")],
        )
    return (data.amount * data.fx_rate).quantize(CENT)


def _snapshot(row: AcquisitionSpend) -> dict[str, Any]:
    return {"channel": row.channel, "month": row.month.isoformat(), "amount": str(row.amount)}


def _upsert(principal: Principal, data: SpendRow, amount: Decimal) -> str | None:
    """Create or update one (channel, month); returns "created", "updated" or None."""
    ws = principal.workspace_id
    row = (
        AcquisitionSpend.objects.for_workspace(ws)
        .filter(channel=data.channel, month=data.month)
        .first()
    )
    before = _snapshot(row) if row is not None else None
    if row is None:
        row = AcquisitionSpend(workspace_id=ws, channel=data.channel, month=data.month)
    row.amount = amount
    row.source_currency = data.currency or ""
    row.source_amount = data.amount.quantize(CENT) if data.currency else None
    after = _snapshot(row)
    if before == after:
        return None
    row.save()
    record_audit(
        principal,
        action="create" if before is None else "update",
        object_type="acquisition_spend",
        object_id=row.pk,
        object_repr=f"{row.channel} {row.month:%Y-%m}",
        before=before,
        after=after,
    )
    return "created" if before is None else "updated"


@transaction.atomic
def record_spend(principal: Principal, data: SpendRow) -> SpendView:
    require(principal.scopes, "revenue", "write")
    _upsert(principal, data, converted(principal, data))
    return SpendView(
        channel=data.channel, month=f"{data.month:%Y-%m}", amount=converted(principal, data)
    )


def list_spend(principal: Principal) -> list[SpendView]:
    require(principal.scopes, "revenue", "read")
    return [
        SpendView(channel=r.channel, month=f"{r.month:%Y-%m}", amount=r.amount)
        for r in AcquisitionSpend.objects.for_workspace(principal.workspace_id)
    ]


def import_spend(
    principal: Principal, raw: bytes, *, filename: str = "", mapping: Mapping[str, str] = {}
) -> ImportReport:
    require(principal.scopes, "revenue", "write")
    table = read_csv(raw)
    plan = column_plan(table.header, mapping, SPEND_FIELDS, ALIASES)
    needed = {"channel", "month", "amount"} - set(plan.values())
    if needed:
        raise InvalidInput(
            f"the file needs the column(s) {', '.join(sorted(needed))} (or a mapping to them)",
            code="invalid_mapping",
        )
    out = Outcome()
    valid: list[tuple[int, SpendRow, Decimal]] = []
    seen: dict[tuple[str, object], int] = {}
    for number, line in table.rows:
        values = {t: (line[i] if i < len(line) else "") for i, t in plan.items() if "." not in t}
        columns = {t: table.header[i] for i, t in plan.items()}
        try:
            data = SpendRow.model_validate(values)
        except ValidationError as exc:
            for err in exc.errors():
                name = str(err["loc"][0]) if err["loc"] else ""
                reason = str(err["msg"]).removeprefix("Value error, ")
                if err["type"] == "missing" or not str(values.get(name) or "").strip():
                    reason = f"{name} is required" if err["type"] != "greater_than" else reason
                out.reject(number, columns.get(name, name), str(values.get(name, "")), reason)
            continue
        try:
            amount = converted(principal, data)
        except InvalidInput as exc:
            out.reject(number, columns.get("currency"), data.currency, exc.message)
            continue
        key = (data.channel, data.month)
        if key in seen:
            out.reject(
                number,
                columns.get("month"),
                f"{data.month:%Y-%m}",
                f"repeats {data.channel} {data.month:%Y-%m} of row {seen[key]}",
            )
            continue
        seen[key] = number
        valid.append((number, data, amount))
    with transaction.atomic():
        for _number, data, amount in valid:
            result = _upsert(principal, data, amount)
            out.created += result == "created"
            out.updated += result == "updated"
        record_audit(
            principal,
            action="import",
            object_type="acquisition_spend",
            object_repr=filename,
            after={
                "file": filename,
                "rows": len(table.rows),
                "created": out.created,
                "updated": out.updated,
                "rejected": len(out.rejected),
            },
        )
    return ImportReport(
        file=filename,
        rows=len(table.rows),
        created=out.created,
        updated=out.updated,
        rejected=sorted(out.rejected, key=lambda r: r.row),
    )
