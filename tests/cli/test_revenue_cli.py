"""`tobloop import subscriptions|spend`, `metrics` and `check` as scripts see them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_cli_contract import run

METRIC_KEYS = {
    "as_of",
    "currency",
    "mrr",
    "arr",
    "paying_accounts",
    "arpa",
    "nrr_12",
    "grr_12",
    "cc",
    "logo_churn_12",
    "quick_ratio",
    "ltv",
    "cac",
    "cac_payback_months",
    "months",
}
MONTH_KEYS = {
    "month",
    "mrr_start",
    "new",
    "reactivation",
    "expansion",
    "contraction",
    "churn",
    "mrr_end",
    "paying_accounts",
}


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    assert run(["workspace", "create", "Acme", "--json"], data).returncode == 0
    accounts = tmp_path / "accounts.csv"
    accounts.write_text(
        "external_id,name,acquisition_channel,headcount\n"
        "A1,Alpha,field,500\nA2,Beta,telesales,20\nA3,Gamma,inbound,40\n",
        encoding="utf-8",
    )
    assert run(["import", "accounts", str(accounts), "--json"], data).returncode == 0
    return data


def test_imports_follow_the_error_contract(workspace: Path, tmp_path: Path) -> None:
    subs = tmp_path / "subs.csv"
    subs.write_text(
        "subscription_id,account_external_id,date,event,quantity,unit_price,interval\n"
        "S1,A1,2023-01-10,start,10,100,month\n"
        "S2,A2,2023-01-01,start,1,12000,year\n"
        "S2,,2023-09-01,cancel,,,\n"
        "S3,A9,2023-06-01,start,2,2500,month\n",
        encoding="utf-8",
    )
    r = run(["import", "subscriptions", str(subs), "--json"], workspace)
    assert r.returncode == 3, r.stderr
    report = json.loads(r.stdout)
    assert (report["rows"], report["created"], report["updated"]) == (4, 3, 0)
    assert report["rejected"] == [
        {
            "row": 5,
            "column": "account_external_id",
            "value": "A9",
            "reason": report["rejected"][0]["reason"],
        }
    ]
    r = run(["import", "subscriptions", str(subs), "--json"], workspace)
    assert json.loads(r.stdout)["created"] == 0  # idempotent
    good = tmp_path / "good.csv"
    good.write_text(subs.read_text().replace("A9", "A3"), encoding="utf-8")
    r = run(["import", "subscriptions", str(good), "--json"], workspace)
    assert r.returncode == 0 and json.loads(r.stdout)["created"] == 1
    spend = tmp_path / "spend.csv"
    spend.write_text("channel,month,amount\nfield,2023-01,30000\ninbound,2023-06,9000\n")
    r = run(["import", "spend", str(spend), "--json"], workspace)
    assert r.returncode == 0 and json.loads(r.stdout)["created"] == 2
    stripe = tmp_path / "stripe.csv"
    stripe.write_text(
        "id,Customer ID,Customer Name,Plan,Quantity,Currency,Interval,Amount,Status,Start (UTC)\n"
        "sub_1,cus_1,Stripe Co,price_1,3,cny,month,100.00,active,2023-02-01 00:00\n"
    )
    r = run(["import", "subscriptions", str(stripe), "--format", "stripe", "--json"], workspace)
    assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads(r.stdout)["created"] == 1

    r = run(["metrics", "--as-of", "2024-01-31", "--json"], workspace)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert set(doc) >= METRIC_KEYS
    assert doc["as_of"] == "2024-01-31" and doc["currency"] == "CNY"
    assert doc["mrr"] == "6300.00"  # 1000 + 5000 + 300
    assert isinstance(doc["nrr_12"], float) and isinstance(doc["mrr"], str)
    assert doc["cac"] is not None
    assert [m["month"] for m in doc["months"]][:2] == ["2023-01", "2023-02"]
    assert doc["months"][-1]["month"] == "2024-01"
    for m in doc["months"]:
        assert set(m) >= MONTH_KEYS
        assert float(m["mrr_end"]) == pytest.approx(
            float(m["mrr_start"])
            + float(m["new"])
            + float(m["reactivation"])
            + float(m["expansion"])
            - float(m["contraction"])
            - float(m["churn"])
        )

    r = run(["check", "--as-of", "2024-01-31", "--json"], workspace)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert [rule["rule"] for rule in doc["rules"]] == [f"P-ECON-{i}" for i in range(1, 7)]
    for rule in doc["rules"]:
        assert {"rule", "value", "threshold", "verdict", "explanation"} <= set(rule)
        assert rule["verdict"] in {"pass", "warn", "fail", "unknown"}
        assert rule["explanation"]
    assert doc["milestones"]["reached"] == [1] and doc["milestones"]["next"] == 100

    r = run(["metrics", "--as-of", "2024-01-31"], workspace)
    assert r.returncode == 0 and "MRR bridge" in r.stdout and "6300.00" in r.stdout
    r = run(["check", "--as-of", "2024-01-31"], workspace)
    assert r.returncode == 0 and "P-ECON-2" in r.stdout


def test_usage_errors_and_an_empty_workspace(workspace: Path) -> None:
    r = run(["metrics", "--as-of", "yesterday", "--json"], workspace)
    assert r.returncode == 2 and json.loads(r.stdout)["error"]["code"] == "invalid_date"
    r = run(["metrics", "--json"], workspace)
    doc = json.loads(r.stdout)
    assert r.returncode == 0 and doc["mrr"] == "0.00" and doc["months"] == []
    assert doc["nrr_12"] is None and doc["ltv"] is None and doc["cac"] is None
    r = run(["check", "--json"], workspace)
    assert {rule["verdict"] for rule in json.loads(r.stdout)["rules"]} == {"unknown"}
    r = run(["import", "subscriptions", "missing.csv", "--json"], workspace)
    assert r.returncode == 1
