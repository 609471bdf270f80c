"""Importing subscription histories (CSV or a Stripe export) with the accounts import contract.

Every valid row is stored, every invalid row is reported with its spreadsheet row number,
column, value and reason and stores nothing; a re-import updates by external id (the
subscription id with the record's date and event) and never duplicates; a file that cannot be
read at all changes nothing (docs/import.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from django.db import transaction
from pydantic import ValidationError

from tobloop.accounts.facade import ImportReport, column_plan, read_csv
from tobloop.kernel.errors import InvalidInput
from tobloop.platform.facade import Principal, record_audit, require
from tobloop.revenue.logic.ledger import accounts_by_external_id, histories, rebuild_ledger
from tobloop.revenue.logic.report import Outcome, SourceRow
from tobloop.revenue.logic.terms import ChangeRecord, HistoryError, fold_history
from tobloop.revenue.models import Plan, Source, Subscription, SubscriptionChange
from tobloop.revenue.schemas import SUBSCRIPTION_FIELDS, SubscriptionRow

ALIASES = {
    "subscription": "subscription_id",
    "subscription id": "subscription_id",
    "订阅编号": "subscription_id",
    "合同编号": "subscription_id",
    "account": "account_external_id",
    "account id": "account_external_id",
    "account_id": "account_external_id",
    "customer id": "account_external_id",
    "客户编号": "account_external_id",
    "effective": "date",
    "effective date": "date",
    "effective_date": "date",
    "start date": "date",
    "start_date": "date",
    "生效日期": "date",
    "日期": "date",
    "type": "event",
    "change type": "event",
    "事件": "event",
    "end": "end_date",
    "end date": "end_date",
    "cancel date": "end_date",
    "结束日期": "end_date",
    "plan id": "plan",
    "套餐": "plan",
    "plan name": "plan_name",
    "套餐名称": "plan_name",
    "seats": "quantity",
    "数量": "quantity",
    "席位": "quantity",
    "price": "unit_price",
    "unit price": "unit_price",
    "单价": "unit_price",
    "币种": "currency",
    "exchange rate": "fx_rate",
    "汇率": "fx_rate",
    "billing interval": "interval",
    "interval_months": "interval",
    "计费周期": "interval",
    "折扣": "discount",
    "discount end": "discount_end",
    "折扣截止": "discount_end",
}
RECORD_FIELDS = (
    "plan_id",
    "quantity",
    "unit_price",
    "fx_rate",
    "interval_months",
    "discount",
    "discount_end",
)


@dataclass
class Candidate:
    row: int
    subscription: str
    account_id: int
    currency: str
    plan: str | None
    plan_name: str | None
    records: list[ChangeRecord]
    columns: dict[str, str]


@dataclass
class Context:
    principal: Principal
    source: str
    accounts: dict[str, int]
    subscriptions: dict[str, Subscription]
    plans: dict[str, Plan]
    out: Outcome = field(default_factory=Outcome)
    pending: dict[str, tuple[int, str]] = field(default_factory=dict)  # new in this file

    @property
    def currency(self) -> str:
        return self.principal.workspace.currency


def csv_rows(table: Any, mapping: Mapping[str, str]) -> list[SourceRow]:
    plan = column_plan(table.header, mapping, SUBSCRIPTION_FIELDS, ALIASES)
    needed = {"subscription_id", "date"} - set(plan.values())
    if needed:
        raise InvalidInput(
            f"the file needs the column(s) {', '.join(sorted(needed))} (or a mapping to them)",
            code="invalid_mapping",
        )
    rows: list[SourceRow] = []
    for number, line in table.rows:
        values: dict[str, Any] = {}
        columns: dict[str, str] = {}
        for index, target in plan.items():
            if target.startswith("custom."):
                continue
            values[target] = line[index] if index < len(line) else ""
            columns[target] = table.header[index]
        rows.append(SourceRow(number, values, columns))
    return rows


def import_subscriptions(
    principal: Principal,
    raw: bytes,
    *,
    filename: str = "",
    mapping: Mapping[str, str] = {},
    fmt: str = "csv",
) -> ImportReport:
    require(principal.scopes, "revenue", "write")
    table = read_csv(raw)
    if fmt == "stripe":
        from tobloop.revenue.logic.stripe import stripe_rows

        out = Outcome()
        rows = stripe_rows(principal, table, mapping, out)
        ctx = context_for(principal, Source.STRIPE, rows, out)
    elif fmt == "csv":
        for number, line in table.rows:
            if len(line) > len(table.header):
                raise InvalidInput(f"row {number} has more cells than the header")
        rows = csv_rows(table, mapping)
        ctx = context_for(principal, Source.CSV, rows, Outcome())
    else:
        raise InvalidInput(f"unknown format {fmt!r}: csv or stripe", code="invalid_format")
    return import_rows(ctx, rows, filename=filename, total=len(table.rows))


def context_for(principal: Principal, source: str, rows: list[SourceRow], out: Outcome) -> Context:
    ws = principal.workspace_id
    names = sorted({str(r.values.get("subscription_id") or "").strip() for r in rows} - {""})
    subs: dict[str, Subscription] = {}
    for i in range(0, len(names), 500):
        for sub in Subscription.objects.for_workspace(ws).filter(
            external_id__in=names[i : i + 500]
        ):
            subs[sub.external_id] = sub
    return Context(
        principal=principal,
        source=source,
        accounts=accounts_by_external_id(ws),
        subscriptions=subs,
        plans={p.external_id: p for p in Plan.objects.for_workspace(ws)},
        out=out,
    )


def import_rows(ctx: Context, rows: list[SourceRow], *, filename: str, total: int) -> ImportReport:
    candidates = [c for r in rows if (c := candidate(ctx, r)) is not None]
    candidates = _unique(ctx, candidates)
    candidates = _consistent(ctx, candidates)
    with transaction.atomic():
        store(ctx, candidates)
        record_audit(
            ctx.principal,
            action="import",
            object_type="subscription",
            object_repr=filename,
            after={
                "file": filename,
                "rows": total,
                "created": ctx.out.created,
                "updated": ctx.out.updated,
                "rejected": len(ctx.out.rejected),
            },
        )
    return ImportReport(
        file=filename,
        rows=total,
        created=ctx.out.created,
        updated=ctx.out.updated,
        rejected=sorted(ctx.out.rejected, key=lambda r: r.row),
    )


def _validate(ctx: Context, src: SourceRow) -> SubscriptionRow | None:
    try:
        return SubscriptionRow.model_validate(src.values)
    except ValidationError as exc:
        for err in exc.errors():
            name = str(err["loc"][0]) if err["loc"] else ""
            raw = src.values.get(name)
            reason = str(err["msg"]).removeprefix("Value error, ")
            if err["type"] == "missing" or (err["type"] == "string_type" and raw in ("", None)):
                reason = f"{name} is required"
            ctx.out.reject(
                src.row,
                src.columns.get(name, name) or None,
                None if raw is None else str(raw),
                reason,
            )
        return None


def candidate(ctx: Context, src: SourceRow) -> Candidate | None:
    data = _validate(ctx, src)
    if data is None:
        return None
    col = src.columns.get
    existing = ctx.subscriptions.get(data.subscription_id)
    account_id = _account(ctx, src, data, existing)
    if account_id is None:
        return None
    earlier = ctx.pending.get(data.subscription_id)
    if existing is not None:
        currency = existing.currency
    else:
        currency = earlier[1] if earlier else (data.currency or ctx.currency)
    if data.currency and data.currency != currency:
        ctx.out.reject(
            src.row,
            col("currency"),
            data.currency,
            f"subscription {data.subscription_id} is billed in {currency}; "
            "a subscription keeps one currency",
        )
        return None
    event = data.event or "start"
    if currency != ctx.currency and data.fx_rate is None and event == "start":
        ctx.out.reject(
            src.row,
            col("currency") or col("fx_rate"),
            currency,
            f"{currency} differs from the workspace currency {ctx.currency}: give fx_rate "
            f"({ctx.currency} per 1 {currency}) to convert it",
        )
        return None
    record = _record(ctx, src.row, data, event)
    records = [record]
    if data.end_date is not None:
        if event == "cancel":
            ctx.out.reject(
                src.row, col("end_date"), str(data.end_date), "a cancel row has no end_date"
            )
            return None
        records.append(ChangeRecord(effective=data.end_date, event="cancel", key=src.row))
    ctx.pending.setdefault(data.subscription_id, (account_id, currency))
    return Candidate(
        row=src.row,
        subscription=data.subscription_id,
        account_id=account_id,
        currency=currency,
        plan=data.plan,
        plan_name=data.plan_name,
        records=records,
        columns=src.columns,
    )


def _account(
    ctx: Context, src: SourceRow, data: SubscriptionRow, existing: Subscription | None
) -> int | None:
    col = src.columns.get("account_external_id")
    named = ctx.accounts.get(data.account_external_id) if data.account_external_id else None
    if data.account_external_id and named is None:
        ctx.out.reject(
            src.row,
            col,
            data.account_external_id,
            "no account with this external id in the workspace",
        )
        return None
    if existing is not None:
        if named is not None and named != existing.account_id:
            ctx.out.reject(
                src.row,
                col,
                data.account_external_id,
                f"subscription {existing.external_id} belongs to another account",
            )
            return None
        return int(existing.account_id)
    earlier = ctx.pending.get(data.subscription_id)
    if earlier is not None:
        if named is not None and named != earlier[0]:
            ctx.out.reject(
                src.row,
                col,
                data.account_external_id,
                f"an earlier row gives subscription {data.subscription_id} another account",
            )
            return None
        return earlier[0]
    if named is None:
        ctx.out.reject(src.row, col, None, "account_external_id is required for a new subscription")
    return named


def _record(ctx: Context, row: int, data: SubscriptionRow, event: str) -> ChangeRecord:
    plan = ctx.plans.get(data.plan) if data.plan else None
    price, interval = data.unit_price, data.interval
    if plan is not None and event in ("start", "change", "reactivate"):
        price = price if price is not None else plan.unit_price
        interval = interval if interval is not None else plan.interval_months
    if event == "cancel":
        return ChangeRecord(effective=data.date, event=event, key=row)
    return ChangeRecord(
        effective=data.date,
        event=event,
        plan_id=plan.pk if plan is not None else None,
        quantity=data.quantity,
        unit_price=price,
        fx_rate=data.fx_rate,
        interval_months=interval,
        discount=data.discount,
        discount_end=data.discount_end,
        key=row,
    )


def _unique(ctx: Context, candidates: list[Candidate]) -> list[Candidate]:
    seen: dict[tuple[str, object, str], int] = {}
    keep: list[Candidate] = []
    for c in candidates:
        keys = [(c.subscription, r.effective, r.event) for r in c.records]
        clash = next((k for k in keys if k in seen), None)
        if clash is not None:
            ctx.out.reject(
                c.row,
                c.columns.get("date"),
                str(clash[1]),
                f"repeats the {clash[2]} of subscription {c.subscription} on {clash[1]} "
                f"(row {seen[clash]})",
            )
            continue
        for k in keys:
            seen[k] = c.row
        keep.append(c)
    return keep


def _consistent(ctx: Context, candidates: list[Candidate]) -> list[Candidate]:
    """Drop rows that would make a history impossible (a change after a cancellation, …)."""
    by_sub: dict[str, list[Candidate]] = {}
    for c in candidates:
        by_sub.setdefault(c.subscription, []).append(c)
    known = {name: ctx.subscriptions[name].pk for name in by_sub if name in ctx.subscriptions}
    stored = histories(ctx.principal.workspace_id, list(known.values()))
    keep: list[Candidate] = []
    for name, group in by_sub.items():
        base = stored.get(known[name], []) if name in known else []
        keep.extend(_fold_check(ctx, base, group))
    return sorted(keep, key=lambda c: c.row)


def _fold_check(ctx: Context, base: list[ChangeRecord], group: list[Candidate]) -> list[Candidate]:
    while group:
        mine = [r for c in group for r in c.records]
        keys = {(r.effective, r.event) for r in mine}
        merged = [r for r in base if (r.effective, r.event) not in keys] + mine
        try:
            fold_history(merged)
            return group
        except HistoryError as exc:
            bad = _culprit(exc.record, group)
            ctx.out.reject(
                bad.row,
                bad.columns.get("event") or bad.columns.get("date"),
                str(exc.record.effective),
                exc.message,
            )
            group = [c for c in group if c is not bad]
    return group


def _culprit(record: ChangeRecord, group: list[Candidate]) -> Candidate:
    """The row whose record failed, or else the latest row dated on or before it."""
    for c in group:
        if record.key == c.row:
            return c
    earlier = [c for c in group if min(r.effective for r in c.records) <= record.effective]
    return max(earlier or group, key=lambda c: (min(r.effective for r in c.records), c.row))


def store(ctx: Context, candidates: list[Candidate]) -> None:
    ws = ctx.principal.workspace_id
    _create_plans(ctx, candidates)
    new_subs = _create_subscriptions(ctx, candidates)
    sub_ids = {c.subscription: ctx.subscriptions[c.subscription].pk for c in candidates}
    current = {
        (ch.subscription_id, ch.effective, ch.event): ch
        for ch in _changes(ws, sorted(set(sub_ids.values())))
    }
    creates: list[SubscriptionChange] = []
    updates: list[SubscriptionChange] = []
    touched: dict[int, str] = {}
    for c in candidates:
        sid = sub_ids[c.subscription]
        made = changed = False
        for r in c.records:
            r = replace(r, plan_id=ctx.plans[c.plan].pk if c.plan and r.event != "cancel" else None)
            old = current.get((sid, r.effective, r.event))
            if old is None:
                creates.append(_change(ws, sid, r))
                made = True
            elif _differs(old, r):
                for name in RECORD_FIELDS:
                    setattr(old, name, getattr(r, name))
                updates.append(old)
                changed = True
        if made:
            ctx.out.created += 1
        elif changed:
            ctx.out.updated += 1
        if made or changed:
            touched[sid] = c.subscription
    SubscriptionChange.objects.bulk_create(creates, batch_size=1000)
    SubscriptionChange.objects.bulk_update(updates, list(RECORD_FIELDS), batch_size=1000)
    rebuild_ledger(ws, sorted(touched))
    for sid, name in sorted(touched.items()):
        record_audit(
            ctx.principal,
            action="create" if name in new_subs else "update",
            object_type="subscription",
            object_id=sid,
            object_repr=name,
            after={"source": ctx.source},
        )


def _changes(ws: int, ids: list[int]) -> list[SubscriptionChange]:
    found: list[SubscriptionChange] = []
    for i in range(0, len(ids), 500):
        found.extend(
            SubscriptionChange.objects.for_workspace(ws).filter(
                subscription_id__in=ids[i : i + 500]
            )
        )
    return found


def _differs(old: SubscriptionChange, r: ChangeRecord) -> bool:
    return any(getattr(old, name) != getattr(r, name) for name in RECORD_FIELDS)


def _change(ws: int, sid: int, r: ChangeRecord) -> SubscriptionChange:
    return SubscriptionChange(
        workspace_id=ws,
        subscription_id=sid,
        effective=r.effective,
        event=r.event,
        **{name: getattr(r, name) for name in RECORD_FIELDS},
    )


def _create_plans(ctx: Context, candidates: list[Candidate]) -> None:
    for c in candidates:
        if not c.plan or c.plan in ctx.plans:
            continue
        first = c.records[0]
        plan = Plan.objects.create(
            workspace_id=ctx.principal.workspace_id,
            external_id=c.plan,
            name=c.plan_name or c.plan,
            interval_months=first.interval_months or 1,
            unit_price=first.unit_price,
            currency=c.currency,
        )
        ctx.plans[c.plan] = plan
        record_audit(
            ctx.principal,
            action="create",
            object_type="plan",
            object_id=plan.pk,
            object_repr=plan.name,
            after={"external_id": plan.external_id, "interval_months": plan.interval_months},
        )


def _create_subscriptions(ctx: Context, candidates: list[Candidate]) -> set[str]:
    ws = ctx.principal.workspace_id
    new: dict[str, Subscription] = {}
    for c in candidates:
        if c.subscription not in ctx.subscriptions and c.subscription not in new:
            new[c.subscription] = Subscription(
                workspace_id=ws,
                account_id=c.account_id,
                external_id=c.subscription,
                currency=c.currency,
                source=ctx.source,
            )
    Subscription.objects.bulk_create(list(new.values()), batch_size=1000)
    names = list(new)
    for i in range(0, len(names), 500):
        for sub in Subscription.objects.for_workspace(ws).filter(
            external_id__in=names[i : i + 500]
        ):
            ctx.subscriptions[sub.external_id] = sub
    return set(new)
