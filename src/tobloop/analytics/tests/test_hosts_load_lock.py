"""Loads into a store that several hosts share (ClickHouse, here on chdb) take turns through a
PostgreSQL advisory lock when the application database is PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connection, connections

from tobloop.analytics.ingest import segment
from tobloop.analytics.logic.event_loader import HOSTS_LOAD_LOCK, event_loader
from tobloop.analytics.store import open_store
from tobloop.analytics.store.base import EventFilter, EventStore

RECEIVED = 1_795_176_000_000


def _segment(spool: Path, name: str, messages: int) -> None:
    spool.mkdir(parents=True, exist_ok=True)
    lines = b"".join(
        segment.normalize(
            {
                "type": "track",
                "event": "Shared",
                "userId": f"u{i}",
                "messageId": f"m-{i}",
                "timestamp": "2026-11-20T11:00:00Z",
            },
            workspace_id=1,
            received_ms=RECEIVED,
        )
        for i in range(messages)
    )
    (spool / f"{name}.ndjson").write_bytes(lines)


@pytest.fixture
def other_host_loading(transactional_db: None) -> Iterator[Callable[[], None]]:
    """Another host's load in progress: it holds the lock from its own session until the
    function this fixture gives ends that session."""
    if connection.vendor != "postgresql":
        pytest.skip("hosts share PostgreSQL; on SQLite there is one host and no lock")
    other = connections.create_connection("default")
    with other.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [HOSTS_LOAD_LOCK])
    try:
        yield other.close  # its session ends: so does its lock
    finally:
        other.close()


def _drain(spool: Path, store: EventStore) -> threading.Thread:
    def drain() -> None:
        try:
            event_loader(spool, store).drain_if_free()
        finally:
            connections.close_all()

    thread = threading.Thread(target=drain)
    thread.start()
    return thread


def test_a_load_into_clickhouse_waits_while_another_host_loads(
    tmp_path: Path, other_host_loading: Callable[[], None]
) -> None:
    store = open_store("chdb://", tmp_path / "ch")
    # two hosts' spools hold the same retried messages
    _segment(tmp_path / "host-a", "0001-1-000001", 50)
    _segment(tmp_path / "host-b", "0001-2-000001", 50)
    loading = _drain(tmp_path / "host-a", store)
    loading.join(1.5)
    assert loading.is_alive()  # waits for the other host's load
    assert store.count(EventFilter(1)).count == 0
    other_host_loading()
    loading.join(60)
    assert not loading.is_alive()
    _drain(tmp_path / "host-b", store).join(60)  # the second host's copy of the messages
    assert store.count(EventFilter(1)).count == 50


def test_a_load_into_duckdb_does_not_wait(
    tmp_path: Path, other_host_loading: Callable[[], None]
) -> None:
    store = open_store("duckdb://", tmp_path / "duck")
    _segment(tmp_path / "spool", "0001-1-000001", 5)
    loading = _drain(tmp_path / "spool", store)
    loading.join(60)
    assert not loading.is_alive()
    assert store.count(EventFilter(1)).count == 5


def test_an_import_into_clickhouse_waits_while_another_host_loads(
    tmp_path: Path, other_host_loading: Callable[[], None]
) -> None:
    from tobloop.analytics.logic.importing import import_events
    from tobloop.platform import facade

    facade.create_workspace(name="Hosts", slug="hosts")
    principal = facade.system_principal("hosts", "test")
    store = open_store("chdb://", tmp_path / "ch")
    source = tmp_path / "history.ndjson"
    source.write_bytes(
        b"".join(
            b'{"type":"track","event":"Shared","userId":"u%d","messageId":"m-%d",'
            b'"timestamp":"2026-11-20T11:00:00Z"}\n' % (i, i)
            for i in range(20)
        )
    )

    def run() -> None:
        try:
            import_events(principal, source, store=store, on_profiles=lambda rows: None)
        finally:
            connections.close_all()

    importing = threading.Thread(target=run)
    importing.start()
    importing.join(1.5)
    assert importing.is_alive()  # waits for the other host's load
    assert store.count(EventFilter(principal.workspace_id)).count == 0
    other_host_loading()
    importing.join(60)
    assert not importing.is_alive()
    assert store.count(EventFilter(principal.workspace_id)).count == 20
