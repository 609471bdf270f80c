"""Scoring accounts with their health profile and keeping one verdict per account per day."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from tobloop.accounts.facade import AccountFilter, AccountView, get_account, list_accounts
from tobloop.platform.facade import Principal, record_audit, require
from tobloop.success.contracts import AccountHealth, HealthFlag, HealthVerdictView, ScoreSummary
from tobloop.success.logic.health_profiles import parse_rules, profile_for
from tobloop.success.logic.health_rules import FACT_SOURCES, Facts, account_facts, health_code
from tobloop.success.models import HealthProfile, HealthVerdict

PAGE = 500
HISTORY_DAYS = 90


def today_for(principal: Principal) -> date:
    """The calendar day in the workspace's own time zone: the unit of the health history."""
    return timezone.now().astimezone(ZoneInfo(principal.workspace.timezone)).date()


def verdict_view(v: HealthVerdict) -> HealthVerdictView:
    flags = [HealthFlag(**f) for f in v.flags]
    causing = [f.label for f in flags if f.color == v.color]
    if v.color == "green":
        reason = "Green: no red or yellow flag applies."
    else:
        reason = f"{v.color.capitalize()}: {'; '.join(causing)}."
    return HealthVerdictView(
        account_id=v.account_id,
        day=v.day,
        color=v.color,
        flags=flags,
        reason=reason,
        profile_id=v.profile_id or 0,
        profile_name=v.profile_name,
        computed_at=v.computed_at,
    )


def _facts(accounts: Sequence[AccountView]) -> dict[int, Facts]:
    facts = {a.id: account_facts(a) for a in accounts}
    for source in FACT_SOURCES:
        for account_id, extra in source(accounts).items():
            facts.setdefault(account_id, {}).update(extra)
    return facts


def _judge(
    workspace_id: int,
    accounts: Sequence[AccountView],
    profiles: list[HealthProfile],
    day: date,
) -> list[HealthVerdict]:
    """Unsaved verdicts for the accounts a profile applies to (the others stay unscored)."""
    now = timezone.now()
    facts = _facts(accounts)
    rules = {p.pk: parse_rules(p.rules) for p in profiles}
    out = []
    for account in accounts:
        profile = profile_for(profiles, account.segment, account.lifecycle_stage)
        if profile is None:
            continue
        verdict = health_code(rules[profile.pk], facts[account.id])
        out.append(
            HealthVerdict(
                workspace_id=workspace_id,
                account_id=account.id,
                profile=profile,
                profile_name=profile.name,
                day=day,
                color=verdict.color,
                flags=[{"rule": f.rule, "color": f.color, "label": f.label} for f in verdict.flags],
                computed_at=now,
            )
        )
    return out


def _store(workspace_id: int, verdicts: list[HealthVerdict], day: date) -> None:
    """Replace the day's verdicts of these accounts (scoring twice a day keeps the last)."""
    ids = [v.account_id for v in verdicts]
    HealthVerdict.objects.for_workspace(workspace_id).filter(day=day, account_id__in=ids).delete()
    HealthVerdict.objects.bulk_create(verdicts, batch_size=500)


def _profiles(workspace_id: int) -> list[HealthProfile]:
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


@transaction.atomic
def score_account(principal: Principal, account_id: int, day: date | None = None) -> ScoreSummary:
    """Score one account now (on demand) and store the verdict as that day's history."""
    require(principal.scopes, "success", "write")
    account = get_account(principal, account_id)
    day = day or today_for(principal)
    verdicts = _judge(principal.workspace_id, [account], _profiles(principal.workspace_id), day)
    _store(principal.workspace_id, verdicts, day)
    return _summary(day, verdicts, 1, keep=True)


@transaction.atomic
def score_workspace(principal: Principal, day: date | None = None) -> ScoreSummary:
    """Score every account of the workspace (the daily run), a page of accounts at a time."""
    require(principal.scopes, "success", "write")
    day = day or today_for(principal)
    profiles = _profiles(principal.workspace_id)
    verdicts: list[HealthVerdict] = []
    offset, total = 0, 0
    while True:
        page = list_accounts(principal, AccountFilter(limit=PAGE, offset=offset, sort="created_at"))
        total = page.count
        batch = _judge(principal.workspace_id, page.items, profiles, day)
        _store(principal.workspace_id, batch, day)
        verdicts.extend(batch)
        offset += PAGE
        if offset >= page.count or not page.items:
            break
    summary = _summary(day, verdicts, total, keep=False)
    record_audit(
        principal,
        action="score",
        object_type="health",
        object_repr=f"health of {summary.scored} accounts on {day.isoformat()}",
        after={"day": day.isoformat(), "red": summary.red, "yellow": summary.yellow,
               "green": summary.green, "unscored": summary.unscored},
    )  # fmt: skip
    return summary


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
