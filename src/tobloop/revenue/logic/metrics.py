"""The full metric set of a workspace at an as-of date, from its MRR ledger (no Django).

``RevenueData`` is what a workspace (or the benchmark) provides: the ledger, the accounts'
attributes and the acquisition spend. ``Snapshot`` evaluates the ledger once at every month
end up to the as-of date; the headline figures, the bridge, cohorts and drill-downs are read
from it. Definitions: docs/metrics.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from tobloop.kernel.lazy import LazyModule
from tobloop.revenue.contracts import (
    AccountMovement,
    CohortTable,
    MonthRow,
    RevenueMetrics,
)
from tobloop.revenue.logic import economics as econ
from tobloop.revenue.logic import engine as eng
from tobloop.revenue.logic.economics import cents

if TYPE_CHECKING:
    import pandas as pd  # type: ignore[import-untyped]
else:
    pd = LazyModule("pandas")

ACCOUNT_COLUMNS = ("name", "external_id", "segment", "industry", "region", "channel")


@dataclass(frozen=True)
class RevenueData:
    """A workspace's revenue inputs.

    ``accounts`` is indexed by account id with the columns of ``ACCOUNT_COLUMNS``; ``spend``
    has the columns ``channel`` (str), ``month`` (month index, year × 12 + month − 1) and
    ``amount`` (Decimal, workspace currency).
    """

    currency: str
    ledger: eng.Ledger
    accounts: pd.DataFrame
    spend: pd.DataFrame


def empty_accounts() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in ACCOUNT_COLUMNS}).rename_axis("id")


def empty_spend() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "channel": pd.Series(dtype=object),
            "month": pd.Series(dtype=np.int64),
            "amount": pd.Series(dtype=object),
        }
    )


class Snapshot:
    """The ledger evaluated at every month end up to ``as_of`` (and at ``as_of``)."""

    def __init__(self, data: RevenueData, as_of: date) -> None:
        self.data = data
        self.as_of = as_of
        self.today = eng.day_number(as_of)
        ledger = data.ledger
        self.ledger = ledger.select(ledger.start <= self.today) if len(ledger) else ledger
        self.index = eng.index_accounts(self.ledger)
        first_day = int(self.ledger.start.min()) if len(self.ledger) else self.today + 1
        self.axis = eng.month_axis(first_day, as_of)
        self.matrix = eng.mrr_at(self.ledger, self.index, self.axis.points)
        self.first_paid = eng.first_paid_day(self.ledger, self.index)
        self.year_ago = eng.months_back(as_of, 12)
        pair = np.array([eng.day_number(self.year_ago), self.today], dtype=np.int64)
        self.pair = eng.mrr_at(self.ledger, self.index, pair)

    @cached_property
    def movements(self) -> eng.Movements:
        return eng.movements(self.matrix, self.first_paid, self.axis)

    @property
    def current(self) -> eng.I64:
        return self.pair[:, 1]

    def channels_of(self, ids: eng.I64) -> list[str]:
        channel = self.data.accounts["channel"] if len(self.data.accounts) else None
        if channel is None:
            return [""] * len(ids)
        return [str(c) for c in channel.reindex(ids).fillna("").tolist()]


def month_rows(snap: Snapshot) -> list[MonthRow]:
    mv = snap.movements
    series = eng.retention_series(snap.matrix)
    rows: list[MonthRow] = []
    for j, m in enumerate(snap.axis.months[1:]):
        ret = series[j + 1]
        rows.append(
            MonthRow(
                month=eng.month_label(m),
                mrr_start=cents(mv.mrr_start[j]),
                new=cents(mv.new[j]),
                reactivation=cents(mv.reactivation[j]),
                expansion=cents(mv.expansion[j]),
                contraction=cents(mv.contraction[j]),
                churn=cents(mv.churn[j]),
                mrr_end=cents(mv.mrr_end[j]),
                paying_accounts=int(mv.paying[j]),
                new_accounts=int(mv.counts["new"][j]),
                reactivated_accounts=int(mv.counts["reactivation"][j]),
                expanded_accounts=int(mv.counts["expansion"][j]),
                contracted_accounts=int(mv.counts["contraction"][j]),
                churned_accounts=int(mv.counts["churn"][j]),
                nrr_12=ret.nrr if ret else None,
                grr_12=ret.grr if ret else None,
            )
        )
    return rows


def quick_ratio(snap: Snapshot) -> float | None:
    """(new + reactivation + expansion) ÷ (contraction + churn) over the last 12 months."""
    mv = snap.movements
    gain = int((mv.new[-12:] + mv.reactivation[-12:] + mv.expansion[-12:]).sum())
    loss = int((mv.contraction[-12:] + mv.churn[-12:]).sum())
    return gain / loss if loss else None


def cac_period(as_of: date) -> tuple[int, int]:
    """The 12 calendar months ending with the as-of month, as month indexes."""
    last = eng.month_index(as_of)
    return last - 11, last


def acquisition_mask(snap: Snapshot) -> eng.Bools:
    """Accounts whose first paid day falls in the CAC period (up to the as-of date)."""
    first, _last = cac_period(snap.as_of)
    start = eng.day_number(eng.month_first(first))
    return (snap.first_paid >= start) & (snap.first_paid <= snap.today)


def acquisition(snap: Snapshot) -> econ.Acquisition:
    new = acquisition_mask(snap)
    first_mrr = eng.first_day_mrr(snap.ledger, snap.index, snap.first_paid)
    return econ.Acquisition(
        channels=snap.channels_of(snap.index.ids[new]), first_mrr=first_mrr[new]
    )


def period_spend(data: RevenueData, as_of: date) -> dict[str, Decimal]:
    first, last = cac_period(as_of)
    spend = data.spend
    if not len(spend):
        return {}
    inside = spend[(spend["month"] >= first) & (spend["month"] <= last)]
    out: dict[str, Decimal] = {}
    for channel, amount in zip(inside["channel"].tolist(), inside["amount"].tolist(), strict=True):
        out[str(channel)] = out.get(str(channel), Decimal(0)) + Decimal(amount)
    return out


def km_lifetime(snap: Snapshot, horizon_years: Decimal) -> float | None:
    started = snap.first_paid <= snap.today
    stop = eng.paid_until(snap.ledger, snap.index, snap.today)
    durations = (stop - snap.first_paid)[started]
    observed = (stop <= snap.today)[started]
    return econ.km_lifetime_years(durations, observed, horizon_years)


def compute_metrics(
    data: RevenueData,
    *,
    as_of: date,
    gross_margin: Decimal = Decimal(1),
    horizon_years: Decimal = Decimal(10),
    survival: bool = True,
    snapshot: Snapshot | None = None,
) -> RevenueMetrics:
    snap = snapshot or Snapshot(data, as_of)
    base, cur = snap.pair[:, 0], snap.pair[:, 1]
    mrr, paying = int(cur.sum()), int((cur > 0).sum())
    ret = eng.retention(base, cur)
    years = econ.lifetime_years(ret.base_accounts, ret.lost_accounts, horizon_years)
    km_years = km_lifetime(snap, horizon_years) if survival else None
    blended, channels = econ.cac_table(acquisition(snap), period_spend(data, as_of), gross_margin)
    first, last = cac_period(as_of)
    mrr_then = int(base.sum())
    arpa = Decimal(mrr) / Decimal(100) / Decimal(paying) if paying else None
    return RevenueMetrics(
        as_of=as_of,
        currency=data.currency,
        mrr=cents(mrr),
        arr=cents(12 * mrr),
        paying_accounts=paying,
        arpa=econ.money(arpa) if arpa is not None else None,
        nrr_12=ret.nrr,
        grr_12=ret.grr,
        cc=1 - ret.nrr if ret.nrr is not None else None,
        gross_churn_12=1 - ret.grr if ret.grr is not None else None,
        logo_churn_12=ret.logo_churn,
        quick_ratio=quick_ratio(snap),
        ltv=econ.ltv(mrr, paying, years, gross_margin),
        ltv_km=(
            econ.ltv(mrr, paying, Decimal(repr(km_years)), gross_margin)
            if km_years is not None
            else None
        ),
        lifetime_years=float(years) if years is not None else None,
        km_lifetime_years=km_years,
        cac=blended.cac,
        cac_payback_months=blended.cac_payback_months,
        growth_12=mrr / mrr_then if mrr_then else None,
        mrr_12_months_ago=cents(mrr_then),
        cac_period=(eng.month_label(first), eng.month_label(last)),
        channels=channels,
        months=month_rows(snap),
    )


def cohort_table(snap: Snapshot) -> CohortTable:
    c = eng.cohorts(snap.matrix, snap.first_paid, snap.axis)
    mrr_ret = [
        [v / s if s else None for v in row] for row, s in zip(c.mrr, c.start_mrr, strict=True)
    ]
    logo_ret = [[v / n for v in row] for row, n in zip(c.logos, c.size, strict=True)]
    return CohortTable(
        months=[eng.month_label(m) for m in c.months],
        size=c.size,
        start_mrr=[cents(v) for v in c.start_mrr],
        mrr=[[cents(v) for v in row] for row in c.mrr],
        logos=c.logos,
        mrr_retention=mrr_ret,  # type: ignore[arg-type]
        logo_retention=logo_ret,  # type: ignore[arg-type]
    )


KINDS = ("new", "reactivation", "expansion", "contraction", "churn")


def account_movements(snap: Snapshot, month: str, kind: str | None = None) -> list[AccountMovement]:
    """The account movements behind one month of the bridge (largest first)."""
    labels = [eng.month_label(m) for m in snap.axis.months]
    if month not in labels[1:]:
        return []
    j = labels.index(month)
    s, e = snap.matrix[:, j - 1], snap.matrix[:, j]
    before = snap.first_paid < snap.axis.starts[j]
    kinds = eng.classify(s, e, before)
    amounts = eng.movement_amounts(s, e, kinds)
    names = snap.data.accounts["name"] if len(snap.data.accounts) else None
    out: list[AccountMovement] = []
    for name in [kind] if kind else KINDS:
        rows = np.nonzero(kinds[name])[0]
        for r in rows[np.argsort(-amounts[name][rows], kind="stable")]:
            account_id = int(snap.index.ids[r])
            label = names.get(account_id, "") if names is not None else ""
            out.append(
                AccountMovement(
                    account_id=account_id,
                    account_name=str(label),
                    month=month,
                    kind=name,
                    mrr_start=cents(s[r]),
                    mrr_end=cents(e[r]),
                    amount=cents(amounts[name][r]),
                )
            )
    return out


def account_mrr_frame(snap: Snapshot) -> pd.DataFrame:
    """Month-end MRR (Decimal) per account: rows account ids, columns ``YYYY-MM``."""
    labels = [eng.month_label(m) for m in snap.axis.months[1:]]
    frame = pd.DataFrame(snap.matrix[:, 1:], index=snap.index.ids, columns=labels)
    return frame.map(cents).rename_axis("account_id")
