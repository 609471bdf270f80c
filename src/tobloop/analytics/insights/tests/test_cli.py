"""``tobloop funnel`` and ``tobloop retention`` run as a user would, on both embedded stores."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

TOBLOOP = [sys.executable, "-m", "tobloop.cli.app"]
EVENTS = [
    ("signup", "u1", "acc1", "2026-03-09T01:00:00+08:00"),
    ("invite", "u1", "acc1", "2026-03-09T01:10:00+08:00"),
    ("signup", "u2", None, "2026-03-09T02:00:00+08:00"),
    ("login", "u2", None, "2026-03-17T02:00:00+08:00"),
]


def run(args: list[str], data_dir: Path, events_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TOBLOOP_DATA_DIR": str(data_dir), "EVENTS_URL": events_url}
    env.pop("DATABASE_URL", None)
    return subprocess.run(
        [*TOBLOOP, *args], capture_output=True, text=True, env=env, timeout=300, check=False
    )


@pytest.fixture(params=["duckdb://", "chdb://"])
def workspace(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, str]:
    data_dir, url = tmp_path / "data", request.param
    created = run(
        ["workspace", "create", "Acme", "--slug", "acme", "--timezone", "Asia/Shanghai", "--json"],
        data_dir,
        url,
    )
    assert created.returncode == 0, created.stderr
    lines = []
    for i, (event, user, account, at) in enumerate(EVENTS):
        message = {"type": "track", "event": event, "userId": user, "messageId": f"m{i}",
                   "timestamp": at}  # fmt: skip
        if account:
            message["context"] = {"groupId": account}
        lines.append(json.dumps(message))
    (tmp_path / "events.ndjson").write_text("\n".join(lines) + "\n")
    imported = run(["import", "events", str(tmp_path / "events.ndjson"), "--json"], data_dir, url)
    assert imported.returncode == 0, imported.stderr
    return data_dir, url


def test_funnel_json_contract(workspace: tuple[Path, str]) -> None:
    r = run(
        ["funnel", "signup", "invite", "--from", "2026-03-09", "--to", "2026-03-09",
         "--window", "1h", "--json"],
        *workspace,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {
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
    by_account = run(
        ["funnel", "signup", "invite", "--from", "2026-03-09", "--to", "2026-03-09",
         "--by", "account", "--first-attempt", "--json"],
        *workspace,
    )  # fmt: skip
    assert [s["count"] for s in json.loads(by_account.stdout)["steps"]] == [1, 1]


def test_retention_json_contract(workspace: tuple[Path, str]) -> None:
    r = run(
        ["retention", "--start", "signup", "--from", "2026-03-09", "--to", "2026-03-15",
         "--periods", "2", "--json"],
        *workspace,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {
        "period": "week",
        "by": "user",
        "bounded": True,
        "cohorts": [{"cohort": "2026-03-09", "size": 2, "retained": [1, 0]}],
        "breakdown": None,
    }


def test_bad_window_is_a_usage_error_with_the_error_object(workspace: tuple[Path, str]) -> None:
    r = run(
        ["funnel", "signup", "invite", "--from", "2026-03-09", "--to", "2026-03-09",
         "--window", "7w", "--json"],
        *workspace,
    )  # fmt: skip
    assert r.returncode == 2
    error = json.loads(r.stdout)["error"]
    assert error["code"] == "invalid_query"
    assert error["details"] == [
        {"loc": ["window"], "msg": "Value error, a window is written 90s, 30m, 1h, 7d or as "
         "plain seconds"}
    ]  # fmt: skip


def test_funnel_options_breakdown_over_time_timing_and_dropped(
    workspace: tuple[Path, str],
) -> None:
    # given u1 (acc1) converts signup → invite in ten minutes; u2 (no account) does not
    base = ["funnel", "signup", "invite", "--from", "2026-03-09", "--to", "2026-03-09",
            "--window", "1h"]  # fmt: skip
    r = run([*base, "--breakdown", "event_property:plan", "--over-time", "week",
             "--time-to-convert", "--json"], *workspace)  # fmt: skip
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert [(b["value"], [s["count"] for s in b["steps"]]) for b in doc["breakdown"]] == [
        ("$none", [2, 1])
    ]
    assert doc["over_time"] == [
        {"date": "2026-03-09", "entered": 2, "converted": 1, "conversion": 0.5}
    ]
    assert doc["time_to_convert"][0]["median_seconds"] == 600
    text = run([*base, "--breakdown", "event_property:plan", "--over-time", "week",
                "--time-to-convert"], *workspace)  # fmt: skip
    assert text.returncode == 0, text.stderr
    assert "$none" in text.stdout and "10.0m" in text.stdout
    dropped = run([*base, "--dropped-at", "2", "--json"], *workspace)
    assert dropped.returncode == 0, dropped.stderr
    assert json.loads(dropped.stdout) == {
        "by": "user", "step": 2, "event": "invite", "entities": ["u2"], "truncated": False,
    }  # fmt: skip
    table = run([*base, "--dropped-at", "2"], *workspace)
    assert table.returncode == 0 and "u2" in table.stdout
    bad = run([*base, "--dropped-at", "3", "--json"], *workspace)
    assert bad.returncode == 2
    assert json.loads(bad.stdout)["error"]["code"] == "invalid_query"
    field = run([*base, "--breakdown", "account_field:name", "--json"], *workspace)
    assert field.returncode == 2
    assert "segment, industry" in json.loads(field.stdout)["error"]["message"]


def test_trends_and_active_commands(workspace: tuple[Path, str]) -> None:
    r = run(["trends", "--from", "2026-03-09", "--to", "2026-03-10", "--account", "acc1",
             "--json"], *workspace)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert [(p["date"], p["count"]) for p in json.loads(r.stdout)["series"]] == [
        ("2026-03-09", 2),
        ("2026-03-10", 0),
    ]
    a = run(["active", "--from", "2026-03-09", "--to", "2026-03-09", "--json"], *workspace)
    assert a.returncode == 0, a.stderr
    doc = json.loads(a.stdout)
    assert doc["series"] == [
        {"date": "2026-03-09", "dau": 2, "wau": 2, "mau": 2, "stickiness": 1.0}
    ]
    text = run(["active", "--from", "2026-03-09", "--to", "2026-03-09"], *workspace)
    assert text.returncode == 0 and "DAU" in text.stdout
