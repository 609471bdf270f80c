"""The event layout shared by every store backend and by the ingestion spool.

One row per event (``events``); both engines keep the same columns:

============  =====================  ===========================  ===============================
column        DuckDB                 ClickHouse                   meaning
============  =====================  ===========================  ===============================
workspace_id  BIGINT                 UInt64                       the tenant
type          ENUM (EVENT_TYPES)     LowCardinality(String)       track, identify, group, page,
                                                                  screen, alias (Sensors: item)
event         VARCHAR                LowCardinality(String)       track: event name; page/screen:
                                                                  the page name; otherwise ''
distinct_id   VARCHAR                String                       user_id, else anonymous_id
user_id       VARCHAR NULL           Nullable(String)             the customer's user id
anonymous_id  VARCHAR NULL           Nullable(String)             device/cookie id
account_id    VARCHAR NULL           Nullable(String)             account external id: the call's
                                                                  groupId / context.groupId, else
                                                                  the user's latest group
timestamp     TIMESTAMP (UTC)        DateTime64(3, 'UTC')         when it happened (ms, skew-
                                                                  corrected with sentAt)
received_at   TIMESTAMP (UTC)        DateTime64(3, 'UTC')         when tobloop received it
message_id    VARCHAR (zstd)         String                       messageId (Sensors: sa:hash)
dedupe_key    UBIGINT                UInt64                       first 8 bytes of
                                                                  md5("workspace_id:message_id")
previous_id   VARCHAR NULL           Nullable(String)             alias: the previous id
properties    JSON                   String (JSON text)           event properties
traits        JSON                   String (JSON text)           identify/group traits
context       JSON (zstd)            String (JSON text)           context (library, ip, page, …)
source        ENUM (EVENT_SOURCES)   LowCardinality(String)       segment, sensors or import
user_number   UINTEGER (last)        —                            DuckDB only: the user's number
                                                                  in ``user_numbers``, 0 for an
                                                                  empty distinct_id
============  =====================  ===========================  ===============================

ClickHouse: ``MergeTree PARTITION BY (workspace_id, toYYYYMM(timestamp)) ORDER BY (workspace_id,
distinct_id, timestamp)`` so per-user time scans (funnels, paths) read contiguous data.
DuckDB: each load is inserted sorted by (workspace_id, user_number, timestamp). Its
``user_numbers (workspace_id, distinct_id, number UINTEGER)`` gives every non-empty distinct_id
of a workspace a dense number from 1 when its first event is stored, the new ids of a load in
distinct_id order, never changed while the workspace exists (docs/decisions/0012). ``COLUMNS``
and the record types below are the shared columns: ``user_number`` is the store's, not a
record's.

The spool and the importer write *normalized records*: one JSON object per line with these
keys but ``dedupe_key`` (the engines compute it while loading), times as epoch milliseconds and
properties/traits/context as JSON objects.
"""

from __future__ import annotations

import hashlib

COLUMNS: tuple[str, ...] = (
    "workspace_id",
    "type",
    "event",
    "distinct_id",
    "user_id",
    "anonymous_id",
    "account_id",
    "timestamp",
    "received_at",
    "message_id",
    "dedupe_key",
    "previous_id",
    "properties",
    "traits",
    "context",
    "source",
)

# How each engine reads a normalized record line (epoch-ms integers for the two times).
# Lines carry no dedupe_key: the engines compute it (DUCKDB_DEDUPE_KEY, CLICKHOUSE_DEDUPE_KEY).
DUCKDB_RECORD_TYPES: dict[str, str] = {
    "workspace_id": "BIGINT",
    "type": "VARCHAR",
    "event": "VARCHAR",
    "distinct_id": "VARCHAR",
    "user_id": "VARCHAR",
    "anonymous_id": "VARCHAR",
    "account_id": "VARCHAR",
    "timestamp": "BIGINT",
    "received_at": "BIGINT",
    "message_id": "VARCHAR",
    "previous_id": "VARCHAR",
    "properties": "JSON",
    "traits": "JSON",
    "context": "JSON",
    "source": "VARCHAR",
}
CLICKHOUSE_RECORD_TYPES: dict[str, str] = {
    "workspace_id": "UInt64",
    "type": "String",
    "event": "String",
    "distinct_id": "String",
    "user_id": "Nullable(String)",
    "anonymous_id": "Nullable(String)",
    "account_id": "Nullable(String)",
    "timestamp": "Int64",
    "received_at": "Int64",
    "message_id": "String",
    "previous_id": "Nullable(String)",
    "properties": "String",
    "traits": "String",
    "context": "String",
    "source": "String",
}


def duckdb_dedupe_key(workspace: str, message_id: str) -> str:
    """The first 8 bytes of md5("workspace:messageId") read big-endian, as a UBIGINT.

    Equal to ``('0x' || substr(md5(...), 1, 16))::UBIGINT`` without the hex text: md5_number
    reads the digest little-endian, so its low 64 bits are those bytes in reverse order (0.32
    → 0.23 CPU-s per million keys).
    """
    digest = f"md5_number({workspace}::VARCHAR || ':' || {message_id})"
    low = f"({digest} & 18446744073709551615::UHUGEINT)"
    return (
        "("
        + " | ".join(
            f"((({low}::UBIGINT >> {8 * i}) & 255::UBIGINT) << {8 * (7 - i)})" for i in range(8)
        )
        + ")"
    )


DUCKDB_DEDUPE_KEY = duckdb_dedupe_key("workspace_id", "message_id")
CLICKHOUSE_DEDUPE_KEY = "halfMD5(concat(toString(workspace_id), ':', message_id))"

CALL_TYPES = frozenset({"track", "identify", "group", "page", "screen", "alias"})

# Every ``type`` and ``source`` a record can have (the normalizers produce no others). DuckDB
# stores the two columns as ENUMs of these: one byte per row, where a VARCHAR column costs a
# string dictionary per row group to write (0.04–0.11 CPU-s less per million imported events;
# docs/performance.md, "One DuckDB instance for an import; `type` and `source` as ENUMs").
# A store made before keeps its VARCHAR columns until its first write converts them
# (duckdb_store.DuckDBStore._migrate; docs/decisions/0015).
# Sorted, so that DuckDB orders them (ORDER BY, min, max) as it orders their text.
EVENT_TYPES: tuple[str, ...] = tuple(sorted(CALL_TYPES | {"item"}))
EVENT_SOURCES: tuple[str, ...] = ("import", "segment", "sensors")


def duckdb_enum(values: tuple[str, ...]) -> str:
    return "ENUM(" + ", ".join(f"'{v}'" for v in values) + ")"


def dedupe_key(workspace_id: int, message_id: str) -> int:
    """The 64-bit key a message is deduplicated by; SQL computes the same value.

    DuckDB: ``('0x' || substr(md5(s), 1, 16))::UBIGINT``; ClickHouse: ``halfMD5(s)``.
    """
    digest = hashlib.md5(f"{workspace_id}:{message_id}".encode(), usedforsecurity=False).digest()
    return int.from_bytes(digest[:8], "big")
