"""Funnels and retention through the event store itself (DuckDB and chdb stores)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from tobloop.analytics.insights.models import By, FunnelQuery, RetentionQuery
from tobloop.analytics.insights.service import funnel_dropped, run_funnel, run_retention
from tobloop.analytics.store import EventStore, open_store
from tobloop.analytics.store.schema import COLUMNS, dedupe_key
from tobloop.platform.contracts import Principal, WorkspaceInfo
from tobloop.platform.thresholds import PlaybookThresholds

MAR9_SHANGHAI = 1773014400000 - 8 * 3600_000  # 2026-03-09 00:00 in Asia/Shanghai


def principal(workspace_id: int, scopes: str = "read") -> Principal:
    info = WorkspaceInfo(
        id=workspace_id,
        slug=f"ws{workspace_id}",
        name="W",
        currency="CNY",
        timezone="Asia/Shanghai",
        thresholds=PlaybookThresholds(),
    )
    return Principal(workspace=info, label="test", scopes=frozenset(scopes.split(",")))


def record(
    ws: int, n: int, event: str, user: str, account: str | None, ms: int
) -> dict[str, object]:
    values: dict[str, object] = {
        "workspace_id": ws,
        "type": "track",
        "event": event,
        "distinct_id": user,
        "user_id": user,
        "anonymous_id": None,
        "account_id": account,
        "timestamp": ms,
        "received_at": ms,
        "message_id": f"m{n}",
        "dedupe_key": dedupe_key(ws, f"m{n}"),
        "previous_id": None,
        "properties": {"plan": "pro"},
        "traits": {},
        "context": {},
        "source": "import",
    }
    assert set(values) == set(COLUMNS)
    return values


@pytest.fixture(params=["duckdb://", "chdb://"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EventStore]:
    s = open_store(request.param, tmp_path)
    yield s
    s.close()


def load(store: EventStore, tmp_path: Path, rows: list[dict[str, object]]) -> None:
    path = tmp_path / "records.ndjson"
    path.write_bytes(b"\n".join(orjson.dumps(r) for r in rows) + b"\n")
    store.load([path])


def test_store_backed_funnel_and_retention_use_the_workspace_time_zone(
    store: EventStore, tmp_path: Path
) -> None:
    # given u1 signs up at 00:30 Shanghai time on 9 March (still 8 March in UTC) and invites
    # ten minutes later; u2 signs up the same day and comes back the next day; another
    # workspace has events too
    t = MAR9_SHANGHAI + 30 * 60_000
    load(
        store,
        tmp_path,
        [
            record(1, 1, "signup", "u1", "acme", t),
            record(1, 2, "invite", "u1", "acme", t + 600_000),
            record(1, 3, "signup", "u2", None, t),
            record(1, 4, "login", "u2", None, t + 86_400_000),
            record(2, 5, "signup", "u9", "other", t),
        ],
    )
    funnel = FunnelQuery.model_validate(
        {"steps": ["signup", "invite"], "from": "2026-03-09", "to": "2026-03-09", "window": "1h"}
    )
    retention = RetentionQuery.model_validate(
        {"start": "signup", "from": "2026-03-09", "to": "2026-03-10", "period": "day", "periods": 2}
    )
    # when
    by_user = run_funnel(principal(1), funnel, store=store)
    by_account = run_funnel(principal(1), funnel.model_copy(update={"by": By.ACCOUNT}), store=store)
    cohorts = run_retention(principal(1), retention, store=store)
    # then
    assert [(s.count, s.conversion) for s in by_user.steps] == [(2, 1.0), (1, 0.5)]
    assert [s.count for s in by_account.steps] == [1, 1]
    assert funnel_dropped(principal(1), funnel, step=2, store=store) == ["u2"]
    assert cohorts.model_dump(mode="json")["cohorts"] == [
        {"cohort": "2026-03-09", "size": 2, "retained": [1, 0]},
        {"cohort": "2026-03-10", "size": 0, "retained": [0, 0]},
    ]


def test_empty_store_answers_zeros(store: EventStore) -> None:
    funnel = FunnelQuery.model_validate(
        {"steps": ["a", "b"], "from": "2026-03-09", "to": "2026-03-09"}
    )
    assert [s.count for s in run_funnel(principal(1), funnel, store=store).steps] == [0, 0]


def test_queries_need_the_analytics_read_scope(store: EventStore) -> None:
    from tobloop.kernel.errors import TobloopError

    funnel = FunnelQuery.model_validate(
        {"steps": ["a", "b"], "from": "2026-03-09", "to": "2026-03-09"}
    )
    with pytest.raises(TobloopError, match="analytics:read"):
        run_funnel(principal(1, scopes="accounts:read"), funnel, store=store)


def test_store_backed_queries_match_text_with_escapes_literally(
    store: EventStore, tmp_path: Path
) -> None:
    # given an event name with a backslash, a tab and a newline
    name = "odd\\name\twith\nbreaks"
    load(store, tmp_path, [record(3, 1, name, "u1", None, MAR9_SHANGHAI + 1000),
                           record(3, 2, "next", "u1", None, MAR9_SHANGHAI + 2000)])  # fmt: skip
    funnel = FunnelQuery.model_validate(
        {"steps": [name, "next"], "from": "2026-03-09", "to": "2026-03-09"}
    )
    # then
    assert [s.count for s in run_funnel(principal(3), funnel, store=store).steps] == [1, 1]
