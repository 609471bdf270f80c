"""Frozen data other modules receive from the platform module."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tobloop.platform.thresholds import PlaybookThresholds


@dataclass(frozen=True)
class WorkspaceInfo:
    id: int
    slug: str
    name: str
    currency: str
    timezone: str
    thresholds: PlaybookThresholds
    is_demo: bool = False


@dataclass(frozen=True)
class Principal:
    """Who acts, inside which workspace, with which scopes (a member or an API key)."""

    workspace: WorkspaceInfo
    label: str
    scopes: frozenset[str]
    user_id: int | None = None
    role: str | None = None
    api_key_id: int | None = None

    @property
    def workspace_id(self) -> int:
        return self.workspace.id

    def can(self, module: str, action: str) -> bool:
        from tobloop.platform.permissions import scopes_allow

        return scopes_allow(self.scopes, module, action)


@dataclass(frozen=True)
class CreatedKey:
    """A newly made key: ``key`` is the secret, shown this once and never stored."""

    id: int
    key: str
    prefix: str
    kind: str
    scopes: tuple[str, ...]
    expires_at: datetime | None
