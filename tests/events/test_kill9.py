"""The durability contract: SIGKILL at any moment loses no acknowledged event, stores none twice.

Concurrent clients send numbered events and retry a batch until it is acknowledged (as the
SDKs do); the server (two worker processes, one of them loading) is killed with SIGKILL
several times mid-stream and restarted on the same data directory.
"""

from __future__ import annotations

import base64
import http.client
import json
import threading
import time
from pathlib import Path

import pytest

from tests.events.conftest import LiveServer
from tobloop.analytics.ingest.loader import wait_until_drained

CLIENTS = 4
BATCH = 25
SENDING_SECONDS = 9.0
KILLS = 4


class Client(threading.Thread):
    def __init__(self, server: LiveServer, number: int, stop_at: float) -> None:
        super().__init__(daemon=True)
        self.server, self.number, self.stop_at = server, number, stop_at
        self.acked: list[str] = []
        self.failures = 0
        self.auth = "Basic " + base64.b64encode(f"{server.write_key}:".encode()).decode()

    def run(self) -> None:
        seq = 0
        while time.monotonic() < self.stop_at:
            ids = [f"c{self.number}-{seq + i}" for i in range(BATCH)]
            seq += BATCH
            body = json.dumps(
                {
                    "batch": [
                        {
                            "type": "track",
                            "event": "Numbered",
                            "userId": f"client-{self.number}",
                            "messageId": mid,
                            "properties": {"n": mid},
                        }
                        for mid in ids
                    ]
                }
            ).encode()
            give_up = time.monotonic() + 90
            while not self._send(body):  # retried until acknowledged, like the SDKs
                self.failures += 1
                assert time.monotonic() < give_up, "the server never came back"
                time.sleep(0.1)
            self.acked.extend(ids)

    def _send(self, body: bytes) -> bool:
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10)
        try:
            conn.request(
                "POST",
                "/v1/batch",
                body=body,
                headers={"Authorization": self.auth, "Content-Type": "application/json"},
            )
            response = conn.getresponse()
            response.read()
            return response.status == 200
        except OSError:
            return False
        finally:
            conn.close()


@pytest.mark.slow
def test_sigkill_mid_stream_loses_no_acknowledged_event(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "data", workers=2)
    server.data_dir.mkdir()
    server.setup()
    server.start()
    try:
        stop_at = time.monotonic() + SENDING_SECONDS
        clients = [Client(server, n, stop_at) for n in range(CLIENTS)]
        for c in clients:
            c.start()
        for _ in range(KILLS):
            time.sleep(SENDING_SECONDS / (KILLS + 1))
            server.kill9()
            server.start()
        for c in clients:
            c.join(timeout=120)
            assert not c.is_alive()
        acked = [mid for c in clients for mid in c.acked]
        assert sum(c.failures for c in clients) > 0, "no request was cut off by a kill"
        assert len(acked) > 1000
        print(f"{len(acked)} acknowledged events, {sum(c.failures for c in clients)} cut-off calls")

        assert wait_until_drained(server.data_dir / "spool", timeout=30)
        server.wait_for_count(len(acked), timeout=30)
        with server.store().reading() as con:
            assert con is not None
            stored = con.execute(
                "SELECT message_id, count(*) FROM events WHERE workspace_id = ? "
                "GROUP BY message_id",
                [server.workspace_id],
            ).fetchall()
        counts = dict(stored)
        assert sorted(counts) == sorted(acked)  # every acknowledged event, nothing else
        assert set(counts.values()) == {1}  # each exactly once
    finally:
        server.stop()
