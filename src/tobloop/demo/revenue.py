"""Four and a half years of seeded, realistic revenue history for the demo accounts.

New business that grows month by month, seat expansion, downgrades, plan upgrades, first-year
discounts, churn concentrated in small accounts (monthly plans), annual and multi-year
contracts that churn or shrink only at renewal, a few reactivations, overseas accounts billed
in USD, and acquisition spend per channel whose size follows the customers each channel
wins. Everything goes through the real import path (``import_subscriptions``,
``import_spend``).
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from rich.progress import Progress

from tobloop.demo.companies import DemoCompany
from tobloop.platform.facade import Principal
from tobloop.revenue import facade as revenue

HISTORY_MONTHS = 54
USD_RATE = Decimal("7.10")
COLUMNS = (
    "subscription_id",
    "account_external_id",
    "date",
    "event",
    "plan",
    "plan_name",
    "quantity",
    "unit_price",
    "currency",
    "fx_rate",
    "interval",
    "discount",
    "discount_end",
)
# plan: (name, price per seat per interval in CNY, interval months)
PLANS = {
    "basic-m": ("Basic · monthly", Decimal("99"), 1),
    "pro-m": ("Pro · monthly", Decimal("199"), 1),
    "pro-y": ("Pro · annual", Decimal("1990"), 12),
    "ent-y": ("Enterprise · annual", Decimal("3600"), 12),
    "ent-3y": ("Enterprise · 3 years", Decimal("9900"), 36),
    "insight-y": ("Insight add-on · annual", Decimal("600"), 12),
}
# Target CAC per channel (CNY): spend follows the customers a channel wins. Referral is free.
CAC = {"inbound": 3500, "telesales": 7000, "field": 45000, "event": 16000, "partner": 9000}


def _month_add(d: date, months: int) -> date:
    k = d.year * 12 + d.month - 1 + months
    return date(k // 12, k % 12 + 1, 1)


@dataclass
class DemoRevenue:
    rows: list[dict[str, str]] = field(default_factory=list)
    spend: list[dict[str, str]] = field(default_factory=list)
    first_paid: dict[str, date] = field(default_factory=dict)
    paying_at_end: set[str] = field(default_factory=set)


@dataclass
class _Sub:
    sid: str
    company: DemoCompany
    plan: str
    seats: int
    start: date
    usd: bool
    rows: list[dict[str, str]] = field(default_factory=list)

    def row(self, day: date, event: str, **values: object) -> None:
        row = dict.fromkeys(COLUMNS, "")
        row.update(subscription_id=self.sid, date=day.isoformat(), event=event)
        if not self.rows:
            row["account_external_id"] = self.company.external_id
            row["currency"] = "USD" if self.usd else "CNY"
            row["fx_rate"] = str(USD_RATE) if self.usd else ""
        row.update({k: str(v) for k, v in values.items()})
        self.rows.append(row)

    def terms(self, plan: str, seats: int) -> dict[str, object]:
        name, price, interval = PLANS[plan]
        if self.usd:
            price = (price / USD_RATE).quantize(Decimal("1"))
        return {
            "plan": plan,
            "plan_name": name,
            "quantity": seats,
            "unit_price": price,
            "interval": interval,
        }


def _opening(rng: random.Random, c: DemoCompany) -> tuple[str, int]:
    if c.headcount < 100:
        return rng.choices(["basic-m", "pro-m"], [65, 35])[0], rng.randint(2, 15)
    if c.headcount < 1000:
        return rng.choice(["pro-y", "pro-y", "pro-m"]), rng.randint(8, 60)
    return rng.choice(["ent-y", "ent-y", "ent-3y"]), rng.randint(40, 400)


def _start_day(rng: random.Random, first: date, end: date) -> date:
    months = HISTORY_MONTHS + 1  # up to the current month
    weights = [1.045**i for i in range(months)]  # more new business as the company grows
    month = _month_add(first, rng.choices(range(months), weights)[0])
    day = month + timedelta(days=rng.randint(0, 27))
    return min(day, end - timedelta(days=1))


def _simulate(rng: random.Random, sub: _Sub, end: date) -> None:
    """Walk the subscription month by month from its start to the end of the history."""
    plan, seats = sub.plan, sub.seats
    terms = sub.terms(plan, seats)
    if rng.random() < 0.25:
        terms["discount"] = rng.choice(["10%", "20%"])
        terms["discount_end"] = _month_add(sub.start, 12).replace(day=min(sub.start.day, 28))
    sub.row(sub.start, "start", **terms)
    small = sub.company.headcount < 100
    active, back_at = True, None
    month = _month_add(sub.start, 1)
    while month < end:
        day = min(month + timedelta(days=rng.randint(0, 27)), end - timedelta(days=1))
        yearly = PLANS[plan][2] >= 12
        renewal = not yearly or (month.month == sub.start.month)
        renewal = renewal and (PLANS[plan][2] < 36 or (month.year - sub.start.year) % 3 == 0)
        roll = rng.random()
        if not active:
            if back_at is not None and month >= back_at:
                seats = max(1, seats + rng.randint(-2, 2))
                sub.row(day, "reactivate", quantity=seats)
                active, back_at = True, None
        elif renewal and roll < (0.028 if small else (0.11 if plan == "pro-y" else 0.05)):
            sub.row(day, "cancel")
            active = False
            if rng.random() < (0.18 if small else 0.08):
                back_at = _month_add(month, rng.randint(2, 8))
        elif roll < 0.06:
            grow = rng.randint(1, 3) if small else max(1, int(seats * rng.uniform(0.1, 0.4)))
            seats += grow
            sub.row(day, "change", quantity=seats)
        elif small and plan == "basic-m" and roll < 0.08:
            plan = "pro-m"
            sub.row(day, "change", **sub.terms(plan, seats))
        elif renewal and roll < 0.10 and seats > 2:
            seats = max(1, seats - (rng.randint(1, 2) if small else int(seats * 0.2) or 1))
            sub.row(day, "change", quantity=seats)
        month = _month_add(month, 1)


def plan_revenue(rng: random.Random, companies: list[DemoCompany], end: date) -> DemoRevenue:
    """Seeded subscription histories (as import rows) and spend up to ``end`` (exclusive)."""
    first = _month_add(end.replace(day=1), -HISTORY_MONTHS)
    out = DemoRevenue()
    wins: dict[tuple[str, date], int] = {}
    for c in companies:
        plan, seats = _opening(rng, c)
        start = _start_day(rng, first, end)
        usd = c.region.endswith("Overseas")
        subs = [_Sub(f"SUB-{c.external_id}", c, plan, seats, start, usd)]
        if c.headcount >= 100 and rng.random() < 0.25:
            later = min(start + timedelta(days=rng.randint(60, 700)), end - timedelta(days=1))
            subs.append(_Sub(f"SUB-{c.external_id}-X", c, "insight-y", seats // 2 + 1, later, usd))
        for sub in subs:
            _simulate(rng, sub, end)
            out.rows.extend(sub.rows)
        out.first_paid[c.external_id] = start
        if _paying_at_end(subs):
            out.paying_at_end.add(c.external_id)
        key = (c.acquisition_channel, start.replace(day=1))
        wins[key] = wins.get(key, 0) + 1
    out.spend = _spend(rng, wins, first, end)
    return out


def _paying_at_end(subs: list[_Sub]) -> bool:
    return any(s.rows[-1]["event"] != "cancel" for s in subs)


def _spend(
    rng: random.Random, wins: dict[tuple[str, date], int], first: date, end: date
) -> list[dict[str, str]]:
    rows = []
    month = first
    while month < end:
        for channel, cac in CAC.items():
            won = wins.get((channel, month), 0)
            base = cac * 0.4  # some spend every month, even when nothing closes
            amount = (base + cac * won) * rng.uniform(0.7, 1.3)
            if channel == "event" and month.month not in (3, 4, 9, 10, 11):
                amount *= 0.3  # conference season
            rows.append({"channel": channel, "month": f"{month:%Y-%m}", "amount": f"{amount:.2f}"})
        month = _month_add(month, 1)
    return rows


def _csv(rows: list[dict[str, str]], columns: tuple[str, ...]) -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(columns))
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode()


def import_revenue(progress: Progress, principal: Principal, demo: DemoRevenue) -> None:
    """Import the histories in chunks (a subscription's rows stay together) and the spend."""
    task = progress.add_task("Revenue", total=len(demo.rows) + len(demo.spend))
    chunk: list[dict[str, str]] = []
    for i, row in enumerate(demo.rows):
        chunk.append(row)
        last = i + 1 == len(demo.rows)
        if last or (len(chunk) >= 1500 and demo.rows[i + 1]["account_external_id"]):
            report = revenue.import_subscriptions(
                principal, _csv(chunk, COLUMNS), filename="demo-subscriptions.csv"
            )
            if report.rejected:
                raise RuntimeError(f"demo revenue rejected: {report.rejected[:3]}")
            progress.advance(task, len(chunk))
            chunk = []
    report = revenue.import_spend(
        principal, _csv(demo.spend, ("channel", "month", "amount")), filename="demo-spend.csv"
    )
    if report.rejected:
        raise RuntimeError(f"demo spend rejected: {report.rejected[:3]}")
    progress.advance(task, len(demo.spend))


def with_lifecycle(c: DemoCompany, demo: DemoRevenue, end: date) -> DemoCompany:
    """Make the account's lifecycle stage agree with its revenue history."""
    from dataclasses import replace

    if c.external_id not in demo.paying_at_end:
        return replace(c, lifecycle_stage="churned")
    if (end - demo.first_paid[c.external_id]).days <= 90:
        return replace(c, lifecycle_stage="onboarding")
    if c.lifecycle_stage in ("churned", "onboarding"):
        return replace(c, lifecycle_stage="active")
    return c


def demo_today() -> date:
    """Today in the demo workspace's time zone: the history runs up to it."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo("Asia/Shanghai")).date()
