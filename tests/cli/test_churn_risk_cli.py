"""`tobloop churn train|risk|pooling` run as a user would: a real process, a fresh data dir."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_churn_cli import run

CHURN_DAYS = ["2025-06-10", "2025-08-10", "2025-10-10", "2025-12-10", "2026-02-10",
              "2026-04-10", "2026-06-10", "2026-07-10"]  # fmt: skip


def test_train_list_and_opt_in(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    assert run(["workspace", "create", "Acme", "--json"], data_dir).returncode == 0
    accounts = ["external_id,name,headcount"]
    subs = ["subscription_id,account_external_id,date,event,quantity,unit_price,interval"]
    for i, day in enumerate(CHURN_DAYS):
        accounts += [f"C{i},Small {i},5", f"K{i},Large {i},300"]
        subs += [f"SC{i},C{i},2025-01-01,start,1,50,1", f"SC{i},,{day},cancel,,,",
                 f"SK{i},K{i},2025-01-01,start,10,50,1"]  # fmt: skip
    (tmp_path / "a.csv").write_text("\n".join(accounts) + "\n", encoding="utf-8")
    (tmp_path / "s.csv").write_text("\n".join(subs) + "\n", encoding="utf-8")
    r = run(["churn", "risk", "--json"], data_dir)
    assert r.returncode == 0 and json.loads(r.stdout)["run_id"] is None
    assert run(["import", "accounts", str(tmp_path / "a.csv")], data_dir).returncode == 0
    r = run(["import", "subscriptions", str(tmp_path / "s.csv"), "--json"], data_dir)
    assert r.returncode == 0, r.stderr

    r = run(["churn", "train", "--json"], data_dir)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["status"] == "trained" and doc["validation"]["method"] == "out_of_time"
    assert doc["roc_auc"] > 0.9 and doc["scored_accounts"] == 8 and not doc["pooled"]

    r = run(["churn", "risk", "--limit", "3", "--json"], data_dir)
    page = json.loads(r.stdout)
    assert page["count"] == 8 and len(page["items"]) == 3
    assert page["items"][0]["account_name"].startswith("Large ")
    assert page["items"][0]["drivers"][0]["text"]

    r = run(["churn", "pooling", "--on", "--json"], data_dir)
    assert r.returncode == 0 and json.loads(r.stdout)["enabled"] is True
    # The model was trained today: the daily job does not retrain it.
    r = run(["health", "daily", "--json"], data_dir)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["churn_models"] == []
