"""The Live events and Event catalog pages, and their REST endpoints, scoped to one workspace."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tobloop.analytics.logic.importing import import_events

HISTORY = [
    {"type": "group", "userId": "u1", "groupId": "acct-1", "traits": {"name": "Acme"}},
    {"type": "track", "event": "Report Exported", "userId": "u1", "properties": {"rows": 3}},
    {"type": "track", "event": "Report Exported", "userId": "u2", "properties": {"rows": 9}},
    {"type": "track", "event": "Invite Sent", "userId": "u2", "context": {"groupId": "acct-2"}},
]


@pytest.fixture
def workspace(make_workspace: Any, settings: Any, tmp_path: Path) -> Any:
    settings.DATA_DIR = tmp_path  # a store of this test's own
    principal = make_workspace("acme")
    source = tmp_path / "history.ndjson"
    source.write_bytes(
        b"".join(
            orjson.dumps({**m, "messageId": f"p-{i}", "timestamp": f"2026-05-0{i + 1}T10:00:00Z"})
            + b"\n"
            for i, m in enumerate(HISTORY)
        )
    )
    assert import_events(principal, source).created == len(HISTORY)
    return principal


def bearer(key: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def test_live_events_api_filters_and_limits(workspace: Any, api_key: Any, client: Client) -> None:
    auth = bearer(api_key(workspace, "read"))
    doc = client.get("/api/v1/events", **auth).json()
    assert doc["count"] == 4
    assert [e["message_id"] for e in doc["items"]] == ["p-3", "p-2", "p-1", "p-0"]
    first = doc["items"][2]
    assert (first["event"], first["user_id"], first["account_id"]) == (
        "Report Exported",
        "u1",
        "acct-1",
    )
    assert first["properties"] == {"rows": 3}
    assert first["timestamp"].startswith("2026-05-02T10:00:00")
    only = client.get("/api/v1/events?event=Report%20Exported&limit=1", **auth).json()
    assert [e["message_id"] for e in only["items"]] == ["p-2"]
    by_user = client.get("/api/v1/events?user_id=u2", **auth).json()
    assert {e["message_id"] for e in by_user["items"]} == {"p-2", "p-3"}
    by_account = client.get("/api/v1/events?account=acct-2", **auth).json()
    assert [e["message_id"] for e in by_account["items"]] == ["p-3"]
    bad = client.get("/api/v1/events?limit=0", **auth)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_input"
    assert client.get("/api/v1/events").status_code == 401


def test_catalog_api_counts_events_and_properties(
    workspace: Any, api_key: Any, client: Client
) -> None:
    doc = client.get("/api/v1/events/catalog", **bearer(api_key(workspace, "read"))).json()
    exported = next(c for c in doc["items"] if c["event"] == "Report Exported")
    assert (exported["type"], exported["count"]) == ("track", 2)
    (rows,) = exported["properties"]
    assert (rows["name"], rows["count"], rows["examples"]) == ("rows", 2, ["3", "9"])
    assert exported["first_seen"].startswith("2026-05-02")
    assert exported["last_seen"].startswith("2026-05-03")


def test_another_workspace_sees_none_of_these_events(
    workspace: Any, make_workspace: Any, api_key: Any, client: Client
) -> None:
    other = make_workspace("other")
    auth = bearer(api_key(other, "read"))
    assert client.get("/api/v1/events", **auth).json() == {"items": [], "count": 0}
    assert client.get("/api/v1/events/catalog", **auth).json()["count"] == 0


def test_a_write_key_cannot_read_events(workspace: Any, client: Client) -> None:
    from tobloop.platform import facade

    key = facade.create_api_key(workspace_id=workspace.workspace_id, write_key=True).key
    assert client.get("/api/v1/events", **bearer(key)).status_code == 401


def test_live_events_page_filters_and_refreshes(workspace: Any, client: Client) -> None:
    client.force_login(get_user_model().objects.get(pk=workspace.user_id))
    page = client.get("/w/acme/analytics/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Live events" in html and "Report Exported" in html and "acct-1" in html
    assert 'hx-trigger="every 5s"' in html
    partial = client.get("/w/acme/analytics/?account=acct-2", HTTP_HX_REQUEST="true")
    body = partial.content.decode()
    assert "<html" not in body and "Invite Sent" in body and "Report Exported" not in body


def test_catalog_page_lists_events_and_properties(workspace: Any, client: Client) -> None:
    client.force_login(get_user_model().objects.get(pk=workspace.user_id))
    html = client.get("/w/acme/analytics/catalog/").content.decode()
    assert "Event catalog" in html and "Invite Sent" in html
    assert "<code>rows</code>" in html


def test_members_of_other_workspaces_are_turned_away(
    workspace: Any, make_workspace: Any, client: Client
) -> None:
    stranger = make_workspace("elsewhere")
    client.force_login(get_user_model().objects.get(pk=stranger.user_id))
    assert client.get("/w/acme/analytics/").status_code in {302, 403, 404}
