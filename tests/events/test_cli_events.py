"""``tobloop import events`` and ``tobloop events count`` as a script uses them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

TOBLOOP = [sys.executable, "-m", "tobloop.cli.app"]


def run(args: list[str], data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TOBLOOP_DATA_DIR": str(data_dir)}
    env.pop("DATABASE_URL", None)
    return subprocess.run(
        [*TOBLOOP, *args], capture_output=True, text=True, env=env, timeout=180, check=False
    )


def test_import_and_count_events(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert run(["workspace", "create", "Acme", "--json"], data).returncode == 0
    lines = [
        {"type": "group", "userId": "u1", "groupId": "a1", "traits": {"name": "A1 Ltd"}},
        {"event": "Signed Up", "userId": "u1", "timestamp": "2026-01-31T17:00:00Z"},
        {"event": "Signed Up", "userId": "u2", "timestamp": "2026-02-01T03:00:00Z"},
        {"event": "Exported", "userId": "u2", "timestamp": "2026-02-02T03:00:00Z"},
    ]
    source = tmp_path / "events.ndjson"
    body = [
        json.dumps({"timestamp": "2026-01-01T00:00:00Z", **m, "messageId": f"e{i}"})
        for i, m in enumerate(lines)
    ]
    source.write_text("\n".join([*body, '{"event": "No user"}']) + "\n")

    r = run(["import", "events", str(source), "--json"], data)
    assert r.returncode == 3, r.stderr
    report = json.loads(r.stdout)
    assert {k: report[k] for k in ("rows", "created", "updated")} == {
        "rows": 5,
        "created": 4,
        "updated": 0,
    }
    assert report["file"] == str(source)
    assert report["rejected"][0]["row"] == 5 and report["rejected"][0]["column"] == "userId"

    source.write_text("\n".join(body) + "\n")
    again = json.loads(run(["import", "events", str(source), "--json"], data).stdout)
    assert (again["created"], again["duplicates"], again["rejected"]) == (0, 4, [])

    r = run(["events", "count", "--json"], data)
    assert json.loads(r.stdout) == {"count": 4, "users": 2, "accounts": 1}
    # Days are read in the workspace time zone (Asia/Shanghai, UTC+8), --to included.
    r = run(
        [
            "events",
            "count",
            "--event",
            "Signed Up",
            "--from",
            "2026-02-01",
            "--to",
            "2026-02-01",
            "--json",
        ],
        data,
    )
    assert json.loads(r.stdout) == {"count": 2, "users": 2, "accounts": 1}
    r = run(["events", "count", "--from", "someday", "--json"], data)
    assert r.returncode == 2 and json.loads(r.stdout)["error"]["code"] == "invalid_date"

    csv = tmp_path / "events.csv"
    csv.write_text("event,user_id,time,message_id,plan\nTrial Started,u3,2026-03-01 10:00,c1,pro\n")
    r = run(["import", "events", str(csv), "--json"], data)
    assert r.returncode == 0 and json.loads(r.stdout)["created"] == 1
    assert json.loads(run(["events", "count", "--json"], data).stdout)["count"] == 5
