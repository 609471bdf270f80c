"""The measure registry: what a health profile can measure about an account, as of a day.

Each measure is a function computing one number per account for a whole batch of accounts
*as of* a day D, using only data on or before D (this is what makes the back-test leak-free):

- usage from the analytics facade: one grouped query per window (``account_activity``);
- revenue from the revenue facade: every subscription's dated MRR segments and changes, loaded
  once (``RevenueBook``) and read at any day;
- the account profile (accounts facade) and the contacts, which tobloop keeps only as they are
  now: a scoring run records them in the verdict's ``facts``, and a replay of a past day reads
  the facts recorded on or before that day instead of today's (``MeasureContext.replay``).

``None`` means "no data" for that account; a weighted score redistributes the weight of such a
measure over the others (``logic.health_score``). Another module (the success work app: NPS,
CSAT, open tasks, CSM sentiment) plugs in its own measures with :func:`register_measure`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from tobloop.accounts.facade import AccountView
from tobloop.platform.facade import Principal
from tobloop.success.logic.measure_data import RevenueBook, load_contacts, load_revenue_book

Direction = Literal["higher_better", "lower_better"]
Values = dict[int, float | None]
# (context, window in days, options) → {account id: value or None}
Compute = Callable[["MeasureContext", int, dict[str, Any]], Values]
BASELINE_WINDOWS = 3  # the usage trend compares a window with the three windows before it


@dataclass(frozen=True)
class MeasureSpec:
    """A measure: where its data comes from and how to read it (docs/success.md lists all)."""

    key: str
    label: str
    source: str
    unit: str  # "ratio", "share", "count", "days", "yes/no"
    direction: Direction
    default_window: int  # days; 0 when the measure has no look-back window
    description: str
    compute: Compute
    needs_events: bool = False  # key_feature_adoption: the key events are an option


@dataclass
class MeasureContext:
    """One batch of accounts scored as of ``as_of``; caches the data its measures share."""

    principal: Principal
    as_of: date
    accounts: Sequence[AccountView]
    replay: bool = False
    revenue: RevenueBook | None = None
    recorded_facts: dict[int, list[tuple[date, dict[str, Any]]]] | None = None
    # Usage as the analytics facade answered it, by (start, end, key events); a back-test
    # shares it between the profiles it replays on the same day.
    usage_cache: dict[tuple[date, date, tuple[str, ...]], dict[str, Any]] = field(
        default_factory=dict
    )
    _activity: dict[tuple[date, date, tuple[str, ...]], dict[int, Any]] = field(
        default_factory=dict
    )
    _contacts: dict[int, dict[str, Any]] | None = None

    def activity(self, start: date, end: date, events: Sequence[str] = ()) -> dict[int, Any]:
        """Usage per account id from day ``start`` to ``end`` (excluded; never after as_of)."""
        from tobloop.analytics.facade import account_activity

        end = min(end, self.as_of + timedelta(days=1))
        key = (start, end, tuple(sorted(events)))
        if key not in self._activity:
            if key not in self.usage_cache:
                self.usage_cache[key] = account_activity(
                    self.principal, start=start, end=end, key_events=key[2]
                )
            by_key = self.usage_cache[key]
            self._activity[key] = {
                a.id: by_key[k] for a in self.accounts if (k := account_key(a)) in by_key
            }
        return self._activity[key]

    def book(self) -> RevenueBook:
        if self.revenue is None:
            self.revenue = load_revenue_book(self.principal)
        return self.revenue

    def profile_facts(self) -> dict[int, dict[str, Any] | None]:
        """Contact facts now (a live run) or as last recorded on or before as_of (a replay)."""
        if not self.replay:
            if self._contacts is None:
                self._contacts = load_contacts(self.principal, self.accounts)
            return dict(self._contacts)
        out: dict[int, dict[str, Any] | None] = {}
        for a in self.accounts:
            rows = [f for d, f in (self.recorded_facts or {}).get(a.id, []) if d <= self.as_of]
            out[a.id] = rows[-1] if rows else None
        return out

    def local_date(self, moment: Any) -> date:
        tz = ZoneInfo(self.principal.workspace.timezone)
        return moment.astimezone(tz).date()  # type: ignore[no-any-return]


def account_key(account: AccountView) -> str:
    """The account id events carry: the group id, which is the account's external id."""
    return account.external_id or str(account.id)


def _window(ctx: MeasureContext, days: int) -> tuple[date, date]:
    """Days D−days+1 … D, as (start, end excluded)."""
    return ctx.as_of - timedelta(days=days - 1), ctx.as_of + timedelta(days=1)


def _has_events(ctx: MeasureContext) -> bool:
    everything = ctx.activity(date(1970, 1, 2), ctx.as_of + timedelta(days=1))
    return bool(everything)


def usage_trend(ctx: MeasureContext, days: int, _opts: dict[str, Any]) -> Values:
    start, end = _window(ctx, days)
    now = ctx.activity(start, end)
    before = ctx.activity(start - timedelta(days=BASELINE_WINDOWS * days), start)
    out: Values = {}
    for a in ctx.accounts:
        base = before[a.id].events / BASELINE_WINDOWS if a.id in before else 0.0
        current = now[a.id].events if a.id in now else 0
        out[a.id] = None if base == 0 else current / base - 1.0
    return out


def active_users(ctx: MeasureContext, days: int, _opts: dict[str, Any]) -> Values:
    if not _has_events(ctx):
        return dict.fromkeys((a.id for a in ctx.accounts), None)
    now = ctx.activity(*_window(ctx, days))
    return {a.id: float(now[a.id].users) if a.id in now else 0.0 for a in ctx.accounts}


def key_feature_adoption(ctx: MeasureContext, days: int, opts: dict[str, Any]) -> Values:
    events = list(opts.get("events") or [])
    if not events or not _has_events(ctx):
        return dict.fromkeys((a.id for a in ctx.accounts), None)
    now = ctx.activity(*_window(ctx, days), events)
    return {
        a.id: (now[a.id].key_events_used if a.id in now else 0) / len(set(events))
        for a in ctx.accounts
    }


def days_since_last_activity(ctx: MeasureContext, _days: int, _opts: dict[str, Any]) -> Values:
    ever = ctx.activity(date(1970, 1, 2), ctx.as_of + timedelta(days=1))
    out: Values = {}
    for a in ctx.accounts:
        seen = ever[a.id].last_seen if a.id in ever else None
        out[a.id] = None if seen is None else float((ctx.as_of - ctx.local_date(seen)).days)
    return out


def seat_utilization(ctx: MeasureContext, days: int, _opts: dict[str, Any]) -> Values:
    users = active_users(ctx, days, {})
    book = ctx.book()
    out: Values = {}
    for a in ctx.accounts:
        seats = book.seats(a.id, ctx.as_of)
        used = users.get(a.id)
        out[a.id] = None if not seats or used is None else used / seats
    return out


def mrr_change(ctx: MeasureContext, days: int, _opts: dict[str, Any]) -> Values:
    book, then = ctx.book(), ctx.as_of - timedelta(days=days)
    out: Values = {}
    for a in ctx.accounts:
        before, now = book.mrr(a.id, then), book.mrr(a.id, ctx.as_of)
        out[a.id] = None if before == 0 else (now - before) / before
    return out


def contraction(ctx: MeasureContext, days: int, _opts: dict[str, Any]) -> Values:
    book, then = ctx.book(), ctx.as_of - timedelta(days=days)
    out: Values = {}
    for a in ctx.accounts:
        before, now = book.mrr(a.id, then), book.mrr(a.id, ctx.as_of)
        out[a.id] = None if before == 0 else max(0.0, before - now) / before
    return out


def days_to_renewal(ctx: MeasureContext, _days: int, _opts: dict[str, Any]) -> Values:
    book = ctx.book()
    out: Values = {}
    for a in ctx.accounts:
        renewal = book.next_renewal(a.id, ctx.as_of)
        out[a.id] = None if renewal is None else float((renewal - ctx.as_of).days)
    return out


def overdue_payments(ctx: MeasureContext, _days: int, _opts: dict[str, Any]) -> Values:
    """No payment or invoice data is imported into tobloop yet: always "no data"."""
    return dict.fromkeys((a.id for a in ctx.accounts), None)


def _fact_measure(name: str) -> Compute:
    def compute(ctx: MeasureContext, _days: int, _opts: dict[str, Any]) -> Values:
        facts = ctx.profile_facts()
        out: Values = {}
        for a in ctx.accounts:
            f = facts.get(a.id)
            out[a.id] = None if f is None else float(f[name])
        return out

    return compute


def champion_left(ctx: MeasureContext, days: int, _opts: dict[str, Any]) -> Values:
    """1 when no champion is known now but a run within the window recorded one, else 0."""
    facts = ctx.profile_facts()
    since = ctx.as_of - timedelta(days=days)
    out: Values = {}
    for a in ctx.accounts:
        f = facts.get(a.id)
        if f is None:
            out[a.id] = None
            continue
        earlier = [r for d, r in (ctx.recorded_facts or {}).get(a.id, []) if since <= d < ctx.as_of]
        had = any(int(r.get("champions", 0)) > 0 for r in earlier)
        out[a.id] = 1.0 if had and int(f["champions"]) == 0 else 0.0
    return out


REGISTRY: dict[str, MeasureSpec] = {}


def register_measure(spec: MeasureSpec) -> None:
    """Add a measure (the extension point for other modules); a key is registered once."""
    if spec.key in REGISTRY and REGISTRY[spec.key] is not spec:
        raise ValueError(f"a health measure {spec.key!r} is already registered")
    REGISTRY[spec.key] = spec


def _builtin(*args: Any, **kwargs: Any) -> None:
    register_measure(MeasureSpec(*args, **kwargs))


_builtin("usage_trend", "usage trend vs own baseline", "analytics", "ratio", "higher_better", 30,
         "events in the window ÷ the average of the 3 windows before it, minus 1",
         usage_trend)  # fmt: skip
_builtin("active_users", "active users", "analytics", "count", "higher_better", 30,
         "distinct users with an event in the window", active_users)  # fmt: skip
_builtin("seat_utilization", "seat utilization", "revenue", "share", "higher_better", 30,
         "active users in the window ÷ seats paid for on the day", seat_utilization)  # fmt: skip
_builtin("key_feature_adoption", "key-feature adoption", "analytics", "share", "higher_better",
         30, "share of the key events used in the window", key_feature_adoption,
         needs_events=True)  # fmt: skip
_builtin("days_since_last_activity", "days since last activity", "analytics", "days",
         "lower_better", 0, "days from the last event to the day",
         days_since_last_activity)  # fmt: skip
_builtin("mrr_change", "MRR change", "revenue", "ratio", "higher_better", 90,
         "MRR on the day ÷ MRR at the window's start, minus 1", mrr_change)  # fmt: skip
_builtin("contraction", "contraction", "revenue", "share", "lower_better", 90,
         "share of the MRR at the window's start lost by the day", contraction)  # fmt: skip
_builtin("days_to_renewal", "days to renewal", "revenue", "days", "higher_better", 0,
         "days to the next renewal of an active subscription", days_to_renewal)  # fmt: skip
_builtin("overdue_payments", "overdue or failed payments", "revenue", "count", "lower_better",
         0, "not imported yet: always no data", overdue_payments)  # fmt: skip
_builtin("decision_maker_known", "decision maker known", "accounts", "yes/no",
         "higher_better", 0, "1 when a contact has the decision-maker role (P-PROFILE-2)",
         _fact_measure("decision_maker"))  # fmt: skip
_builtin("champion_left", "champion left", "accounts", "yes/no", "lower_better", 90,
         "1 when no champion is known now but one was recorded in the window",
         champion_left)  # fmt: skip
_builtin("contacts_count", "contacts", "accounts", "count", "higher_better", 0,
         "contacts known for the account", _fact_measure("contacts"))  # fmt: skip


def compute_measure(ctx: MeasureContext, key: str, window: int, opts: dict[str, Any]) -> Values:
    spec = REGISTRY[key]
    return spec.compute(ctx, window or spec.default_window, opts)
