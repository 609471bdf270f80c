"""The success-work module's public surface: playbooks by tier, tasks, renewals, NPS/CSAT,
the account timeline and alerts. Other modules import only this."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from tobloop.platform.facade import Principal
from tobloop.success.work.contracts import (
    DeliveryView,
    EndpointView,
    Firing,
    ForecastTotal,
    NoteView,
    NpsSummary,
    NpsView,
    PlaybookView,
    RenewalRow,
    RenewalsReport,
    RunSummary,
    TaskView,
    TimelineEntry,
)
from tobloop.success.work.logic.alerts import (
    EVENT_TYPES,
    create_endpoint,
    delete_endpoint,
    deliver_due,
    list_deliveries,
    list_endpoints,
    sign,
    verify,
)
from tobloop.success.work.logic.nps import (
    NpsIn,
    import_answers,
    list_answers,
    nps_by_account,
    nps_summary,
    record_answers,
)
from tobloop.success.work.logic.playbooks import list_playbooks, run_playbooks, update_playbook
from tobloop.success.work.logic.renewals import renewals
from tobloop.success.work.logic.tasks import (
    TaskCreate,
    TaskFilter,
    TaskPatch,
    add_note,
    complete_task,
    create_task,
    delete_task,
    get_task,
    list_notes,
    list_tasks,
    update_task,
)
from tobloop.success.work.logic.timeline import account_timeline, register_timeline_source
from tobloop.success.work.models import Note, Task, TaskStatus

SENTIMENT_VALUE = {"positive": 1.0, "neutral": 0.5, "negative": 0.0}


def success_work_measures(
    principal: Principal, account_ids: Sequence[int], as_of: date, days: int = 90
) -> dict[int, dict[str, Any]]:
    """Per account, as of a day, the health inputs this module owns (for the health registry):

    - ``nps``: NPS of the account's answers in the ``days`` up to as_of (−100…100, None: none);
    - ``open_tasks``: risk tasks open on as_of (created on or before it, not closed by then);
    - ``csm_sentiment``: the latest tagged note on or before as_of in the window — positive 1.0,
      neutral 0.5, negative 0.0 (None: none).
    """
    ids = list(account_ids)
    nps = nps_by_account(principal, ids, as_of, days)
    open_tasks: dict[int, int] = defaultdict(int)
    tasks = Task.objects.for_workspace(principal.workspace_id).filter(
        account_id__in=ids, kind="risk", created_at__date__lte=as_of
    )
    for account_id, status, closed in tasks.values_list("account_id", "status", "closed_at"):
        if status == TaskStatus.OPEN or (closed is not None and closed.date() > as_of):
            open_tasks[account_id] += 1
    sentiment: dict[int, float | None] = {}
    notes = (
        Note.objects.for_workspace(principal.workspace_id)
        .filter(account_id__in=ids, created_at__date__lte=as_of)
        .filter(created_at__date__gt=as_of - timedelta(days=days))
        .exclude(sentiment="")
        .order_by("account_id", "-created_at", "-id")
    )
    for account_id, value in notes.values_list("account_id", "sentiment"):
        sentiment.setdefault(account_id, SENTIMENT_VALUE[value])
    return {
        a: {"nps": nps.get(a), "open_tasks": open_tasks.get(a, 0),
            "csm_sentiment": sentiment.get(a)}
        for a in ids
    }  # fmt: skip


__all__ = [
    "EVENT_TYPES",
    "DeliveryView",
    "EndpointView",
    "Firing",
    "ForecastTotal",
    "NoteView",
    "NpsIn",
    "NpsSummary",
    "NpsView",
    "PlaybookView",
    "RenewalRow",
    "RenewalsReport",
    "RunSummary",
    "TaskCreate",
    "TaskFilter",
    "TaskPatch",
    "TaskView",
    "TimelineEntry",
    "account_timeline",
    "add_note",
    "complete_task",
    "create_endpoint",
    "create_task",
    "delete_endpoint",
    "delete_task",
    "deliver_due",
    "get_task",
    "import_answers",
    "list_answers",
    "list_deliveries",
    "list_endpoints",
    "list_notes",
    "list_playbooks",
    "list_tasks",
    "nps_summary",
    "record_answers",
    "register_timeline_source",
    "renewals",
    "run_playbooks",
    "sign",
    "success_work_measures",
    "update_playbook",
    "update_task",
    "verify",
]
