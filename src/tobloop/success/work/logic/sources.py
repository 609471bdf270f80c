"""What the playbooks, renewals and timeline read from other modules, a batch at a time.

Everything comes through the other modules' facades: accounts (profile, tier, contacts),
revenue (subscriptions: seats, terms, MRR), analytics (events: active users per week) and
success (daily health verdicts). One call per source for the whole batch where the facade
allows it, so a run over 10,000 accounts stays a handful of queries per page of accounts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from tobloop.accounts.facade import AccountView
from tobloop.analytics.facade import account_activity
from tobloop.platform.facade import Principal
from tobloop.revenue.facade import SubscriptionView, list_plans, list_subscriptions
from tobloop.success import facade as success

BASELINE_WEEKS = 4  # the usage baseline is the mean weekly active users of the 4 weeks before
HEALTH_DAYS = 120  # how far back health verdicts are read for drops and turns to red
SUBSCRIPTION_PAGE = 500


@dataclass(frozen=True)
class RenewalTerm:
    """A subscription's next contract term end (its renewal date) after the as-of date."""

    subscription_id: int
    external_id: str
    account_id: int
    renewal_date: date
    term_months: int
    mrr: Decimal
    seats: int | None


@dataclass
class Usage:
    """Weekly active users: ``weeks[0]`` is the 7 days ending on the as-of date, then older."""

    weeks: list[int] = field(default_factory=lambda: [0] * (BASELINE_WEEKS + 1))
    active_30: int = 0

    @property
    def current(self) -> int:
        return self.weeks[0]

    @property
    def baseline(self) -> float:
        return sum(self.weeks[1:]) / BASELINE_WEEKS

    @property
    def change(self) -> float | None:
        """Relative change of this week against the baseline (−0.4 = 40 % fewer); None = no
        baseline to compare with."""
        if self.baseline <= 0:
            return None
        return (self.current - self.baseline) / self.baseline


@dataclass
class Revenue:
    seats: int | None = None
    mrr: Decimal = Decimal("0")
    renewals: list[RenewalTerm] = field(default_factory=list)
    started: date | None = None  # the earliest term start of the active subscriptions


def month_add(d: date, months: int) -> date:
    """The same day ``months`` later, clamped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    for day in (d.day, 30, 29, 28):
        try:
            return date(year, month, min(d.day, day))
        except ValueError:
            continue
    raise ValueError(d)  # pragma: no cover - day 28 always exists


def next_term_end(anchor: date, term_months: int, as_of: date) -> date:
    """The first term end strictly after ``as_of``: anchor + k × term with k ≥ 1."""
    elapsed = (as_of.year - anchor.year) * 12 + as_of.month - anchor.month
    k = max(1, elapsed // term_months)
    while month_add(anchor, k * term_months) <= as_of:
        k += 1
    while k > 1 and month_add(anchor, (k - 1) * term_months) > as_of:
        k -= 1
    return month_add(anchor, k * term_months)


def subscription_position(
    sub: SubscriptionView, plan_terms: dict[str, int], as_of: date
) -> tuple[bool, Decimal, int | None, RenewalTerm | None]:
    """(active on as_of, MRR on as_of, seats on as_of, renewal) of one subscription.

    The term anchor is the latest start or reactivation on or before ``as_of``; the term length
    is the billing interval (last one set, else the plan's, else one month).
    """
    segment = next(
        (s for s in sub.segments if s.start <= as_of and (s.end is None or as_of < s.end)), None
    )
    if segment is None:
        return False, Decimal("0"), None, None
    changes = [c for c in sub.changes if c.effective <= as_of]
    anchor = next(
        (c.effective for c in reversed(changes) if c.event in {"start", "reactivate"}), None
    )
    quantity = next((c.quantity for c in reversed(changes) if c.quantity is not None), None)
    term = next((c.interval_months for c in reversed(changes) if c.interval_months), None)
    if term is None:
        plan = next((c.plan for c in reversed(changes) if c.plan), None)
        term = plan_terms.get(plan or "", 1)
    renewal = None
    if anchor is not None:
        renewal = RenewalTerm(
            subscription_id=sub.id,
            external_id=sub.external_id,
            account_id=sub.account_id,
            renewal_date=next_term_end(anchor, term, as_of),
            term_months=term,
            mrr=segment.mrr,
            seats=quantity,
        )
    return True, segment.mrr, quantity, renewal


def first_start(sub: SubscriptionView, as_of: date) -> date | None:
    return next(
        (c.effective for c in sub.changes if c.effective <= as_of and c.event == "start"), None
    )


def revenue_by_account(principal: Principal, as_of: date) -> dict[int, Revenue]:
    """Seats, MRR and renewal terms of every account with a subscription active on as_of."""
    if not principal.can("revenue", "read"):
        return {}
    plan_terms = {p.external_id: p.interval_months for p in list_plans(principal)}
    out: dict[int, Revenue] = defaultdict(Revenue)
    offset = 0
    while True:
        page = list_subscriptions(principal, limit=SUBSCRIPTION_PAGE, offset=offset)
        for sub in page.items:
            active, mrr, seats, renewal = subscription_position(sub, plan_terms, as_of)
            if not active:
                continue
            rev = out[sub.account_id]
            rev.mrr += mrr
            if seats is not None:
                rev.seats = (rev.seats or 0) + seats
            if renewal is not None:
                rev.renewals.append(renewal)
            anchor = first_start(sub, as_of)
            if anchor is not None and (rev.started is None or anchor < rev.started):
                rev.started = anchor
        offset += SUBSCRIPTION_PAGE
        if offset >= page.count or not page.items:
            break
    return dict(out)


def usage_by_account(principal: Principal, as_of: date) -> dict[str, Usage]:
    """Weekly active users per account external id for the 5 weeks ending on as_of, and the
    distinct active users of the last 30 days (seat utilization): six grouped queries of the
    analytics facade, whatever the number of accounts. Empty when the workspace has no events
    up to as_of (usage unknown, so no usage trigger fires)."""
    if not principal.can("analytics", "read"):
        return {}
    end = as_of + timedelta(days=1)
    weeks = [
        account_activity(principal, start=end - timedelta(days=7 * (k + 1)),
                         end=end - timedelta(days=7 * k))
        for k in range(BASELINE_WEEKS + 1)
    ]  # fmt: skip
    month = account_activity(principal, start=end - timedelta(days=30), end=end)
    known = set(month).union(*weeks)
    return {
        key: Usage(
            weeks=[w[key].users if key in w else 0 for w in weeks],
            active_30=month[key].users if key in month else 0,
        )
        for key in known
    }


def health_by_account(
    principal: Principal, accounts: Sequence[AccountView], as_of: date
) -> dict[int, list[tuple[date, str]]]:
    """Daily health colours on or before as_of, newest first, per account (success facade)."""
    if not principal.can("success", "read"):
        return {}
    out: dict[int, list[tuple[date, str]]] = {}
    for account in accounts:
        history = success.account_health(principal, account.id, days=HEALTH_DAYS).history
        days = [(v.day, v.color) for v in history if v.day <= as_of]
        if days:
            out[account.id] = days
    return out


def now_utc() -> datetime:
    return datetime.now(UTC)
