"""Random but valid subscription histories in the oracle's plain format.

Used by the oracle agreement tests, the property tests and bench/revenue.py. Every kind of
record appears: starts (monthly, quarterly, annual, multi-year), seat and price changes,
plan changes, discounts with and without an end, cancellations (also in the start month and
on the start day), reactivations, free periods and converted foreign-currency prices.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

CHANNELS = ["inbound", "telesales", "field", "event", "partner", ""]
INTERVALS = [1, 1, 1, 3, 12, 12, 24]
PRICES = [Decimal(p) for p in ("0", "99", "299.99", "1200", "4999", "12000", "33333.33")]


def _record(day: date, event: str, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "date": day,
        "event": event,
        "quantity": None,
        "unit_price": None,
        "fx_rate": None,
        "interval_months": None,
        "discount": None,
        "discount_end": None,
        "plan": None,
    }
    base.update(fields)
    return base


def random_history(
    rng: random.Random, sub_id: str, account: str, first: date, last: date
) -> dict[str, Any]:
    span = (last - first).days
    day = first + timedelta(days=rng.randrange(max(span, 1)))
    discount = rng.choice([None, None, None, Decimal("0.1"), Decimal("0.25")])
    records = [
        _record(
            day,
            "start",
            quantity=rng.randint(1, 40),
            unit_price=rng.choice(PRICES),
            interval_months=rng.choice(INTERVALS),
            fx_rate=rng.choice([None, None, None, Decimal("7.1234")]),
            discount=discount,
            discount_end=(day + timedelta(days=rng.randint(1, 400)))
            if discount and rng.random() < 0.6
            else None,
            plan=rng.choice(["basic", "pro", "enterprise"]),
        )
    ]
    active = True
    for _ in range(rng.choice([0, 0, 1, 2, 3, 5])):
        step = rng.choice([0, 0, 1, 3, 20, 31, 45, 90, 200, 400])
        day = day + timedelta(days=step)
        if day > last:
            break
        same_day = [r["event"] for r in records if r["date"] == day]
        if "reactivate" in same_day:
            continue  # a same-day cancel and reactivate is fine; more on that day is not
        kind = rng.choice(["change", "change", "change", "cancel"]) if active else "reactivate"
        if kind == "change" and ("cancel" in same_day or "change" in same_day):
            continue
        if kind == "cancel":
            records.append(_record(day, "cancel"))
            active = False
            continue
        fields: dict[str, Any] = {}
        pick = rng.random()
        if pick < 0.4:
            fields["quantity"] = rng.randint(0, 60)
        elif pick < 0.6:
            fields["unit_price"] = rng.choice(PRICES)
        elif pick < 0.75:
            fields["plan"] = rng.choice(["basic", "pro", "enterprise"])
            fields["unit_price"] = rng.choice(PRICES)
            fields["interval_months"] = rng.choice(INTERVALS)
        elif pick < 0.9:
            fields["discount"] = rng.choice([Decimal("0"), Decimal("0.15"), Decimal("0.5")])
            if rng.random() < 0.5:
                fields["discount_end"] = day + timedelta(days=rng.randint(1, 300))
        records.append(_record(day, kind, **fields))
        active = True
    return {"id": sub_id, "account": account, "records": records}


def random_book(
    seed: int,
    *,
    accounts: int = 12,
    subscriptions: int = 20,
    first: date = date(2021, 1, 1),
    last: date = date(2024, 6, 30),
) -> dict[str, Any]:
    """Histories, account channels and monthly spend for one random workspace."""
    rng = random.Random(seed)
    names = [f"A{i}" for i in range(accounts)]
    histories = [
        random_history(rng, f"S{i}", rng.choice(names), first, last) for i in range(subscriptions)
    ]
    channels = {a: rng.choice(CHANNELS) for a in names}
    spend: list[tuple[str, str, Decimal]] = []
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        for channel in CHANNELS[:4]:
            if rng.random() < 0.7:
                spend.append((channel, f"{y:04d}-{m:02d}", Decimal(rng.randint(0, 90000))))
        y, m = (y, m + 1) if m < 12 else (y + 1, 1)
    return {"histories": histories, "channels": channels, "spend": spend}
