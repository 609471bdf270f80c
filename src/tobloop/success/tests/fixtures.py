"""A small workspace with accounts, contacts, subscriptions and events whose health measures
are computed by hand in the tests (as of ``AS_OF``; data after it must never count)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import orjson

from tobloop.accounts import facade as accounts
from tobloop.analytics.facade import import_events
from tobloop.revenue import facade as revenue

AS_OF = date(2026, 5, 10)

SUBSCRIPTIONS = (
    b"subscription_id,account_external_id,date,event,quantity,unit_price,interval\n"
    b"S1,A1,2026-01-01,start,10,100,1\n"
    b"S1,,2026-04-01,change,8,,\n"
    b"S2,A2,2025-06-15,start,1,12000,12\n"
)
# After AS_OF: A1 cancels. No measure as of AS_OF may notice.
LATER_SUBSCRIPTIONS = b"subscription_id,account_external_id,date,event\nS1,A1,2026-05-20,cancel\n"


def _event(i: int, name: str, user: str, account: str, day: str) -> dict[str, Any]:
    return {
        "type": "track", "event": name, "userId": user, "messageId": f"m-{i}",
        "context": {"groupId": account}, "timestamp": f"{day}T12:00:00Z",
    }  # fmt: skip


def events() -> list[dict[str, Any]]:
    rows = [
        ("Report Exported", "u1", "A1", "2026-05-01"),
        ("Dashboard Viewed", "u2", "A1", "2026-05-05"),
        ("Dashboard Viewed", "u1", "A1", "2026-05-09"),
        ("Dashboard Viewed", "u9", "A2", "2026-03-01"),
    ]
    # A1's baseline (Jan 11 – Apr 10): 12 events, 4 per 30 days.
    rows += [("Dashboard Viewed", "u3", "A1", f"2026-02-{d:02d}") for d in range(1, 13)]
    return [_event(i, *r) for i, r in enumerate(rows)]


def later_events() -> list[dict[str, Any]]:
    rows = [
        ("Alert Created", "u4", "A1", "2026-05-11"),
        ("Report Exported", "u5", "A1", "2026-05-12"),
        ("Dashboard Viewed", "u9", "A2", "2026-05-11"),
        ("Dashboard Viewed", "u7", "A3", "2026-05-11"),
    ]
    return [_event(100 + i, *r) for i, r in enumerate(rows)]


def send_events(principal: Any, tmp_path: Path, rows: list[dict[str, Any]], name: str) -> None:
    source = tmp_path / f"{name}.ndjson"
    source.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    assert not import_events(principal, source).rejected


def seed(principal: Any, tmp_path: Path) -> dict[str, int]:
    """Accounts A1 (healthy-ish), A2 (quiet, annual plan), A3 (nothing at all)."""
    ids = {}
    for ext in ("A1", "A2", "A3"):
        view = accounts.create_account(
            principal, accounts.AccountCreate(name=f"Account {ext}", external_id=ext)
        )
        ids[ext] = view.id
    for name, ext, role in (
        ("Dana", "A1", "decision_maker"),
        ("Chen", "A1", "champion"),
        ("Eve", "A2", "end_user"),
    ):
        accounts.create_contact(
            principal, accounts.ContactCreate(name=name, account_external_id=ext, role=role)
        )
    assert not revenue.import_subscriptions(principal, SUBSCRIPTIONS).rejected
    send_events(principal, tmp_path, events(), "history")
    return ids
