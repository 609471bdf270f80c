"""The real Segment, RudderStack and Sensors Python SDKs against a live server, unchanged."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.events.conftest import LiveServer
from tobloop.analytics.ingest.loader import wait_until_drained

T0 = datetime(2026, 11, 20, 12, 0, 0, 123000, tzinfo=UTC)


def _account(server: LiveServer, external_id: str) -> dict[str, Any]:
    status, doc = server.request(
        "GET",
        f"/api/v1/accounts?q={external_id}",
        headers={"Authorization": f"Bearer {server.api_key}"},
    )
    assert status == 200, doc
    found = [a for a in doc["items"] if a["external_id"] == external_id]
    assert found, doc
    return found[0]


def test_segment_sdk_calls_are_stored_field_by_field(event_server: LiveServer) -> None:
    from segment.analytics.client import Client

    errors: list[Any] = []
    client = Client(
        write_key=event_server.write_key,
        host=event_server.url,
        sync_mode=True,
        max_retries=1,
        on_error=lambda e, batch: errors.append(e),
    )
    user, anon = f"seg-{uuid.uuid4().hex[:8]}", f"anon-{uuid.uuid4().hex[:8]}"
    acct = f"acct-{uuid.uuid4().hex[:8]}"
    client.identify(
        user, {"email": f"{user}@example.com", "plan": "pro"}, timestamp=T0, message_id=f"{user}-1"
    )
    client.group(
        user,
        acct,
        {"name": "Acme Robotics", "industry": "Software", "employees": 250, "plan": "enterprise"},
        timestamp=T0 + timedelta(seconds=1),
        message_id=f"{user}-2",
    )
    client.track(
        user,
        "Report Exported",
        {"format": "csv", "rows": 120},
        context={"groupId": acct, "ip": "10.0.0.7"},
        timestamp=T0 + timedelta(seconds=2),
        message_id=f"{user}-3",
    )
    client.page(
        user,
        "Docs",
        "Getting started",
        {"path": "/docs"},
        timestamp=T0 + timedelta(seconds=3),
        message_id=f"{user}-4",
    )
    client.screen(user, "App", "Home", timestamp=T0 + timedelta(seconds=4), message_id=f"{user}-5")
    client.alias(anon, user, timestamp=T0 + timedelta(seconds=5), message_id=f"{user}-6")
    client.track(
        user, "Dashboard Viewed", timestamp=T0 + timedelta(seconds=6), message_id=f"{user}-7"
    )
    client.flush()
    assert errors == []

    rows = event_server.events_of(user, 7)
    assert [(e.type, e.event, e.message_id) for e in rows] == [
        ("identify", "", f"{user}-1"),
        ("group", "", f"{user}-2"),
        ("track", "Report Exported", f"{user}-3"),
        ("page", "Getting started", f"{user}-4"),
        ("screen", "Home", f"{user}-5"),
        ("alias", "", f"{user}-6"),
        ("track", "Dashboard Viewed", f"{user}-7"),
    ]
    assert [e.timestamp for e in rows] == [T0 + timedelta(seconds=i) for i in range(7)]
    assert all(e.user_id == user and e.distinct_id == user and e.source == "segment" for e in rows)
    identify, group, track, page, _screen, alias, later = rows
    assert identify.traits == {"email": f"{user}@example.com", "plan": "pro"}
    assert identify.anonymous_id is None
    assert group.account_id == acct
    assert group.traits == {
        "name": "Acme Robotics",
        "industry": "Software",
        "employees": 250,
        "plan": "enterprise",
    }
    assert track.properties == {"format": "csv", "rows": 120}
    assert track.context["groupId"] == acct and track.context["ip"] == "10.0.0.7"
    assert track.context["library"]["name"] == "analytics-python"
    assert page.properties == {"path": "/docs", "category": "Docs"}
    assert alias.previous_id == anon
    assert later.account_id == acct  # no groupId of its own: the user's latest group
    assert (later.received_at - later.timestamp) > timedelta(0)

    account = _account(event_server, acct)
    assert (account["name"], account["industry"], account["headcount"]) == (
        "Acme Robotics",
        "Software",
        250,
    )
    assert account["custom_fields"]["plan"] == "enterprise"
    assert account["segment"] == "mid"


def test_rudderstack_sdk_gzip_batches_and_context_traits(event_server: LiveServer) -> None:
    from rudderstack.analytics.client import Client

    errors: list[Any] = []
    client = Client(
        write_key=event_server.write_key,
        host=event_server.url,
        sync_mode=True,
        max_retries=1,
        on_error=lambda e, batch: errors.append(e),
    )
    user, acct = f"rud-{uuid.uuid4().hex[:8]}", f"acct-{uuid.uuid4().hex[:8]}"
    client.identify(user, {"email": f"{user}@example.com"}, timestamp=T0, message_id=f"{user}-1")
    client.group(user, acct, {"name": "Beta Foods"}, timestamp=T0 + timedelta(seconds=1))
    client.track(
        user, "Invite Sent", {"invitee": "c@example.com"}, timestamp=T0 + timedelta(seconds=2)
    )
    client.flush()
    assert errors == []

    identify, group, track = event_server.events_of(user, 3)
    assert identify.type == "identify"
    assert identify.traits == {"email": f"{user}@example.com"}  # sent in context.traits
    assert identify.timestamp == T0
    assert group.account_id == acct and group.traits == {"name": "Beta Foods"}
    assert (track.event, track.properties, track.account_id) == (
        "Invite Sent",
        {"invitee": "c@example.com"},
        acct,
    )
    assert len(group.message_id) == 36  # the SDK's uuid4
    assert _account(event_server, acct)["name"] == "Beta Foods"


def test_sensors_sdk_default_and_batch_consumers(event_server: LiveServer) -> None:
    import sensorsanalytics

    url = f"{event_server.url}/sa?project=default&token={event_server.write_key}"
    user, acct = f"sa-{uuid.uuid4().hex[:8]}", f"acct-{uuid.uuid4().hex[:8]}"
    sa = sensorsanalytics.SensorsAnalytics(sensorsanalytics.DefaultConsumer(url))
    ms = int(T0.timestamp() * 1000)
    sa.track(
        user,
        "ReportExported",
        {"format": "csv", "rows": 120, "account_id": acct, "$time": ms},
        is_login_id=True,
    )
    sa.close()
    batch = sensorsanalytics.SensorsAnalytics(sensorsanalytics.BatchConsumer(url, max_size=10))
    batch.profile_set(user, {"email": f"{user}@example.com", "$time": ms + 1000}, is_login_id=True)
    batch.item_set(
        "account", acct, {"name": "Gamma Logistics", "employees": 40, "$time": ms + 2000}
    )
    batch.track_signup(user, "anon-device-9", {"$time": ms + 3000})
    batch.track(user, "ReportExported", {"format": "pdf", "$time": ms + 4000}, is_login_id=True)
    batch.close()

    track, profile, signup, second = event_server.events_of(user, 4)
    assert (track.type, track.event, track.user_id, track.source) == (
        "track",
        "ReportExported",
        user,
        "sensors",
    )
    assert track.timestamp == T0
    assert track.account_id == acct
    assert track.properties["format"] == "csv" and track.properties["rows"] == 120
    assert track.properties["$lib"] == "python"
    assert track.message_id.startswith("sa:")
    assert (profile.type, profile.traits["email"]) == ("identify", f"{user}@example.com")
    assert (signup.type, signup.event, signup.previous_id) == ("alias", "$SignUp", "anon-device-9")
    assert second.properties["format"] == "pdf"
    item = [
        e
        for e in event_server.store().all_events(event_server.workspace_id)
        if e.type == "group" and e.account_id == acct
    ]
    assert len(item) == 1 and item[0].traits == {"name": "Gamma Logistics", "employees": 40}
    account = _account(event_server, acct)
    assert (account["name"], account["headcount"]) == ("Gamma Logistics", 40)


def test_retried_calls_with_the_same_message_id_are_stored_once(event_server: LiveServer) -> None:
    import json

    user = f"retry-{uuid.uuid4().hex[:8]}"
    body = json.dumps(
        {"batch": [{"type": "track", "event": "Saved", "userId": user, "messageId": f"{user}-m"}]}
    ).encode()
    headers = {"Authorization": _basic(event_server.write_key), "Content-Type": "application/json"}
    for _ in range(3):
        assert event_server.request("POST", "/v1/batch", body, headers)[0] == 200
    event_server.events_of(user, 1)
    assert wait_until_drained(event_server.data_dir / "spool", timeout=10)
    assert len(event_server.store().recent(_filter(event_server, user))) == 1


def _filter(server: LiveServer, user: str) -> Any:
    from tobloop.analytics.store.base import EventFilter

    return EventFilter(server.workspace_id, user_id=user)


def _basic(key: str) -> str:
    import base64

    return "Basic " + base64.b64encode(f"{key}:".encode()).decode()
