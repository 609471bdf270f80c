"""``POST /api/v1/analytics/funnel`` and ``/retention`` over the workspace's event store."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from tobloop.analytics.insights.tests.test_service import MAR9_SHANGHAI, record

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded(settings: Any, tmp_path: Path, make_workspace: Callable[..., Any]) -> Any:
    # given a workspace in Shanghai time with two users, one of them converting
    from tobloop.analytics.store import event_store

    settings.DATA_DIR = tmp_path
    owner = make_workspace(timezone="Asia/Shanghai")
    ws, t = owner.workspace_id, MAR9_SHANGHAI + 30 * 60_000
    rows = [
        record(ws, 1, "signup", "u1", "acme", t),
        record(ws, 2, "invite", "u1", "acme", t + 600_000),
        record(ws, 3, "signup", "u2", None, t),
        record(ws, 4, "login", "u2", None, t + 86_400_000),
    ]
    path = tmp_path / "records.ndjson"
    path.write_bytes(b"\n".join(orjson.dumps(r) for r in rows) + b"\n")
    event_store().load([path])
    return owner


def post(client: Any, key: str, path: str, body: dict[str, Any]) -> Any:
    return client.post(
        f"/api/v1/analytics/{path}",
        data=orjson.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )


def test_funnel_endpoint_answers_the_cli_json(client: Any, loaded: Any, api_key: Any) -> None:
    body = {"steps": ["signup", "invite"], "from": "2026-03-09", "to": "2026-03-09",
            "window": "1h"}  # fmt: skip
    response = post(client, api_key(loaded, "read"), "funnel", body)
    assert response.status_code == 200, response.content
    assert response.json() == {
        "by": "user",
        "window_seconds": 3600,
        "first_attempt": False,
        "steps": [
            {"event": "signup", "count": 2, "conversion": 1.0},
            {"event": "invite", "count": 1, "conversion": 0.5},
        ],
        "breakdown": None,
        "over_time": None,
        "time_to_convert": None,
    }


def test_retention_endpoint(client: Any, loaded: Any, api_key: Any) -> None:
    body = {"start": "signup", "return": "login", "from": "2026-03-09", "to": "2026-03-10",
            "period": "day", "periods": 1, "by": "user"}  # fmt: skip
    response = post(client, api_key(loaded, "read"), "retention", body)
    assert response.status_code == 200, response.content
    assert response.json()["cohorts"] == [
        {"cohort": "2026-03-09", "size": 2, "retained": [1]},
        {"cohort": "2026-03-10", "size": 0, "retained": [0]},
    ]


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"steps": ["a"], "from": "2026-03-09", "to": "2026-03-09"}, "steps"),
        ({"steps": ["a", "b"], "from": "2026-03-09", "to": "2026-03-09", "window": "7w"}, "window"),
        ({"steps": ["a", "b"], "from": "2026-03-09", "to": "x"}, "to"),
    ],
)
def test_bad_queries_answer_422_with_the_error_shape(
    client: Any, loaded: Any, api_key: Any, body: dict[str, Any], loc: str
) -> None:
    response = post(client, api_key(loaded, "read"), "funnel", body)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert any(loc in d["loc"] for d in error["details"])


def test_analytics_read_scope_is_required(client: Any, loaded: Any, api_key: Any) -> None:
    body = {"steps": ["signup", "invite"], "from": "2026-03-09", "to": "2026-03-09"}
    response = post(client, api_key(loaded, "accounts:read"), "funnel", body)
    assert response.status_code == 403


def test_trends_endpoint_counts_per_day(client: Any, loaded: Any, api_key: Any) -> None:
    body = {"from": "2026-03-09", "to": "2026-03-10", "interval": "day"}
    response = post(client, api_key(loaded, "read"), "trends", body)
    assert response.status_code == 200, response.content
    assert response.json() == {
        "interval": "day",
        "series": [
            {"date": "2026-03-09", "count": 3, "users": 2, "accounts": 1},
            {"date": "2026-03-10", "count": 1, "users": 1, "accounts": 0},
        ],
        "breakdown": None,
    }


def test_paths_endpoint(client: Any, loaded: Any, api_key: Any) -> None:
    body = {"start": "signup", "from": "2026-03-09", "to": "2026-03-10", "depth": 2}
    response = post(client, api_key(loaded, "read"), "paths", body)
    assert response.status_code == 200, response.content
    doc = response.json()
    assert (doc["direction"], doc["event"], doc["entities"]) == ("after", "signup", 2)
    assert doc["links"] == [
        {"level": 1, "source": "signup", "target": "invite", "count": 1},
        {"level": 1, "source": "signup", "target": "login", "count": 1},
    ]


def test_funnel_breakdown_by_account_field_reads_the_accounts(
    client: Any, loaded: Any, api_key: Any
) -> None:
    # given acme is a Retail account; u2's events carry no account
    from tobloop.accounts import facade as accounts

    accounts.create_account(
        loaded, accounts.AccountCreate(name="Acme", external_id="acme", industry="Retail")
    )
    body = {"steps": ["signup", "invite"], "from": "2026-03-09", "to": "2026-03-09",
            "breakdown": {"kind": "account_field", "key": "industry"}}  # fmt: skip
    # when
    response = post(client, api_key(loaded, "read"), "funnel", body)
    # then
    assert response.status_code == 200, response.content
    rows = [(r["value"], [s["count"] for s in r["steps"]]) for r in response.json()["breakdown"]]
    assert rows == [("$none", [1, 0]), ("Retail", [1, 1])]
    # a key that may read analytics but not accounts cannot break down by account fields
    denied = post(client, api_key(loaded, "analytics:read"), "funnel", body)
    assert denied.status_code == 403
    assert "accounts:read" in denied.json()["error"]["message"]
    unknown = post(client, api_key(loaded, "read"), "funnel",
                   {**body, "breakdown": {"kind": "account_field", "key": "name"}})  # fmt: skip
    assert unknown.status_code == 422
    assert any("breakdown" in d["loc"] for d in unknown.json()["error"]["details"])


def test_dropped_and_active_endpoints(client: Any, loaded: Any, api_key: Any) -> None:
    key = api_key(loaded, "read")
    body = {"steps": ["signup", "invite"], "from": "2026-03-09", "to": "2026-03-09", "step": 2}
    response = post(client, key, "funnel/dropped", body)
    assert response.status_code == 200, response.content
    assert response.json() == {
        "by": "user", "step": 2, "event": "invite", "entities": ["u2"], "truncated": False,
    }  # fmt: skip
    bad = post(client, key, "funnel/dropped", {**body, "step": 3})
    assert bad.status_code == 422
    active = post(client, key, "active", {"from": "2026-03-09", "to": "2026-03-10"})
    assert active.status_code == 200, active.content
    assert [(p["dau"], p["mau"]) for p in active.json()["series"]] == [(2, 2), (1, 2)]
    assert active.json()["stickiness"] == (1 + 0.5) / 2


def test_a_query_over_the_memory_limit_is_refused_clearly(
    client: Any, loaded: Any, api_key: Any, settings: Any
) -> None:
    """More than TOBLOOP_EVENTS_MEMORY_LIMIT allows: 503 naming the limit, not a 500."""
    settings.TOBLOOP_EVENTS_MEMORY_LIMIT = "1MB"
    body = {"start": "signup", "from": "2026-03-09", "to": "2026-03-10", "depth": 4}
    response = post(client, api_key(loaded, "read"), "paths", body)
    assert response.status_code == 503, response.content
    error = response.json()["error"]
    assert error["code"] == "over_capacity"
    assert "1MB" in error["message"] and "TOBLOOP_EVENTS_MEMORY_LIMIT" in error["message"]
