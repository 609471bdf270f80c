"""The revenue stage of the AARRR board: the revenue module's paying accounts, handed to the
analytics module (the two modules are independent layers; the web layer sees both).

An account is paying in a period when its MRR is above zero at the end of a month of the
period or at the period's last day (month-end granularity, as the revenue module keeps it); it
started paying in the period when no earlier month end had MRR. Accounts are named by their
external id, as events name them.
"""

from __future__ import annotations

from datetime import date

from tobloop.accounts import facade as accounts
from tobloop.analytics.hooks import RevenueFacts
from tobloop.kernel.errors import PermissionDenied
from tobloop.platform.contracts import Principal
from tobloop.revenue import facade as revenue

PAGE = 500


def external_ids(principal: Principal) -> dict[int, str]:
    """Account id → external id for every account that has one."""
    out: dict[int, str] = {}
    offset = 0
    while True:
        page = accounts.list_accounts(
            principal, accounts.AccountFilter(limit=PAGE, offset=offset, sort="name")
        )
        out.update({a.id: a.external_id for a in page.items if a.external_id})
        offset += PAGE
        if offset >= page.count or not page.items:
            return out


def paying_accounts(principal: Principal, start: date, end: date) -> RevenueFacts:
    table = revenue.account_mrr_table(principal, as_of=end)
    first = f"{start.year:04d}-{start.month:02d}"
    columns = [str(c) for c in table.columns]
    inside = [c for c in columns if c >= first]
    before = [c for c in columns if c < first]
    names = external_ids(principal)
    paying: set[str] = set()
    new = 0
    for account_id, row in table.iterrows():
        if not any(row[c] > 0 for c in inside):
            continue
        name = names.get(int(account_id))
        if name:
            paying.add(name)
        if not any(row[c] > 0 for c in before):
            new += 1
    return RevenueFacts(paying=frozenset(paying), new_paying=new)


def revenue_stage(principal: Principal, start: date, end: date) -> RevenueFacts | None:
    """None when the member may not read revenue: the board then leaves the stage out."""
    try:
        return paying_accounts(principal, start, end)
    except PermissionDenied:
        return None
