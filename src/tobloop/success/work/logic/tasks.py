"""The worklist: tasks and CTAs (risk, opportunity, onboarding, renewal) and account notes.

One filter (``TaskFilter``) drives the page, the REST list and ``tobloop tasks list``.
"""

from __future__ import annotations

from datetime import date
from typing import Literal
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from pydantic import BaseModel, ConfigDict, Field

from tobloop.accounts.facade import get_account
from tobloop.kernel.errors import Conflict, ErrorDetail, InvalidInput, NotFound
from tobloop.platform.facade import Principal, record_audit, require
from tobloop.success.work.contracts import NoteView, TaskView
from tobloop.success.work.logic import alerts
from tobloop.success.work.models import Note, Outcome, Sentiment, Task, TaskKind, TaskStatus

MAX_ID = 2**63 - 1
TierName = Literal["online_partner", "regional_csm", "dedicated_team", "unassigned"]
KindName = Literal["risk", "opportunity", "onboarding", "renewal"]
StatusName = Literal["open", "done", "cancelled"]
OutcomeName = Literal[
    "resolved", "saved", "expanded", "renewed", "no_action", "churned", "automated"
]


def today_for(principal: Principal) -> date:
    """Today in the workspace's own time zone."""
    return timezone.now().astimezone(ZoneInfo(principal.workspace.timezone)).date()


class TaskFilter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tier: TierName | None = None
    owner: str | None = Field(None, max_length=150, description="user name; '-' for no owner")
    kind: KindName | None = None
    status: StatusName | None = None
    account: int | None = Field(None, ge=1, le=MAX_ID)
    trigger: str | None = Field(None, max_length=80)
    due_before: date | None = Field(None, description="due on or before this day")
    due_after: date | None = Field(None, description="due on or after this day")
    overdue: bool | None = None
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=10_000_000)


def escalated_to(t: Task) -> str | None:
    if t.escalation_level <= 0 or not t.escalation_path:
        return None
    return str(t.escalation_path[min(t.escalation_level, len(t.escalation_path)) - 1])


def task_view(t: Task) -> TaskView:
    return TaskView(
        id=t.pk,
        account_id=t.account_id,
        account_name=t.account.name,
        kind=t.kind,
        title=t.title,
        reason=t.reason,
        trigger=t.trigger,
        occurrence=t.occurrence,
        playbook=t.trigger or None if t.playbook_id else None,
        service_tier=t.service_tier,
        owner=t.owner,
        team=t.team,
        due=t.due,
        status=t.status,
        outcome=t.outcome,
        outcome_note=t.outcome_note,
        escalation_level=t.escalation_level,
        escalation_path=list(t.escalation_path),
        escalated_to=escalated_to(t),
        actions=list(t.actions),
        created_at=t.created_at,
        closed_at=t.closed_at,
    )


def filter_tasks(principal: Principal, f: TaskFilter) -> QuerySet[Task]:
    qs = Task.objects.for_workspace(principal.workspace_id).select_related("account")
    if f.tier:
        qs = qs.filter(service_tier=f.tier)
    if f.owner == "-":
        qs = qs.filter(owner="")
    elif f.owner:
        qs = qs.filter(owner=f.owner)
    for name in ("kind", "status", "trigger"):
        value = getattr(f, name)
        if value:
            qs = qs.filter(**{name: value})
    if f.account:
        qs = qs.filter(account_id=f.account)
    if f.due_before:
        qs = qs.filter(due__lte=f.due_before)
    if f.due_after:
        qs = qs.filter(due__gte=f.due_after)
    if f.overdue is not None:
        overdue = Q(status=TaskStatus.OPEN, due__lt=today_for(principal))
        qs = qs.filter(overdue) if f.overdue else qs.exclude(overdue)
    return qs.order_by("status", "due", "id")


def list_tasks(principal: Principal, f: TaskFilter) -> tuple[list[TaskView], int]:
    require(principal.scopes, "success", "read")
    qs = filter_tasks(principal, f)
    return [task_view(t) for t in qs[f.offset : f.offset + f.limit]], qs.count()


def task_owners(principal: Principal) -> list[str]:
    require(principal.scopes, "success", "read")
    qs = Task.objects.for_workspace(principal.workspace_id).exclude(owner="")
    return sorted(set(qs.values_list("owner", flat=True)))


def _get(principal: Principal, task_id: int) -> Task:
    t = (
        Task.objects.for_workspace(principal.workspace_id)
        .select_related("account")
        .filter(pk=task_id)
        .first()
    )
    if t is None:
        raise NotFound(f"no task with id {task_id}", code="task_not_found")
    return t


def get_task(principal: Principal, task_id: int) -> TaskView:
    require(principal.scopes, "success", "read")
    return task_view(_get(principal, task_id))


class TaskCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account: int = Field(..., ge=1, le=MAX_ID)
    kind: KindName
    title: str = Field(..., min_length=1, max_length=200)
    reason: str = Field("", max_length=5000)
    owner: str = Field("", max_length=150)
    team: str = Field("", max_length=160)
    due: date | None = None
    trigger: str = Field("", max_length=80, description="open tasks are unique per trigger")


class TaskPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(None, min_length=1, max_length=200)
    owner: str | None = Field(None, max_length=150)
    team: str | None = Field(None, max_length=160)
    due: date | None = None
    status: StatusName | None = None
    outcome: OutcomeName | None = None
    outcome_note: str | None = Field(None, max_length=5000)


FIELDS = ("title", "owner", "team", "due", "status", "outcome", "outcome_note")


def _snapshot(t: Task) -> dict[str, object]:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k in FIELDS
            for v in [getattr(t, k)]}  # fmt: skip


@transaction.atomic
def create_task(principal: Principal, data: TaskCreate) -> TaskView:
    require(principal.scopes, "success", "write")
    account = get_account(principal, data.account)
    if (
        data.trigger
        and Task.objects.for_workspace(principal.workspace_id)
        .filter(account_id=account.id, trigger=data.trigger, status=TaskStatus.OPEN)
        .exists()
    ):
        raise Conflict(
            f"account {account.id} already has an open task for trigger {data.trigger!r}",
            code="duplicate_open_task",
        )
    tier = account.service_tier
    try:
        with transaction.atomic():
            t = Task.objects.create(
                workspace_id=principal.workspace_id, account_id=account.id, kind=data.kind,
                title=data.title, reason=data.reason, owner=data.owner or account.csm_owner or "",
                team=data.team, due=data.due, trigger=data.trigger, service_tier=tier,
                created_by=principal.label[:150],
            )  # fmt: skip
    except IntegrityError:
        raise Conflict("an open task for this trigger exists", code="duplicate_open_task") from None
    t.account = _get(principal, t.pk).account
    record_audit(principal, action="create", object_type="task", object_id=t.pk,
                 object_repr=t.title, after=_snapshot(t))  # fmt: skip
    return task_view(t)


@transaction.atomic
def update_task(principal: Principal, task_id: int, data: TaskPatch) -> TaskView:
    """Change a task; closing it (done/cancelled) records the outcome and its note."""
    require(principal.scopes, "success", "write")
    t = _get(principal, task_id)
    before = _snapshot(t)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("status") == TaskStatus.DONE and not (changes.get("outcome") or t.outcome):
        raise InvalidInput(
            "a done task needs an outcome",
            details=[ErrorDetail(("outcome",), f"one of {', '.join(Outcome.values)}")],
        )
    for name, value in changes.items():
        setattr(t, name, "" if value is None and name not in {"due"} else value)
    was_open = before["status"] == TaskStatus.OPEN
    if t.status != TaskStatus.OPEN and was_open:
        t.closed_at = timezone.now()
    elif t.status == TaskStatus.OPEN:
        t.closed_at = None
        if (
            not was_open
            and t.trigger
            and Task.objects.for_workspace(principal.workspace_id)
            .filter(account_id=t.account_id, trigger=t.trigger, status=TaskStatus.OPEN)
            .exclude(pk=t.pk)
            .exists()
        ):
            raise Conflict("another open task has this trigger", code="duplicate_open_task")
    t.save()
    after = _snapshot(t)
    record_audit(principal, action="update", object_type="task", object_id=t.pk,
                 object_repr=t.title, before=before, after=after)  # fmt: skip
    if t.status == TaskStatus.DONE and was_open:
        from tobloop.success.work.logic.playbooks import task_payload

        alerts.enqueue(principal.workspace_id, "task.completed", task_payload(t, t.account.name))
    return task_view(t)


def complete_task(principal: Principal, task_id: int, outcome: str, note: str = "") -> TaskView:
    if outcome not in Outcome.values:
        raise InvalidInput(
            f"unknown outcome {outcome!r}",
            details=[ErrorDetail(("outcome",), f"one of {', '.join(Outcome.values)}")],
        )
    return update_task(
        principal,
        task_id,
        TaskPatch(status="done", outcome=outcome, outcome_note=note),  # type: ignore[arg-type]
    )


@transaction.atomic
def delete_task(principal: Principal, task_id: int) -> None:
    require(principal.scopes, "success", "write")
    t = _get(principal, task_id)
    record_audit(principal, action="delete", object_type="task", object_id=t.pk,
                 object_repr=t.title, before=_snapshot(t))  # fmt: skip
    t.delete()


# Notes -----------------------------------------------------------------------------------


def note_view(n: Note) -> NoteView:
    return NoteView(
        id=n.pk, account_id=n.account_id, author=n.author, body=n.body,
        sentiment=n.sentiment, created_at=n.created_at,
    )  # fmt: skip


@transaction.atomic
def add_note(principal: Principal, account_id: int, body: str, sentiment: str = "") -> NoteView:
    require(principal.scopes, "success", "write")
    account = get_account(principal, account_id)
    body = body.strip()
    if not body or len(body) > 10_000 or "\x00" in body:
        raise InvalidInput(
            "the note is empty or too long",
            details=[ErrorDetail(("body",), "1 to 10,000 characters, no NUL")],
        )
    if sentiment not in ("", *Sentiment.values):
        raise InvalidInput(
            f"unknown sentiment {sentiment!r}",
            details=[ErrorDetail(("sentiment",), f"one of {', '.join(Sentiment.values)}")],
        )
    n = Note.objects.create(
        workspace_id=principal.workspace_id, account_id=account.id,
        author=principal.label[:150], body=body, sentiment=sentiment,
    )  # fmt: skip
    record_audit(principal, action="create", object_type="note", object_id=n.pk,
                 object_repr=f"note on {account.name}", after={"body": body})  # fmt: skip
    return note_view(n)


def list_notes(principal: Principal, account_id: int) -> list[NoteView]:
    require(principal.scopes, "success", "read")
    get_account(principal, account_id)
    return [
        note_view(n)
        for n in Note.objects.for_workspace(principal.workspace_id).filter(account_id=account_id)
    ]


KINDS = TaskKind.values
