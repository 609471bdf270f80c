"""Scoring accounts with their health profile and keeping one verdict per account per day.

A run (the daily job, ``tobloop health score``, the API or the account page) loads the
accounts, computes every measure its profiles need once for the whole batch (as of the day),
judges each account, applies any CSM override in force that day, explains what changed since
the account's previous verdict and stores the day's verdicts (replacing that day's earlier
ones). Profile facts (contacts, decision maker) are today's: they are recorded in each verdict
so that a later replay of this day (the back-test) reads them instead of newer ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from tobloop.accounts.facade import AccountFilter, AccountView, get_account, list_accounts
from tobloop.kernel.errors import ErrorDetail, InvalidInput
from tobloop.platform.facade import Principal, record_audit, require
from tobloop.success.contracts import AccountHealth, HealthFlag, HealthVerdictView, ScoreSummary
from tobloop.success.logic.health_changes import LOOKBACK_DAYS, explain_changes
from tobloop.success.logic.health_eval import Evaluation, evaluate
from tobloop.success.logic.health_overrides import overrides_in_force
from tobloop.success.logic.health_profiles import profile_for
from tobloop.success.logic.measure_data import RevenueBook, load_revenue_book
from tobloop.success.logic.measures import MeasureContext
from tobloop.success.models import HealthProfile, HealthVerdict

PAGE = 500
HISTORY_DAYS = 90


def today_for(principal: Principal) -> date:
    """The calendar day in the workspace's own time zone: the unit of the health history."""
    return timezone.now().astimezone(ZoneInfo(principal.workspace.timezone)).date()


def verdict_view(v: HealthVerdict) -> HealthVerdictView:
    flags = [HealthFlag(**f) for f in v.flags]
    reason = v.reason
    if not reason:  # verdicts stored before reasons were kept
        causing = [f.label for f in flags if f.color == v.color]
        reason = (
            "Green: no red or yellow flag applies."
            if v.color == "green"
            else f"{v.color.capitalize()}: {'; '.join(causing)}."
        )
    if v.override:
        o = v.override
        reason = f"Set to {o['color']} by {o['by']} until {o['until']}: {o['reason']} — {reason}"
    return HealthVerdictView(
        account_id=v.account_id,
        day=v.day,
        color=v.color,
        flags=flags,
        reason=reason,
        profile_id=v.profile_id or 0,
        profile_name=v.profile_name,
        computed_at=v.computed_at,
        kind="score" if v.computed_score is not None or _weighted(v.measures) else "code",
        score=v.score,
        computed_color=v.computed_color or v.color,
        computed_score=v.computed_score,
        measures=list(v.measures or []),
        override=v.override,
        changes=list(v.changes or []),
    )  # fmt: skip


def _weighted(measures: list[dict[str, Any]] | None) -> bool:
    return bool(measures) and "weight" in (measures or [{}])[0]


def _row(v: HealthVerdict) -> dict[str, Any]:
    return {
        "profile_name": v.profile_name,
        "color": v.color,
        "score": v.score,
        "flags": v.flags,
        "measures": v.measures,
        "override": v.override,
    }


def _previous(workspace_id: int, ids: list[int], day: date) -> dict[int, dict[str, Any]]:
    """Each account's latest verdict in the ``LOOKBACK_DAYS`` before the day.

    Read a day at a time, newest first, so a daily history costs one query of one day's rows.
    """
    out: dict[int, dict[str, Any]] = {}
    verdicts = HealthVerdict.objects.for_workspace(workspace_id)
    days = (
        verdicts.filter(day__lt=day, day__gte=day - timedelta(days=LOOKBACK_DAYS))
        .order_by("-day")
        .values_list("day", flat=True)
        .distinct()
    )
    missing = set(ids)
    fields = ("account_id", "profile_name", "color", "score", "flags", "measures", "override")
    for earlier in list(days):
        if not missing:
            break
        for v in verdicts.filter(day=earlier).only(*fields):
            if v.account_id in missing:
                out[v.account_id] = _row(v)
                missing.discard(v.account_id)
    return out


def _verdicts(workspace_id: int, evaluations: list[Evaluation], day: date) -> list[HealthVerdict]:
    now = timezone.now()
    ids = [e.account_id for e in evaluations]
    overrides = overrides_in_force(workspace_id, ids, day)
    previous = _previous(workspace_id, ids, day)
    out = []
    for e in evaluations:
        o = overrides.get(e.account_id)
        v = HealthVerdict(
            workspace_id=workspace_id, account_id=e.account_id, profile=e.profile,
            profile_name=e.profile.name, day=day, computed_at=now, flags=e.flags,
            computed_color=e.color, computed_score=e.score, measures=e.measures,
            reason=e.reason, facts=e.facts,
            color=o["color"] if o else e.color,
            score=(o["score"] if o and o["score"] is not None else e.score),
            override=o,
        )  # fmt: skip
        v.changes = explain_changes(previous.get(e.account_id), _row(v))
        out.append(v)
    return out


def _store(workspace_id: int, verdicts: list[HealthVerdict], day: date, ids: list[int]) -> None:
    """Replace the day's verdicts of the accounts ``ids`` (scoring twice a day keeps the last;
    an account no profile applies to any more loses that day's verdict)."""
    for start in range(0, len(ids), PAGE):
        HealthVerdict.objects.for_workspace(workspace_id).filter(
            day=day, account_id__in=ids[start : start + PAGE]
        ).delete()
    HealthVerdict.objects.bulk_create(verdicts, batch_size=PAGE)


def active_profiles(workspace_id: int) -> list[HealthProfile]:
    return list(HealthProfile.objects.for_workspace(workspace_id).filter(is_active=True))


def _summary(day: date, verdicts: list[HealthVerdict], total: int, keep: bool) -> ScoreSummary:
    colors = [v.color for v in verdicts]
    return ScoreSummary(
        day=day,
        scored=len(verdicts),
        red=colors.count("red"),
        yellow=colors.count("yellow"),
        green=colors.count("green"),
        unscored=total - len(verdicts),
        verdicts=[verdict_view(v) for v in verdicts] if keep else [],
    )


def check_day(principal: Principal, day: date | None) -> date:
    today = today_for(principal)
    if day is None:
        return today
    if day > today or day.year < 1971:
        raise InvalidInput(
            f"cannot score health as of {day}: the day must be between 1971 and today ({today})",
            code="invalid_date",
            details=[ErrorDetail(("as_of",), "after today or before 1971")],
        )
    return day


def _run(
    principal: Principal,
    accounts: Sequence[AccountView],
    day: date,
    revenue: RevenueBook | None = None,
) -> list[HealthVerdict]:
    profiles = active_profiles(principal.workspace_id)
    ctx = MeasureContext(principal=principal, as_of=day, accounts=accounts, revenue=revenue)

    def choose(a: AccountView) -> HealthProfile | None:
        return profile_for(profiles, a.segment, a.lifecycle_stage)

    verdicts = _verdicts(principal.workspace_id, evaluate(ctx, profiles, choose), day)
    _store(principal.workspace_id, verdicts, day, [a.id for a in accounts])
    return verdicts


@transaction.atomic
def score_account(principal: Principal, account_id: int, day: date | None = None) -> ScoreSummary:
    """Score one account now (on demand) and store the verdict as that day's history."""
    require(principal.scopes, "success", "write")
    account = get_account(principal, account_id)
    day = check_day(principal, day)
    return _summary(day, _run(principal, [account], day), 1, keep=True)


def all_accounts(principal: Principal) -> list[AccountView]:
    accounts: list[AccountView] = []
    while True:
        page = list_accounts(
            principal, AccountFilter(limit=PAGE, offset=len(accounts), sort="created_at")
        )
        accounts.extend(page.items)
        if len(accounts) >= page.count or not page.items:
            return accounts


@transaction.atomic
def score_workspace(principal: Principal, day: date | None = None) -> ScoreSummary:
    """Score every account of the workspace as of the day (the daily run; default today)."""
    require(principal.scopes, "success", "write")
    day = check_day(principal, day)
    accounts = all_accounts(principal)
    summary = _summary(day, _run(principal, accounts, day), len(accounts), keep=False)
    record_audit(
        principal,
        action="score",
        object_type="health",
        object_repr=f"health of {summary.scored} accounts on {day.isoformat()}",
        after={"day": day.isoformat(), "red": summary.red, "yellow": summary.yellow,
               "green": summary.green, "unscored": summary.unscored},
    )  # fmt: skip
    return summary


@transaction.atomic
def score_history(principal: Principal, days: Sequence[date]) -> list[ScoreSummary]:
    """Score several days in order (filling in a history), loading accounts and revenue once.

    Contact facts are today's for every day: use it for days when they were the same.
    """
    require(principal.scopes, "success", "write")
    days = sorted(check_day(principal, d) for d in days)
    accounts = all_accounts(principal)
    book = load_revenue_book(principal)
    out = [_summary(d, _run(principal, accounts, d, book), len(accounts), keep=False) for d in days]
    if out:
        record_audit(
            principal, action="score", object_type="health",
            object_repr=f"health history of {len(accounts)} accounts, {len(out)} days",
            after={"from": days[0].isoformat(), "to": days[-1].isoformat(), "days": len(out)},
        )  # fmt: skip
    return out


def run_daily_health() -> list[tuple[str, ScoreSummary]]:
    """The daily job: score today's health in every workspace that has an active profile."""
    from tobloop.platform.facade import list_workspaces, system_principal

    out = []
    for ws in list_workspaces():
        if not HealthProfile.objects.for_workspace(ws.id).filter(is_active=True).exists():
            continue
        out.append((ws.slug, score_workspace(system_principal(ws.slug, "health-daily"))))
    return out


def account_health(
    principal: Principal, account_id: int, days: int = HISTORY_DAYS
) -> AccountHealth:
    """The latest verdict of an account and its daily history, newest first."""
    require(principal.scopes, "success", "read")
    get_account(principal, account_id)  # 404 for accounts of other workspaces
    history = [
        verdict_view(v)
        for v in HealthVerdict.objects.for_workspace(principal.workspace_id)
        .filter(account_id=account_id)
        .order_by("-day")[:days]
    ]
    return AccountHealth(
        account_id=account_id, current=history[0] if history else None, history=history
    )
