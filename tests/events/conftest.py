"""A live ``tobloop serve`` in a subprocess, on a free port and its own data directory."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tobloop.analytics.store.duckdb_store import DuckDBStore

SETUP = """
import json
from tobloop.cli.runtime import setup_django
setup_django()
from tobloop.platform import facade
ws = facade.create_workspace(name="Live", slug="live")
write = facade.create_api_key(workspace_id=ws.id, write_key=True)
read = facade.create_api_key(workspace_id=ws.id, scopes="read,write")
print(json.dumps({"workspace_id": ws.id, "write_key": write.key, "api_key": read.key}))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    data_dir: Path
    workers: int = 1
    extra_env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    workspace_id: int = 0
    write_key: str = ""
    api_key: str = ""

    @property
    def env(self) -> dict[str, str]:
        env = {**os.environ, "TOBLOOP_DATA_DIR": str(self.data_dir), **self.extra_env}
        env.pop("DATABASE_URL", None)  # the server keeps its own SQLite in its data directory
        return env

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def setup(self) -> None:
        out = subprocess.run(
            [sys.executable, "-c", SETUP],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        doc = json.loads(out.stdout.strip().splitlines()[-1])
        self.workspace_id, self.write_key, self.api_key = (
            doc["workspace_id"],
            doc["write_key"],
            doc["api_key"],
        )

    def start(self, timeout: float = 60) -> None:
        log = (self.data_dir / "server.log").open("ab")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tobloop.cli.app",
                "serve",
                "--port",
                str(self.port),
                "--workers",
                str(self.workers),
            ],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so kill9() reaches the workers
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError((self.data_dir / "server.log").read_text()[-3000:])
            try:
                status, _ = self.request("POST", "/v1/batch", b"{}", timeout=2)
                if status == 401:
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("the server did not start")

    def kill9(self) -> None:
        assert self.proc is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.proc = None

    def stop(self) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill9()
        except ProcessLookupError:
            pass
        self.proc = None

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 10,
    ) -> tuple[int, dict[str, Any]]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            raw = response.read()
            try:
                doc = json.loads(raw) if raw else {}
            except ValueError:
                doc = {"raw": raw.decode("utf-8", "replace")}
            if response.getheader("Retry-After"):
                doc["_retry_after"] = response.getheader("Retry-After")
            return response.status, doc
        finally:
            conn.close()

    def store(self) -> DuckDBStore:
        return DuckDBStore(self.data_dir / "events.duckdb")

    def wait_for_count(self, expected: int, timeout: float = 5.0) -> float:
        """Seconds until the store holds ``expected`` events of the workspace."""
        from tobloop.analytics.store.base import EventFilter

        started = time.monotonic()
        store = self.store()
        while True:
            got = store.count(EventFilter(self.workspace_id)).count
            if got >= expected:
                return time.monotonic() - started
            if time.monotonic() - started > timeout:
                raise AssertionError(f"{got} of {expected} events stored after {timeout} s")
            time.sleep(0.05)

    def events_of(self, user_id: str, expected: int, timeout: float = 5.0) -> list[Any]:
        """The events of one user (or anonymous id), once ``expected`` of them are stored."""
        from tobloop.analytics.store.base import EventFilter

        started = time.monotonic()
        store = self.store()
        while True:
            found = store.recent(EventFilter(self.workspace_id, user_id=user_id, limit=1000))
            if len(found) >= expected:
                return sorted(found, key=lambda e: (e.timestamp, e.message_id))
            if time.monotonic() - started > timeout:
                raise AssertionError(f"{len(found)} of {expected} events of {user_id} stored")
            time.sleep(0.05)


@pytest.fixture(scope="session")
def event_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path_factory.mktemp("event-server"), workers=2)
    server.setup()
    server.start()
    yield server
    server.stop()
