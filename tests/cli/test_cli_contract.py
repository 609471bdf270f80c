"""The scriptable CLI contract (docs/cli.md), run as a user would: a real `tobloop` process."""

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
    env.pop("DATABASE_URL", None)  # the CLI tests use the embedded default
    return subprocess.run(
        [*TOBLOOP, *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def test_workspace_apikey_and_import(data_dir: Path, tmp_path: Path) -> None:
    r = run(["workspace", "create", "Acme Corp", "--json"], data_dir)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {
        "workspace": {
            "slug": "acme-corp",
            "name": "Acme Corp",
            "currency": "CNY",
            "timezone": "Asia/Shanghai",
        }
    }
    r = run(
        [
            "apikey",
            "create",
            "--workspace",
            "acme-corp",
            "--scopes",
            "read,accounts:write",
            "--json",
        ],
        data_dir,
    )
    doc = json.loads(r.stdout)
    assert doc["key"].startswith(doc["prefix"])
    assert doc["scopes"] == ["accounts:write", "read"]
    r = run(["apikey", "create", "--scopes", "read"], data_dir)
    assert r.returncode == 0
    assert r.stdout.strip().splitlines()[-1].startswith("tbk_")
    r = run(["apikey", "create", "--write-key"], data_dir)
    assert r.stdout.strip().splitlines()[-1].startswith("tbw_")
    r = run(["apikey", "create", "--scopes", "bogus", "--json"], data_dir)
    assert r.returncode == 2
    assert json.loads(r.stdout)["error"]["code"] == "invalid_scopes"

    csv = tmp_path / "accounts.csv"
    csv.write_text("external_id,name,headcount\nA1,Acme,50\nA2,Beta,lots\n", encoding="utf-8")
    r = run(["import", "accounts", str(csv), "--json"], data_dir)
    assert r.returncode == 3, r.stderr
    report = json.loads(r.stdout)
    assert report["created"] == 1
    assert report["rejected"] == [
        {
            "row": 3,
            "column": "headcount",
            "value": "lots",
            "reason": report["rejected"][0]["reason"],
        }
    ]
    r = run(["import", "accounts", str(csv), "--json"], data_dir)
    assert json.loads(r.stdout)["created"] == 0


def test_errors_without_a_workspace(data_dir: Path, tmp_path: Path) -> None:
    csv = tmp_path / "a.csv"
    csv.write_text("external_id,name\nA1,Acme\n")
    r = run(["import", "accounts", str(csv), "--json"], data_dir)
    assert r.returncode == 1
    assert json.loads(r.stdout)["error"]["code"] == "no_workspace"
    r = run(["import", "accounts", str(tmp_path / "missing.csv"), "--workspace", "x"], data_dir)
    assert r.returncode != 0


def test_help_lists_commands(data_dir: Path) -> None:
    r = run(["--help"], data_dir)
    assert r.returncode == 0
    for word in ("demo", "serve", "import", "workspace", "user", "apikey"):
        assert word in r.stdout


@pytest.mark.parametrize(
    ("setting", "value", "named"),
    [
        ("DATABASE_URL", "mysql://u:p@db/tobloop", "DATABASE_URL has an unsupported scheme"),
        ("TOBLOOP_INGEST_RATE_LIMIT", "fast", "TOBLOOP_INGEST_RATE_LIMIT must be a number"),
        ("TOBLOOP_IMPORT_MAX_BYTES", "-1", "TOBLOOP_IMPORT_MAX_BYTES must not be negative"),
        ("TOBLOOP_EVENTS_MEMORY_LIMIT", "lots", "TOBLOOP_EVENTS_MEMORY_LIMIT must be a size"),
        ("TOBLOOP_WEB_NICE", "20", "TOBLOOP_WEB_NICE must be from 0 to 19"),
        ("TOBLOOP_LOADER_THREADS", "0", "TOBLOOP_LOADER_THREADS must be at least 1"),
    ],
)
def test_a_bad_setting_is_an_error_naming_it(
    data_dir: Path, setting: str, value: str, named: str
) -> None:
    """A setting Django reads at start-up: exit 1 with its name, as text or one JSON
    document, and no traceback."""
    env = {**os.environ, "TOBLOOP_DATA_DIR": str(data_dir), setting: value}
    for args in (["events", "count"], ["events", "count", "--json"]):
        r = subprocess.run(
            [*TOBLOOP, *args], capture_output=True, text=True, env=env, timeout=120, check=False
        )
        assert r.returncode == 1
        assert "Traceback" not in r.stderr
        if "--json" in args:
            error = json.loads(r.stdout)["error"]
            assert error["code"] == "bad_setting"
            assert named in error["message"]
        else:
            assert named in " ".join(r.stderr.split())
