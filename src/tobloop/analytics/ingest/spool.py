"""The durable spool: each web process appends accepted events to its own segment file.

A request's records are written with one ``write`` and the request is answered only after an
``fdatasync`` covers them. Concurrent requests share syncs (group commit): whoever finds no
sync running starts one for everything written so far; the others wait for it.

Segment files move through three names, which is how the loader knows what it may read:

``*.tmp``   being created (empty); ``*.open`` being appended to, and locked (``flock``) by its
process for as long as that process lives; ``*.ndjson`` closed, complete, ready to load.

A process closes its segment after ``rotate_seconds`` (a background thread also closes idle
ones) or ``rotate_bytes``. A ``*.open`` whose lock is free belongs to a dead process: the
loader loads it as it is (a torn last line can only hold unacknowledged events).
"""

from __future__ import annotations

import atexit
import fcntl
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass
class _Segment:
    path: Path
    fd: int
    opened: float
    written: int = 0
    synced: int = 0
    syncing: bool = False


class Spool:
    def __init__(
        self, directory: Path, *, rotate_seconds: float = 0.5, rotate_bytes: int = 64 << 20
    ) -> None:
        self.directory = directory
        self.rotate_seconds = rotate_seconds
        self.rotate_bytes = rotate_bytes
        self._cond = threading.Condition()
        self._segment: _Segment | None = None
        self._seq = 0
        self._pid = os.getpid()
        self._closed = False
        self._rotator: threading.Thread | None = None

    # -- writing ----------------------------------------------------------------------------

    def append(self, data: bytes) -> None:
        """Append complete record lines; returns once they are on disk."""
        if not data:
            return
        with self._cond:
            segment = self._writable()
            view = memoryview(data)
            while view:
                n = os.write(segment.fd, view)
                view = view[n:]
            segment.written += len(data)
            target = segment.written
            while segment.synced < target:
                if segment.syncing:
                    self._cond.wait()
                    continue
                segment.syncing = True
                upto = segment.written
                self._cond.release()
                try:
                    os.fdatasync(segment.fd)
                finally:
                    self._cond.acquire()
                    segment.syncing = False
                    self._cond.notify_all()
                segment.synced = max(segment.synced, upto)

    def _writable(self) -> _Segment:
        if os.getpid() != self._pid:  # forked: the parent's segment is not ours
            self._pid, self._segment = os.getpid(), None
        while True:
            segment = self._segment
            if segment is None:
                segment = self._segment = self._open_segment()
                self._start_rotator()
                return segment
            if (
                segment.written < self.rotate_bytes
                and time.monotonic() - segment.opened < self.rotate_seconds
            ):
                return segment
            self._close_segment()  # may wait, so look again at what is current

    def _open_segment(self) -> _Segment:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._seq += 1
        stem = f"{time.time_ns() // 1_000_000:013d}-{os.getpid()}-{self._seq:06d}"
        tmp = self.directory / f"{stem}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX)
        path = self.directory / f"{stem}.open"
        os.rename(tmp, path)
        _fsync_dir(self.directory)  # the new name survives a power loss before the first ack
        return _Segment(path=path, fd=fd, opened=time.monotonic())

    def _close_segment(self) -> None:
        """Sync, rename to ``.ndjson`` and release; waits for a running sync first."""
        segment = self._segment
        if segment is None:
            return
        while segment.syncing:
            self._cond.wait()
        if self._segment is not segment:  # another thread closed it while this one waited
            return
        self._segment = None
        if segment.synced < segment.written:
            os.fdatasync(segment.fd)
            segment.synced = segment.written
        if segment.written:
            os.rename(segment.path, segment.path.with_suffix(".ndjson"))
        else:
            segment.path.unlink(missing_ok=True)
        os.close(segment.fd)
        self._cond.notify_all()

    # -- closing idle segments --------------------------------------------------------------

    def _start_rotator(self) -> None:
        if self._rotator is not None and self._rotator.is_alive():
            return
        self._rotator = threading.Thread(
            target=self._rotate_idle, name="spool-rotator", daemon=True
        )
        self._rotator.start()
        atexit.register(self.close)

    def _rotate_idle(self) -> None:
        while not self._closed:
            time.sleep(min(0.25, self.rotate_seconds / 2))
            with self._cond:
                segment = self._segment
                if (
                    segment is not None
                    and os.getpid() == self._pid
                    and time.monotonic() - segment.opened >= self.rotate_seconds
                ):
                    try:
                        self._close_segment()
                    except OSError:  # the disk: the next append reports it; keep rotating
                        log.exception("closing an idle spool segment failed")

    def close(self) -> None:
        with self._cond:
            self._closed = True
            if os.getpid() == self._pid:
                self._close_segment()


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def ready_segments(directory: Path) -> list[Path]:
    """Closed segments, plus those left ``.open`` by dead processes (renamed to ``.ndjson``)."""
    if not directory.is_dir():
        return []
    for leftover in sorted(directory.glob("*.open")) + sorted(directory.glob("*.tmp")):
        _adopt_orphan(leftover)
    return sorted(directory.glob("*.ndjson"))


@dataclass(frozen=True)
class Backlog:
    """What waits in a spool directory for the loader: closed and open segments."""

    segments: int
    bytes: int
    oldest_seconds: float  # since the oldest waiting segment was last written; 0 when none


def measure(paths: list[Path]) -> tuple[int, int, float | None]:
    """(segments, bytes, mtime of the oldest) of those of ``paths`` still there."""
    segments, size, oldest = 0, 0, None
    for path in paths:
        try:
            stat = path.stat()
        except FileNotFoundError:  # loaded and deleted meanwhile
            continue
        segments += 1
        size += stat.st_size
        oldest = stat.st_mtime if oldest is None else min(oldest, stat.st_mtime)
    return segments, size, oldest


def backlog(directory: Path, now: float | None = None) -> Backlog:
    """The spool's waiting segments, read from the directory alone (no lock is taken)."""
    segments, size, oldest = measure([*directory.glob("*.ndjson"), *directory.glob("*.open")])
    age = 0.0 if oldest is None else max(0.0, (time.time() if now is None else now) - oldest)
    return Backlog(segments=segments, bytes=size, oldest_seconds=round(age, 1))


def _adopt_orphan(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return  # its process is alive and still writing
        try:
            if os.stat(path).st_ino != os.fstat(fd).st_ino:
                return
        except FileNotFoundError:
            return  # renamed by its owner meanwhile
        if path.suffix == ".tmp" or os.fstat(fd).st_size == 0:
            path.unlink(missing_ok=True)
        else:
            os.rename(path, path.with_suffix(".ndjson"))
    finally:
        os.close(fd)
