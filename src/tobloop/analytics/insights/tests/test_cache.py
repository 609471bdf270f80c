"""Cached results: kept while the events a query reads stay the same, recomputed otherwise."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache

from tobloop.analytics.insights import runners
from tobloop.analytics.insights.cache import read_range
from tobloop.analytics.insights.models import (
    ActiveQuery,
    FunnelQuery,
    RetentionQuery,
    TrendsQuery,
)
from tobloop.analytics.insights.service import run_active, run_funnel, run_trends
from tobloop.analytics.insights.tests.test_service import (
    MAR9_SHANGHAI,
    load,
    principal,
    record,
    store,  # noqa: F401 - the fixture
)
from tobloop.analytics.store import EventStore

DAY_MS = 86_400_000
FUNNEL = FunnelQuery.model_validate(
    {"steps": ["signup", "invite"], "from": "2026-03-09", "to": "2026-03-09", "window": "1h"}
)


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


class Counting:
    """Counts the statements the runners send (the stamp query is not a runner's)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        for name in ("FunnelRunner", "TrendsRunner", "ActiveRunner"):
            cls = getattr(runners, name)
            original = cls.calculate

            def counted(runner: Any, engine: Any, _original: Any = original) -> Any:
                self.calls += 1
                return _original(runner, engine)

            monkeypatch.setattr(cls, "calculate", counted)


def test_new_event_in_range_changes_the_answer_outside_keeps_the_cache(
    store: EventStore,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given u1 signs up on 9 March (Shanghai) and invites 10 minutes later
    counting = Counting(monkeypatch)
    t = MAR9_SHANGHAI + 3600_000
    load(store, tmp_path, [record(1, 1, "signup", "u1", "a1", t),
                           record(1, 2, "invite", "u1", "a1", t + 600_000)])  # fmt: skip
    first = run_funnel(principal(1), FUNNEL, store=store)
    assert [s.count for s in first.steps] == [1, 1] and counting.calls == 1
    # when the same query runs again, and after events outside its range (a day later, another
    # workspace) arrive
    assert run_funnel(principal(1), FUNNEL, store=store) == first
    load(store, tmp_path, [record(1, 3, "signup", "u2", None, t + 2 * DAY_MS),
                           record(2, 4, "signup", "u9", None, t)])  # fmt: skip
    again = run_funnel(principal(1), FUNNEL, store=store)
    # then the answer comes from the cache
    assert again == first and counting.calls == 1
    # when an event inside the range (within the window after "to") arrives
    load(store, tmp_path, [record(1, 5, "signup", "u3", None, t + 5_000)])
    changed = run_funnel(principal(1), FUNNEL, store=store)
    # then the query runs again and sees it
    assert [s.count for s in changed.steps] == [2, 1] and counting.calls == 2
    # and the same events in another workspace or another query are cached apart
    assert [s.count for s in run_funnel(principal(2), FUNNEL, store=store).steps] == [1, 0]
    body = FUNNEL.model_dump(by_alias=True, exclude_unset=True)
    by_account = FunnelQuery.model_validate({**body, "by": "account"})
    assert [s.count for s in run_funnel(principal(1), by_account, store=store).steps] == [1, 1]
    assert counting.calls == 4


def test_active_users_look_back_29_days_and_trends_only_at_the_range(
    store: EventStore,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    counting = Counting(monkeypatch)
    t = MAR9_SHANGHAI + 3600_000
    load(store, tmp_path, [record(1, 1, "login", "u1", "a1", t)])
    day = {"from": "2026-03-09", "to": "2026-03-09"}
    active, trends = ActiveQuery.model_validate(day), TrendsQuery.model_validate(day)
    assert [p.mau for p in run_active(principal(1), active, store=store).series] == [1]
    assert [p.count for p in run_trends(principal(1), trends, store=store).series] == [1]
    # when an event 20 days earlier arrives
    load(store, tmp_path, [record(1, 2, "login", "u2", None, t - 20 * DAY_MS)])
    # then MAU (which reads it) is recomputed, the day's trend is not
    assert [p.mau for p in run_active(principal(1), active, store=store).series] == [2]
    assert [p.count for p in run_trends(principal(1), trends, store=store).series] == [1]
    assert counting.calls == 3


def test_read_ranges() -> None:
    lo = 1773014400000  # 2026-03-09 00:00 UTC
    funnel = FUNNEL.model_copy(update={"timezone": "UTC"})
    assert read_range(funnel) == (lo, lo + DAY_MS + 3600_000)
    retention = RetentionQuery.model_validate(
        {"start": "a", "from": "2026-03-09", "to": "2026-03-09"}
    )
    assert read_range(retention) == (None, None)
    trait = FunnelQuery.model_validate(
        {**funnel.model_dump(by_alias=True), "breakdown": {"kind": "user_trait", "key": "plan"}}
    )
    assert read_range(trait) == (None, None)
    active = ActiveQuery.model_validate({"from": "2026-03-09", "to": "2026-03-09"})
    assert read_range(active) == (lo - 29 * DAY_MS, lo + DAY_MS)
