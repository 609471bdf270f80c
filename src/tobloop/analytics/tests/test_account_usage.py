"""The account usage panel's figures, computed by hand, on both embedded stores; the panel view."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from tobloop.analytics import hooks
from tobloop.analytics.insights.tests.test_service import (
    MAR9_SHANGHAI,
    load,
    principal,
    record,
    store,  # noqa: F401 - the fixture
)
from tobloop.analytics.logic.account_usage import account_usage, is_generic
from tobloop.analytics.store import EventStore

pytestmark = pytest.mark.django_db
DAY_MS = 86_400_000
AS_OF = date(2026, 3, 20)


def at(day: date, hour: int = 10) -> int:
    """Epoch ms of ``hour`` o'clock on ``day`` in Shanghai."""
    return MAR9_SHANGHAI + (day - date(2026, 3, 9)).days * DAY_MS + hour * 3600_000


def usage_events(ws: int) -> list[dict[str, object]]:
    rows = [
        ("report_created", "u1", "acme", date(2026, 3, 20)),
        ("report_created", "u1", "acme", date(2026, 3, 15)),
        ("login", "u2", "acme", date(2026, 3, 18)),
        ("export", "u3", "acme", date(2026, 3, 1)),
        ("report_created", "u4", "acme", date(2026, 2, 10)),
        ("report_created", "u5", "acme", date(2026, 1, 5)),
        ("report_created", "u1", "acme", date(2026, 1, 5)),
        ("export", "g1", "globex", date(2026, 3, 19)),
        ("export", "g1", "globex", date(2026, 3, 18)),
        ("export", "g2", "globex", date(2026, 3, 17)),
        ("report_created", "u9", "acme", date(2026, 3, 21)),  # after as_of: never seen
    ]
    out = [record(ws, i, e, u, a, at(d)) for i, (e, u, a, d) in enumerate(rows)]
    identify = record(ws, 99, "", "u7", "acme", at(date(2026, 3, 19)))
    identify["type"] = "identify"
    return [*out, identify]


def test_account_usage_by_hand(
    store: EventStore,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given acme's users over 16 weeks, 4 paid seats, and globex's exports
    load(store, tmp_path, usage_events(1))
    monkeypatch.setattr(hooks, "_seat_source", [lambda _p, _a, _d: 4])
    # when
    u = account_usage(principal(1), 7, "acme", as_of=AS_OF, store=store)
    # then 7 days (14–20 March): u1, u2; 30 days (19 Feb – 20 March): u1, u2, u3
    assert (u.active_users_7d, u.active_users_30d, u.seats, u.seat_utilization) == (2, 3, 4, 0.75)
    # weeks ending 20, 13, 6 March and 27 Feb hold 2, 0, 1, 0 users: recent 0.75 a week;
    # the 12 weeks before hold u4 (10 Feb) and u1 + u5 (5 Jan): 3 / 12 = 0.25; trend +200%
    assert [n for _end, n in u.weeks][-4:] == [0, 1, 0, 2]
    assert (u.recent_weekly, u.baseline_weekly, u.trend) == (0.75, 0.25, 2.0)
    assert u.weeks[-1][0] == AS_OF and len(u.weeks) == 16
    # key events: the most common non-generic events of the workspace (login is generic)
    assert u.key_events_source == "most_common"
    assert [(f.event, f.users, f.share, f.events) for f in u.features] == [
        ("report_created", 1, 1 / 3, 2),
        ("export", 1, 1 / 3, 1),
    ]
    assert u.features[0].last_used == datetime.fromtimestamp(at(AS_OF) / 1000, tz=UTC)
    assert u.last_activity == datetime.fromtimestamp(at(AS_OF) / 1000, tz=UTC)


def test_account_without_events_or_seats(store: EventStore) -> None:  # noqa: F811
    u = account_usage(principal(1), 7, "nobody", as_of=AS_OF, store=store)
    assert (u.active_users_30d, u.seats, u.seat_utilization, u.trend, u.last_activity) == (
        0, None, None, None, None,
    )  # fmt: skip
    assert u.features == []


def test_generic_event_names() -> None:
    assert all(is_generic(n) for n in ["Login", "page_view", "$pageview", "Session Started"])
    assert not any(is_generic(n) for n in ["report_created", "invite_sent", "export"])


def test_panel_view_renders_the_fragment(
    client: Any,
    settings: Any,
    tmp_path: Path,
    make_workspace: Callable[..., Any],
) -> None:
    from tobloop.accounts import facade as accounts
    from tobloop.analytics.store import event_store

    settings.DATA_DIR = tmp_path
    owner = make_workspace(slug="usage", timezone="Asia/Shanghai")
    account = accounts.create_account(
        owner, accounts.AccountCreate(name="Acme", external_id="acme")
    )
    load(event_store(), tmp_path, usage_events(owner.workspace_id))
    client.login(username="usage-owner", password="pw")
    url = f"/w/{owner.workspace.slug}/accounts/{account.id}/panels/usage/"
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="usage-panel"' in html and "<html" not in html
    # the events are months old: nobody active now, the last activity is the latest event
    assert 'data-testid="usage-active-30">0<' in html
    assert "2026-03-21" in html
    # then the page of the account answers the fragment, and another workspace's member
    # reaching the account through their own workspace gets a 404
    make_workspace(slug="other")
    client.login(username="other-owner", password="pw")
    assert client.get(url.replace("/w/usage/", "/w/other/")).status_code == 404
