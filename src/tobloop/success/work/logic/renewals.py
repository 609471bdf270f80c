"""Renewals: the contract terms ending soon, the ARR at stake and a forecast per account.

Renewal date: the next end of a subscription's contract term after the as-of date — the
latest start (or reactivation) plus whole billing intervals. Terms shorter than
``min_term_months`` (default 12: month-to-month plans renew every month) are left out.

Forecast rule, first match wins (each fact that is unknown counts as "not met"):
1. **churn** — health is red and weekly active users fell ≥ 30 % against baseline (a baseline
   of at least 3 weekly users; smaller ones are noise), or the
   account has seats but no active user in the last 30 days while the workspace has events;
2. **contract** — health is red, or usage fell ≥ 30 %, or seat utilization is below 50 %;
3. **expand** — health is green (or not scored), seat utilization is at least 90 % and usage
   is not falling (change ≥ 0);
4. **renew** — everything else.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from tobloop.accounts.facade import AccountView, get_accounts
from tobloop.platform.facade import Principal, require
from tobloop.success.work.contracts import ForecastTotal, RenewalRow, RenewalsReport
from tobloop.success.work.logic.sources import (
    RenewalTerm,
    Revenue,
    Usage,
    health_by_account,
    name_terms,
    revenue_by_account,
    usage_by_account,
)
from tobloop.success.work.logic.tasks import today_for

FORECASTS = ("renew", "expand", "contract", "churn")
USAGE_DROP = -0.30
LOW_UTILIZATION = 0.50
FULL_UTILIZATION = 0.90
MIN_BASELINE_USERS = 3


def forecast(
    health: str | None, usage: Usage | None, has_usage: bool, seats: int | None
) -> tuple[str, str, float | None, float | None]:
    """(forecast, reason, usage change, seat utilization) by the rule in the module doc."""
    change = usage.change if usage else None
    active = usage.active_30 if usage else 0
    utilization = active / seats if has_usage and seats else None
    # a fall counts only from a baseline of at least 3 weekly users: 1 → 0 users is noise
    falling = (
        change is not None
        and change <= USAGE_DROP
        and usage is not None
        and (usage.baseline >= MIN_BASELINE_USERS)
    )
    drop = f"usage {change * 100:.0f}% against baseline" if change is not None else ""
    if health == "red" and falling:
        return "churn", f"Health is red and {drop}.", change, utilization
    if has_usage and seats and active == 0:
        return "churn", f"No active user in 30 days on {seats} seats.", change, utilization
    if health == "red":
        return "contract", "Health is red.", change, utilization
    if falling:
        return "contract", f"{drop.capitalize()}.", change, utilization
    if utilization is not None and utilization < LOW_UTILIZATION:
        return (
            "contract",
            f"Seat utilization {utilization * 100:.0f}% is below 50%.",
            change,
            utilization,
        )
    if (
        health in (None, "green")
        and utilization is not None
        and utilization >= FULL_UTILIZATION
        and change is not None
        and change >= 0
    ):
        return (
            "expand",
            f"Seat utilization {utilization * 100:.0f}% with usage not falling.",
            change,
            utilization,
        )
    return "renew", "No risk or expansion signal.", change, utilization


def _rows(
    principal: Principal,
    due: dict[int, list[RenewalTerm]],
    revenue: dict[int, Revenue],
    as_of: date,
) -> list[RenewalRow]:
    found = get_accounts(principal, due)
    accounts: dict[int, AccountView] = {a: found[a] for a in due if a in found}
    health = health_by_account(principal, list(accounts.values()), as_of)
    usage = usage_by_account(principal, as_of)
    has_usage = bool(usage)
    rows = []
    for account_id, terms in due.items():
        account = accounts[account_id]
        first = min(t.renewal_date for t in terms)
        arr = sum((t.mrr for t in terms), Decimal("0")) * 12
        color = health[account_id][0][1] if account_id in health else None
        fc, reason, change, util = forecast(
            color, usage.get(account.external_id or ""), has_usage, revenue[account_id].seats
        )
        rows.append(
            RenewalRow(
                account_id=account_id,
                account_name=account.name,
                service_tier=account.service_tier,
                csm_owner=account.csm_owner,
                renewal_date=first,
                days_left=(first - as_of).days,
                subscriptions=sorted(t.external_id for t in terms),
                arr=arr.quantize(Decimal("0.01")),
                forecast=fc,
                reason=reason,
                health=color,
                usage_change=round(change, 4) if change is not None else None,
                seat_utilization=round(util, 4) if util is not None else None,
            )
        )
    return sorted(rows, key=lambda r: (r.renewal_date, r.account_name, r.account_id))


def renewals(
    principal: Principal,
    *,
    as_of: date | None = None,
    within: int = 90,
    min_term_months: int = 12,
    forecast_class: str | None = None,
) -> RenewalsReport:
    """Accounts with a contract term ending in (as_of, as_of + within], with ARR and forecast."""
    require(principal.scopes, "success", "read")
    as_of = as_of or today_for(principal)
    revenue = revenue_by_account(principal, as_of)
    last = as_of + timedelta(days=within)
    due: dict[int, list[RenewalTerm]] = defaultdict(list)
    for account_id, rev in revenue.items():
        terms = [
            t for t in rev.renewals if t.term_months >= min_term_months and t.renewal_date <= last
        ]
        if terms:
            due[account_id] = name_terms(principal, terms)
    rows = _rows(principal, due, revenue, as_of)
    if forecast_class:
        rows = [r for r in rows if r.forecast == forecast_class]
    totals = [
        ForecastTotal(
            forecast=f,
            accounts=sum(1 for r in rows if r.forecast == f),
            arr=sum((r.arr for r in rows if r.forecast == f), Decimal("0.00")),
        )
        for f in FORECASTS
    ]
    return RenewalsReport(
        as_of=as_of,
        within_days=within,
        currency=principal.workspace.currency,
        items=rows,
        totals=totals,
        arr_total=sum((r.arr for r in rows), Decimal("0.00")),
    )
