"""Seats for the analytics module's account usage panel, read from the revenue module (the two
modules are independent layers; the web layer sees both).

Seats of an account on a day = the sum, over its subscriptions active that day (a segment with
MRR above zero covers the day), of the quantity of the latest change dated on or before it;
unknown (None) when none of them records a quantity, or when the member cannot read revenue.
"""

from __future__ import annotations

from datetime import date

from tobloop.kernel.errors import PermissionDenied
from tobloop.platform.contracts import Principal
from tobloop.revenue import facade as revenue

PAGE = 500


def account_seats(principal: Principal, account_id: int, day: date) -> int | None:
    try:
        page = revenue.list_subscriptions(principal, account_id=account_id, limit=PAGE)
    except PermissionDenied:
        return None
    total, known = 0, False
    for sub in page.items:
        active = any(
            s.start <= day and (s.end is None or day < s.end) and s.mrr > 0 for s in sub.segments
        )
        if not active:
            continue
        dated = sorted(
            (c for c in sub.changes if c.effective <= day and c.quantity is not None),
            key=lambda c: c.effective,
        )
        if dated:
            quantity = dated[-1].quantity
            assert quantity is not None
            total, known = total + quantity, True
    return total if known else None
