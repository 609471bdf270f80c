"""Reading a workspace's revenue inputs (ledger, accounts, spend) into ``RevenueData``.

A cut (segment, industry, region, channel, plan) narrows the ledger to the accounts — or, for
a plan, the subscription segments — it names; every figure is then computed on that part.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import numpy as np
from django.db import connection
from django.db.models import CharField
from django.db.models.functions import Cast
from pydantic import BaseModel, ConfigDict, Field, field_validator

from tobloop.kernel.lazy import LazyModule
from tobloop.platform.facade import Principal
from tobloop.revenue.logic import engine as eng
from tobloop.revenue.logic.ledger import account_model
from tobloop.revenue.logic.metrics import (
    ACCOUNT_COLUMNS,
    RevenueData,
    empty_accounts,
    empty_spend,
)
from tobloop.revenue.models import AcquisitionSpend, Plan, RevenueSegment

if TYPE_CHECKING:
    import pandas as pd  # type: ignore[import-untyped]
else:
    pd = LazyModule("pandas")

CUTS = ("segment", "industry", "region", "channel", "plan")


class RevenueFilter(BaseModel):
    """A cut of the revenue figures; empty fields do not narrow."""

    model_config = ConfigDict(extra="forbid")

    segment: str | None = Field(None, max_length=10)
    industry: str | None = Field(None, max_length=80)
    region: str | None = Field(None, max_length=80)
    channel: str | None = Field(None, max_length=80, description="acquisition channel")
    plan: str | None = Field(None, max_length=120, description="plan external id")

    @field_validator(*CUTS)
    @classmethod
    def _no_nul(cls, value: str | None) -> str | None:
        if value is not None and "\x00" in value:
            raise ValueError("text cannot contain NUL characters")
        return value

    def is_empty(self) -> bool:
        return not any(getattr(self, c) for c in CUTS)

    def narrows_accounts(self) -> bool:
        return any(getattr(self, c) for c in ("segment", "industry", "region"))


def _ledger(workspace_id: int, f: RevenueFilter) -> eng.Ledger:
    qs = RevenueSegment.objects.for_workspace(workspace_id).order_by()
    if f.plan:
        chosen = Plan.objects.for_workspace(workspace_id).filter(external_id=f.plan).first()
        qs = qs.filter(plan_id=chosen.pk if chosen else -1)
    for cut, lookup in (
        ("segment", "account__segment"),
        ("industry", "account__industry"),
        ("region", "account__region"),
        ("channel", "account__acquisition_channel"),
    ):
        value = getattr(f, cut)
        if value:
            qs = qs.filter(**{lookup: value})
    # Dates as ISO text: parsing thousands of them in numpy beats one converter call each.
    texts = qs.annotate(start_text=Cast("start", CharField()), end_text=Cast("end", CharField()))
    fields = ("account_id", "start_text", "end_text", "mrr_cents", "plan_id", "subscription_id")
    rows = raw_rows(texts.values_list(*fields))
    if not rows:
        return eng.empty_ledger()
    account, start, end, mrr, plans, sub = zip(*rows, strict=True)
    return eng.Ledger(
        account=np.array(account, dtype=np.int64),
        start=day_numbers(start),
        end=day_numbers(end),
        mrr=np.array(mrr, dtype=np.int64),
        plan=np.array([-1 if p is None else p for p in plans], dtype=np.int64),
        subscription=np.array(sub, dtype=np.int64),
    )


def raw_rows(qs: Any) -> list[tuple[Any, ...]]:
    """The rows of a values_list query as the database returns them (no per-value
    conversion: SQLite hands dates back as ISO strings, PostgreSQL as dates)."""
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def day_numbers(values: tuple[Any, ...]) -> eng.I64:
    """Day numbers of dates given as ISO strings or dates; ``None`` (open end) is OPEN."""
    out = np.full(len(values), eng.OPEN, dtype=np.int64)
    present = [i for i, v in enumerate(values) if v is not None]
    if not present:
        return out
    picked = [values[i] for i in present]
    if isinstance(picked[0], str):
        days = np.array(picked, dtype="datetime64[D]").astype(np.int64)
    else:
        days = np.array([(d - eng.EPOCH).days for d in picked], dtype=np.int64)
    out[np.array(present, dtype=np.int64)] = days
    return out


def _accounts(workspace_id: int, ids: list[int]) -> pd.DataFrame:
    if not ids:
        return empty_accounts()
    qs = account_model()._default_manager.filter(workspace_id=workspace_id)
    if len(ids) <= 900:  # beyond that, reading all beats a huge bound-parameter list
        qs = qs.filter(pk__in=ids)
    names = ("name", "external_id", "segment", "industry", "region", "acquisition_channel")
    rows = raw_rows(qs.order_by().values_list("id", *names))
    frame = pd.DataFrame(rows, columns=["id", *ACCOUNT_COLUMNS]).set_index("id")
    frame["external_id"] = frame["external_id"].fillna("")
    return frame.loc[frame.index.intersection(ids)]


def _spend(workspace_id: int, f: RevenueFilter) -> pd.DataFrame:
    qs = AcquisitionSpend.objects.for_workspace(workspace_id)
    if f.channel:
        qs = qs.filter(channel=f.channel)
    rows = list(qs.values_list("channel", "month", "amount"))
    if not rows or f.narrows_accounts() or f.plan:
        # Spend is booked per channel, not per segment, industry, region or plan.
        return empty_spend()
    return pd.DataFrame(
        {
            "channel": [c for c, _m, _a in rows],
            "month": [eng.month_index(m) for _c, m, _a in rows],
            "amount": [Decimal(a) for _c, _m, a in rows],
        }
    )


def load_revenue(principal: Principal, f: RevenueFilter | None = None) -> RevenueData:
    f = f or RevenueFilter()
    ws = principal.workspace_id
    ledger = _ledger(ws, f)
    ids = sorted({int(a) for a in np.unique(ledger.account)}) if len(ledger) else []
    return RevenueData(
        currency=principal.workspace.currency,
        ledger=ledger,
        accounts=_accounts(ws, ids),
        spend=_spend(ws, f),
    )


def workspace_today(principal: Principal) -> date:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(principal.workspace.timezone)).date()
