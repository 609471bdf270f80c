"""`tobloop churn evaluate` run as a user would: a real process, JSON on stdout, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

TOBLOOP = [sys.executable, "-m", "tobloop.cli.app"]


def run(args: list[str], data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TOBLOOP_DATA_DIR": str(data_dir)}
    env.pop("DATABASE_URL", None)
    return subprocess.run(
        [*TOBLOOP, *args], capture_output=True, text=True, env=env, timeout=300, check=False
    )


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding)
    return path


def separable(tmp_path: Path) -> Path:
    lines = ["account,month,active_days,plan,churned"]
    for i in range(80):
        churned = i % 4 == 0
        days = i % 5 if churned else 20 + i % 7
        lines.append(f"a{i},2025-{1 + i // 10:02d},{days},{'pro' if i % 3 else ''},{int(churned)}")
    return write(tmp_path / "accounts.csv", "\n".join(lines) + "\n", encoding="utf-8-sig")


def test_json_document_with_out_of_time_validation(data_dir: Path, tmp_path: Path) -> None:
    f = separable(tmp_path)
    r = run(["churn", "evaluate", str(f), "--label", "churned", "--time", "month",
             "--id", "account", "--json"], data_dir)  # fmt: skip
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert {"n", "positives", "roc_auc", "pr_auc", "calibration", "validation"} <= set(doc)
    assert doc["n"] == 80 and doc["positives"] == 20
    assert doc["roc_auc"] == 1.0
    v = doc["validation"]
    assert v["method"] == "out_of_time"
    assert v["train_periods"] == {"first": "2025-01", "last": "2025-06", "count": 6}
    assert v["test_periods"] == {"first": "2025-07", "last": "2025-08", "count": 2}
    assert v["chosen_model"] in {c["model"] for c in v["candidates"]}
    assert set(doc["calibration"][0]) >= {"bin", "predicted", "observed", "count"}
    assert sum(b["count"] for b in doc["calibration"]) == v["test_rows"] == 20


def test_text_output_and_drivers(data_dir: Path, tmp_path: Path) -> None:
    r = run(["churn", "evaluate", str(separable(tmp_path)), "--label", "churned",
             "--id", "account", "--drivers", "3"], data_dir)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "ROC AUC" in r.stdout and "stratified_kfold" in r.stdout
    assert "Riskiest rows" in r.stdout and "active_days" in r.stdout


@pytest.mark.parametrize(
    ("content", "args", "exit_code", "code", "words"),
    [
        ("x,churn\n1,yes\n2,no\n", ["--label", "churned"], 2, "unknown_column", "churned"),
        ("x,churn\n1,yes\n2,maybe\n", ["--label", "churn"], 1, "invalid_label", "row 3"),
        ("", ["--label", "churn"], 1, "unreadable_file", "header"),
        ("x,churn\n1,no\n2,no\n3,no\n", ["--label", "churn"], 1, "single_class", "2 rows"),
    ],
)
def test_bad_input_is_a_clear_error(
    data_dir: Path,
    tmp_path: Path,
    content: str,
    args: list[str],
    exit_code: int,
    code: str,
    words: str,
) -> None:
    f = write(tmp_path / "bad.csv", content)
    r = run(["churn", "evaluate", str(f), *args, "--json"], data_dir)
    assert r.returncode == exit_code, r.stderr
    error = json.loads(r.stdout)["error"]
    assert error["code"] == code and words in error["message"]
    assert isinstance(error["details"], list)
    if code == "unknown_column":  # without --json: nothing on stdout, the message on stderr
        r = run(["churn", "evaluate", str(f), *args], data_dir)
        assert r.returncode == exit_code and r.stdout == "" and "error" in r.stderr


def test_usage_errors_exit_2(data_dir: Path, tmp_path: Path) -> None:
    assert run(["churn", "evaluate", str(tmp_path / "missing.csv"), "--label", "x"],
               data_dir).returncode == 2  # fmt: skip
    f = write(tmp_path / "t.csv", "x,churn\n1,1\n")
    assert run(["churn", "evaluate", str(f)], data_dir).returncode == 2
