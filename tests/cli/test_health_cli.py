"""`tobloop health` run as a user would: a real process against a fresh data directory."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_churn_cli import run


def test_install_default_and_score(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    assert run(["workspace", "create", "Acme", "--json"], data_dir).returncode == 0
    csv = tmp_path / "accounts.csv"
    csv.write_text(
        "external_id,name,headcount,lifecycle_stage\nA1,Alpha,50,active\nA2,Beta,500,at_risk\n",
        encoding="utf-8",
    )
    assert run(["import", "accounts", str(csv), "--json"], data_dir).returncode == 0

    r = run(["health", "score", "--json"], data_dir)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["unscored"] == 2  # no profile yet

    r = run(["health", "install-default", "--json"], data_dir)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["name"] == "Health code"
    r = run(["health", "install-default", "--json"], data_dir)
    assert r.returncode == 1 and json.loads(r.stdout)["error"]["code"] == "duplicate_profile_name"

    r = run(["health", "score", "--json"], data_dir)
    doc = json.loads(r.stdout)
    # both accounts have no contacts (red); Beta is also at risk
    assert (doc["scored"], doc["red"], doc["yellow"], doc["green"]) == (2, 2, 0, 0)

    r = run(["health", "score", "--account", "999", "--json"], data_dir)
    assert r.returncode == 1 and json.loads(r.stdout)["error"]["code"] == "account_not_found"


def test_override_backtest_daily_and_measures(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    assert run(["workspace", "create", "Acme", "--json"], data_dir).returncode == 0
    csv = tmp_path / "accounts.csv"
    csv.write_text("external_id,name,headcount\nA1,Alpha,50\n", encoding="utf-8")
    assert run(["import", "accounts", str(csv), "--json"], data_dir).returncode == 0
    assert run(["health", "install-default", "--json"], data_dir).returncode == 0

    r = run(["health", "daily", "--json"], data_dir)
    assert r.returncode == 0, r.stderr
    [ws] = json.loads(r.stdout)["workspaces"]
    assert (ws["workspace"], ws["scored"], ws["red"]) == ("acme", 1, 1)

    r = run(["health", "override", "1", "--color", "green", "--reason", "Kick-off done",
             "--until", "2099-01-01", "--json"], data_dir)  # fmt: skip
    assert r.returncode == 1 and json.loads(r.stdout)["error"]["code"] == "invalid_until"
    r = run(["health", "override", "1", "--color", "green", "--reason", "Kick-off done",
             "--until", ws["day"], "--json"], data_dir)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["active"] is True
    r = run(["health", "score", "--account", "1", "--json"], data_dir)
    verdict = json.loads(r.stdout)["verdicts"][0]
    assert (verdict["color"], verdict["computed_color"]) == ("green", "red")
    assert run(["health", "clear-override", "1", "--json"], data_dir).returncode == 0
    r = run(["health", "clear-override", "1", "--json"], data_dir)
    assert r.returncode == 1 and json.loads(r.stdout)["error"]["code"] == "override_not_found"

    assert run(["health", "score", "--as-of", "2026-13-01"], data_dir).returncode == 2
    r = run(["health", "backtest", "--json"], data_dir)
    assert r.returncode == 0, r.stderr
    [report] = json.loads(r.stdout)["items"]
    assert report["observations"] == 0 and report["roc_auc"] is None  # nobody pays
    r = run(["health", "churn-model", "--json"], data_dir)
    assert r.returncode == 0, r.stderr
    model = json.loads(r.stdout)
    assert (model["n"], model["roc_auc"], model["drivers"]) == (0, None, [])  # nobody pays
    assert run(["health", "churn-model", "--step", "day"], data_dir).returncode == 2
    r = run(["health", "measures", "--json"], data_dir)
    assert "days_since_last_activity" in {m["key"] for m in json.loads(r.stdout)["items"]}
