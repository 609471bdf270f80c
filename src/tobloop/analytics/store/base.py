"""The one interface every event store backend implements, and the cross-process lock.

Embedded engines (DuckDB, chdb) allow a single writing process per database file. Every
process therefore opens the database only for the length of one operation, under a file lock:
readers share it, the loader (the only writer) holds it alone. Reads wait at most for one load.
"""

from __future__ import annotations

import fcntl
import os
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from tobloop.analytics.contracts import CatalogEvent, EventCount, LoadResult, StoredEvent

# The profile calls of one load (group/identify rows), applied before the load commits.
ProfileRow = dict[str, Any]
ProfileHook = Callable[[list[ProfileRow]], None]


@dataclass(frozen=True)
class EventFilter:
    """Which events a query looks at; times are epoch milliseconds, ``end`` exclusive."""

    workspace_id: int
    event: str | None = None
    user_id: str | None = None
    account_id: str | None = None
    start_ms: int | None = None
    end_ms: int | None = None
    limit: int = 100


class FileLock:
    """A reader/writer lock between processes (and threads), on ``flock``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def hold(self, *, exclusive: bool, blocking: bool = True) -> Iterator[bool]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
            try:
                fcntl.flock(fd, mode if blocking else mode | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            yield True
        finally:
            os.close(fd)  # closing the descriptor releases the lock


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def ms_to_datetime(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def json_object(text: Any) -> dict[str, Any]:
    if text is None or text == "":
        return {}
    if isinstance(text, dict):
        return text
    value = orjson.loads(text)
    return value if isinstance(value, dict) else {}


# The columns of a profile call (group/identify) handed to the profile hook, in select order.
PROFILE_COLUMNS = (
    "workspace_id",
    "type",
    "event",
    "distinct_id",
    "user_id",
    "anonymous_id",
    "account_id",
    "timestamp",
    "traits",
    "context",
    "source",
)


def profile_row(row: Sequence[Any]) -> ProfileRow:
    """One selected profile row as the dict the profile hook receives."""
    return dict(zip(PROFILE_COLUMNS, row, strict=True))


# The columns the row readers select, in this order, from either engine.
EVENT_SELECT = (
    "type",
    "event",
    "distinct_id",
    "user_id",
    "anonymous_id",
    "account_id",
    "timestamp_ms",
    "received_at_ms",
    "message_id",
    "previous_id",
    "properties",
    "traits",
    "context",
    "source",
)


def stored_event(row: Sequence[Any]) -> StoredEvent:
    return StoredEvent(
        type=row[0],
        event=row[1],
        distinct_id=row[2],
        user_id=row[3],
        anonymous_id=row[4],
        account_id=row[5],
        timestamp=ms_to_datetime(int(row[6])),
        received_at=ms_to_datetime(int(row[7])),
        message_id=row[8],
        previous_id=row[9],
        properties=json_object(row[10]),
        traits=json_object(row[11]),
        context=json_object(row[12]),
        source=row[13],
    )


class EventStore(ABC):
    """Product events of every workspace; each call is scoped to one workspace."""

    name: str

    def keep_loaded_keys(self) -> None:
        """Called by a process whose steady work is loading: a store may keep what makes a
        load's duplicate check cheaper in memory (DuckDB: stored_keys.py). Default: nothing."""
        return None

    @contextmanager
    def kept_instance(self) -> Iterator[None]:
        """Around many writes in a row (a bulk import's parts): a store may keep what it
        would otherwise open and close for each (DuckDB: its instance). Default: nothing."""
        yield

    @abstractmethod
    def load(self, files: Sequence[Path], on_profiles: ProfileHook | None = None) -> LoadResult:
        """Store the normalized record files once each (dedupe by workspace and message id).

        ``on_profiles`` receives the new group/identify rows before the load commits, so a
        crash in between replays them (their effects must be idempotent).
        """

    @abstractmethod
    def count(self, f: EventFilter) -> EventCount: ...

    @abstractmethod
    def recent(self, f: EventFilter) -> list[StoredEvent]:
        """The latest events by arrival, newest first."""

    @abstractmethod
    def all_events(self, workspace_id: int) -> list[StoredEvent]:
        """Every event of a workspace in time order (tests and small exports)."""

    @abstractmethod
    def catalog(self, workspace_id: int) -> list[CatalogEvent]: ...

    @abstractmethod
    def ensure_schema(self) -> None: ...

    @abstractmethod
    def delete_workspace(self, workspace_id: int) -> None:
        """Remove every event, catalog entry and user link of a deleted workspace.

        The deletion is remembered with its time: records of the workspace received until
        then that are still waiting in the spool are dropped when they are loaded.
        """

    def close(self) -> None:  # noqa: B027 - optional for stores without resources
        """Release what the store holds (nothing for the embedded ones)."""
