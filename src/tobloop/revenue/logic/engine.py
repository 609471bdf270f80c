"""The vectorised MRR engine: month-end MRR per account, movements, retention, cohorts.

Works on plain numpy arrays (no Django), so that the same code serves the pages, the CLI,
the API and the benchmark. Money is integer cents (exact); days are day numbers since
1970-01-01; an open end is ``OPEN``. Definitions: docs/metrics.md.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt

EPOCH = date(1970, 1, 1)
OPEN = 10**9  # an open end: far beyond any real day number
I64 = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]


def day_number(d: date) -> int:
    return (d - EPOCH).days


def day_date(n: int) -> date:
    return EPOCH + timedelta(days=int(n))


def month_index(d: date) -> int:
    return d.year * 12 + d.month - 1


def month_first(m: int) -> date:
    return date(m // 12, m % 12 + 1, 1)


def month_last(m: int) -> date:
    y, mo = m // 12, m % 12 + 1
    return date(y, mo, calendar.monthrange(y, mo)[1])


def month_label(m: int) -> str:
    return f"{m // 12:04d}-{m % 12 + 1:02d}"


def months_back(d: date, n: int) -> date:
    """The date ``n`` calendar months before ``d``; a month end maps to a month end."""
    m = month_index(d) - n
    last = month_last(m)
    if d == month_last(month_index(d)):
        return last
    return date(last.year, last.month, min(d.day, last.day))


@dataclass(frozen=True)
class Ledger:
    """MRR segments: ``account`` earns ``mrr`` cents every day in [start, end)."""

    account: I64
    start: I64
    end: I64
    mrr: I64
    plan: I64
    subscription: I64

    def __len__(self) -> int:
        return int(self.account.shape[0])

    def select(self, mask: Bools) -> Ledger:
        return Ledger(
            account=self.account[mask],
            start=self.start[mask],
            end=self.end[mask],
            mrr=self.mrr[mask],
            plan=self.plan[mask],
            subscription=self.subscription[mask],
        )


def empty_ledger() -> Ledger:
    z = np.zeros(0, dtype=np.int64)
    return Ledger(z, z, z, z, z, z)


@dataclass(frozen=True)
class MonthAxis:
    """Evaluation points: the end of each month, the as-of date for the as-of month.

    ``months[0]`` is the baseline month before the first month with revenue; movements are
    reported for ``months[1:]``.
    """

    months: list[int]
    points: I64  # day number of each evaluation point
    starts: I64  # day number of the first day of each month


def month_axis(first_day: int, as_of: date) -> MonthAxis:
    first = month_index(day_date(first_day)) if first_day <= day_number(as_of) else None
    last = month_index(as_of)
    months = list(range((first if first is not None else last + 1) - 1, last + 1))
    if first is None:
        months = []
    points = [day_number(month_last(m)) for m in months]
    if points:
        points[-1] = day_number(as_of)
    starts = [day_number(month_first(m)) for m in months]
    return MonthAxis(months, np.array(points, dtype=np.int64), np.array(starts, dtype=np.int64))


@dataclass(frozen=True)
class AccountIndex:
    """Dense row numbers for the accounts of a ledger."""

    ids: I64  # sorted account ids
    rows: I64  # row of each ledger segment


def index_accounts(ledger: Ledger) -> AccountIndex:
    ids, rows = np.unique(ledger.account, return_inverse=True)
    return AccountIndex(ids=ids.astype(np.int64), rows=rows.astype(np.int64))


def mrr_at(ledger: Ledger, index: AccountIndex, points: I64) -> I64:
    """MRR in cents of every account (rows) at every point (columns): start ≤ d < end."""
    n_acc, n_pts = len(index.ids), len(points)
    diff = np.zeros((n_acc, n_pts + 1), dtype=np.int64)
    if n_pts == 0 or len(ledger) == 0:
        return diff[:, :n_pts]
    k0 = np.searchsorted(points, ledger.start, side="left")
    k1 = np.searchsorted(points, ledger.end, side="left")
    flat = diff.reshape(-1)
    width = n_pts + 1
    np.add.at(flat, index.rows * width + k0, ledger.mrr)
    np.add.at(flat, index.rows * width + k1, -ledger.mrr)
    return np.cumsum(diff[:, :n_pts], axis=1)


def first_paid_day(ledger: Ledger, index: AccountIndex) -> I64:
    """Each account's first day with MRR > 0 (every ledger segment is paid and non-empty)."""
    out = np.full(len(index.ids), OPEN, dtype=np.int64)
    np.minimum.at(out, index.rows, ledger.start)
    return out


def paid_until(ledger: Ledger, index: AccountIndex, as_of: int) -> I64:
    """The day after each account's last paid day up to ``as_of`` (``as_of + 1`` if paying).

    Accounts whose revenue starts after ``as_of`` get ``OPEN``'s negative (never used).
    """
    seen = ledger.start <= as_of
    stop = np.minimum(ledger.end, as_of + 1)
    out = np.full(len(index.ids), -1, dtype=np.int64)
    np.maximum.at(out, index.rows[seen], stop[seen])
    return out


@dataclass(frozen=True)
class Movements:
    """Per reported month (``axis.months[1:]``), totals in cents and account counts."""

    mrr_start: I64
    new: I64
    reactivation: I64
    expansion: I64
    contraction: I64
    churn: I64
    mrr_end: I64
    paying: I64
    counts: dict[str, I64]


def classify(s: I64, e: I64, paid_before: Bools) -> dict[str, Bools]:
    """Which movement each account makes between MRR ``s`` and ``e`` (DESIGN.md)."""
    up = (s == 0) & (e > 0)
    return {
        "new": up & ~paid_before,
        "reactivation": up & paid_before,
        "expansion": (s > 0) & (e > s),
        "contraction": (e > 0) & (e < s),
        "churn": (s > 0) & (e == 0),
    }


def movement_amounts(s: I64, e: I64, kinds: dict[str, Bools]) -> dict[str, I64]:
    return {
        "new": np.where(kinds["new"], e, 0),
        "reactivation": np.where(kinds["reactivation"], e, 0),
        "expansion": np.where(kinds["expansion"], e - s, 0),
        "contraction": np.where(kinds["contraction"], s - e, 0),
        "churn": np.where(kinds["churn"], s, 0),
    }


def movements(matrix: I64, first_paid: I64, axis: MonthAxis) -> Movements:
    """Month-by-month bridge from the month-end matrix (columns = ``axis.points``)."""
    s, e = matrix[:, :-1], matrix[:, 1:]
    before = first_paid[:, None] < axis.starts[None, 1:]
    kinds = classify(s, e, before)
    amounts = movement_amounts(s, e, kinds)
    return Movements(
        mrr_start=s.sum(axis=0),
        new=amounts["new"].sum(axis=0),
        reactivation=amounts["reactivation"].sum(axis=0),
        expansion=amounts["expansion"].sum(axis=0),
        contraction=amounts["contraction"].sum(axis=0),
        churn=amounts["churn"].sum(axis=0),
        mrr_end=e.sum(axis=0),
        paying=(e > 0).sum(axis=0).astype(np.int64),
        counts={k: v.sum(axis=0).astype(np.int64) for k, v in kinds.items()},
    )


@dataclass(frozen=True)
class Retention:
    """Revenue and logo retention between two columns ``base`` (t − 12 months) and ``cur``."""

    base_mrr: int  # Σ MRR_a(t−12m) over accounts paying then
    kept_mrr: int  # Σ MRR_a(t) over the same accounts
    kept_gross: int  # Σ min(MRR_a(t), MRR_a(t−12m)) over the same accounts
    base_accounts: int
    lost_accounts: int

    @property
    def nrr(self) -> float | None:
        return self.kept_mrr / self.base_mrr if self.base_mrr else None

    @property
    def grr(self) -> float | None:
        return self.kept_gross / self.base_mrr if self.base_mrr else None

    @property
    def logo_churn(self) -> float | None:
        return self.lost_accounts / self.base_accounts if self.base_accounts else None


def retention(base: I64, cur: I64) -> Retention:
    paying = base > 0
    return Retention(
        base_mrr=int(base[paying].sum()),
        kept_mrr=int(cur[paying].sum()),
        kept_gross=int(np.minimum(base, cur)[paying].sum()),
        base_accounts=int(paying.sum()),
        lost_accounts=int((paying & (cur == 0)).sum()),
    )


def retention_series(matrix: I64, lag: int = 12) -> list[Retention | None]:
    """Retention at every column against the column ``lag`` months earlier (None before)."""
    out: list[Retention | None] = [None] * min(lag, matrix.shape[1])
    if matrix.shape[1] <= lag:
        return out
    base, cur = matrix[:, :-lag], matrix[:, lag:]
    paying = base > 0
    base_mrr = np.where(paying, base, 0).sum(axis=0)
    kept = np.where(paying, cur, 0).sum(axis=0)
    gross = np.where(paying, np.minimum(base, cur), 0).sum(axis=0)
    accounts = paying.sum(axis=0)
    lost = (paying & (cur == 0)).sum(axis=0)
    for j in range(base.shape[1]):
        out.append(
            Retention(int(base_mrr[j]), int(kept[j]), int(gross[j]), int(accounts[j]), int(lost[j]))
        )
    return out


@dataclass(frozen=True)
class Cohorts:
    """Rows: start months; column k: k months after the start month (None past as-of)."""

    months: list[int]
    size: list[int]
    start_mrr: list[int]
    mrr: list[list[int]]
    logos: list[list[int]]


def cohorts(matrix: I64, first_paid: I64, axis: MonthAxis) -> Cohorts:
    """Cohort = accounts whose first paid day falls in a month (by start month)."""
    n = len(axis.months)
    in_range = (first_paid >= axis.starts[0]) if n else np.zeros(len(first_paid), bool)
    in_range &= first_paid <= (axis.points[-1] if n else -1)
    c_idx = np.searchsorted(axis.starts, first_paid[in_range], side="right") - 1
    sums = np.zeros((n, n), dtype=np.int64)
    logos = np.zeros((n, n), dtype=np.int64)
    np.add.at(sums, c_idx, matrix[in_range])
    np.add.at(logos, c_idx, (matrix[in_range] > 0).astype(np.int64))
    size = np.bincount(c_idx, minlength=n)
    out_months, out_size, out_start, out_mrr, out_logos = [], [], [], [], []
    for c in range(1, n):
        if size[c] == 0:
            continue
        out_months.append(axis.months[c])
        out_size.append(int(size[c]))
        out_start.append(int(sums[c, c]))
        out_mrr.append([int(v) for v in sums[c, c:]])
        out_logos.append([int(v) for v in logos[c, c:]])
    return Cohorts(out_months, out_size, out_start, out_mrr, out_logos)


def first_day_mrr(ledger: Ledger, index: AccountIndex, first_paid: I64) -> I64:
    """Each account's MRR on its first paid day."""
    day = first_paid[index.rows]
    active = (ledger.start <= day) & (day < ledger.end)
    out = np.zeros(len(index.ids), dtype=np.int64)
    np.add.at(out, index.rows[active], ledger.mrr[active])
    return out


def daily_total(ledger: Ledger, first: int, last: int) -> I64:
    """Total MRR on every day from ``first`` to ``last`` (inclusive)."""
    n = last - first + 1
    diff = np.zeros(max(n, 0) + 1, dtype=np.int64)
    if n <= 0:
        return diff[:0]
    s = np.clip(ledger.start - first, 0, n)
    e = np.clip(ledger.end - first, 0, n)
    np.add.at(diff, s, ledger.mrr)
    np.add.at(diff, e, -ledger.mrr)
    return np.cumsum(diff[:n])


def ledger_from_rows(
    rows: list[tuple[int, int, date, date | None, int, int | None]],
) -> Ledger:
    """A ledger from (account, subscription, start, end or None, mrr cents, plan or None)."""
    if not rows:
        return empty_ledger()
    account, sub, start, end, mrr, plan = zip(*rows, strict=True)
    return Ledger(
        account=np.array(account, dtype=np.int64),
        start=np.array([day_number(d) for d in start], dtype=np.int64),
        end=np.array([OPEN if d is None else day_number(d) for d in end], dtype=np.int64),
        mrr=np.array(mrr, dtype=np.int64),
        plan=np.array([-1 if p is None else p for p in plan], dtype=np.int64),
        subscription=np.array(sub, dtype=np.int64),
    )
