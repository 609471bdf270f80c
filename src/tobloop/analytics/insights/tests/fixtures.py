"""Events tables in both engines, shaped like the event store's, filled from test events."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import orjson

from tobloop.analytics.insights.runners import ChdbEngine, DuckDBEngine, QueryEngine
from tobloop.analytics.insights.tests.oracle import Ev

DUCKDB_TABLE = """
CREATE TABLE IF NOT EXISTS events (
    workspace_id BIGINT NOT NULL, type VARCHAR NOT NULL, event VARCHAR NOT NULL,
    distinct_id VARCHAR NOT NULL, user_id VARCHAR, anonymous_id VARCHAR, account_id VARCHAR,
    timestamp TIMESTAMP NOT NULL, received_at TIMESTAMP NOT NULL, message_id VARCHAR NOT NULL,
    properties JSON, source VARCHAR NOT NULL, traits JSON, user_number UINTEGER);
CREATE TABLE IF NOT EXISTS user_numbers (
    workspace_id BIGINT NOT NULL, distinct_id VARCHAR NOT NULL, number UINTEGER NOT NULL)
"""
CLICKHOUSE_TABLE = """
CREATE TABLE IF NOT EXISTS events (
    workspace_id UInt64, type LowCardinality(String), event LowCardinality(String),
    distinct_id String, user_id Nullable(String), anonymous_id Nullable(String),
    account_id Nullable(String), timestamp DateTime64(3, 'UTC'),
    received_at DateTime64(3, 'UTC'), message_id String, properties String,
    source LowCardinality(String), traits String)
ENGINE = MergeTree ORDER BY (workspace_id, distinct_id, timestamp)
"""

_workspaces = itertools.count(1000)


def fresh_workspace() -> int:
    """Each example gets its own tenant instead of truncating tables."""
    return next(_workspaces)


def _stamp(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).replace(tzinfo=None)


class Engines:
    """A DuckDB file and a chdb session, both holding the same events."""

    def __init__(self, directory: Path) -> None:
        from chdb import session as chdb_session

        self.duck_con = duckdb.connect(str(directory / "events.duckdb"))
        self.duck_con.execute(DUCKDB_TABLE)
        self.ch_session = chdb_session.Session(str(directory / "chdb"))
        self.ch_session.query(CLICKHOUSE_TABLE, "Null")
        self.duckdb: QueryEngine = DuckDBEngine(self.duck_con)
        self.clickhouse: QueryEngine = ChdbEngine(self.ch_session)

    def all(self) -> list[QueryEngine]:
        return [self.duckdb, self.clickhouse]

    def load(self, workspace_id: int, events: list[Ev]) -> None:
        if not events:
            return
        numbers = self._numbers(workspace_id, events)
        rows = [
            (
                workspace_id,
                e.type,
                e.event,
                e.user,
                e.user or None,
                None,
                e.account,
                _stamp(e.ms),
                _stamp(e.ms),
                f"m{i}",
                orjson.dumps(e.props).decode(),
                "import",
                orjson.dumps(e.traits).decode(),
                numbers.get(e.user, 0),
            )
            for i, e in enumerate(events)
        ]
        self.duck_con.executemany(
            "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
        )
        lines = b"\n".join(
            orjson.dumps(
                {
                    "workspace_id": r[0],
                    "type": r[1],
                    "event": r[2],
                    "distinct_id": r[3],
                    "user_id": r[4],
                    "anonymous_id": r[5],
                    "account_id": r[6],
                    "timestamp": r[7].isoformat(sep=" ", timespec="milliseconds"),
                    "received_at": r[8].isoformat(sep=" ", timespec="milliseconds"),
                    "message_id": r[9],
                    "properties": r[10],
                    "source": r[11],
                    "traits": r[12],
                }
            )
            for r in rows
        )
        self.ch_session.query("INSERT INTO events FORMAT JSONEachRow\n" + lines.decode(), "Null")

    def _numbers(self, workspace_id: int, events: list[Ev]) -> dict[str, int]:
        """The store's user numbers (docs/decisions/0012): dense per workspace from 1, new
        ids numbered in id order. The rows themselves go in unsorted, in the test's order."""
        known = dict(
            self.duck_con.execute(
                "SELECT distinct_id, number FROM user_numbers WHERE workspace_id = ?",
                [workspace_id],
            ).fetchall()
        )
        new = sorted({e.user for e in events if e.user} - known.keys())
        start = max(known.values(), default=0) + 1
        added = {u: start + i for i, u in enumerate(new)}
        if added:
            self.duck_con.executemany(
                "INSERT INTO user_numbers VALUES (?, ?, ?)",
                [(workspace_id, u, n) for u, n in added.items()],
            )
        return known | added

    def close(self) -> None:
        self.duck_con.close()
        self.ch_session.close()


def open_engines(directory: Path) -> Iterator[Engines]:
    engines = Engines(directory)
    try:
        yield engines
    finally:
        engines.close()


def as_json(value: Any) -> str:
    return orjson.dumps(value).decode()
