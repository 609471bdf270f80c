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
