"""The loader as the server and the CLI run it: profiles applied to the application database,
and loads of several hosts taken in turn.

Each host that accepts events keeps its own spool and runs its own loader. With the embedded
DuckDB store there is one host. With ClickHouse several hosts load into the same tables, and a
load's duplicate check and its account re-attribution (the shared ``linked_users`` table) are
queries at load time: two hosts loading the same retried ``messageId`` at the same moment would
both find it new. So when the application database is PostgreSQL (what several hosts share), a
load holds a session-level advisory lock there: the hosts' loads run one at a time, and each
sees what the one before stored. A host that dies while holding it loses its connection, and
with it the lock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tobloop.analytics.ingest.loader import Loader
from tobloop.analytics.logic.profiles import apply_profiles
from tobloop.analytics.store import event_store
from tobloop.analytics.store.base import EventStore

# pg_advisory_lock's key for event loads ("tobloop" in ASCII, as a number).
HOSTS_LOAD_LOCK = 0x746F626C6F6F70


def event_loader(
    spool: Path, store: EventStore | None = None, *, dedicated: bool = False
) -> Loader:
    store = store if store is not None else event_store()
    return Loader(
        spool,
        store,
        apply_profiles,
        dedicated=dedicated,
        serialize=lambda: hosts_load_lock(store),
    )


@contextmanager
def hosts_load_lock(store: EventStore) -> Iterator[None]:
    """Held around each load into a store that several hosts may load into (ClickHouse),
    when the application database is PostgreSQL; otherwise nothing is locked."""
    from django.db import connection

    if store.name == "duckdb" or connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [HOSTS_LOAD_LOCK])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [HOSTS_LOAD_LOCK])
