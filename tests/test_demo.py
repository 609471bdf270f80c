"""The demo: seeded and reproducible, reused unless --fresh, and served as the README says."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tobloop.accounts.models import Account, Contact
from tobloop.demo.build import build_demo


def _snapshot() -> list[tuple[str | None, str, int | None, str]]:
    return list(
        Account.objects.unscoped()
        .order_by("external_id")
        .values_list("external_id", "name", "headcount", "segment")
    )


@pytest.mark.django_db
def test_same_seed_same_demo_and_reuse() -> None:
    light = {"accounts": 40, "events": 8000}  # the events' own tests are in tests/events
    first = build_demo(**light, seed=7)
    assert (first.accounts, first.reused) == (40, False)
    assert 2 * 40 <= first.contacts <= 8 * 40
    rows = _snapshot()
    assert {r[3] for r in rows} >= {"small", "mid"}
    again = build_demo(**light, seed=7)
    assert again.reused
    rebuilt = build_demo(**light, seed=7, fresh=True)
    assert not rebuilt.reused
    assert _snapshot() == rows
    other = build_demo(**light, seed=8)
    assert not other.reused
    assert _snapshot() != rows
    per_account = Contact.objects.unscoped().values("account_id").distinct().count()
    assert per_account == 40


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_demo_command_builds_and_serves(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "TOBLOOP_DATA_DIR": str(tmp_path / "data")}
    env.pop("DATABASE_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tobloop.cli.app", "demo", "--accounts", "25", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        out = ""
        deadline = time.monotonic() + 90
        while "sign in as" not in out and time.monotonic() < deadline:
            out += proc.stdout.readline()
        assert f"http://127.0.0.1:{port}/" in out
        assert re.search(r"demo.*/.*demo", out)
        body = ""
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=5) as r:
                    body = r.read().decode()
                    break
            except OSError:
                time.sleep(0.3)
        assert "csrfmiddlewaretoken" in body
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
