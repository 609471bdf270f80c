"""The single loader: drains spool segments into the event store.

Any process may run it, but only the one holding ``spool/loader.lock`` does; the others retry
now and then, so the role moves on when its process dies. A *dedicated* loader (the loader
process of ``tobloop serve``) also holds ``spool/loader.want`` while it lives: the others then
do not take the role, and one that holds it hands it over after its current load, so a
dedicated loader started again after a crash gets the role back.

A load stores each segment's records once (deduplicated by workspace and message id inside
the store), applies group/identify calls to accounts and users before the store commits, and
deletes the segments afterwards. A crash at any point replays the segments: already stored
keys are skipped, profile updates repeat harmlessly.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

from tobloop.analytics.contracts import LoadResult
from tobloop.analytics.ingest.spool import measure, ready_segments
from tobloop.analytics.store.base import EventStore, ProfileHook

log = logging.getLogger(__name__)

MAX_FILES_PER_LOAD = 512
MAX_BYTES_PER_LOAD = 256 << 20
# The background loader waits until a load is worth its fixed costs (opening the store, the
# catalog, the rewritten tail of the last row group: duckdb_store.ROW_GROUP_SIZE). It loads
# once this much is ready, or once the oldest ready segment was last written this long ago
# (idle traffic waits no longer than that), and then waits again for the next load to be due.
MIN_BYTES_PER_LOAD = 64 << 20
LOAD_DELAY_SECONDS = 1.25
# Between two loads of one drain the background loader lets the store's readers in: a load
# holds the store's lock exclusively, and under sustained traffic the next load is always
# ready, so without a gap a waiting reader (a page, a query) could wait several loads.
READERS_GAP_SECONDS = 0.05
# How often a loader without the role tries to take it: a dedicated loader waiting for the
# role to be handed over tries often, the web workers' fallback loaders seldom.
RETRY_SECONDS = 2.0
DEDICATED_RETRY_SECONDS = 0.25


class Loader:
    def __init__(
        self,
        spool_dir: Path,
        store: EventStore,
        on_profiles: ProfileHook | None = None,
        *,
        interval: float = 0.25,
        min_bytes: int = MIN_BYTES_PER_LOAD,
        delay: float = LOAD_DELAY_SECONDS,
        dedicated: bool = False,
        serialize: Callable[[], AbstractContextManager[object]] | None = None,
    ) -> None:
        self.spool_dir = spool_dir
        # Held around each load (event_loader.hosts_load_lock: loads of several hosts).
        self.serialize = serialize or nullcontext
        self.dedicated = dedicated
        self._want_fd: int | None = None
        self.store = store
        self.on_profiles = on_profiles
        self.interval = interval
        self.min_bytes = min_bytes
        self.delay = delay
        self._lock_fd: int | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    # -- the loader role --------------------------------------------------------------------

    def try_become_loader(self) -> bool:
        """Take the loader lock if it is free (and, unless this loader is the dedicated one,
        no dedicated loader wants it); kept until this process ends, stop() or a dedicated
        loader asks for it (hand_over_if_wanted)."""
        if self._lock_fd is not None:
            return True
        if not self.dedicated and dedicated_loader_present(self.spool_dir):
            return False
        self._lock_fd = _take(self.spool_dir, "loader.lock")
        return self._lock_fd is not None

    def release(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def announce(self) -> bool:
        """As the dedicated loader: take ``loader.want`` if it is free, and hold it until
        stop() or the process's end (another dedicated loader may hold it: this one then
        stands by). Whether it is held."""
        if self._want_fd is None:
            self._want_fd = _take(self.spool_dir, "loader.want")
        return self._want_fd is not None

    def hand_over_if_wanted(self) -> bool:
        """Give the role up when this is not the dedicated loader and a dedicated one exists
        (called between loads); whether it was given up."""
        if self.dedicated or self._lock_fd is None:
            return False
        if not dedicated_loader_present(self.spool_dir):
            return False
        log.info("a dedicated loader is waiting: this process hands the loader role over")
        self.release()
        return True

    def drain(self, *, gap: float = 0.0, only_due: bool = False) -> LoadResult:
        """Load every ready segment, ``gap`` seconds apart; the caller must hold the loader
        role. With ``only_due`` (the background loader) a load after the first one waits
        until it is due as the first one was (``due``): under sustained traffic the next
        segments are always ready, and loading them at once would make each load only as
        large as the traffic of the previous load's duration, paying the fixed costs of a
        load again and again."""
        total = LoadResult(rows=0, stored=0, duplicates=0)
        while True:
            ready = ready_segments(self.spool_dir)
            if total.rows and only_due and not self.due(ready):
                return total
            batch = _next_batch(ready)
            if not batch:
                return total
            if total.rows and gap:
                self._stop.wait(gap)
            started = time.monotonic()
            waited = _age_of_oldest(batch)
            lines = sum(_complete_lines(p) for p in batch)
            with self.serialize():
                result = self.store.load(batch, self.on_profiles)
            log.info(
                "loaded %d events (%d new) from %d segments in %.2f s; the oldest was ready "
                "%.2f s before",
                result.rows,
                result.stored,
                len(batch),
                time.monotonic() - started,
                waited,
            )
            if result.rows < lines:  # a record the engine could not read: keep the evidence
                log.error("%d of %d spooled records unreadable", lines - result.rows, lines)
                keep = self.spool_dir / "unreadable"
                keep.mkdir(exist_ok=True)
                for path in batch:
                    shutil.copy2(path, keep / path.name)
            for path in batch:
                path.unlink(missing_ok=True)
            total = LoadResult(
                rows=total.rows + result.rows,
                stored=total.stored + result.stored,
                duplicates=total.duplicates + result.duplicates,
            )

    def due(self, ready: list[Path], now: float | None = None) -> bool:
        """Whether the background loader should load ``ready`` now (see MIN_BYTES_PER_LOAD)."""
        _, size, oldest = measure(ready)
        if oldest is None:
            return False
        return (
            size >= self.min_bytes or (time.time() if now is None else now) - oldest >= self.delay
        )

    def drain_if_free(self) -> LoadResult | None:
        """Drain once when no other process is the loader (CLI reads, tests); else None."""
        if not self.try_become_loader():
            return None
        try:
            return self.drain()
        finally:
            self.release()

    # -- running in the background of a web process ------------------------------------------

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        # Loading is this process's steady work: the store may keep the stored keys in
        # memory, so a load's duplicate check does not grow with the workspace.
        self.store.keep_loaded_keys()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="event-loader", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        self.release()
        if self._want_fd is not None:
            os.close(self._want_fd)
            self._want_fd = None

    def _run(self) -> None:
        while not self._stop.is_set():
            if (self.dedicated and not self.announce()) or not self.try_become_loader():
                self._stop.wait(DEDICATED_RETRY_SECONDS if self.dedicated else RETRY_SECONDS)
                continue
            try:
                if self.due(ready_segments(self.spool_dir)):
                    self.drain(gap=READERS_GAP_SECONDS, only_due=True)
            except Exception:  # keep loading later; the segments stay for the next try
                log.exception("loading spooled events failed; retrying")
                self._stop.wait(2.0)
            finally:
                _close_db_connections()
            self.hand_over_if_wanted()
            self._stop.wait(self.interval)


def _complete_lines(path: Path) -> int:
    """Newline-terminated records (a torn last line of a dead process does not count)."""
    lines = 0
    try:
        with path.open("rb") as f:
            while block := f.read(1 << 20):
                lines += block.count(b"\n")
    except FileNotFoundError:
        return 0
    return lines


def loader_running(spool_dir: Path) -> bool:
    """Whether a process holds the loader role (``spool/loader.lock``), for monitors."""
    return _locked(spool_dir / "loader.lock")


def dedicated_loader_present(spool_dir: Path) -> bool:
    """Whether a dedicated loader lives (it holds ``spool/loader.want``)."""
    return _locked(spool_dir / "loader.want")


def _take(spool_dir: Path, name: str) -> int | None:
    """An exclusive lock on ``spool_dir/name`` if it is free: its descriptor (closing it
    releases the lock), else None."""
    spool_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(spool_dir / name, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def _locked(path: Path) -> bool:
    """Whether a process holds a lock on ``path``: tried with a shared, non-blocking lock
    released at once (a loader that tries to take it at that very moment tries again)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # also releases a lock taken here
    return False


def _age_of_oldest(paths: list[Path]) -> float:
    """Seconds since the oldest of ``paths`` was last written (0 when none is left)."""
    oldest = measure(paths)[2]
    return 0.0 if oldest is None else max(0.0, time.time() - oldest)


def _next_batch(paths: list[Path]) -> list[Path]:
    batch: list[Path] = []
    size = 0
    for path in paths[:MAX_FILES_PER_LOAD]:
        try:
            size += path.stat().st_size
        except FileNotFoundError:
            continue
        batch.append(path)
        if size >= MAX_BYTES_PER_LOAD:
            break
    return batch


def _close_db_connections() -> None:
    try:
        from django.db import connections

        connections.close_all()
    except Exception:  # Django not configured (bench tools): nothing to close
        return


def wait_until_drained(spool_dir: Path, timeout: float = 10.0) -> bool:
    """True once no segment is waiting (tests and tools)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(spool_dir.glob("*.ndjson")) and not any(spool_dir.glob("*.open")):
            return True
        time.sleep(0.05)
    return False
