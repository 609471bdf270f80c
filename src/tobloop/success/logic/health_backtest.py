"""The back-test: would a health profile have seen churn coming?

For snapshot days D (monthly, or weekly, between ``start`` and ``end``), the profile is
replayed as of D on the accounts paying on D (MRR > 0) that its segment covers, with every
measure reading only data on or before D (``MeasureContext(replay=True)``: usage and revenue
as of D, contact facts as recorded by the runs of D or earlier, never today's profile). The
outcome is whether the account churned within the ``horizon`` days after D: its MRR is 0 on
some day of D+1 … D+horizon (logo churn, from the revenue facade). Only snapshots whose whole
horizon has passed are used. The lifecycle stage is today's data, so a profile's stage filter
is not applied when replaying (its segment filter is: segments follow headcount).

Figures are pooled over all (account, snapshot) observations:

- ``roc_auc``: the chance that a churned observation is rated riskier than a retained one
  (risk = 100 − score for weighted profiles, red > yellow > green for health codes; ties
  count half);
- ``precision_red``: churned ÷ all observations that were red;
- ``churned_red_share``: observations that were red ÷ all churned ones ("were the churned
  accounts red beforehand?");
- ``churn_rate``: churned ÷ observations — what flagging at random would reach as precision.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

from tobloop.accounts.facade import AccountView
from tobloop.kernel.errors import ErrorDetail, InvalidInput, NotFound
from tobloop.platform.facade import Principal, require
from tobloop.success.logic.health_eval import Evaluation, evaluate
from tobloop.success.logic.measure_data import RevenueBook, add_months, load_revenue_book
from tobloop.success.logic.measures import MeasureContext
from tobloop.success.models import HealthProfile, HealthVerdict

HORIZON_DAYS = 90
RISK_OF_COLOR = {"red": 2.0, "yellow": 1.0, "green": 0.0}


@dataclass(frozen=True)
class Observation:
    account_id: int
    day: date
    color: str
    score: float | None
    risk: float
    churned: bool


@dataclass(frozen=True)
class SnapshotRow:
    day: date
    accounts: int
    churned: int
    red: int
    churned_red: int


@dataclass(frozen=True)
class BacktestReport:
    profile: str
    kind: str
    start: date
    end: date
    step: str
    horizon_days: int
    observations: int
    churned: int
    red: int
    churned_red: int
    roc_auc: float | None
    precision_red: float | None
    churned_red_share: float | None
    churn_rate: float | None
    snapshots: list[SnapshotRow]
    explanation: dict[str, str] = field(default_factory=dict)


def roc_auc(risks: Sequence[float], churned: Sequence[bool]) -> float | None:
    """Mann–Whitney: share of (churned, retained) pairs ranked right, ties half; None if one
    class is missing."""
    pos = [r for r, c in zip(risks, churned, strict=True) if c]
    neg = [r for r, c in zip(risks, churned, strict=True) if not c]
    if not pos or not neg:
        return None
    order = sorted(risks)
    ranks: dict[float, float] = {}
    i = 0
    while i < len(order):
        j = i
        while j < len(order) and order[j] == order[i]:
            j += 1
        ranks[order[i]] = (i + j + 1) / 2  # average 1-based rank of the tie group
        i = j
    rank_sum = sum(ranks[r] for r in pos)
    u = rank_sum - len(pos) * (len(pos) + 1) / 2
    return round(u / (len(pos) * len(neg)), 4)


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def churned_within(book: RevenueBook, account_id: int, day: date, horizon: int) -> bool:
    """MRR is 0 on some day of day+1 … day+horizon (it only changes on segment bounds)."""
    last = day + timedelta(days=horizon)
    return any(
        day < d <= last and book.mrr(account_id, d) == 0 for d in book.change_days(account_id)
    )


def snapshot_days(start: date, end: date, step: str) -> list[date]:
    days: list[date] = []
    i = 0
    while True:
        d = add_months(start, i) if step == "month" else start + timedelta(weeks=i)
        if d > end:
            return days
        days.append(d)
        i += 1


def replay(
    principal: Principal,
    profile: HealthProfile,
    accounts: Sequence[AccountView],
    day: date,
    *,
    book: RevenueBook,
    facts: dict[int, list[tuple[date, dict[str, Any]]]],
    usage_cache: dict[Any, Any] | None = None,
) -> list[Evaluation]:
    """The profile's verdicts as of ``day`` for the accounts paying then (nothing stored)."""
    paying = [a for a in accounts if book.mrr(a.id, day) > 0 and profile.segment in ("", a.segment)]
    ctx = MeasureContext(
        principal=principal, as_of=day, accounts=paying, replay=True, revenue=book,
        recorded_facts=facts, usage_cache={} if usage_cache is None else usage_cache,
    )  # fmt: skip
    return evaluate(ctx, [profile], lambda _a: profile)


def _recorded_facts(workspace_id: int, end: date) -> dict[int, list[tuple[date, dict[str, Any]]]]:
    out: dict[int, list[tuple[date, dict[str, Any]]]] = {}
    rows = (
        HealthVerdict.objects.for_workspace(workspace_id)
        .filter(day__lte=end)
        .exclude(facts={})
        .order_by("day")
        .values_list("account_id", "day", "facts")
    )
    for account_id, day, f in rows:
        out.setdefault(account_id, []).append((day, f))
    return out


def _window(today: date, start: date | None, end: date | None, horizon: int) -> tuple[date, date]:
    last_complete = today - timedelta(days=horizon)
    end = min(end or last_complete, last_complete)
    start = start or add_months(end, -12)
    if start > end:
        raise InvalidInput(
            f"no snapshot day between {start} and {end} has a complete {horizon}-day outcome "
            f"(the last one is {last_complete})",
            code="invalid_range",
            details=[ErrorDetail(("from",), f"must be on or before {end}")],
        )
    return start, end


def backtest_profile(
    principal: Principal,
    profile: HealthProfile,
    *,
    start: date | None = None,
    end: date | None = None,
    step: Literal["month", "week"] = "month",
    horizon: int = HORIZON_DAYS,
    shared: dict[str, Any] | None = None,
) -> BacktestReport:
    """Back-test one profile; ``shared`` carries accounts, revenue and usage between the
    profiles of one run (loaded once, every query scoped to the same day and workspace)."""
    from tobloop.success.logic.health import all_accounts, today_for

    require(principal.scopes, "success", "read")
    start, end = _window(today_for(principal), start, end, horizon)
    shared = {} if shared is None else shared
    if "accounts" not in shared:
        shared["accounts"] = all_accounts(principal)
        shared["book"] = load_revenue_book(principal)
        shared["usage"] = {}
    accounts, book = shared["accounts"], shared["book"]
    facts = _recorded_facts(principal.workspace_id, end)
    obs: list[Observation] = []
    rows = []
    for day in snapshot_days(start, end, step):
        mine = []
        usage = shared["usage"].setdefault(day, {})
        for e in replay(principal, profile, accounts, day, book=book, facts=facts,
                        usage_cache=usage):  # fmt: skip
            risk = 100 - (e.score if e.score is not None else 50.0)
            if profile.kind != "score":
                risk = RISK_OF_COLOR[e.color]
            churned = churned_within(book, e.account_id, day, horizon)
            mine.append(Observation(e.account_id, day, e.color, e.score, risk, churned))
        rows.append(
            SnapshotRow(
                day=day, accounts=len(mine), churned=sum(o.churned for o in mine),
                red=sum(o.color == "red" for o in mine),
                churned_red=sum(o.churned and o.color == "red" for o in mine),
            )
        )  # fmt: skip
        obs.extend(mine)
    return report(profile, start, end, step, horizon, obs, rows)


def report(
    profile: HealthProfile,
    start: date,
    end: date,
    step: str,
    horizon: int,
    obs: list[Observation],
    rows: list[SnapshotRow],
) -> BacktestReport:
    churned = sum(o.churned for o in obs)
    red = sum(o.color == "red" for o in obs)
    churned_red = sum(o.churned and o.color == "red" for o in obs)
    return BacktestReport(
        profile=profile.name, kind=profile.kind, start=start, end=end, step=step,
        horizon_days=horizon, observations=len(obs), churned=churned, red=red,
        churned_red=churned_red,
        roc_auc=roc_auc([o.risk for o in obs], [o.churned for o in obs]),
        precision_red=_ratio(churned_red, red),
        churned_red_share=_ratio(churned_red, churned),
        churn_rate=_ratio(churned, len(obs)),
        snapshots=rows,
        explanation={
            "roc_auc": "Take one account that churned within the horizon and one that did not, "
            "on the same kind of snapshot: the share of such pairs in which the profile rated "
            "the churned one riskier. 0.5 is a coin flip, 1.0 perfect.",
            "precision_red": "Of the accounts that were red, the share that churned within "
            "the horizon. Compare with churn_rate, what random flagging reaches.",
            "churned_red_share": "Of the accounts that churned, the share that were red on "
            "the snapshot before.",
        },
    )  # fmt: skip


def run_backtest(
    principal: Principal,
    *,
    profile: str | None = None,
    start: date | None = None,
    end: date | None = None,
    step: Literal["month", "week"] = "month",
    horizon: int = HORIZON_DAYS,
) -> list[BacktestReport]:
    """Back-test one profile (by name or id) or every active profile of the workspace."""
    require(principal.scopes, "success", "read")
    qs = HealthProfile.objects.for_workspace(principal.workspace_id)
    if profile:
        chosen = list(qs.filter(name=profile)) or (
            list(qs.filter(pk=int(profile))) if profile.isdigit() else []
        )
        if not chosen:
            raise NotFound(f"no health profile named {profile!r}", code="health_profile_not_found")
    else:
        chosen = list(qs.filter(is_active=True))
    shared: dict[str, Any] = {}
    return [
        backtest_profile(
            principal, p, start=start, end=end, step=step, horizon=horizon, shared=shared
        )
        for p in chosen
    ]
