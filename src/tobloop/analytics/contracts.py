"""Frozen data the analytics module hands to other modules, its API, pages and CLI."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class StoredEvent:
    """One event as the store holds it (times are timezone-aware UTC, millisecond precision)."""

    type: str
    event: str
    distinct_id: str
    user_id: str | None
    anonymous_id: str | None
    account_id: str | None
    timestamp: datetime
    received_at: datetime
    message_id: str
    previous_id: str | None
    properties: dict[str, Any]
    traits: dict[str, Any]
    context: dict[str, Any]
    source: str


@dataclass(frozen=True)
class EventCount:
    """``tobloop events count``: events, distinct users and distinct accounts."""

    count: int
    users: int
    accounts: int


@dataclass(frozen=True)
class CatalogProperty:
    name: str
    count: int
    examples: list[str]
    first_seen: datetime
    last_seen: datetime


@dataclass(frozen=True)
class CatalogEvent:
    """An event name (per call type) with its counts and the properties seen on it."""

    type: str
    event: str
    count: int
    first_seen: datetime
    last_seen: datetime
    properties: list[CatalogProperty] = field(default_factory=list)


@dataclass(frozen=True)
class LoadResult:
    """What one load into the store did: rows read, new rows stored, duplicates skipped."""

    rows: int
    stored: int
    duplicates: int


@dataclass(frozen=True)
class RejectedRow:
    row: int
    column: str | None
    value: str | None
    reason: str


@dataclass(frozen=True)
class EventImportReport:
    """The import contract of every ``tobloop import``; ``duplicates`` counts repeated ids."""

    file: str
    rows: int
    created: int
    updated: int
    duplicates: int
    rejected: list[RejectedRow] = field(default_factory=list)
