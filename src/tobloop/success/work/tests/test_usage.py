"""Usage triggers on real events (analytics facade): usage drop and seat utilization."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import orjson

from tobloop.analytics.facade import import_events
from tobloop.success.work import facade
from tobloop.success.work.logic.sources import usage_by_account
from tobloop.success.work.tests.fixtures import account, subscription

AS_OF = date(2026, 11, 20)


def _send(principal: Any, tmp_path: Path, rows: list[tuple[str, str, date]]) -> None:
    lines = [
        orjson.dumps(
            {
                "type": "track",
                "event": "Report Viewed",
                "userId": user,
                "messageId": f"m{i}",
                "context": {"groupId": group},
                "timestamp": f"{day.isoformat()}T04:00:00Z",
            }
        )
        for i, (group, user, day) in enumerate(rows)
    ]
    source = tmp_path / "events.ndjson"
    source.write_bytes(b"\n".join(lines) + b"\n")
    assert not import_events(principal, source).rejected


def test_usage_drop_and_low_seat_utilization_from_events(make_workspace, settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.DATA_DIR = tmp_path
    owner = make_workspace("use")
    busy = account(owner, "Busy", "mid")
    subscription(owner, "busy", date(2025, 6, 1), seats=20)
    # 5 users in each of the 4 weeks before the as-of week, 2 users in the as-of week
    rows = [("busy", f"u{u}", AS_OF - timedelta(days=7 * w + 1)) for w in (1, 2, 3, 4)
            for u in range(5)]  # fmt: skip
    rows += [("busy", "u0", AS_OF), ("busy", "u1", AS_OF - timedelta(days=6))]
    _send(owner, tmp_path, rows)

    usage = usage_by_account(owner, AS_OF)["busy"]
    assert usage.weeks == [2, 5, 5, 5, 5] and usage.baseline == 5.0
    assert usage.change == -0.6  # (2 − 5) / 5
    # days 0–29: u0…u4 (weeks 1–4 reach back to day 29) → 5 active users on 20 seats
    assert usage.active_30 == 5

    run = facade.run_playbooks(owner, AS_OF)

    fired = {f.playbook: f.reason for f in run.firings if f.account_id == busy.id}
    assert set(fired) == {"usage-drop", "low-seat-utilization"}
    assert "Weekly active users 2 against a baseline of 5.0" in fired["usage-drop"]
    assert "5 active users in 30 days on 20 seats: 25% utilization" in fired["low-seat-utilization"]
    # the renewal forecast reads the same facts: usage −60 % → contract
    report = facade.renewals(owner, as_of=AS_OF, within=365)
    assert [(r.account_name, r.forecast, r.usage_change, r.seat_utilization)
            for r in report.items] == [("Busy", "contract", -0.6, 0.25)]  # fmt: skip
