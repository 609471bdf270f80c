"""Write keys → workspaces, cached in the process so the ingestion path rarely touches the DB.

A revoked key stops working within ``ttl`` seconds; unknown keys are remembered briefly so a
misconfigured client cannot turn every request into a database query.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class WriteKey:
    workspace_id: int
    slug: str
    key: str  # the write key itself: the rate limit's bucket


def lookup_write_key(key: str) -> WriteKey | None:
    from django.db import connection

    from tobloop.kernel.errors import NotAuthenticated
    from tobloop.platform.facade import principal_for_key

    try:
        principal = principal_for_key(key, kind="write")
    except NotAuthenticated:
        return None
    finally:
        if not connection.in_atomic_block:
            connection.close()  # ingestion threads are many: no idle connection per thread
    return WriteKey(workspace_id=principal.workspace_id, slug=principal.workspace.slug, key=key)


class KeyCache:
    def __init__(
        self,
        lookup: Callable[[str], WriteKey | None] = lookup_write_key,
        *,
        ttl: float = 30.0,
        negative_ttl: float = 5.0,
        max_entries: int = 10_000,
    ) -> None:
        self.lookup = lookup
        self.ttl = ttl
        self.negative_ttl = negative_ttl
        self.max_entries = max_entries
        self._entries: dict[str, tuple[WriteKey | None, float]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> WriteKey | None:
        if not key.startswith("tbw_") or len(key) > 200:
            return None
        now = time.monotonic()
        hit = self._entries.get(key)
        if hit is not None and hit[1] > now:
            return hit[0]
        found = self.lookup(key)
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[key] = (found, now + (self.ttl if found else self.negative_ttl))
        return found
