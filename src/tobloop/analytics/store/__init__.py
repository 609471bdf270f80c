"""Choosing the event store from ``EVENTS_URL``: ``duckdb://`` (default), ``chdb://``,
``clickhouse://USER:PASSWORD@HOST:8123/DATABASE``."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from tobloop.analytics.store.base import EventFilter, EventStore
from tobloop.kernel.errors import InvalidInput

__all__ = ["EventFilter", "EventStore", "event_store", "open_store"]

_stores: dict[tuple[str, str, str], EventStore] = {}


def open_store(url: str, data_dir: Path, *, memory_limit: str = "1GB") -> EventStore:
    """A store for ``url``; embedded stores live under ``data_dir`` unless the URL names a path.
    ``memory_limit``: DuckDB's, per process (``TOBLOOP_EVENTS_MEMORY_LIMIT``)."""
    parsed = urlparse(url or "duckdb://")
    scheme = parsed.scheme or "duckdb"
    local = (parsed.netloc + parsed.path).strip()
    if scheme == "duckdb":
        from tobloop.analytics.store.duckdb_store import DuckDBStore

        return DuckDBStore(
            Path(local) if local else data_dir / "events.duckdb", memory_limit=memory_limit
        )
    if scheme == "chdb":
        from tobloop.analytics.store.clickhouse_store import ChdbAdapter, ClickHouseStore

        return ClickHouseStore(ChdbAdapter(Path(local) if local else data_dir / "events-chdb"))
    if scheme in {"clickhouse", "clickhouses", "http", "https"}:
        from tobloop.analytics.store.clickhouse_store import ClickHouseStore, ServerAdapter

        return ClickHouseStore(ServerAdapter(url))
    raise InvalidInput(
        f"EVENTS_URL has an unsupported scheme {scheme!r}: use duckdb://, chdb:// or clickhouse://",
        code="invalid_events_url",
    )


def event_store() -> EventStore:
    """The configured store of this process (settings ``EVENTS_URL`` and the data directory)."""
    from django.conf import settings

    url = str(getattr(settings, "EVENTS_URL", "duckdb://"))
    memory = str(settings.TOBLOOP_EVENTS_MEMORY_LIMIT)
    key = (url, str(settings.DATA_DIR), memory)
    if key not in _stores:
        _stores[key] = open_store(url, Path(settings.DATA_DIR), memory_limit=memory)
    return _stores[key]
