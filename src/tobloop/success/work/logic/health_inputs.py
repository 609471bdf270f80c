"""What this app gives the health scores: NPS, open risk tasks and CSM sentiment per account.

Registered as measures of the success module's registry (``register_measures``), computed for a
whole batch of accounts as of a day from rows dated on or before that day, so a back-test
replay of a past day sees only what was known then.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from tobloop.platform.facade import Principal
from tobloop.success.work.logic.nps import nps_by_account
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


def _values(key: str) -> Any:
    def compute(ctx: Any, window: int, _opts: dict[str, Any]) -> dict[int, float | None]:
        ids = [a.id for a in ctx.accounts]
        rows = success_work_measures(ctx.principal, ids, ctx.as_of, window or 90)
        return {a: (None if v[key] is None else float(v[key])) for a, v in rows.items()}

    return compute


def register_measures() -> None:
    """Plug "NPS/CSAT", "open tasks" and "CSM sentiment" into the health measure registry."""
    # the registry itself, not the success facade: this runs at every process start (ready())
    from tobloop.success.logic.measures import REGISTRY as HEALTH_MEASURES
    from tobloop.success.logic.measures import MeasureSpec, register_measure

    specs = [
        MeasureSpec("nps", "NPS", "success_work", "score", "higher_better", 90,
                    "NPS of the account's answers in the window (−100 … 100)", _values("nps")),
        MeasureSpec("open_risk_tasks", "open risk tasks", "success_work", "count",
                    "lower_better", 0, "risk tasks open on the day (opened by playbooks or "
                    "by hand, not yet closed)", _values("open_tasks")),
        MeasureSpec("csm_sentiment", "CSM sentiment", "success_work", "score", "higher_better",
                    90, "the latest sentiment a CSM tagged on a note in the window: positive 1, "
                    "neutral 0.5, negative 0", _values("csm_sentiment")),
    ]  # fmt: skip
    for spec in specs:
        if spec.key not in HEALTH_MEASURES:
            register_measure(spec)
