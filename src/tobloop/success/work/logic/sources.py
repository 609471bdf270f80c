"""What the playbooks, renewals and timeline read from other modules, a batch at a time.

Everything comes through the other modules' facades: accounts (profile, tier, contacts),
revenue (subscriptions: seats, terms, MRR), analytics (events: active users per week) and
success (daily health verdicts). One call per source for the whole batch where the facade
allows it, so a run over 10,000 accounts stays a handful of queries per page of accounts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from tobloop.accounts.facade import AccountView
from tobloop.analytics.facade import account_activity
from tobloop.platform.facade import Principal
from tobloop.revenue.facade import SubscriptionTerms, get_subscription, subscription_terms

BASELINE_WEEKS = 4  # the usage baseline is the mean weekly active users of the 4 weeks before
HEALTH_DAYS = 120  # how far back health verdicts are read for drops and turns to red


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
    started: date  # the start of the current unbroken run of the subscription


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
    sub: SubscriptionTerms, as_of: date
) -> tuple[bool, Decimal, int | None, RenewalTerm | None]:
    """(active on as_of, MRR on as_of, seats on as_of, renewal) of one subscription.

    The term anchor is the start of the unbroken run of MRR segments that covers ``as_of``
    (the subscription's start, or its latest reactivation after a gap); the term length is the
    latest billing interval set on or before ``as_of`` (one month when none was set).
    """
    segments = sorted(sub.segments, key=lambda seg: seg[0])
    current = next(
        (i for i, (s, e, _m) in enumerate(segments) if s <= as_of and (e is None or as_of < e)),
        None,
    )
    if current is None:
        return False, Decimal("0"), None, None
    anchor_index = current
    while anchor_index > 0 and segments[anchor_index - 1][1] == segments[anchor_index][0]:
        anchor_index -= 1
    anchor = segments[anchor_index][0]
    mrr = segments[current][2]
    quantity = next((q for d, q in reversed(sub.quantities) if d <= as_of), None)
    term = next((n for d, n in reversed(sub.intervals) if d <= as_of), 1)
    renewal = RenewalTerm(
        subscription_id=sub.subscription_id,
        external_id="",
        account_id=sub.account_id,
        renewal_date=next_term_end(anchor, term, as_of),
        term_months=term,
        mrr=mrr,
        seats=quantity,
        started=anchor,
    )
    return True, mrr, quantity, renewal


def revenue_by_account(principal: Principal, as_of: date) -> dict[int, Revenue]:
    """Seats, MRR and renewal terms of every account with a subscription active on as_of,
    from the revenue facade's bulk read (three queries for the whole workspace)."""
    if not principal.can("revenue", "read"):
        return {}
    out: dict[int, Revenue] = defaultdict(Revenue)
    for sub in subscription_terms(principal):
        active, mrr, seats, renewal = subscription_position(sub, as_of)
        if not active or renewal is None:
            continue
        rev = out[sub.account_id]
        rev.mrr += mrr
        if seats is not None:
            rev.seats = (rev.seats or 0) + seats
        rev.renewals.append(renewal)
        if rev.started is None or renewal.started < rev.started:
            rev.started = renewal.started
    return dict(out)


def name_terms(principal: Principal, terms: Sequence[RenewalTerm]) -> list[RenewalTerm]:
    """The same terms with their subscriptions' external ids (one read per subscription)."""
    return [
        replace(t, external_id=get_subscription(principal, t.subscription_id).external_id)
        for t in terms
    ]


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
    """Daily health colours on or before as_of (the last ``HEALTH_DAYS``), newest first, per
    account — one query for the whole batch.

    The success facade answers one account at a time (``account_health``); a playbook run
    reads thousands, so this reads the verdict rows of the same Django module in bulk
    (read-only: the colour after any CSM override, as the facade shows it).
    """
    if not principal.can("success", "read"):
        return {}
    from tobloop.success.models import HealthVerdict

    out: dict[int, list[tuple[date, str]]] = defaultdict(list)
    rows = (
        HealthVerdict.objects.for_workspace(principal.workspace_id)
        .filter(
            account_id__in=[a.id for a in accounts],
            day__lte=as_of,
            day__gt=as_of - timedelta(days=HEALTH_DAYS),
        )
        .order_by("account_id", "-day")
        .values_list("account_id", "day", "color")
    )
    for account_id, day, color in rows:
        out[account_id].append((day, color))
    return dict(out)


def now_utc() -> datetime:
    return datetime.now(UTC)
