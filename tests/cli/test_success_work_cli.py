"""`tobloop playbooks run`, `tasks list`, `renewals`, `import nps`, `alerts deliver` as
scripts see them: one JSON document on stdout, exit codes 0/2/3."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_cli_contract import run


def test_success_work_commands(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert run(["workspace", "create", "Acme", "--timezone", "UTC", "--json"], data).returncode == 0
    (tmp_path / "a.csv").write_text(
        "external_id,name,headcount\nM1,Mid Co,300\nL1,Large Co,5000\n", encoding="utf-8"
    )
    (tmp_path / "s.csv").write_text(
        "subscription_id,account_external_id,date,quantity,unit_price,interval\n"
        "S1,M1,2025-12-10,10,1200,12\nS2,L1,2025-02-01,50,2400,12\n",
        encoding="utf-8",
    )
    assert run(["import", "accounts", str(tmp_path / "a.csv")], data).returncode == 0
    assert run(["import", "subscriptions", str(tmp_path / "s.csv")], data).returncode == 0

    r = run(["playbooks", "run", "--as-of", "2026-11-20", "--json"], data)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    # Mid Co renews on 2026-12-10 (20 days: the 30-day window); Large Co on 2027-02-01 (73 days)
    fired = sorted((f["playbook"], f["account_name"]) for f in doc["firings"])
    assert fired == [("renewal-30", "Mid Co"), ("renewal-90", "Large Co")]
    assert doc["by_tier"] == {"dedicated_team": 1, "regional_csm": 1}
    again = json.loads(run(["playbooks", "run", "--as-of", "2026-11-20", "--json"], data).stdout)
    assert (again["fired"], again["skipped_open_task"]) == (0, 2)

    tasks = json.loads(run(["tasks", "list", "--json"], data).stdout)
    assert tasks["count"] == 2 and {t["kind"] for t in tasks["items"]} == {"renewal"}
    soon = json.loads(run(["tasks", "list", "--due-before", "2026-11-24", "--json"], data).stdout)
    assert [t["account_name"] for t in soon["items"]] == ["Large Co"]  # due in 3 days
    assert json.loads(run(["tasks", "list", "--owner", "-", "--json"], data).stdout)["count"] == 2
    bad = run(["tasks", "list", "--due-before", "soon", "--json"], data)
    assert bad.returncode == 2 and json.loads(bad.stdout)["error"]["code"] == "invalid_date"

    ren = json.loads(
        run(["renewals", "--within", "90", "--as-of", "2026-11-20", "--json"], data).stdout
    )
    assert [(i["account_name"], i["arr"], i["days_left"]) for i in ren["items"]] == [
        ("Mid Co", "12000.00", 20),
        ("Large Co", "120000.00", 73),
    ]
    assert ren["arr_total"] == "132000.00"

    (tmp_path / "nps.csv").write_text(
        "account,score,date\nM1,9,2026-11-01\nL1,99,2026-11-02\n", encoding="utf-8"
    )
    imp = run(["import", "nps", str(tmp_path / "nps.csv"), "--json"], data)
    assert imp.returncode == 3
    report = json.loads(imp.stdout)
    assert report["created"] == 1 and [(x["row"], x["column"]) for x in report["rejected"]] == [
        (3, "score")
    ]
    delivered = json.loads(run(["alerts", "deliver", "--json"], data).stdout)
    assert delivered == {"attempted": 0, "delivered": 0, "retrying": 0, "failed": 0}
