"""``GET /healthz`` for load balancers and monitors (docs/deployment.md, "Monitoring")."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import DatabaseError

pytestmark = pytest.mark.django_db


def test_healthy_server_shows_the_spool_backlog(client: Any, settings: Any, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path
    assert client.get("/healthz").json() == {
        "status": "ok",
        "database": "ok",
        "spool": {"segments": 0, "bytes": 0, "oldest_seconds": 0.0, "loader": "none"},
    }
    # given two segments waiting for the loader, the older written a minute ago
    spool = tmp_path / "spool"
    spool.mkdir()
    (spool / "1-1-000001.ndjson").write_bytes(b'{"a": 1}\n' * 3)
    (spool / "1-1-000002.open").write_bytes(b'{"a": 1}\n')
    minute_ago = time.time() - 60
    os.utime(spool / "1-1-000001.ndjson", (minute_ago, minute_ago))
    response = client.get("/healthz")
    assert response.status_code == 200
    waiting = response.json()["spool"]
    assert (waiting["segments"], waiting["bytes"]) == (2, 36)
    assert 59 <= waiting["oldest_seconds"] <= 70


def test_shows_whether_a_loader_is_running(client: Any, settings: Any, tmp_path: Path) -> None:
    from tobloop.analytics.ingest.loader import Loader
    from tobloop.analytics.store import event_store

    settings.DATA_DIR = tmp_path
    loader = Loader(tmp_path / "spool", event_store())
    assert loader.try_become_loader()
    try:
        assert client.get("/healthz").json()["spool"]["loader"] == "running"
        assert loader.try_become_loader()  # the probe took nothing from the role
    finally:
        loader.release()
    assert client.get("/healthz").json()["spool"]["loader"] == "none"
    # the role is free again for a loader
    assert Loader(tmp_path / "spool", event_store()).try_become_loader()


def test_unreachable_database_answers_503(
    client: Any, settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.DATA_DIR = tmp_path

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise DatabaseError("connection refused")

    from tobloop.config import health

    monkeypatch.setattr(health.connection, "cursor", refuse)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["database"] == "unavailable (DatabaseError)"


def test_only_get(client: Any) -> None:
    assert client.post("/healthz").status_code == 405
