"""One chronological feed per account: subscription changes, health changes, tasks and their
outcomes, notes, NPS/CSAT answers and notable usage changes.

Each source is a function (principal, account) → entries, listed in ``TIMELINE_SOURCES``; a
module that is built later (requests, for one) appends its own source there. A source the
principal may not read is left out rather than failing the whole feed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tobloop.accounts.facade import AccountView, get_account
from tobloop.analytics.facade import EventFilter, event_store
from tobloop.platform.facade import Principal, require
from tobloop.revenue.facade import list_subscriptions
from tobloop.success import facade as success
from tobloop.success.work.contracts import TimelineEntry
from tobloop.success.work.models import Note, NpsResponse, Task, TaskStatus

USAGE_WEEKS = 12  # weeks of usage looked at
USAGE_CHANGE = 0.30  # a week is notable when its active users move ≥ 30 % against baseline
USAGE_MIN_USERS = 3  # … and the baseline or the week has at least 3 users

Source = Callable[[Principal, AccountView], list[TimelineEntry]]


def _at(day: date, tz: str) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(tz))


def subscription_entries(principal: Principal, account: AccountView) -> list[TimelineEntry]:
    if not principal.can("revenue", "read"):
        return []
    out = []
    words = {"start": "started", "change": "changed", "cancel": "cancelled",
             "reactivate": "reactivated"}  # fmt: skip
    for sub in list_subscriptions(principal, account_id=account.id, limit=200).items:
        for c in sub.changes:
            parts = []
            if c.plan:
                parts.append(f"plan {c.plan}")
            if c.quantity is not None:
                parts.append(f"{c.quantity} seats")
            if c.unit_price is not None:
                parts.append(f"unit price {c.unit_price.normalize():f}")
            out.append(TimelineEntry(
                at=_at(c.effective, principal.workspace.timezone), kind="subscription",
                title=f"Subscription {sub.external_id} {words.get(c.event, c.event)}",
                detail=", ".join(parts),
            ))  # fmt: skip
    return out


def health_entries(principal: Principal, account: AccountView) -> list[TimelineEntry]:
    """Colour changes between consecutive daily verdicts (the first verdict counts too)."""
    if not principal.can("success", "read"):
        return []
    history = list(reversed(success.account_health(principal, account.id, days=365).history))
    out = []
    previous = None
    for v in history:
        if v.color != previous:
            title = (
                f"Health {previous} → {v.color}" if previous else f"Health first scored {v.color}"
            )
            out.append(TimelineEntry(at=_at(v.day, principal.workspace.timezone), kind="health",
                                     title=title, detail=v.reason))  # fmt: skip
        previous = v.color
    return out


def task_entries(principal: Principal, account: AccountView) -> list[TimelineEntry]:
    out = []
    for t in Task.objects.for_workspace(principal.workspace_id).filter(account_id=account.id):
        out.append(TimelineEntry(at=t.created_at, kind="task", title=f"Task opened: {t.title}",
                                 detail=t.reason))  # fmt: skip
        if t.closed_at is not None and t.status != TaskStatus.OPEN:
            outcome = t.get_outcome_display() if t.outcome else t.get_status_display()
            out.append(TimelineEntry(
                at=t.closed_at, kind="task", title=f"Task {t.get_status_display().lower()}: "
                f"{t.title} — {outcome}", detail=t.outcome_note,
            ))  # fmt: skip
    return out


def note_entries(principal: Principal, account: AccountView) -> list[TimelineEntry]:
    return [
        TimelineEntry(at=n.created_at, kind="note", title=f"Note by {n.author}", detail=n.body)
        for n in Note.objects.for_workspace(principal.workspace_id).filter(account_id=account.id)
    ]


def nps_entries(principal: Principal, account: AccountView) -> list[TimelineEntry]:
    out = []
    for r in NpsResponse.objects.for_workspace(principal.workspace_id).filter(
        account_id=account.id
    ):
        who = r.contact_name or r.email or "a contact"
        out.append(TimelineEntry(at=r.answered_at, kind="nps",
                                 title=f"{r.kind.upper()} {r.score} from {who}",
                                 detail=r.comment))  # fmt: skip
    return out


def weekly_active_users(
    principal: Principal, account: AccountView, weeks: int
) -> list[tuple[date, int]]:
    """(first day, distinct users) of each of the last ``weeks`` 7-day windows, oldest first."""
    if not account.external_id or not principal.can("analytics", "read"):
        return []
    from tobloop.success.work.logic.tasks import today_for

    tz = principal.workspace.timezone
    today = today_for(principal)
    store = event_store()
    out = []
    for k in range(weeks, 0, -1):
        first = today - timedelta(days=7 * k - 1)
        count = store.count(EventFilter(
            workspace_id=principal.workspace_id, account_id=account.external_id,
            start_ms=int(_at(first, tz).timestamp() * 1000),
            end_ms=int(_at(first + timedelta(days=7), tz).timestamp() * 1000),
        ))  # fmt: skip
        out.append((first, count.users))
    return out


def usage_entries(principal: Principal, account: AccountView) -> list[TimelineEntry]:
    """Weeks whose active users moved ≥ 30 % against the mean of the 4 weeks before."""
    weekly = weekly_active_users(principal, account, USAGE_WEEKS + 4)
    out = []
    for i in range(4, len(weekly)):
        first, users = weekly[i]
        baseline = sum(u for _, u in weekly[i - 4 : i]) / 4
        if baseline <= 0 or max(baseline, users) < USAGE_MIN_USERS:
            continue
        change = (users - baseline) / baseline
        if abs(change) >= USAGE_CHANGE:
            word = "rose" if change > 0 else "fell"
            out.append(TimelineEntry(
                at=_at(first + timedelta(days=6), principal.workspace.timezone), kind="usage",
                title=f"Weekly active users {word} {abs(change) * 100:.0f}%",
                detail=f"{users} users in the week from {first.isoformat()} against a baseline "
                f"of {baseline:.1f}",
            ))  # fmt: skip
    return out


TIMELINE_SOURCES: dict[str, Source] = {
    "subscription": subscription_entries,
    "health": health_entries,
    "task": task_entries,
    "note": note_entries,
    "nps": nps_entries,
    "usage": usage_entries,
    # "request": added by the requirements module when it is built
}


def register_timeline_source(kind: str, source: Source) -> None:
    TIMELINE_SOURCES[kind] = source


def account_timeline(
    principal: Principal, account_id: int, *, kinds: set[str] | None = None, limit: int = 200
) -> list[TimelineEntry]:
    """The account's feed, newest first."""
    require(principal.scopes, "success", "read")
    account = get_account(principal, account_id)
    entries: list[TimelineEntry] = []
    for kind, source in TIMELINE_SOURCES.items():
        if kinds and kind not in kinds:
            continue
        entries.extend(source(principal, account))
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]
