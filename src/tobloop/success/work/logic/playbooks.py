"""Playbooks by service tier (P-CS-3) and the run that evaluates them on every account.

Actions per tier (P-PROFILE-3):
- ``online_partner`` (micro/small): automated online service — an e-mail from a template to
  the account's contacts, an in-app message through the ``inapp.message`` webhook and, where
  configured, a referral to a delivery partner (``partner.referral`` webhook). The firing is
  logged as a task closed at once with the outcome "handled automatically".
- ``regional_csm`` (mid-size): a task for the account's CSM in the regional team.
- ``dedicated_team`` (large): a task for the account's dedicated team, with an escalation
  path; an open task overdue by ``escalate_after_days`` climbs one level of the path.
- ``unassigned`` (size unknown): a task for triage.

Dedupe rule: at most one open task per (account, playbook) — a partial unique index in the
database, and the run checks first — and one firing per (account, playbook, occurrence), so a
task closed for an occurrence is not reopened until the trigger fires for a new occurrence.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import date, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from tobloop.accounts.facade import (
    AccountFilter,
    AccountView,
    ContactFilter,
    list_accounts,
    list_contacts,
)
from tobloop.kernel.errors import InvalidInput, NotFound
from tobloop.platform.facade import Principal, record_audit, require
from tobloop.success.work.contracts import Firing, PlaybookView, RunSummary
from tobloop.success.work.logic import alerts
from tobloop.success.work.logic.sources import (
    health_by_account,
    revenue_by_account,
    usage_by_account,
)
from tobloop.success.work.logic.triggers import (
    DEFAULT_PARAMS,
    TRIGGERS,
    Facts,
    Hit,
    renewal_due,
)
from tobloop.success.work.models import (
    KnownDecisionMaker,
    Outcome,
    Playbook,
    PlaybookFiring,
    Task,
    TaskStatus,
)

PAGE = 500
TIERS = ("online_partner", "regional_csm", "dedicated_team", "unassigned")
ESCALATION_PATH = ["Account team lead", "Head of customer success", "VP customer success"]


def default_actions(template: str) -> dict[str, Any]:
    return {
        "online_partner": {"email_template": template, "in_app": True, "partner": ""},
        "regional_csm": {"task": True, "due_days": 5},
        "dedicated_team": {
            "task": True,
            "due_days": 3,
            "escalate_after_days": 2,
            "escalation_path": list(ESCALATION_PATH),
        },
        "unassigned": {"task": True, "due_days": 7},
    }


# key, name, trigger, params override, task kind, e-mail template for micro accounts
DEFAULT_PLAYBOOKS: list[tuple[str, str, str, dict[str, Any], str, str]] = [
    ("health-red", "Health turned red", "health_red", {}, "risk", "health-risk"),
    ("health-drop", "Health dropped", "health_drop", {}, "risk", "health-risk"),
    ("usage-drop", "Usage dropped 30% against baseline", "usage_drop", {}, "risk", "usage-drop"),
    ("renewal-90", "Renewal in 90 days", "renewal_due", {"days": 90}, "renewal", "renewal"),
    ("renewal-60", "Renewal in 60 days", "renewal_due", {"days": 60}, "renewal", "renewal"),
    ("renewal-30", "Renewal in 30 days", "renewal_due", {"days": 30}, "renewal", "renewal"),
    ("onboarding", "New account onboarding", "onboarding", {}, "onboarding", "welcome"),
    ("low-seat-utilization", "Seat utilization below 50%", "low_seat_utilization", {},
     "opportunity", "adoption"),
    ("decision-maker-left", "Decision maker left", "decision_maker_left", {}, "risk",
     "contact-change"),
]  # fmt: skip


def playbook_view(p: Playbook) -> PlaybookView:
    return PlaybookView(
        key=p.key,
        name=p.name,
        trigger=p.trigger,
        params=dict(p.params),
        task_kind=p.task_kind,
        actions=dict(p.actions),
        is_active=p.is_active,
    )


def install_default_playbooks(workspace_id: int) -> int:
    """Add the default playbooks and e-mail templates that a workspace does not have yet."""
    existing = set(Playbook.objects.for_workspace(workspace_id).values_list("key", flat=True))
    new = [
        Playbook(
            workspace_id=workspace_id,
            key=key,
            name=name,
            trigger=trigger,
            params={**DEFAULT_PARAMS[trigger], **params},
            task_kind=kind,
            actions=default_actions(template),
        )
        for key, name, trigger, params, kind, template in DEFAULT_PLAYBOOKS
        if key not in existing
    ]
    Playbook.objects.bulk_create(new)
    alerts.install_default_templates(workspace_id)
    return len(new)


def list_playbooks(principal: Principal) -> list[PlaybookView]:
    require(principal.scopes, "success", "read")
    if not Playbook.objects.for_workspace(principal.workspace_id).exists():
        with transaction.atomic():
            install_default_playbooks(principal.workspace_id)
    return [playbook_view(p) for p in Playbook.objects.for_workspace(principal.workspace_id)]


@transaction.atomic
def update_playbook(
    principal: Principal,
    key: str,
    *,
    is_active: bool | None = None,
    params: dict[str, Any] | None = None,
    actions: dict[str, Any] | None = None,
) -> PlaybookView:
    """Switch a playbook on or off, or change its parameters / per-tier actions."""
    require(principal.scopes, "success", "write")
    list_playbooks(principal)
    p = Playbook.objects.for_workspace(principal.workspace_id).filter(key=key).first()
    if p is None:
        raise NotFound(f"no playbook {key!r}", code="playbook_not_found")
    before = {"is_active": p.is_active, "params": p.params, "actions": p.actions}
    if is_active is not None:
        p.is_active = is_active
    if params is not None:
        unknown = sorted(set(params) - set(DEFAULT_PARAMS[p.trigger]))
        if unknown:
            raise InvalidInput(f"unknown parameter(s) for {p.trigger}: {', '.join(unknown)}")
        for name, value in params.items():
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
                or value < 0
            ):
                raise InvalidInput(f"parameter {name} must be a number ≥ 0")
        p.params = {**p.params, **params}
    if actions is not None:
        unknown = sorted(set(actions) - set(TIERS))
        if unknown:
            raise InvalidInput(f"unknown tier(s): {', '.join(unknown)}; known: {', '.join(TIERS)}")
        p.actions = {**p.actions, **actions}
    p.save()
    after = {"is_active": p.is_active, "params": p.params, "actions": p.actions}
    record_audit(principal, action="update", object_type="playbook", object_id=p.pk,
                 object_repr=p.key, before=before, after=after)  # fmt: skip
    return playbook_view(p)


# The run ---------------------------------------------------------------------------------


def current_decision_makers(principal: Principal) -> dict[int, dict[int, str]]:
    """Decision-maker contacts per account now: {account id: {contact id: name}}."""
    current: dict[int, dict[int, str]] = defaultdict(dict)
    offset = 0
    while True:
        page = list_contacts(
            principal, ContactFilter(role="decision_maker", limit=500, offset=offset)
        )
        for c in page.items:
            current[c.account_id][c.id] = c.name
        offset += 500
        if offset >= page.count or not page.items:
            return current


def decision_makers_left(
    workspace_id: int, ids: list[int], current: dict[int, dict[int, str]]
) -> dict[int, list[tuple[int, str]]]:
    """Compare the decision makers now with those seen at the last run, and remember them.

    An account seen for the first time only takes the snapshot (nobody "left" before).
    """
    ws = workspace_id
    current = defaultdict(dict, current)
    known: dict[int, dict[int, str]] = defaultdict(dict)
    for account_id, contact_id, name in (
        KnownDecisionMaker.objects.for_workspace(ws)
        .filter(account_id__in=ids)
        .values_list("account_id", "contact_id", "name")
    ):
        known[account_id][contact_id] = name
    left = {
        a: [(cid, name) for cid, name in sorted(known[a].items()) if cid not in current[a]]
        for a in ids
    }
    KnownDecisionMaker.objects.for_workspace(ws).filter(account_id__in=ids).delete()
    KnownDecisionMaker.objects.bulk_create(
        [
            KnownDecisionMaker(workspace_id=ws, account_id=a, contact_id=cid, name=name[:200])
            for a in ids
            for cid, name in current[a].items()
        ]
    )
    return {a: v for a, v in left.items() if v}


def _renewal_lowers(playbooks: list[Playbook]) -> dict[str, int]:
    """For each renewal playbook, the next shorter active window (90 → 60 → 30 → 0)."""
    days = sorted({int(p.params.get("days", 90)) for p in playbooks if p.trigger == "renewal_due"})
    out = {}
    for p in playbooks:
        if p.trigger == "renewal_due":
            d = int(p.params.get("days", 90))
            out[p.key] = max((x for x in days if x < d), default=0)
    return out


def _hit(
    p: Playbook, facts: Facts, as_of: date, lowers: dict[str, int], red_active: bool
) -> Hit | None:
    if p.trigger == "renewal_due":
        return renewal_due(facts, p.params, as_of, lower=lowers[p.key])
    hit = TRIGGERS[p.trigger](facts, p.params, as_of)
    if hit and p.trigger == "health_drop" and red_active and facts.health[0][1] == "red":
        return None  # a drop into red is the health-red playbook's
    return hit


def _task_fields(p: Playbook, account: AccountView, as_of: date) -> dict[str, Any]:
    tier = account.service_tier if account.service_tier in TIERS else "unassigned"
    config = p.actions.get(tier, {})
    region = account.region or "no region"
    team = {
        "regional_csm": f"Regional CSM · {region}",
        "dedicated_team": f"Dedicated team · {account.name}",
        "unassigned": "Triage (size unknown)",
    }.get(tier, "Online service")
    return {
        "service_tier": tier,
        "owner": account.csm_owner or "",
        "team": team[:160],
        "due": as_of + timedelta(days=int(config.get("due_days", 5))),
        "escalation_path": list(config.get("escalation_path", []))
        if tier == "dedicated_team"
        else [],
    }


def _online_actions(
    principal: Principal, p: Playbook, account: AccountView, reason: str
) -> list[dict[str, Any]]:
    """Micro/small accounts: e-mail, in-app message, partner referral (P-CS-3)."""
    config = p.actions.get("online_partner", {})
    done: list[dict[str, Any]] = []
    contacts = list_contacts(principal, ContactFilter(account_id=account.id, limit=20)).items
    to = [c.email for c in contacts if c.email][:3]
    name = next((c.name for c in contacts if c.email), "") or account.name
    template = config.get("email_template") or ""
    if template and to:
        values = {"account": account.name, "contact": name, "reason": reason,
                  "workspace": principal.workspace.name}  # fmt: skip
        try:
            if alerts.send_template_email(principal.workspace_id, key=template, to=to,
                                          values=values):  # fmt: skip
                done.append({"type": "email", "template": template, "to": to})
        except alerts.EmailNotSent as exc:
            done.append({"type": "email", "template": template, "to": to, "error": str(exc)})
    if config.get("in_app"):
        sent = alerts.enqueue(principal.workspace_id, "inapp.message", {
            "account_id": account.id, "account_external_id": account.external_id,
            "playbook": p.key, "title": p.name, "reason": reason,
        })  # fmt: skip
        done.append({"type": "in_app", "endpoints": sent})
    if config.get("partner"):
        sent = alerts.enqueue(principal.workspace_id, "partner.referral", {
            "account_id": account.id, "account_external_id": account.external_id,
            "partner": config["partner"], "playbook": p.key, "reason": reason,
        })  # fmt: skip
        done.append({"type": "partner_referral", "partner": config["partner"], "endpoints": sent})
    return done


def _fire(
    principal: Principal, p: Playbook, account: AccountView, hit: Hit, as_of: date
) -> Task | None:
    """Create the task (or the automated record) and the firing; None if a concurrent run won."""
    fields = _task_fields(p, account, as_of)
    automated = fields["service_tier"] == "online_partner"
    now = timezone.now()
    try:
        with transaction.atomic():
            actions = _online_actions(principal, p, account, hit.reason) if automated else [
                {"type": "task", "team": fields["team"], "owner": fields["owner"]}
            ]  # fmt: skip
            task = Task.objects.create(
                workspace_id=principal.workspace_id,
                account_id=account.id,
                kind=p.task_kind,
                title=f"{p.name}: {account.name}"[:200],
                reason=hit.reason,
                trigger=p.key,
                occurrence=hit.occurrence,
                playbook=p,
                actions=actions,
                created_by=f"playbook:{p.key}",
                status=TaskStatus.DONE if automated else TaskStatus.OPEN,
                outcome=Outcome.AUTOMATED if automated else "",
                closed_at=now if automated else None,
                **fields,
            )
            PlaybookFiring.objects.create(
                workspace_id=principal.workspace_id, account_id=account.id, playbook_key=p.key,
                occurrence=hit.occurrence, service_tier=fields["service_tier"],
                reason=hit.reason, actions=actions, task=task, fired_on=as_of,
            )  # fmt: skip
    except IntegrityError:
        return None
    if not automated:
        alerts.enqueue(principal.workspace_id, "task.created", task_payload(task, account.name))
    return task


def task_payload(task: Task, account_name: str) -> dict[str, Any]:
    return {
        "task_id": task.pk, "account_id": task.account_id, "account_name": account_name,
        "kind": task.kind, "title": task.title, "reason": task.reason, "trigger": task.trigger,
        "service_tier": task.service_tier, "owner": task.owner, "team": task.team,
        "due": task.due.isoformat() if task.due else None, "status": task.status,
        "outcome": task.outcome,
    }  # fmt: skip


def escalate_overdue(principal: Principal, as_of: date) -> int:
    """Large accounts: an open task overdue by k × escalate_after_days sits at level k."""
    moved = 0
    qs = (
        Task.objects.for_workspace(principal.workspace_id)
        .filter(status=TaskStatus.OPEN, due__lt=as_of)
        .exclude(escalation_path=[])
        .select_related("playbook", "account")
    )
    for task in qs:
        config = (task.playbook.actions if task.playbook else {}).get("dedicated_team", {})
        after = max(1, int(config.get("escalate_after_days", 2)))
        overdue = (as_of - task.due).days if task.due else 0
        level = min(len(task.escalation_path), -(-overdue // after))
        if level > task.escalation_level:
            task.escalation_level = level
            task.save(update_fields=["escalation_level", "updated_at"])
            payload = task_payload(task, task.account.name)
            payload["escalated_to"] = str(task.escalation_path[level - 1])
            payload["escalation_level"] = level
            alerts.enqueue(principal.workspace_id, "task.escalated", payload)
            moved += 1
    return moved


def run_playbooks(
    principal: Principal,
    as_of: date | None = None,
    *,
    keep_firings: bool = True,
    progress: Any = None,
) -> RunSummary:
    """Evaluate every active playbook on every account on ``as_of`` (default: today in the
    workspace time zone), a page of accounts at a time."""
    require(principal.scopes, "success", "write")
    from tobloop.success.work.logic.tasks import today_for

    as_of = as_of or today_for(principal)
    list_playbooks(principal)  # installs the defaults on first use
    playbooks = list(Playbook.objects.for_workspace(principal.workspace_id).filter(is_active=True))
    lowers = _renewal_lowers(playbooks)
    red_active = any(p.trigger == "health_red" for p in playbooks)
    revenue = revenue_by_account(principal, as_of)
    usage = usage_by_account(principal, as_of)
    has_usage = bool(usage)
    dms = current_decision_makers(principal)
    firings: list[Firing] = []
    counts: Counter[str] = Counter()
    by_playbook: Counter[str] = Counter()
    by_tier: Counter[str] = Counter()
    offset, total = 0, 0
    while True:
        page = list_accounts(principal, AccountFilter(limit=PAGE, offset=offset, sort="created_at"))
        total = page.count
        accounts = page.items
        health = health_by_account(principal, accounts, as_of)
        with transaction.atomic():
            ids = [a.id for a in accounts]
            left = decision_makers_left(principal.workspace_id, ids, dms)
            open_keys = set(
                Task.objects.for_workspace(principal.workspace_id)
                .filter(account_id__in=ids, status=TaskStatus.OPEN)
                .exclude(trigger="")
                .values_list("account_id", "trigger")
            )
            seen = set(
                PlaybookFiring.objects.for_workspace(principal.workspace_id)
                .filter(account_id__in=ids)
                .values_list("account_id", "playbook_key", "occurrence")
            )
            for account in accounts:
                facts = Facts(
                    account=account,
                    health=health.get(account.id, []),
                    usage=usage.get(account.external_id or ""),
                    has_usage_data=has_usage,
                    revenue=revenue.get(account.id),
                    decision_makers_left=left.get(account.id, []),
                )
                for p in playbooks:
                    hit = _hit(p, facts, as_of, lowers, red_active)
                    if hit is None:
                        continue
                    if (account.id, p.key) in open_keys:
                        counts["skipped_open_task"] += 1
                        continue
                    if (account.id, p.key, hit.occurrence) in seen:
                        counts["skipped_seen"] += 1
                        continue
                    task = _fire(principal, p, account, hit, as_of)
                    if task is None:
                        counts["skipped_open_task"] += 1
                        continue
                    if task.status == TaskStatus.OPEN:
                        open_keys.add((account.id, p.key))
                        counts["tasks_created"] += 1
                    else:
                        counts["automated"] += 1
                    seen.add((account.id, p.key, hit.occurrence))
                    by_playbook[p.key] += 1
                    by_tier[task.service_tier] += 1
                    if keep_firings:
                        firings.append(Firing(
                            playbook=p.key, account_id=account.id, account_name=account.name,
                            service_tier=task.service_tier, occurrence=hit.occurrence,
                            reason=hit.reason, actions=task.actions,
                            task_id=task.pk if task.status == TaskStatus.OPEN else None,
                        ))  # fmt: skip
        if progress is not None:
            progress(min(offset + PAGE, total), total)
        offset += PAGE
        if offset >= total or not accounts:
            break
    with transaction.atomic():
        escalated = escalate_overdue(principal, as_of)
        summary = RunSummary(
            as_of=as_of, accounts=total, fired=sum(by_playbook.values()),
            tasks_created=counts["tasks_created"], automated=counts["automated"],
            skipped_open_task=counts["skipped_open_task"], skipped_seen=counts["skipped_seen"],
            escalated=escalated, by_playbook=dict(sorted(by_playbook.items())),
            by_tier=dict(sorted(by_tier.items())), firings=firings,
        )  # fmt: skip
        record_audit(
            principal, action="run", object_type="playbooks",
            object_repr=f"playbooks on {as_of.isoformat()}: {summary.fired} fired",
            after={"as_of": as_of.isoformat(), "fired": summary.fired,
                   "tasks_created": summary.tasks_created, "automated": summary.automated},
        )  # fmt: skip
    return summary
