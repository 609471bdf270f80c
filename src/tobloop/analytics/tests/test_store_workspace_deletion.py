"""Deleting a workspace deletes its product events (and user links, catalog, spooled records)
on both engines, and nothing of another workspace."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from tobloop.analytics.ingest import segment
from tobloop.analytics.ingest.loader import Loader
from tobloop.analytics.logic.importing import import_events
from tobloop.analytics.store import event_store
from tobloop.analytics.store.base import EventFilter, now_ms

HISTORY = [
    {"type": "track", "event": "Report Viewed", "userId": "u1"},
    {"type": "group", "userId": "u1", "groupId": "acct-1", "traits": {"name": "Acme"}},
    {"type": "track", "event": "Invite Sent", "userId": "u1"},
]


def _history(tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.ndjson"
    path.write_bytes(
        b"".join(
            orjson.dumps({**m, "messageId": f"{name}-{i}", "timestamp": f"2026-05-0{i + 1}T10:00Z"})
            + b"\n"
            for i, m in enumerate(HISTORY)
        )
    )
    return path


@pytest.mark.parametrize("url", ["duckdb://", "chdb://"])
def test_deleting_a_workspace_deletes_its_events_and_spooled_records(
    url: str,
    make_workspace: Any,
    settings: Any,
    tmp_path: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from tobloop.platform.models import Workspace

    settings.DATA_DIR = tmp_path
    settings.EVENTS_URL = url
    doomed, kept = make_workspace("doomed"), make_workspace("kept")
    for principal in (doomed, kept):
        assert import_events(principal, _history(tmp_path, principal.workspace.slug)).created == 3
    store = event_store()
    # A record acknowledged for the doomed workspace but not loaded yet (in the spool).
    spool = tmp_path / "spool"
    spool.mkdir()
    (spool / "segment-1.ndjson").write_bytes(
        segment.normalize(
            {"type": "track", "event": "Late", "userId": "u9", "messageId": "late"},
            workspace_id=doomed.workspace_id,
            received_ms=now_ms(),
        )
    )
    assert store.count(EventFilter(doomed.workspace_id)).count == 3

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        Workspace.objects.filter(pk=doomed.workspace_id).delete()
    assert len(callbacks) == 1

    assert store.count(EventFilter(doomed.workspace_id)).count == 0
    assert store.catalog(doomed.workspace_id) == []
    loaded = Loader(spool, store).drain_if_free()
    assert loaded is not None and (loaded.rows, loaded.stored) == (1, 0)
    assert store.count(EventFilter(doomed.workspace_id)).count == 0
    # The other workspace keeps everything, its account attribution included.
    assert store.count(EventFilter(kept.workspace_id)).count == 3
    assert store.count(EventFilter(kept.workspace_id, account_id="acct-1")).count == 3
    assert len(store.catalog(kept.workspace_id)) == 3
