"""What a member asks of the revenue module: metrics, bridge, cohorts, drill-downs, the check.

Each function checks ``revenue:read``, loads the workspace's revenue data for the cut and
evaluates it at the as-of date (default: today in the workspace time zone).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from django.urls import NoReverseMatch, reverse

from tobloop.kernel.errors import ErrorDetail, InvalidInput, NotFound
from tobloop.kernel.lazy import LazyModule
from tobloop.platform.facade import Principal, require
from tobloop.revenue.contracts import (
    AccountMovement,
    AccountRevenue,
    CohortTable,
    PlaybookCheck,
    RevenueMetrics,
)
from tobloop.revenue.logic import engine as eng
from tobloop.revenue.logic import metrics as calc
from tobloop.revenue.logic.check import milestones, playbook_rules
from tobloop.revenue.logic.dataset import RevenueFilter, load_revenue, workspace_today
from tobloop.revenue.logic.economics import cents
from tobloop.revenue.logic.motion import account_positions, motion_by_segment

if TYPE_CHECKING:
    import pandas as pd  # type: ignore[import-untyped]
else:
    pd = LazyModule("pandas")

MAX_FUTURE_DAYS = 3660


def snapshot(
    principal: Principal, as_of: date | None = None, cut: RevenueFilter | None = None
) -> calc.Snapshot:
    require(principal.scopes, "revenue", "read")
    today = workspace_today(principal)
    day = as_of or today
    # Month-end MRR is a row per account and a column per month: bound the columns.
    if day.year < 1971 or (day - today).days > MAX_FUTURE_DAYS:
        raise InvalidInput(
            f"as-of date {day} is out of range (1971 to ten years from today)",
            code="invalid_date",
            details=[ErrorDetail(("as_of",), "out of range")],
        )
    return calc.Snapshot(load_revenue(principal, cut), day)


def revenue_metrics(
    principal: Principal,
    as_of: date | None = None,
    cut: RevenueFilter | None = None,
    *,
    survival: bool = True,
    snap: calc.Snapshot | None = None,
) -> RevenueMetrics:
    """Headline figures at the as-of date and the monthly MRR bridge up to it."""
    snap = snap or snapshot(principal, as_of, cut)
    t = principal.workspace.thresholds
    return calc.compute_metrics(
        snap.data,
        as_of=snap.as_of,
        gross_margin=t.gross_margin,
        horizon_years=t.ltv_horizon_years,
        survival=survival,
        snapshot=snap,
    )


def cohort_table(
    principal: Principal, as_of: date | None = None, cut: RevenueFilter | None = None
) -> CohortTable:
    """MRR and logo retention by start month."""
    return calc.cohort_table(snapshot(principal, as_of, cut))


def month_movements(
    principal: Principal,
    month: str,
    kind: str | None = None,
    as_of: date | None = None,
    cut: RevenueFilter | None = None,
) -> list[AccountMovement]:
    """The account movements behind one month (and optionally one kind) of the bridge."""
    if kind is not None and kind not in calc.KINDS:
        raise InvalidInput(f"unknown movement {kind!r}; one of {', '.join(calc.KINDS)}")
    return calc.account_movements(snapshot(principal, as_of, cut), month, kind)


def account_revenue(
    principal: Principal, as_of: date | None = None, cut: RevenueFilter | None = None
) -> list[AccountRevenue]:
    """Paying accounts with MRR, ACV and the P-ECON-5 sales motion (recommended vs used)."""
    return account_positions(snapshot(principal, as_of, cut), principal.workspace.thresholds)


def sales_motion_by_segment(
    principal: Principal, as_of: date | None = None, cut: RevenueFilter | None = None
) -> pd.DataFrame:
    return motion_by_segment(account_revenue(principal, as_of, cut))


def account_mrr_table(
    principal: Principal, as_of: date | None = None, cut: RevenueFilter | None = None
) -> pd.DataFrame:
    """Month-end MRR (Decimal) per account: rows are account ids, columns ``YYYY-MM``."""
    return calc.account_mrr_frame(snapshot(principal, as_of, cut))


def months_table(
    principal: Principal, as_of: date | None = None, cut: RevenueFilter | None = None
) -> pd.DataFrame:
    """The MRR bridge as a DataFrame indexed by month."""
    rows = revenue_metrics(principal, as_of, cut, survival=False).months
    frame = pd.DataFrame([r.__dict__ for r in rows])
    return frame.set_index("month") if len(frame) else frame


def account_daily_mrr(principal: Principal, account_id: int, start: date, end: date) -> pd.Series:
    """One account's MRR (Decimal) on every day from ``start`` to ``end`` inclusive."""
    require(principal.scopes, "revenue", "read")
    if end < start:
        raise InvalidInput("the end date is before the start date")
    data = load_revenue(principal)
    mine = data.ledger.select(data.ledger.account == account_id)
    values = eng.daily_total(mine, eng.day_number(start), eng.day_number(end))
    days = pd.date_range(start, end, freq="D")
    return pd.Series([cents(v) for v in values], index=days, name="mrr", dtype=object)


def account_month_end_mrr(principal: Principal, account_id: int) -> list[tuple[str, Decimal]]:
    """One account's month-end MRR from its first revenue month to today."""
    frame = account_mrr_table(principal)
    if account_id not in frame.index:
        return []
    row = frame.loc[account_id]
    return [(str(k), v) for k, v in row.items()]


def accounts_link(principal: Principal, ids: list[int]) -> str | None:
    if not ids:
        return None
    try:
        base = reverse("revenue:accounts", kwargs={"slug": principal.workspace.slug})
    except NoReverseMatch:
        return None
    return f"{base}?ids={','.join(str(i) for i in ids)}"


def playbook_check(principal: Principal, as_of: date | None = None) -> PlaybookCheck:
    """P-ECON-1 … P-ECON-6 and the P-REQ-3 milestones at the as-of date."""
    snap = snapshot(principal, as_of)
    m = revenue_metrics(principal, snap=snap, survival=False)
    t = principal.workspace.thresholds
    positions = account_positions(snap, t)
    rules = playbook_rules(m, snap, positions, t, lambda ids: accounts_link(principal, ids))
    return PlaybookCheck(as_of=snap.as_of, rules=rules, milestones=milestones(m))


def require_month(value: str) -> str:
    import re

    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value):
        raise NotFound(f"no month {value!r}; months are written YYYY-MM")
    return value
