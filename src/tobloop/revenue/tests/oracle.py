"""An independent, deliberately simple recomputation of the revenue metrics.

Written from docs/metrics.md alone and sharing no code with ``tobloop.revenue``: it replays
each subscription's history for every day it looks at, in plain Python with Decimal and
Fraction, so that it is slow and obviously right rather than fast. The tests check that the
production engine agrees with it on random histories; bench/revenue.py times both.

Input (plain data):

    histories = [{"id": "S1", "account": "A1", "records": [
        {"date": date, "event": "start"|"change"|"cancel"|"reactivate",
         "quantity": int|None, "unit_price": Decimal|None, "fx_rate": Decimal|None,
         "interval_months": int|None, "discount": Decimal|None, "discount_end": date|None,
         "plan": str|None}, ...]}, ...]
    channels = {"A1": "field", ...}
    spend = [("field", "2024-01", Decimal("5000")), ...]

``every_day=True`` scans every calendar day for first and last paid days; ``False`` looks
only at the days a history can change on (record dates and discount ends), which gives the
same answer because MRR is constant between them.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

ORDER = ["start", "change", "cancel", "reactivate"]


def subscription_mrr_on(records: list[dict[str, Any]], day: date) -> Decimal:
    """Replay the records dated on or before ``day``; the MRR of that day (0 if inactive)."""
    todo = [r for r in records if r["date"] <= day]
    todo.sort(key=lambda r: (r["date"], ORDER.index(r["event"])))
    active = False
    t: dict[str, Any] = {}
    for r in todo:
        if r["event"] == "start":
            t = {
                "quantity": 1,
                "unit_price": None,
                "fx_rate": Decimal(1),
                "interval_months": 1,
                "discount": Decimal(0),
                "discount_end": None,
            }
        if r["event"] == "cancel":
            active = False
            continue
        for k in ("quantity", "unit_price", "fx_rate", "interval_months"):
            if r.get(k) is not None:
                t[k] = r[k]
        if r.get("discount") is not None:
            t["discount"] = r["discount"]
            t["discount_end"] = r.get("discount_end")
        elif r.get("discount_end") is not None:
            t["discount_end"] = r["discount_end"]
        active = True
    if not active:
        return Decimal(0)
    discount = t["discount"]
    if t["discount_end"] is not None and day >= t["discount_end"]:
        discount = Decimal(0)
    mrr = (
        Decimal(t["quantity"])
        * t["unit_price"]
        * t["fx_rate"]
        * (1 - discount)
        / Decimal(t["interval_months"])
    )
    return mrr.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def add_months(year: int, month: int, n: int) -> tuple[int, int]:
    k = year * 12 + month - 1 + n
    return k // 12, k % 12 + 1


def twelve_months_before(d: date) -> date:
    y, m = add_months(d.year, d.month, -12)
    if d == month_end(d.year, d.month):
        return month_end(y, m)
    return date(y, m, min(d.day, month_end(y, m).day))


class Oracle:
    def __init__(
        self,
        histories: list[dict[str, Any]],
        channels: dict[str, str],
        spend: list[tuple[str, str, Decimal]],
        *,
        every_day: bool = True,
    ) -> None:
        self.by_account: dict[str, list[list[dict[str, Any]]]] = {}
        for h in histories:
            self.by_account.setdefault(h["account"], []).append(h["records"])
        self.channels = channels
        self.spend = spend
        self.every_day = every_day

    def mrr(self, account: str, day: date) -> Decimal:
        return sum(
            (subscription_mrr_on(recs, day) for recs in self.by_account[account]), Decimal(0)
        )

    def days(self, account: str, first: date, last: date) -> list[date]:
        if self.every_day:
            return [first + timedelta(days=i) for i in range((last - first).days + 1)]
        found = {first, last}
        for recs in self.by_account[account]:
            for r in recs:
                for d in (r["date"], r.get("discount_end")):
                    if d is not None and first <= d <= last:
                        found.add(d)
        return sorted(found)

    def earliest(self, account: str) -> date:
        return min(r["date"] for recs in self.by_account[account] for r in recs)

    def first_paid(self, account: str, as_of: date) -> date | None:
        start = self.earliest(account)
        if start > as_of:
            return None
        for d in self.days(account, start, as_of):
            if self.mrr(account, d) > 0:
                return d
        return None

    def stop_day(self, account: str, first: date, as_of: date) -> date:
        """The day after the last paid day up to as_of (as_of + 1 when still paying)."""
        stop = first
        paying = False
        for d in self.days(account, first, as_of):
            now = self.mrr(account, d) > 0
            if paying and not now:
                stop = d
            paying = now
        return as_of + timedelta(days=1) if paying else stop

    def compute(
        self,
        as_of: date,
        gross_margin: Decimal = Decimal(1),
        horizon_years: Decimal = Decimal(10),
    ) -> dict[str, Any]:
        accounts = sorted(self.by_account)
        first_paid = {a: self.first_paid(a, as_of) for a in accounts}
        paid = [a for a in accounts if first_paid[a] is not None]
        out: dict[str, Any] = {"months": self.months(paid, first_paid, as_of)}
        now = {a: self.mrr(a, as_of) for a in paid}
        then_day = twelve_months_before(as_of)
        then = {a: self.mrr(a, then_day) for a in paid}
        mrr = sum(now.values(), Decimal(0))
        paying = [a for a in paid if now[a] > 0]
        base = [a for a in paid if then[a] > 0]
        out["mrr"] = mrr
        out["arr"] = 12 * mrr
        out["paying_accounts"] = len(paying)
        out["arpa"] = (mrr / len(paying)).quantize(Decimal("0.01")) if paying else None
        den = sum((then[a] for a in base), Decimal(0))
        nrr = Fraction(sum((now[a] for a in base), Decimal(0))) / Fraction(den) if den else None
        grr = (
            Fraction(sum((min(now[a], then[a]) for a in base), Decimal(0))) / Fraction(den)
            if den
            else None
        )
        out["nrr_12"] = nrr
        out["grr_12"] = grr
        out["cc"] = 1 - nrr if nrr is not None else None
        lost = [a for a in base if now[a] == 0]
        logo = Fraction(len(lost), len(base)) if base else None
        out["logo_churn_12"] = logo
        total_then = sum(then.values(), Decimal(0))
        out["growth_12"] = Fraction(mrr) / Fraction(total_then) if total_then else None
        last12 = out["months"][-12:]
        gain = sum((m["new"] + m["reactivation"] + m["expansion"] for m in last12), Decimal(0))
        loss = sum((m["contraction"] + m["churn"] for m in last12), Decimal(0))
        out["quick_ratio"] = Fraction(gain) / Fraction(loss) if loss else None
        years: Any = None
        if base:
            years = (
                horizon_years if not lost else min(Fraction(len(base), len(lost)), horizon_years)
            )
        out["lifetime_years"] = years
        out["ltv"] = self.ltv(mrr, len(paying), years, gross_margin)
        km = self.km_years(paid, first_paid, as_of, horizon_years)
        out["km_lifetime_years"] = km
        out["ltv_km"] = self.ltv(mrr, len(paying), km, gross_margin)
        out.update(self.cac(paid, first_paid, as_of, gross_margin))
        return out

    @staticmethod
    def ltv(mrr: Decimal, paying: int, years: Any, gm: Decimal) -> Decimal | None:
        if not paying or years is None:
            return None
        value = Fraction(mrr) / paying * 12 * Fraction(gm) * Fraction(years)
        return Decimal(value.numerator) / Decimal(value.denominator)

    def months(
        self, paid: list[str], first_paid: dict[str, date | None], as_of: date
    ) -> list[dict[str, Any]]:
        if not paid:
            return []
        first = min(d for d in first_paid.values() if d is not None)
        y, m = first.year, first.month
        rows = []
        prev_day = month_end(*add_months(y, m, -1))
        last = {a: self.mrr(a, prev_day) for a in paid}  # MRR at the previous month end
        while (y, m) <= (as_of.year, as_of.month):
            day = as_of if (y, m) == (as_of.year, as_of.month) else month_end(y, m)
            row = {
                k: Decimal(0) for k in ("new", "reactivation", "expansion", "contraction", "churn")
            }
            row["month"] = f"{y:04d}-{m:02d}"
            row["mrr_start"] = Decimal(0)
            row["mrr_end"] = Decimal(0)
            row["paying_accounts"] = 0
            for a in paid:
                s, e = last[a], self.mrr(a, day)
                last[a] = e
                row["mrr_start"] += s
                row["mrr_end"] += e
                row["paying_accounts"] += e > 0
                fp = first_paid[a]
                before = fp is not None and fp < date(y, m, 1)
                if s == 0 and e > 0:
                    row["reactivation" if before else "new"] += e
                elif 0 < s < e:
                    row["expansion"] += e - s
                elif 0 < e < s:
                    row["contraction"] += s - e
                elif s > 0 and e == 0:
                    row["churn"] += s
            rows.append(row)
            y, m = add_months(y, m, 1)
        return rows

    def km_years(
        self, paid: list[str], first_paid: dict[str, date | None], as_of: date, horizon: Decimal
    ) -> float | None:
        """Kaplan–Meier product-limit curve, integrated up to the horizon (flat after)."""
        spans: list[tuple[float, bool]] = []
        for a in paid:
            fp = first_paid[a]
            assert fp is not None
            stop = self.stop_day(a, fp, as_of)
            spans.append(((stop - fp).days / 365.25, stop <= as_of))
        if not spans:
            return None
        times = sorted({t for t, _ in spans})
        survival, curve = 1.0, []
        for t in times:
            at_risk = sum(1 for u, _ in spans if u >= t)
            deaths = sum(1 for u, died in spans if u == t and died)
            survival *= 1 - deaths / at_risk
            curve.append((t, survival))
        area, last_t, last_s = 0.0, 0.0, 1.0
        for t, s in curve:
            if t >= float(horizon):
                break
            area += (t - last_t) * last_s
            last_t, last_s = t, s
        return area + (float(horizon) - last_t) * last_s

    def cac(
        self, paid: list[str], first_paid: dict[str, date | None], as_of: date, gm: Decimal
    ) -> dict[str, Any]:
        y, m = add_months(as_of.year, as_of.month, -11)
        start = date(y, m, 1)
        months = set()
        for k in range(12):
            yy, mm = add_months(y, m, k)
            months.add(f"{yy:04d}-{mm:02d}")
        spend: dict[str, Decimal] = {}
        for channel, month, amount in self.spend:
            if month in months:
                spend[channel] = spend.get(channel, Decimal(0)) + amount
        new: dict[str, list[Decimal]] = {}
        for a in paid:
            fp = first_paid[a]
            if fp is not None and start <= fp <= as_of:
                new.setdefault(self.channels.get(a, ""), []).append(self.mrr(a, fp))
        channels = {}
        for name in sorted(set(new) | {c for c, v in spend.items() if v}):
            channels[name] = self.one_cac(spend.get(name, Decimal(0)), new.get(name, []), gm)
        everyone = [v for vs in new.values() for v in vs]
        blended = self.one_cac(sum(spend.values(), Decimal(0)), everyone, gm)
        return {
            "cac": blended["cac"],
            "cac_payback_months": blended["payback"],
            "channels": channels,
        }

    @staticmethod
    def one_cac(spend: Decimal, first_mrr: list[Decimal], gm: Decimal) -> dict[str, Any]:
        if not first_mrr or spend <= 0:
            return {"spend": spend, "new": len(first_mrr), "cac": None, "payback": None}
        cac = Fraction(spend) / len(first_mrr)
        avg = Fraction(sum(first_mrr, Decimal(0))) / len(first_mrr)
        return {
            "spend": spend,
            "new": len(first_mrr),
            "cac": cac,
            "payback": cac / (avg * Fraction(gm)),
        }
