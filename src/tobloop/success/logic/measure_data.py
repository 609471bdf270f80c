"""Data the health measures read in bulk: revenue by account and day, contact facts.

``RevenueBook`` holds every subscription's MRR segments (start ≤ day < end) and dated changes
(quantity, billing interval) from the revenue facade, so MRR, seats and renewals can be read
at any day without another query. A segment or change dated after the day is never used.
"""

from __future__ import annotations

import bisect
import calendar
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from tobloop.accounts.facade import AccountView
from tobloop.platform.facade import Principal

PAGE = 500


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, clamped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


@dataclass
class SubscriptionLine:
    """One subscription: MRR segments and the dated quantity / interval of its changes."""

    start: date
    segments: list[tuple[date, date | None, float]] = field(default_factory=list)
    quantities: list[tuple[date, int]] = field(default_factory=list)
    intervals: list[tuple[date, int]] = field(default_factory=list)

    def mrr(self, day: date) -> float:
        return sum(m for s, e, m in self.segments if s <= day and (e is None or day < e))

    def latest(self, rows: list[tuple[date, int]], day: date) -> int | None:
        i = bisect.bisect_right([d for d, _ in rows], day)
        return rows[i - 1][1] if i else None


@dataclass
class RevenueBook:
    lines: dict[int, list[SubscriptionLine]] = field(default_factory=dict)

    def mrr(self, account_id: int, day: date) -> float:
        return round(sum(line.mrr(day) for line in self.lines.get(account_id, [])), 2)

    def seats(self, account_id: int, day: date) -> int | None:
        """Seats paid for on the day: the quantities of the subscriptions active then."""
        total, known = 0, False
        for line in self.lines.get(account_id, []):
            if line.mrr(day) <= 0:
                continue
            quantity = line.latest(line.quantities, day)
            if quantity is not None:
                total, known = total + quantity, True
        return total if known else None

    def next_renewal(self, account_id: int, day: date) -> date | None:
        """The first renewal after the day of a subscription active on it.

        A subscription renews every billing interval (the interval of its latest change on or
        before the day; one month when none is recorded) counted from its start.
        """
        best: date | None = None
        for line in self.lines.get(account_id, []):
            if line.mrr(day) <= 0:
                continue
            interval = line.latest(line.intervals, day) or 1
            periods = ((day.year - line.start.year) * 12 + day.month - line.start.month) // interval
            renewal = add_months(line.start, max(periods, 0) * interval)
            while renewal <= day:
                renewal = add_months(line.start, (periods := periods + 1) * interval)
            if best is None or renewal < best:
                best = renewal
        return best

    def change_days(self, account_id: int) -> list[date]:
        """Every day the account's MRR can change (segment starts and ends)."""
        days = set()
        for line in self.lines.get(account_id, []):
            for s, e, _m in line.segments:
                days.add(s)
                if e is not None:
                    days.add(e)
        return sorted(days)


def load_revenue_book(principal: Principal) -> RevenueBook:
    """Every subscription of the workspace, read once (in bulk) through the revenue facade."""
    from tobloop.revenue.facade import subscription_terms

    book = RevenueBook()
    for sub in subscription_terms(principal):
        starts = [s for s, _e, _m in sub.segments] + [d for d, _q in sub.quantities]
        starts += [d for d, _i in sub.intervals]
        if not sub.segments:
            continue
        line = SubscriptionLine(
            start=min(starts),
            segments=[(s, e, float(m)) for s, e, m in sub.segments],
            quantities=list(sub.quantities),
            intervals=list(sub.intervals),
        )
        book.lines.setdefault(sub.account_id, []).append(line)
    return book


def load_contacts(
    principal: Principal, accounts: Sequence[AccountView]
) -> dict[int, dict[str, Any]]:
    """Per account: contacts, champions and whether a decision maker is known (P-PROFILE-2)."""
    from tobloop.accounts.facade import contact_role_counts

    roles = contact_role_counts(principal)
    out = {}
    for a in accounts:
        mine = roles.get(a.id, {})
        out[a.id] = {
            "contacts": sum(mine.values()),
            "champions": mine.get("champion", 0),
            "decision_maker": mine.get("decision_maker", 0) > 0,
        }
    return out
