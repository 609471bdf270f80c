"""The health inputs this app owns: NPS, open risk tasks, CSM sentiment — as of a day."""

from __future__ import annotations

from datetime import UTC, date, datetime

from django.utils import timezone

from tobloop.success import facade as success
from tobloop.success.work import facade
from tobloop.success.work.models import Note, NpsResponse, Task
from tobloop.success.work.tests.fixtures import account

DAY = date(2026, 11, 20)


def _at(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, 12, tzinfo=UTC)


def test_measures_are_registered_with_the_health_registry() -> None:
    for key in ("nps", "open_risk_tasks", "csm_sentiment"):
        assert success.HEALTH_MEASURES[key].source == "success_work"


def test_values_as_of_a_day_see_nothing_later(make_workspace):  # type: ignore[no-untyped-def]
    owner = make_workspace("inputs")
    a = account(owner, "Inputs", "mid")
    b = account(owner, "Silent", "mid")
    ws = owner.workspace_id
    for score, d in (
        (10, date(2026, 11, 1)),
        (9, date(2026, 10, 1)),
        (2, date(2026, 9, 30)),
        (0, date(2026, 11, 25)),
        (3, date(2026, 5, 1)),
    ):
        NpsResponse.objects.create(
            workspace_id=ws, account_id=a.id, kind="nps", score=score, answered_at=_at(d)
        )
    # in the 90 days up to DAY: 10, 9, 2 → (2 − 1) / 3 = 33.3; the 0 is later, the 3 too early
    t1 = Task.objects.create(workspace_id=ws, account_id=a.id, kind="risk", title="open")
    t2 = Task.objects.create(
        workspace_id=ws,
        account_id=a.id,
        kind="risk",
        title="closed later",
        status="done",
        outcome="saved",
        closed_at=_at(date(2026, 11, 22)),
    )
    Task.objects.create(
        workspace_id=ws,
        account_id=a.id,
        kind="risk",
        title="closed before",
        status="done",
        outcome="saved",
        closed_at=_at(date(2026, 11, 1)),
    )
    Task.objects.create(workspace_id=ws, account_id=a.id, kind="renewal", title="not a risk")
    Task.objects.filter(pk__in=[t1.pk, t2.pk]).update(created_at=_at(date(2026, 10, 30)))
    Task.objects.filter(workspace_id=ws).exclude(pk__in=[t1.pk, t2.pk]).update(
        created_at=_at(date(2026, 10, 1))
    )
    n1 = Note.objects.create(
        workspace_id=ws, account_id=a.id, author="x", body="meh", sentiment="negative"
    )
    n2 = Note.objects.create(
        workspace_id=ws, account_id=a.id, author="x", body="great", sentiment="positive"
    )
    Note.objects.filter(pk=n1.pk).update(created_at=_at(date(2026, 11, 10)))
    Note.objects.filter(pk=n2.pk).update(created_at=_at(date(2026, 11, 21)))  # after DAY
    assert timezone.now()  # rows above carry explicit times

    values = facade.success_work_measures(owner, [a.id, b.id], DAY)

    assert values[a.id] == {"nps": 33.3, "open_tasks": 2, "csm_sentiment": 0.0}
    assert values[b.id] == {"nps": None, "open_tasks": 0, "csm_sentiment": None}
