"""The ClickHouse event store: one SQL text, run in-process by chdb or on a server.

``EVENTS_URL=chdb://`` keeps a ClickHouse database in the data directory (ClickHouse's own
engine inside the Python process); ``EVENTS_URL=clickhouse://USER:PASS@HOST:8123/DB`` talks to
a server through clickhouse-connect. Both adapters execute exactly the statements below; they
differ only in how a normalized record file reaches the temporary ``staging`` table.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import orjson

from tobloop.analytics.contracts import CatalogEvent, EventCount, LoadResult, StoredEvent
from tobloop.analytics.store.base import (
    EVENT_SELECT,
    EventFilter,
    EventStore,
    FileLock,
    ProfileHook,
    now_ms,
    profile_row,
    stored_event,
)
from tobloop.analytics.store.duckdb_store import assemble_catalog
from tobloop.analytics.store.schema import CLICKHOUSE_DEDUPE_KEY, CLICKHOUSE_RECORD_TYPES

SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS events (
    workspace_id UInt64,
    type LowCardinality(String),
    event LowCardinality(String),
    distinct_id String,
    user_id Nullable(String),
    anonymous_id Nullable(String),
    account_id Nullable(String),
    timestamp DateTime64(3, 'UTC'),
    received_at DateTime64(3, 'UTC'),
    message_id String,
    dedupe_key UInt64,
    previous_id Nullable(String),
    properties String,
    traits String,
    context String,
    source LowCardinality(String),
    INDEX dedupe_key_idx dedupe_key TYPE bloom_filter GRANULARITY 4
) ENGINE = MergeTree
PARTITION BY (workspace_id, toYYYYMM(timestamp))
ORDER BY (workspace_id, distinct_id, timestamp)
""",
    """
CREATE TABLE IF NOT EXISTS user_accounts (
    workspace_id UInt64,
    distinct_id String,
    account_id String,
    timestamp DateTime64(3, 'UTC')
) ENGINE = MergeTree ORDER BY (workspace_id, distinct_id, timestamp)
""",
    # The users a load links to an account, read by the re-attribution mutation (a mutation
    # runs outside the session, so this cannot be a temporary table).
    """
CREATE TABLE IF NOT EXISTS linked_users (
    workspace_id UInt64,
    distinct_id String,
    account_id String
) ENGINE = Join(ANY, LEFT, workspace_id, distinct_id)
""",
    """
CREATE TABLE IF NOT EXISTS deleted_workspaces (
    workspace_id UInt64,
    deleted_at Int64
) ENGINE = MergeTree ORDER BY workspace_id
""",
    """
CREATE TABLE IF NOT EXISTS catalog_events (
    workspace_id UInt64,
    type LowCardinality(String),
    event String,
    events UInt64,
    first_seen DateTime64(3, 'UTC'),
    last_seen DateTime64(3, 'UTC')
) ENGINE = MergeTree ORDER BY (workspace_id, type, event)
""",
    """
CREATE TABLE IF NOT EXISTS catalog_properties (
    workspace_id UInt64,
    type LowCardinality(String),
    event String,
    property String,
    events UInt64,
    example String,
    first_seen DateTime64(3, 'UTC'),
    last_seen DateTime64(3, 'UTC')
) ENGINE = MergeTree ORDER BY (workspace_id, type, event, property)
""",
)

RECORD_STRUCTURE = ", ".join(f"{c} {t}" for c, t in CLICKHOUSE_RECORD_TYPES.items())
READ_SETTINGS = {
    "input_format_allow_errors_num": 1_000_000_000,
    "input_format_allow_errors_ratio": 1,
    "input_format_json_read_objects_as_strings": 1,
    "input_format_skip_unknown_fields": 1,
}
# The key is a DEFAULT so that rows sent without it (a server's raw insert) get it too.
CREATE_STAGING = (
    f"CREATE TEMPORARY TABLE staging ({RECORD_STRUCTURE}, "
    f"dedupe_key UInt64 DEFAULT {CLICKHOUSE_DEDUPE_KEY}) ENGINE = Memory"
)
STAGE_FILE = (
    f"INSERT INTO staging ({', '.join(CLICKHOUSE_RECORD_TYPES)}) "
    f"SELECT * FROM file({{path:String}}, 'JSONEachRow', '{RECORD_STRUCTURE}') "
    "SETTINGS " + ", ".join(f"{k} = {v}" for k, v in READ_SETTINGS.items())
)
FRESH = """
CREATE TEMPORARY TABLE fresh ENGINE = Memory AS
SELECT * FROM staging
WHERE workspace_id != 0 AND message_id != '' AND type != ''
  AND (workspace_id, dedupe_key) NOT IN (
    SELECT s.workspace_id, s.dedupe_key FROM staging AS s
    INNER JOIN deleted_workspaces AS d ON d.workspace_id = s.workspace_id
    WHERE s.received_at <= d.deleted_at)
  AND (workspace_id, dedupe_key) NOT IN (
    SELECT workspace_id, dedupe_key FROM events
    WHERE dedupe_key IN (SELECT dedupe_key FROM staging))
ORDER BY received_at, timestamp
LIMIT 1 BY workspace_id, dedupe_key
"""
PROFILES = """
SELECT workspace_id, type, event, distinct_id, user_id, anonymous_id, account_id, timestamp,
       traits, context, source
FROM fresh WHERE type IN ('group', 'identify') ORDER BY timestamp
"""
LINK_USERS = """
INSERT INTO user_accounts
SELECT workspace_id, distinct_id, assumeNotNull(account_id), fromUnixTimestamp64Milli(timestamp)
FROM fresh
WHERE type IN ('group', 'identify') AND distinct_id != '' AND account_id IS NOT NULL
"""
# Events stored before their user's first group call carry no account; the load that brings
# the user's first link gives them the user's latest account (docs/decisions/0008). It runs
# before the events of the load go in, so that a crash in between repeats it on the replay.
LINKED_USERS = """
INSERT INTO linked_users
SELECT workspace_id, distinct_id, argMax(account_id, timestamp) FROM user_accounts
WHERE (workspace_id, distinct_id) IN (
    SELECT workspace_id, distinct_id FROM fresh
    WHERE type IN ('group', 'identify') AND distinct_id != '' AND account_id IS NOT NULL)
GROUP BY workspace_id, distinct_id
"""
UNATTRIBUTED = """
SELECT count() FROM events
WHERE account_id IS NULL AND (workspace_id, distinct_id) IN (
    SELECT workspace_id, distinct_id FROM fresh
    WHERE type IN ('group', 'identify') AND distinct_id != '' AND account_id IS NOT NULL)
"""
# A mutation runs without a current database: the Join table is named with its database.
REATTRIBUTE = """
ALTER TABLE events
UPDATE account_id = joinGet('{db}.linked_users', 'account_id', workspace_id, distinct_id)
WHERE account_id IS NULL
  AND joinGet('{db}.linked_users', 'account_id', workspace_id, distinct_id) != ''
SETTINGS mutations_sync = 2
"""

INSERT_EVENTS = """
INSERT INTO events
SELECT f.workspace_id, f.type, f.event, f.distinct_id, f.user_id, f.anonymous_id,
       coalesce(f.account_id, u.account_id), fromUnixTimestamp64Milli(f.timestamp),
       fromUnixTimestamp64Milli(f.received_at), f.message_id, f.dedupe_key, f.previous_id,
       if(f.properties = '', '{}', f.properties), if(f.traits = '', '{}', f.traits),
       if(f.context = '', '{}', f.context), f.source
FROM fresh AS f
LEFT JOIN (
    SELECT workspace_id, distinct_id, argMax(account_id, timestamp) AS account_id
    FROM user_accounts
    WHERE distinct_id IN (SELECT distinct_id FROM fresh WHERE account_id IS NULL)
    GROUP BY workspace_id, distinct_id) AS u
  ON u.workspace_id = f.workspace_id AND u.distinct_id = f.distinct_id
ORDER BY f.workspace_id, f.distinct_id, f.timestamp
SETTINGS join_use_nulls = 1
"""
CATALOG_EVENTS = """
INSERT INTO catalog_events
SELECT workspace_id, type, event, count(), fromUnixTimestamp64Milli(min(timestamp)),
       fromUnixTimestamp64Milli(max(timestamp))
FROM fresh GROUP BY workspace_id, type, event
"""
CATALOG_PROPERTIES = """
INSERT INTO catalog_properties
SELECT workspace_id, type, event, key, count(),
       toJSONString(groupUniqArray(3)(JSONExtractRaw(doc, key))),
       fromUnixTimestamp64Milli(min(timestamp)), fromUnixTimestamp64Milli(max(timestamp))
FROM (SELECT workspace_id, type, event, timestamp,
             if(type IN ('identify', 'group'), traits, properties) AS doc FROM fresh)
ARRAY JOIN JSONExtractKeys(doc) AS key
GROUP BY workspace_id, type, event, key
"""
SELECT_EVENT = ", ".join(
    {
        "timestamp_ms": "toUnixTimestamp64Milli(timestamp)",
        "received_at_ms": "toUnixTimestamp64Milli(received_at)",
    }.get(c, c)
    for c in EVENT_SELECT
)
CATALOG_EVENT_TOTALS = """
SELECT type, event, sum(events), toUnixTimestamp64Milli(min(first_seen)),
       toUnixTimestamp64Milli(max(last_seen))
FROM catalog_events WHERE workspace_id = {ws:UInt64} GROUP BY type, event
"""
CATALOG_PROPERTY_TOTALS = """
SELECT type, event, property, sum(events), groupUniqArray(5)(example),
       toUnixTimestamp64Milli(min(first_seen)), toUnixTimestamp64Milli(max(last_seen))
FROM catalog_properties WHERE workspace_id = {ws:UInt64} GROUP BY type, event, property
"""


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\0": "\\0"})


def escape_text(value: str) -> str:
    """A parameter value in ClickHouse's escaped text format (``\\``, ``\\t``, ``\\n`` …)."""
    return value.translate(_ESCAPES)


def _where(f: EventFilter) -> tuple[str, dict[str, Any]]:
    clauses: list[str] = ["workspace_id = {ws:UInt64}"]
    params: dict[str, Any] = {"ws": f.workspace_id}
    if f.event is not None:
        clauses.append("event = {event:String}")
        params["event"] = f.event
    if f.user_id is not None:
        clauses.append("(user_id = {user:String} OR anonymous_id = {user:String})")
        params["user"] = f.user_id
    if f.account_id is not None:
        clauses.append("account_id = {account:String}")
        params["account"] = f.account_id
    if f.start_ms is not None:
        clauses.append("timestamp >= fromUnixTimestamp64Milli({start:Int64})")
        params["start"] = f.start_ms
    if f.end_ms is not None:
        clauses.append("timestamp < fromUnixTimestamp64Milli({end:Int64})")
        params["end"] = f.end_ms
    return " AND ".join(clauses), params


class ClickHouseSession(ABC):
    """One connection: run statements, read rows, fill ``staging`` from a record file."""

    @abstractmethod
    def rows(self, sql: str, params: dict[str, Any] | None = None) -> list[list[Any]]: ...

    @abstractmethod
    def command(self, sql: str, params: dict[str, Any] | None = None) -> None: ...

    @abstractmethod
    def stage_file(self, path: Path) -> None: ...


class ClickHouseAdapter(ABC):
    name: str
    # chdb reads parameter values in ClickHouse's escaped text format; a server's binding
    # through clickhouse-connect escapes them itself.
    escape_params = False

    @abstractmethod
    def session(self, *, write: bool) -> AbstractContextManager[ClickHouseSession]: ...


class ClickHouseStore(EventStore):
    def __init__(self, adapter: ClickHouseAdapter) -> None:
        self.adapter = adapter
        self.name = adapter.name
        self._schema_ready = False

    def _session(self, *, write: bool) -> AbstractContextManager[ClickHouseSession]:
        return self.adapter.session(write=write)

    def _p(self, params: dict[str, Any]) -> dict[str, Any]:
        if not self.adapter.escape_params:
            return params
        return {k: escape_text(v) if isinstance(v, str) else v for k, v in params.items()}

    def ensure_schema(self) -> None:
        with self._session(write=True) as s:
            self._create(s)

    def _create(self, s: ClickHouseSession) -> None:
        if not self._schema_ready:
            for statement in SCHEMA:
                s.command(statement)
            self._schema_ready = True

    def delete_workspace(self, workspace_id: int) -> None:
        with self._session(write=True) as s:
            self._create(s)
            s.command(
                "INSERT INTO deleted_workspaces VALUES ({ws:UInt64}, {at:Int64})",
                {"ws": workspace_id, "at": now_ms()},
            )
            for table in ("events", "user_accounts", "catalog_events", "catalog_properties"):
                s.command(
                    f"ALTER TABLE {table} DELETE WHERE workspace_id = {{ws:UInt64}} "
                    "SETTINGS mutations_sync = 2",
                    {"ws": workspace_id},
                )

    def load(self, files: Sequence[Path], on_profiles: ProfileHook | None = None) -> LoadResult:
        if not files:
            return LoadResult(rows=0, stored=0, duplicates=0)
        with self._session(write=True) as s:
            self._create(s)
            s.command("DROP TEMPORARY TABLE IF EXISTS staging")
            s.command("DROP TEMPORARY TABLE IF EXISTS fresh")
            s.command(CREATE_STAGING)
            for path in files:
                s.stage_file(path)
            rows = int(s.rows("SELECT count() FROM staging")[0][0])
            s.command(FRESH)
            stored = int(s.rows("SELECT count() FROM fresh")[0][0])
            if stored and on_profiles is not None:
                profiles = s.rows(PROFILES)
                if profiles:
                    on_profiles([profile_row(r) for r in profiles])
            if stored:
                # No transactions here: events first, so a crash can only under-count the
                # catalog, never store an event twice (the replay finds its keys stored).
                s.command(LINK_USERS)
                if int(s.rows(UNATTRIBUTED)[0][0]):
                    s.command("TRUNCATE TABLE linked_users")
                    s.command(LINKED_USERS)
                    db = str(s.rows("SELECT currentDatabase()")[0][0]).replace("'", "")
                    s.command(REATTRIBUTE.replace("{db}", db))
                    s.command("TRUNCATE TABLE linked_users")
                s.command(INSERT_EVENTS)
                s.command(CATALOG_EVENTS)
                s.command(CATALOG_PROPERTIES)
            s.command("DROP TEMPORARY TABLE IF EXISTS staging")
            s.command("DROP TEMPORARY TABLE IF EXISTS fresh")
        return LoadResult(rows=rows, stored=stored, duplicates=rows - stored)

    def count(self, f: EventFilter) -> EventCount:
        where, params = _where(f)
        with self._session(write=False) as s:
            self._create(s)
            row = s.rows(
                "SELECT count(), uniqExact(nullIf(distinct_id, '')), uniqExact(account_id) "
                f"FROM events WHERE {where}",
                self._p(params),
            )[0]
        return EventCount(count=int(row[0]), users=int(row[1]), accounts=int(row[2]))

    def recent(self, f: EventFilter) -> list[StoredEvent]:
        where, params = _where(f)
        with self._session(write=False) as s:
            self._create(s)
            rows = s.rows(
                f"SELECT {SELECT_EVENT} FROM events WHERE {where} "
                "ORDER BY received_at DESC, timestamp DESC, message_id LIMIT {limit:UInt32}",
                self._p({**params, "limit": f.limit}),
            )
        return [stored_event(r) for r in rows]

    def all_events(self, workspace_id: int) -> list[StoredEvent]:
        with self._session(write=False) as s:
            self._create(s)
            rows = s.rows(
                f"SELECT {SELECT_EVENT} FROM events WHERE workspace_id = {{ws:UInt64}} "
                "ORDER BY timestamp, message_id",
                {"ws": workspace_id},
            )
        return [stored_event(r) for r in rows]

    def catalog(self, workspace_id: int) -> list[CatalogEvent]:
        with self._session(write=False) as s:
            self._create(s)
            events = s.rows(CATALOG_EVENT_TOTALS, {"ws": workspace_id})
            props = s.rows(CATALOG_PROPERTY_TOTALS, {"ws": workspace_id})
        return assemble_catalog(
            [(t, e, int(n), int(a), int(b)) for t, e, n, a, b in events],
            [(t, e, p, int(n), list(x), int(a), int(b)) for t, e, p, n, x, a, b in props],
        )


# -- chdb: ClickHouse inside this process ---------------------------------------------------

# chdb runs one session per process at a time; the file lock orders processes.
_chdb_lock = threading.Lock()


class _ChdbSession(ClickHouseSession):
    def __init__(self, session: Any) -> None:
        self.session = session

    def rows(self, sql: str, params: dict[str, Any] | None = None) -> list[list[Any]]:
        result = self.session.query(sql, "JSONCompact", params=params or {})
        data: list[list[Any]] = orjson.loads(result.bytes())["data"]
        return data

    def command(self, sql: str, params: dict[str, Any] | None = None) -> None:
        self.session.query(sql, "Null", params=params or {})

    def stage_file(self, path: Path) -> None:
        self.command(STAGE_FILE, {"path": escape_text(str(path.resolve()))})


class ChdbAdapter(ClickHouseAdapter):
    name = "chdb"
    escape_params = True

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = FileLock(path.with_name(path.name + ".lock"))

    @contextmanager
    def session(self, *, write: bool) -> Iterator[ClickHouseSession]:
        from chdb import session as chdb_session  # heavy (~200 MB): only when configured

        # chdb opens its directory read-write even to read: every session is exclusive.
        with self.lock.hold(exclusive=True), _chdb_lock:
            self.path.mkdir(parents=True, exist_ok=True)
            s: Any = chdb_session.Session(str(self.path))  # type: ignore[no-untyped-call]
            try:
                yield _ChdbSession(s)
            finally:
                s.close()


# -- a ClickHouse server through clickhouse-connect -----------------------------------------


class _ServerSession(ClickHouseSession):
    def __init__(self, client: Any) -> None:
        self.client = client

    def rows(self, sql: str, params: dict[str, Any] | None = None) -> list[list[Any]]:
        return [list(r) for r in self.client.query(sql, parameters=params or {}).result_rows]

    def command(self, sql: str, params: dict[str, Any] | None = None) -> None:
        self.client.command(sql, parameters=params or {})

    def stage_file(self, path: Path) -> None:
        self.client.raw_insert(
            "staging",
            column_names=list(CLICKHOUSE_RECORD_TYPES),
            insert_block=path.read_bytes(),
            fmt="JSONEachRow",
            settings=READ_SETTINGS,
        )


class ServerAdapter(ClickHouseAdapter):
    """``clickhouse://USER:PASSWORD@HOST:PORT/DATABASE`` (HTTP interface, default 8123)."""

    name = "clickhouse"

    def __init__(self, url: str) -> None:
        parsed = urlparse(url)
        self.settings: dict[str, Any] = {
            "host": parsed.hostname or "127.0.0.1",
            "port": parsed.port or 8123,
            "username": unquote(parsed.username or "default"),
            "password": unquote(parsed.password or ""),
            "database": unquote(parsed.path.lstrip("/")) or "default",
            "secure": parsed.scheme in {"clickhouses", "https"},
        }

    @contextmanager
    def session(self, *, write: bool) -> Iterator[ClickHouseSession]:
        import clickhouse_connect

        client = clickhouse_connect.get_client(**self.settings)
        try:
            yield _ServerSession(client)
        finally:
            client.close()
