"""The embedded default event store: one DuckDB file in the data directory."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import orjson

from tobloop.analytics.contracts import (
    CatalogEvent,
    CatalogProperty,
    EventCount,
    LoadResult,
    StoredEvent,
)
from tobloop.analytics.store.base import (
    EVENT_SELECT,
    EventFilter,
    EventStore,
    FileLock,
    ProfileHook,
    ms_to_datetime,
    now_ms,
    profile_row,
    stored_event,
)
from tobloop.analytics.store.schema import (
    DUCKDB_DEDUPE_KEY,
    DUCKDB_RECORD_TYPES,
    EVENT_SOURCES,
    EVENT_TYPES,
    duckdb_enum,
)
from tobloop.analytics.store.stored_keys import (
    WRITES_TABLE,
    StoredKeys,
    bump_store_writes,
    sorted_unique,
)

TYPE_ENUM = duckdb_enum(EVENT_TYPES)
SOURCE_ENUM = duckdb_enum(EVENT_SOURCES)

# Rows per row group of the events store (DuckDB's default is 122,880). A load's rows go
# straight to new compressed row groups at the insert ("optimistic writing") only when they
# fill one; the rest are appended to the table's last, partly filled row group, which the
# commit's checkpoint then compresses and writes again whole (after writing the rows to the
# write-ahead log first). With 122,880 rows a row group, the loader's loads under sustained
# traffic (60,000–170,000 events) paid that rewrite at almost every commit; with 30,720 they
# fill several row groups each, and the rewritten tail is at most a quarter of the size. The
# cost is disk (8-23 % more: each row group has its own dictionaries). Every writer must use
# it: one with the default size merges the smaller row groups at its checkpoint. docs/
# decisions/0006 and docs/performance.md ("Row groups of the events store").
ROW_GROUP_SIZE = 30_720
STORE_CATALOG = "event_store"
# A kept instance's (DuckDBStore.kept_instance) block allocator: DuckDB's buffer blocks come
# from memory allocated once and never returned, instead of fresh pages from the allocator
# after each flush (about 240,000 page faults per million imported events, 0.3 CPU-s).
KEPT_INSTANCE_CONFIG = {"block_allocator_memory": "1GB"}

# ``message_id`` and ``context`` are only read back with whole events (the Live events page),
# never filtered or grouped on: they are written with zstd, which costs about half of DuckDB's
# own choice for strings (dictionary + FSST) to write: 0.25 CPU-s less per million imported
# events. Contexts as browser libraries send them take a fifth of the space; the benchmark's
# tiny ones 4 MB more per million events (docs/decisions/0016). A store made before keeps its
# columns as they were (DuckDB cannot change a column's compression in place).
SCHEMA = f"""
CREATE TABLE IF NOT EXISTS events (
    workspace_id BIGINT NOT NULL,
    type {TYPE_ENUM} NOT NULL,
    event VARCHAR NOT NULL,
    distinct_id VARCHAR NOT NULL,
    user_id VARCHAR,
    anonymous_id VARCHAR,
    account_id VARCHAR,
    timestamp TIMESTAMP NOT NULL,
    received_at TIMESTAMP NOT NULL,
    message_id VARCHAR NOT NULL USING COMPRESSION zstd,
    dedupe_key UBIGINT NOT NULL,
    previous_id VARCHAR,
    properties JSON,
    traits JSON,
    context JSON USING COMPRESSION zstd,
    source {SOURCE_ENUM} NOT NULL,
    user_number UINTEGER
);
CREATE TABLE IF NOT EXISTS user_numbers (
    workspace_id BIGINT NOT NULL,
    distinct_id VARCHAR NOT NULL,
    number UINTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS user_accounts (
    workspace_id BIGINT NOT NULL,
    distinct_id VARCHAR NOT NULL,
    account_id VARCHAR NOT NULL,
    timestamp TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS deleted_workspaces (
    workspace_id BIGINT NOT NULL,
    deleted_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS catalog_events (
    workspace_id BIGINT NOT NULL,
    type VARCHAR NOT NULL,
    event VARCHAR NOT NULL,
    events UBIGINT NOT NULL,
    first_seen TIMESTAMP NOT NULL,
    last_seen TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS catalog_properties (
    workspace_id BIGINT NOT NULL,
    type VARCHAR NOT NULL,
    event VARCHAR NOT NULL,
    property VARCHAR NOT NULL,
    events UBIGINT NOT NULL,
    example VARCHAR,
    first_seen TIMESTAMP NOT NULL,
    last_seen TIMESTAMP NOT NULL
);
"""
SCHEMA += WRITES_TABLE + ";\n"

_RECORD_COLUMNS = "{" + ", ".join(f"'{c}': '{t}'" for c, t in DUCKDB_RECORD_TYPES.items()) + "}"

STAGE = f"""
CREATE OR REPLACE TEMP TABLE staging AS
SELECT *, {DUCKDB_DEDUPE_KEY} AS dedupe_key
FROM read_ndjson($files, columns={_RECORD_COLUMNS}, format='newline_delimited',
                 ignore_errors=true, maximum_object_size=1048576)
WHERE workspace_id IS NOT NULL AND timestamp IS NOT NULL
  AND type IS NOT NULL AND message_id IS NOT NULL
"""

# Records of a workspace received up to its deletion (still in the spool then) are dropped;
# a record received later belongs to a new workspace that reuses the id.
DROP_DELETED = """
DELETE FROM staging USING deleted_workspaces AS d
WHERE staging.workspace_id = d.workspace_id AND staging.received_at <= d.deleted_at
"""

# Keys of this load already stored, and keys repeated inside it. The IN subqueries hash the
# (small) load, not the whole events table; the workspace condition lets DuckDB skip the row
# groups of other workspaces (loads are inserted sorted by workspace).
DUPLICATE_KEYS = """
CREATE OR REPLACE TEMP TABLE duplicate_keys AS
SELECT DISTINCT workspace_id, dedupe_key, true AS stored FROM events
WHERE workspace_id IN (SELECT DISTINCT workspace_id FROM staging)
  AND dedupe_key IN (SELECT dedupe_key FROM staging)
UNION ALL
SELECT workspace_id, dedupe_key, false AS stored FROM staging
GROUP BY workspace_id, dedupe_key HAVING count(*) > 1
"""
# Without duplicates (the usual case) the load is stored as it is, without a copy.
FRESH_ALL = "CREATE OR REPLACE TEMP VIEW fresh AS SELECT * FROM staging"
# Otherwise: rows of unseen keys, plus the first arrival of keys repeated only in this load.
FRESH_DEDUPED = """
CREATE OR REPLACE TEMP TABLE fresh_rows AS
SELECT s.* FROM staging AS s ANTI JOIN duplicate_keys AS d
    ON d.workspace_id = s.workspace_id AND d.dedupe_key = s.dedupe_key
UNION ALL
SELECT * EXCLUDE (rn) FROM (
    SELECT s.*, row_number() OVER (PARTITION BY s.workspace_id, s.dedupe_key
                                   ORDER BY s.received_at, s.timestamp) AS rn
    FROM staging AS s SEMI JOIN (
        SELECT workspace_id, dedupe_key FROM duplicate_keys
        GROUP BY workspace_id, dedupe_key HAVING NOT bool_or(stored)) AS d
      ON d.workspace_id = s.workspace_id AND d.dedupe_key = s.dedupe_key)
WHERE rn = 1;
CREATE OR REPLACE TEMP VIEW fresh AS SELECT * FROM fresh_rows
"""

PROFILES = """
SELECT workspace_id, type, event, distinct_id, user_id, anonymous_id, account_id, timestamp,
       traits::VARCHAR, context::VARCHAR, source
FROM fresh WHERE type IN ('group', 'identify') ORDER BY timestamp
"""

LINK_USERS = """
INSERT INTO user_accounts
SELECT workspace_id, distinct_id, account_id, epoch_ms(timestamp) FROM fresh
WHERE type IN ('group', 'identify') AND distinct_id <> '' AND account_id IS NOT NULL
"""

# Events stored before their user's first group call carry no account; the load that brings
# the user's first link gives them the user's latest account (docs/decisions/0008). Later group
# changes do not rewrite history: once linked, a user's new events carry an account already.
# The users this load links for the first time (before LINK_USERS adds its rows): only their
# events can still lack an account. The load is one transaction, so a replay finds the same.
NEW_LINKS = """
CREATE OR REPLACE TEMP TABLE new_links AS
SELECT f.workspace_id, f.distinct_id FROM (
    SELECT DISTINCT workspace_id, distinct_id FROM fresh
    WHERE type IN ('group', 'identify') AND distinct_id <> '' AND account_id IS NOT NULL) AS f
ANTI JOIN user_accounts AS u
  ON u.workspace_id = f.workspace_id AND u.distinct_id = f.distinct_id
"""
LINKED_USERS = """
CREATE OR REPLACE TEMP TABLE linked_users AS
SELECT workspace_id, distinct_id, arg_max(account_id, timestamp) AS account_id
FROM user_accounts SEMI JOIN new_links USING (workspace_id, distinct_id)
GROUP BY workspace_id, distinct_id
"""
REATTRIBUTE = """
UPDATE events SET account_id = l.account_id
FROM linked_users AS l
WHERE events.account_id IS NULL AND events.workspace_id = l.workspace_id
  AND events.distinct_id = l.distinct_id
"""

# Every (workspace, distinct_id) gets a dense number, from 1 per workspace, when its first
# event is stored; each event row carries it (``user_number``, 0 for an empty distinct_id), so
# the analytics group users by an integer (docs/decisions/0012). The load's users with their
# numbers: the ones already numbered from user_numbers (one hash join of the load's distinct
# ids, the smaller side, against user_numbers), the others (``new``) numbered after their
# workspace's last number in distinct_id order.
LOAD_NUMBERS = """
CREATE OR REPLACE TEMP TABLE load_numbers AS
WITH ids AS MATERIALIZED (
    SELECT f.workspace_id, f.distinct_id, u.number
    FROM (SELECT DISTINCT workspace_id, distinct_id FROM fresh WHERE distinct_id <> '') AS f
    LEFT JOIN user_numbers AS u
      ON u.workspace_id = f.workspace_id AND u.distinct_id = f.distinct_id)
SELECT workspace_id, distinct_id, number, false AS new FROM ids WHERE number IS NOT NULL
UNION ALL
SELECT n.workspace_id, n.distinct_id,
       (coalesce(t.top, 0)
        + row_number() OVER (PARTITION BY n.workspace_id ORDER BY n.distinct_id))::UINTEGER,
       true
FROM ids AS n
LEFT JOIN (SELECT workspace_id, max(number) AS top FROM user_numbers
           WHERE workspace_id IN (SELECT DISTINCT workspace_id FROM fresh)
           GROUP BY workspace_id) AS t
  ON t.workspace_id = n.workspace_id
WHERE n.number IS NULL
"""
ADD_NUMBERS = """
INSERT INTO user_numbers SELECT workspace_id, distinct_id, number FROM load_numbers WHERE new
"""

# Sorted by workspace, user number and time: the analytics read a load's rows in that order
# without sorting them (a user's events of one load are contiguous and in time order).
INSERT_EVENTS = """
INSERT INTO events
SELECT f.workspace_id, f.type, coalesce(f.event, ''), f.distinct_id, f.user_id, f.anonymous_id,
       coalesce(f.account_id, u.account_id), epoch_ms(f.timestamp), epoch_ms(f.received_at),
       f.message_id, f.dedupe_key, f.previous_id, coalesce(f.properties, '{}'),
       coalesce(f.traits, '{}'), coalesce(f.context, '{}'), f.source, coalesce(n.number, 0)
FROM fresh AS f
LEFT JOIN (
    SELECT workspace_id, distinct_id, arg_max(account_id, timestamp) AS account_id
    FROM user_accounts
    WHERE distinct_id IN (SELECT distinct_id FROM fresh WHERE account_id IS NULL)
    GROUP BY workspace_id, distinct_id) AS u
  ON u.workspace_id = f.workspace_id AND u.distinct_id = f.distinct_id
LEFT JOIN load_numbers AS n
  ON n.workspace_id = f.workspace_id AND n.distinct_id = f.distinct_id
ORDER BY f.workspace_id, coalesce(n.number, 0), f.timestamp
"""

# A bulk import part that needs nothing but the insert (DuckDBStore.insert_import): inserted
# straight from the caller's SELECT, without a staging table. A row that would need more (a
# failed check, an identify or group call: profiles and account links) stops the statement as
# the reader reaches it (the check is inside ``f``, before the part is held in memory), so a
# part whose first such row comes early costs almost nothing before the staged load, or before
# the line-by-line check when the row fails a check (the staged load would refuse it too).
# Its user numbers are given in the statement, as LOAD_NUMBERS does (the part is read once,
# into memory: ``f``; reading it twice costs more): known ones from user_numbers, new ones after
# ``$top``, the workspace's last number; IMPORT_NUMBERS then records the new ones from the
# inserted rows, in the same transaction (rolled back with them).
INSERT_IMPORT = """
INSERT INTO events
WITH f AS MATERIALIZED (
    SELECT * FROM ({select}) AS s
    WHERE CASE WHEN NOT s.line_ok THEN error('a line of this part fails a check')
               WHEN s.type NOT IN ('group', 'identify')
                    AND s.workspace_id = $workspace AND s.received_at = $received
                    AND s.source = 'import'
               THEN true ELSE error('this part needs a staged load') END),
ids AS MATERIALIZED (
    SELECT i.distinct_id, u.number
    FROM (SELECT DISTINCT distinct_id FROM f WHERE distinct_id <> '') AS i
    LEFT JOIN (SELECT distinct_id, number FROM user_numbers WHERE workspace_id = $workspace) AS u
      ON u.distinct_id = i.distinct_id),
numbers AS (
    SELECT distinct_id, number FROM ids WHERE number IS NOT NULL
    UNION ALL
    SELECT distinct_id, ($top + row_number() OVER (ORDER BY distinct_id))::UINTEGER
    FROM ids WHERE number IS NULL)
SELECT f.workspace_id, f.type, coalesce(f.event, ''), f.distinct_id, f.user_id, f.anonymous_id,
       coalesce(f.account_id, u.account_id), epoch_ms(f.timestamp), epoch_ms(f.received_at),
       f.message_id, f.dedupe_key, f.previous_id, coalesce(f.properties, '{{}}'),
       coalesce(f.traits, '{{}}'), coalesce(f.context, '{{}}'), f.source, coalesce(n.number, 0)
FROM f
LEFT JOIN (
    SELECT workspace_id, distinct_id, arg_max(account_id, timestamp) AS account_id
    FROM user_accounts WHERE workspace_id = $workspace
    GROUP BY workspace_id, distinct_id) AS u
  ON u.workspace_id = f.workspace_id AND u.distinct_id = f.distinct_id
LEFT JOIN numbers AS n ON n.distinct_id = f.distinct_id
ORDER BY f.workspace_id, coalesce(n.number, 0), f.timestamp
"""
# The numbers INSERT_IMPORT gave to users new in the workspace.
IMPORT_NUMBERS = """
INSERT INTO user_numbers
SELECT DISTINCT workspace_id, distinct_id, user_number FROM events
WHERE workspace_id = $workspace AND received_at = epoch_ms($received::BIGINT)
  AND source = 'import' AND user_number > $top
"""
WORKSPACE_TOP = "SELECT coalesce(max(number), 0) FROM user_numbers WHERE workspace_id = ?"
# The rows of that load: its workspace's import rows of its received_at, which is later than
# every earlier import's of the workspace (see insert_import).
IMPORT_ROWS = """
CREATE OR REPLACE TEMP VIEW fresh AS
SELECT workspace_id, type, event, epoch_ms(timestamp) AS timestamp, properties, traits,
       dedupe_key
FROM events
WHERE workspace_id = {workspace:d} AND received_at = epoch_ms({received:d}::BIGINT)
  AND source = 'import'
"""
# Keys of the load stored before in its workspace (keys it repeats itself: _repeats_a_key).
IMPORT_DUPLICATES = """
SELECT count(*) FROM events
WHERE workspace_id = $workspace AND dedupe_key IN (SELECT dedupe_key FROM fresh)
  AND NOT (received_at = epoch_ms($received::BIGINT) AND source = 'import')
"""

# A store made before user numbers (its events without ``user_number``): the column added,
# every stored user numbered per workspace in distinct_id order, every row given its number,
# in one transaction (DuckDBStore.writing).
HAS_USER_NUMBER = """
SELECT count(*) FROM duckdb_columns()
WHERE database_name = current_database() AND schema_name = 'main' AND table_name = 'events'
  AND column_name = 'user_number'
"""
NUMBER_STORED_USERS = """
ALTER TABLE events ADD COLUMN user_number UINTEGER;
DELETE FROM user_numbers;
INSERT INTO user_numbers
SELECT workspace_id, distinct_id,
       row_number() OVER (PARTITION BY workspace_id ORDER BY distinct_id)::UINTEGER
FROM (SELECT DISTINCT workspace_id, distinct_id FROM events WHERE distinct_id <> '');
CREATE OR REPLACE TEMP TABLE stored_numbers AS
SELECT workspace_id, distinct_id, number FROM user_numbers
UNION ALL
SELECT DISTINCT workspace_id, distinct_id, 0::UINTEGER FROM events WHERE distinct_id = '';
UPDATE events SET user_number = n.number FROM stored_numbers AS n
WHERE events.workspace_id = n.workspace_id AND events.distinct_id = n.distinct_id;
DROP TABLE stored_numbers
"""
# A store made before the ENUM columns (schema.EVENT_TYPES): its VARCHAR ``type`` and
# ``source`` converted in place, each when every stored value is one of the ENUM's (a value
# that is not keeps its column VARCHAR, which reads and loads the same, only slower).
TEXT_ENUM_COLUMNS = """
SELECT column_name FROM duckdb_columns()
WHERE database_name = current_database() AND schema_name = 'main' AND table_name = 'events'
  AND column_name IN ('type', 'source') AND data_type = 'VARCHAR'
ORDER BY column_name
"""
ENUM_VALUES = {"type": EVENT_TYPES, "source": EVENT_SOURCES}

# The load's shapes: rows of one (workspace, type, event) with the same property keys (of
# track/page/screen calls; traits of identify/group calls) counted together, with their first
# and last times. Both catalogs come from them, so the load is read once for both (json_keys
# gives no keys for anything but an object).
CATALOG_SHAPES = """
CREATE OR REPLACE TEMP TABLE load_shapes AS
SELECT workspace_id, type, coalesce(event, '') AS event,
       json_keys(CASE WHEN type IN ('identify', 'group') THEN traits ELSE properties END) AS keys,
       count(*) AS n, min(timestamp) AS first_seen, max(timestamp) AS last_seen
FROM fresh GROUP BY ALL
"""

CATALOG_EVENTS = """
INSERT INTO catalog_events
SELECT workspace_id, type, event, sum(n), epoch_ms(min(first_seen)), epoch_ms(max(last_seen))
FROM load_shapes GROUP BY ALL
"""

# Every key counted (from the shapes: most events of a name share their keys), with up to three
# example values (a JSON array of JSON texts) taken from the first rows of the load: extracting
# them all is the slow part.
CATALOG_PROPERTIES = """
INSERT INTO catalog_properties
WITH keyed AS (
    SELECT workspace_id, type, event, unnest(keys) AS key, n, first_seen, last_seen
    FROM load_shapes),
examples AS (
    SELECT workspace_id, type, event, key,
           to_json(list_slice(list(DISTINCT json_extract(
               doc, '/' || replace(replace(key, '~', '~0'), '/', '~1'))::VARCHAR), 1, 3))
               ::VARCHAR AS example
    FROM (SELECT *, unnest(json_keys(doc)) AS key
          FROM (SELECT workspace_id, type, coalesce(event, '') AS event,
                       CASE WHEN type IN ('identify', 'group') THEN traits ELSE properties END
                           AS doc
                FROM fresh LIMIT 20000)
          WHERE json_type(doc) = 'OBJECT')
    GROUP BY workspace_id, type, event, key)
SELECT k.workspace_id, k.type, k.event, k.key, sum(k.n), any_value(x.example),
       epoch_ms(min(k.first_seen)), epoch_ms(max(k.last_seen))
FROM keyed AS k LEFT JOIN examples AS x
  ON x.workspace_id = k.workspace_id AND x.type = k.type AND x.event = k.event AND x.key = k.key
GROUP BY k.workspace_id, k.type, k.event, k.key
"""

_SELECT_EVENT = ", ".join(
    {
        "timestamp_ms": "epoch_ms(timestamp)",
        "received_at_ms": "epoch_ms(received_at)",
        "properties": "properties::VARCHAR",
        "traits": "traits::VARCHAR",
        "context": "context::VARCHAR",
    }.get(c, c)
    for c in EVENT_SELECT
)


def _where(f: EventFilter) -> tuple[str, list[Any]]:
    clauses: list[str] = ["workspace_id = ?"]
    params: list[Any] = [f.workspace_id]
    if f.event is not None:
        clauses.append("event = ?")
        params.append(f.event)
    if f.user_id is not None:
        clauses.append("(user_id = ? OR anonymous_id = ?)")
        params += [f.user_id, f.user_id]
    if f.account_id is not None:
        clauses.append("account_id = ?")
        params.append(f.account_id)
    if f.start_ms is not None:
        clauses.append("timestamp >= epoch_ms(?::BIGINT)")
        params.append(f.start_ms)
    if f.end_ms is not None:
        clauses.append("timestamp < epoch_ms(?::BIGINT)")
        params.append(f.end_ms)
    return " AND ".join(clauses), params


def _catalog(con: duckdb.DuckDBPyConnection) -> None:
    """The event and property catalogs' rows of the load in ``fresh``."""
    con.execute(CATALOG_SHAPES)
    con.execute(CATALOG_EVENTS)
    con.execute(CATALOG_PROPERTIES)


def _repeats_a_key(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the load in ``fresh`` holds a key twice: its keys sorted by numpy (a radix sort,
    10 ms for a million) and neighbours compared (``sorted_unique``). Counting distinct keys in
    the statement that also looked for stored ones took 0.12 s per million; this and
    IMPORT_DUPLICATES, 0.08 s."""
    keys = con.execute("SELECT dedupe_key FROM fresh").fetchnumpy()["dedupe_key"]
    return len(sorted_unique(keys)) < len(keys)


class DuckDBStore(EventStore):
    """Events in ``events.duckdb``; a connection is opened per operation (see base.FileLock),
    the file attached per write inside ``kept_instance``."""

    name = "duckdb"

    def __init__(self, path: Path, *, memory_limit: str = "1GB", threads: int = 2) -> None:
        self.path = path
        self.lock = FileLock(path.with_name(path.name + ".lock"))
        # Without the ICU extension (not bundled) DuckDB reads times without a zone as UTC.
        # Row order is never relied on (every read orders explicitly, loads insert sorted):
        # without preserving it, DuckDB materializes a load's staging in parallel, at about half
        # the cost.
        self.config: dict[str, Any] = {
            "memory_limit": memory_limit,
            "threads": threads,
            "preserve_insertion_order": False,
        }
        # The loading process keeps the stored keys in memory (see stored_keys.py): set by
        # the loader; other processes check a load's keys against the table.
        self.stored_keys: StoredKeys | None = None
        # Whether the store is known to have the current layout (checked once: _migrate).
        self._migrated = False
        # Inside ``kept_instance``: the instance every write attaches the file to (made at the
        # first write, made again after one that could not detach).
        self._keeping = False
        self._kept: duckdb.DuckDBPyConnection | None = None

    def _instance(self, config: dict[str, Any]) -> duckdb.DuckDBPyConnection:
        # Writers attach the file with smaller row groups (see ROW_GROUP_SIZE); a row group's
        # size is not stored in the file, so every writer must open it this way.
        config["temp_directory"] = str(self.path.with_name(self.path.name + ".tmp"))
        return duckdb.connect(":memory:", config=config)

    def _connect(self, *, read_only: bool) -> duckdb.DuckDBPyConnection:
        if read_only:
            return duckdb.connect(str(self.path), read_only=True, config={**self.config})
        if self._keeping and self._kept is None:
            self._kept = self._instance({**self.config, **KEPT_INSTANCE_CONFIG})
        con = self._kept if self._kept is not None else self._instance({**self.config})
        try:
            path = str(self.path).replace("'", "''")
            con.execute(f"ATTACH '{path}' AS {STORE_CATALOG} (ROW_GROUP_SIZE {ROW_GROUP_SIZE})")
            con.execute(f"USE {STORE_CATALOG}")
        except BaseException:
            self._release(con)
            raise
        return con

    def _release(self, con: duckdb.DuckDBPyConnection) -> None:
        """Close a writer's connection; a kept instance only detaches the file (which lets
        other processes open it again). One that cannot (a transaction left open by a failed
        write) is closed, which rolls the transaction back and frees the file as well."""
        if con is not self._kept:
            con.close()
            return
        try:
            con.execute("USE memory")
            con.execute(f"DETACH DATABASE IF EXISTS {STORE_CATALOG}")
        except duckdb.Error:
            self._kept = None
            con.close()

    @contextmanager
    def kept_instance(self) -> Iterator[None]:
        """Writes made inside share one DuckDB instance, which attaches the file for each
        write and detaches it after (so readers and other writers still get it between
        writes). Its memory stays with the process: DuckDB's blocks come from a block
        allocator of KEPT_INSTANCE_CONFIG that is never given back, so a bulk import's parts
        after the first fault in few fresh pages (docs/decisions/0015)."""
        if self._keeping:  # nested: the outer one keeps it
            yield
            return
        self._keeping = True
        try:
            yield
        finally:
            # under the writers' lock: another thread of this process may be writing through
            # the instance (writes take it under that lock)
            with self.lock.hold(exclusive=True):
                self._keeping = False
                kept, self._kept = self._kept, None
            if kept is not None:
                kept.close()

    @contextmanager
    def writing(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The database opened read-write by this process alone."""
        with self.lock.hold(exclusive=True):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            con = self._connect(read_only=False)
            try:
                con.execute(SCHEMA)
                if not self._migrated:
                    self._migrate(con)
                yield con
            finally:
                self._release(con)

    def _migrate(self, con: duckdb.DuckDBPyConnection) -> None:
        """Bring a store made by an earlier version to the current layout (checked once per
        object): user numbers, then the ENUM columns."""
        if not _scalar(con, HAS_USER_NUMBER):
            self._in_transaction(con, NUMBER_STORED_USERS)
        for (column,) in con.execute(TEXT_ENUM_COLUMNS).fetchall():
            values = ENUM_VALUES[column]
            listed = ", ".join(f"'{v}'" for v in values)
            others = _scalar(con, f"SELECT count(*) FROM events WHERE {column} NOT IN ({listed})")
            if not others:
                self._in_transaction(
                    con, f"ALTER TABLE events ALTER {column} SET DATA TYPE {duckdb_enum(values)}"
                )
        self._migrated = True

    @staticmethod
    def _in_transaction(con: duckdb.DuckDBPyConnection, sql: str) -> None:
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(sql)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise

    @contextmanager
    def reading(self) -> Iterator[duckdb.DuckDBPyConnection | None]:
        """A read-only connection, or None when nothing was ever stored."""
        if not self.path.exists():
            yield None
            return
        with self.lock.hold(exclusive=False):
            con = self._connect(read_only=True)
            try:
                yield con
            finally:
                con.close()

    def ensure_schema(self) -> None:
        with self.writing():
            pass

    def keep_loaded_keys(self) -> None:
        if self.stored_keys is None:
            self.stored_keys = StoredKeys()

    def delete_workspace(self, workspace_id: int) -> None:
        with self.writing() as con:
            con.execute("BEGIN TRANSACTION")
            con.execute("INSERT INTO deleted_workspaces VALUES (?, ?)", [workspace_id, now_ms()])
            for table in (
                "events",
                "user_accounts",
                "user_numbers",
                "catalog_events",
                "catalog_properties",
            ):
                con.execute(f"DELETE FROM {table} WHERE workspace_id = ?", [workspace_id])
            bump_store_writes(con)
            con.execute("COMMIT")

    def load(self, files: Sequence[Path], on_profiles: ProfileHook | None = None) -> LoadResult:
        if not files:
            return LoadResult(rows=0, stored=0, duplicates=0)
        result = self.load_select(STAGE, {"files": [str(p) for p in files]}, on_profiles)
        assert result is not None
        return result

    def insert_import(self, select_sql: str, params: dict[str, Any]) -> LoadResult | None:
        """A bulk import part inserted in one statement, without a staging table.

        ``select_sql`` gives normalized records with ``line_ok``, ``dedupe_key`` and the
        ``$workspace`` and ``$received`` parameters (``received`` is set here: later than the
        workspace's earlier imports, so the part's rows are told apart by it). This is the
        staged load's result when every line passes, no line is an ``identify`` or ``group``
        call (those also apply profiles and account links), no key is already stored or
        repeated and the workspace was not deleted since; otherwise nothing is stored and None
        is returned, for the staged load (``load_select``). Raises what the JSON reader raises,
        and ``duckdb.InvalidInputException`` when a line fails a check (the part then needs the
        line-by-line check, which names it).
        """
        workspace = int(params["workspace"])
        with self.writing() as con:
            last = con.execute(
                "SELECT epoch_ms(max(received_at)) FROM events "
                "WHERE workspace_id = ? AND source = 'import'",
                [workspace],
            ).fetchone()
            received = max(now_ms(), int(last[0]) + 1 if last and last[0] is not None else 0)
            deleted = con.execute(
                "SELECT count(*) FROM deleted_workspaces WHERE workspace_id = ? "
                "AND deleted_at >= ?",
                [workspace, received],
            ).fetchone()
            if deleted and deleted[0]:
                return None
            con.execute("BEGIN TRANSACTION")
            try:
                top = _scalar_params(con, WORKSPACE_TOP, [workspace])
                try:
                    row = con.execute(
                        INSERT_IMPORT.format(select=select_sql),
                        {**params, "received": received, "top": top},
                    ).fetchone()
                except duckdb.InvalidInputException as exc:
                    if "this part needs a staged load" not in str(exc):
                        raise
                    con.execute("ROLLBACK")
                    return None
                stored = int(row[0]) if row else 0
                con.execute(IMPORT_ROWS.format(workspace=workspace, received=received))
                if (
                    stored == 0
                    or _repeats_a_key(con)
                    or _scalar_params(
                        con, IMPORT_DUPLICATES, {"workspace": workspace, "received": received}
                    )
                ):
                    con.execute("ROLLBACK")
                    return None
                con.execute(
                    IMPORT_NUMBERS, {"workspace": workspace, "received": received, "top": top}
                )
                _catalog(con)
                # Counted as a write, so in-memory stored keys (stored_keys.py) read again.
                bump_store_writes(con)
                con.execute("DROP VIEW fresh; DROP TABLE load_shapes")
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        return LoadResult(rows=stored, stored=stored, duplicates=0)

    def load_select(
        self,
        stage_sql: str,
        params: dict[str, Any],
        on_profiles: ProfileHook | None = None,
        accept: Callable[[duckdb.DuckDBPyConnection], bool] | None = None,
    ) -> LoadResult | None:
        """Load what ``stage_sql`` puts in the temp table ``staging`` (normalized records).

        The bulk importer stages straight from its source file this way, without writing
        record files first; ``accept`` may look at ``staging`` and refuse it (None is returned
        and nothing is stored).
        """
        with self.writing() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                con.execute(stage_sql, params)
                if accept is not None and not accept(con):
                    con.execute("ROLLBACK")
                    return None
                result, writes = self._load(con, on_profiles)
                con.execute("COMMIT")
            except BaseException:
                if self.stored_keys is not None:
                    self.stored_keys.rolled_back()
                con.execute("ROLLBACK")
                raise
            # still under the exclusive lock: no other writer of this process can look at
            # the in-memory keys between the commit and their update
            if self.stored_keys is not None:
                self.stored_keys.committed(writes)
        return result

    def _load(
        self, con: duckdb.DuckDBPyConnection, on_profiles: ProfileHook | None
    ) -> tuple[LoadResult, int | None]:
        """The load's result, and the store's write count after it when it stored any
        events (stored_keys.py)."""
        rows = kept = _scalar(con, "SELECT count(*) FROM staging")
        if _scalar(con, "SELECT count(*) FROM deleted_workspaces"):
            con.execute(DROP_DELETED)
            kept = _scalar(con, "SELECT count(*) FROM staging")
        if self.stored_keys is not None:
            self.stored_keys.duplicate_keys(con)
        else:
            con.execute(DUPLICATE_KEYS)
        duplicates = _scalar(con, "SELECT count(*) FROM duplicate_keys")
        con.execute(FRESH_DEDUPED if duplicates else FRESH_ALL)
        stored = _scalar(con, "SELECT count(*) FROM fresh") if duplicates else kept
        if stored and on_profiles is not None:
            profiles = con.execute(PROFILES).fetchall()
            if profiles:
                on_profiles([profile_row(r) for r in profiles])
        if stored:
            con.execute(NEW_LINKS)
            con.execute(LINK_USERS)
            if _scalar(con, "SELECT count(*) FROM new_links"):
                con.execute(LINKED_USERS)
                con.execute(REATTRIBUTE)
            con.execute(LOAD_NUMBERS)
            con.execute(ADD_NUMBERS)
            con.execute(INSERT_EVENTS)
            _catalog(con)
        writes = bump_store_writes(con) if stored else None
        con.execute(
            "DROP VIEW IF EXISTS fresh; DROP TABLE IF EXISTS fresh_rows; "
            "DROP TABLE IF EXISTS linked_users; DROP TABLE IF EXISTS new_links; "
            "DROP TABLE IF EXISTS duplicate_keys; DROP TABLE IF EXISTS staging; "
            "DROP TABLE IF EXISTS load_numbers; DROP TABLE IF EXISTS load_shapes"
        )
        return LoadResult(rows=rows, stored=stored, duplicates=rows - stored), writes

    def count(self, f: EventFilter) -> EventCount:
        where, params = _where(f)
        with self.reading() as con:
            if con is None:
                return EventCount(0, 0, 0)
            row = con.execute(
                "SELECT count(*), count(DISTINCT nullif(distinct_id, '')), "
                f"count(DISTINCT account_id) FROM events WHERE {where}",
                params,
            ).fetchone()
        assert row is not None
        return EventCount(count=int(row[0]), users=int(row[1]), accounts=int(row[2]))

    def recent(self, f: EventFilter) -> list[StoredEvent]:
        where, params = _where(f)
        with self.reading() as con:
            if con is None:
                return []
            rows = con.execute(
                f"SELECT {_SELECT_EVENT} FROM events WHERE {where} "
                "ORDER BY received_at DESC, timestamp DESC, message_id LIMIT ?",
                [*params, f.limit],
            ).fetchall()
        return [stored_event(r) for r in rows]

    def all_events(self, workspace_id: int) -> list[StoredEvent]:
        """Every event of a workspace in time order (tests and small exports)."""
        with self.reading() as con:
            if con is None:
                return []
            rows = con.execute(
                f"SELECT {_SELECT_EVENT} FROM events WHERE workspace_id = ? "
                "ORDER BY timestamp, message_id",
                [workspace_id],
            ).fetchall()
        return [stored_event(r) for r in rows]

    def catalog(self, workspace_id: int) -> list[CatalogEvent]:
        with self.reading() as con:
            if con is None:
                return []
            events = con.execute(
                "SELECT type, event, sum(events), epoch_ms(min(first_seen)), "
                "epoch_ms(max(last_seen)) "
                "FROM catalog_events WHERE workspace_id = ? GROUP BY type, event",
                [workspace_id],
            ).fetchall()
            props = con.execute(
                "SELECT type, event, property, sum(events), "
                "list_slice(list(DISTINCT example ORDER BY example) "
                "FILTER (WHERE example IS NOT NULL), 1, 5), "
                "epoch_ms(min(first_seen)), epoch_ms(max(last_seen)) FROM catalog_properties "
                "WHERE workspace_id = ? GROUP BY type, event, property",
                [workspace_id],
            ).fetchall()
        return assemble_catalog(
            [(t, e, int(n), int(a), int(b)) for t, e, n, a, b in events],
            [(t, e, p, int(n), list(x or []), int(a), int(b)) for t, e, p, n, x, a, b in props],
        )


def _scalar_params(
    con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any] | list[Any]
) -> int:
    row = con.execute(sql, params).fetchone()
    return int(row[0]) if row else 0


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row else 0


def _example_list(text: str) -> list[str]:
    """A partial's examples: a JSON array of JSON texts."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return []
    return [x for x in value if isinstance(x, str)] if isinstance(value, list) else [text]


def assemble_catalog(
    events: list[tuple[str, str, int, int, int]],
    props: list[tuple[str, str, str, int, list[str], int, int]],
) -> list[CatalogEvent]:
    """Group property rows under their event; most frequent events and properties first."""
    by_event: dict[tuple[str, str], list[CatalogProperty]] = {}
    for t, e, p, n, arrays, first, last in props:
        examples = sorted({x for a in arrays for x in _example_list(a)})
        by_event.setdefault((t, e), []).append(
            CatalogProperty(
                name=p,
                count=n,
                examples=examples[:3],
                first_seen=ms_to_datetime(first),
                last_seen=ms_to_datetime(last),
            )
        )
    out = [
        CatalogEvent(
            type=t,
            event=e,
            count=n,
            first_seen=ms_to_datetime(first),
            last_seen=ms_to_datetime(last),
            properties=sorted(by_event.get((t, e), []), key=lambda p: (-p.count, p.name)),
        )
        for t, e, n, first, last in events
    ]
    return sorted(out, key=lambda c: (-c.count, c.type, c.event))
