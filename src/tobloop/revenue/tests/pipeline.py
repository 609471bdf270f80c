"""The production engine fed straight from plain histories (no database): fold, then compute."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pandas as pd  # type: ignore[import-untyped]

from tobloop.revenue.logic import engine as eng
from tobloop.revenue.logic.metrics import RevenueData, empty_accounts
from tobloop.revenue.logic.terms import ChangeRecord, fold_history

PLANS = {"basic": 1, "pro": 2, "enterprise": 3}


def change_records(records: list[dict[str, Any]]) -> list[ChangeRecord]:
    return [
        ChangeRecord(
            effective=r["date"],
            event=r["event"],
            plan_id=PLANS.get(r["plan"]) if r.get("plan") else None,
            quantity=r["quantity"],
            unit_price=r["unit_price"],
            fx_rate=r["fx_rate"],
            interval_months=r["interval_months"],
            discount=r["discount"],
            discount_end=r["discount_end"],
        )
        for r in records
    ]


def revenue_data(book: dict[str, Any], currency: str = "CNY") -> RevenueData:
    ids = {a: i + 1 for i, a in enumerate(sorted({h["account"] for h in book["histories"]}))}
    rows = []
    for n, h in enumerate(book["histories"]):
        for seg in fold_history(change_records(h["records"])):
            rows.append((ids[h["account"]], n + 1, seg.start, seg.end, seg.mrr_cents, seg.plan_id))
    accounts = empty_accounts()
    if ids:
        accounts = pd.DataFrame(
            {
                "name": list(ids),
                "external_id": list(ids),
                "segment": "small",
                "industry": "",
                "region": "",
                "channel": [book["channels"].get(a, "") for a in ids],
            },
            index=pd.Index(list(ids.values()), name="id"),
        )
    spend = pd.DataFrame(
        {
            "channel": [c for c, _m, _a in book["spend"]],
            "month": [int(m[:4]) * 12 + int(m[5:7]) - 1 for _c, m, _a in book["spend"]],
            "amount": [Decimal(a) for _c, _m, a in book["spend"]],
        }
    )
    return RevenueData(
        currency=currency, ledger=eng.ledger_from_rows(rows), accounts=accounts, spend=spend
    )


def as_of_dates(book: dict[str, Any]) -> list[date]:
    return [date(2022, 12, 31), date(2023, 7, 15), date(2024, 2, 29), date(2024, 6, 30)]
