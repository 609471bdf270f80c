"""``tobloop serve`` loads events in a process of its own, ahead of its web workers.

The loader process holds the loader lock and runs at the server's priority, the web workers
``TOBLOOP_WEB_NICE`` lower; when the loader process dies, a web worker's loader thread takes
the role over until the loader's supervisor has started it again, then hands it back; stopping
the server stops the supervisor and the loader too (docs/decisions/0014).
"""

from __future__ import annotations

import base64
import json
import os
import signal
import time
from pathlib import Path

import pytest

from tests.events.conftest import LiveServer

pytestmark = pytest.mark.skipif(not Path("/proc/locks").exists(), reason="reads /proc (Linux)")


def _group(pgid: int) -> dict[int, tuple[str, int]]:
    """The processes of a process group: pid → (command line, nice)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            found[int(entry.name)] = (cmdline, int(fields[16]))
    return found


def _lock_holder(lock: Path) -> int | None:
    inode = lock.stat().st_ino
    for line in Path("/proc/locks").read_text().splitlines():
        parts = line.split()
        if "FLOCK" in parts and parts[-3].endswith(f":{inode}"):
            return int(parts[4])
    return None


def _send(server: LiveServer, user: str) -> None:
    auth = "Basic " + base64.b64encode(f"{server.write_key}:".encode()).decode()
    body = json.dumps({"userId": user, "event": "Tested", "messageId": user}).encode()
    status, doc = server.request("POST", "/v1/track", body, {"Authorization": auth})
    assert status == 200, doc


def _wait(condition: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not callable(condition) or not condition():
        assert time.monotonic() < deadline, "not within the time"
        time.sleep(0.1)


def test_the_loader_runs_in_its_own_process_ahead_of_the_web_workers(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "data", workers=2, extra_env={"TOBLOOP_WEB_NICE": "5"})
    server.data_dir.mkdir()
    server.setup()
    server.start()
    try:
        assert server.proc is not None
        group = server.proc.pid
        processes = _group(group)
        supervisors = [p for p, (cmd, _) in processes.items() if cmd.endswith("loader_process ")]
        loaders = [p for p, (cmd, _) in processes.items() if cmd.endswith("loader_process --run ")]
        assert len(supervisors) == 1 and len(loaders) == 1, processes
        loader = loaders[0]
        workers = [pid for pid in processes if pid not in (group, loader, *supervisors)]
        assert len(workers) >= 2
        started_at = os.nice(0)  # the priority the server was started with
        assert processes[loader][1] == processes[supervisors[0]][1] == started_at
        assert all(processes[w][1] == min(19, started_at + 5) for w in workers)
        lock = server.data_dir / "spool" / "loader.lock"
        assert _lock_holder(lock) == loader
        assert server.request("GET", "/healthz")[1]["spool"]["loader"] == "running"

        _send(server, "first")
        server.wait_for_count(1, timeout=10)

        # The loader process dies: nothing acknowledged is lost (a web worker may load
        # meanwhile), and its supervisor starts it again, at the server's priority, with the
        # role handed back.
        os.kill(loader, signal.SIGKILL)
        _send(server, "second")
        server.wait_for_count(2, timeout=15)

        def restarted() -> bool:
            holder = _lock_holder(lock)
            found = _group(group).get(holder or 0)
            return holder != loader and found is not None and "--run" in found[0]

        _wait(restarted, timeout=30)
        holder = _lock_holder(lock)
        assert holder is not None and _group(group)[holder][1] == started_at
        _send(server, "third")
        server.wait_for_count(3, timeout=15)
        assert server.request("GET", "/healthz")[1]["spool"]["loader"] == "running"
    finally:
        server.stop()
    _wait(lambda: not _group(group), timeout=20)


def test_stopping_the_server_stops_its_loader(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "data", workers=1)
    server.data_dir.mkdir()
    server.setup()
    server.start()
    assert server.proc is not None
    group = server.proc.pid
    try:
        _send(server, "only")
        server.wait_for_count(1, timeout=10)
    finally:
        # SIGTERM to the server process alone (not its group): the loader follows it.
        server.proc.send_signal(signal.SIGTERM)
        server.proc.wait(timeout=30)
        server.proc = None
    _wait(lambda: not _group(group), timeout=30)
