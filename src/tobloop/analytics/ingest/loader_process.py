"""The loader in a process of its own, beside the web workers of ``tobloop serve``.

In a web worker the loader thread shares the interpreter lock with the request threads and
the CPU with them at equal priority: at sustained traffic near the machine's capacity the
loads stretch out, and acknowledged events wait longer before they are queryable. Run here,
the loader takes the loader lock before the web workers start (their loader threads stay as
the fallback: one of them takes the role within seconds if this process dies), and the
server lowers the web workers' priority (``TOBLOOP_WEB_NICE``), so that draining the spool
goes before accepting more (docs/decisions/0014). Its DuckDB runs ``TOBLOOP_LOADER_THREADS``
threads (2).

``python -m tobloop.analytics.ingest.loader_process`` prints ``ready`` once it holds the
lock (or ``idle`` when loading is off or another process holds the lock), then loads until
SIGTERM, SIGINT or the end of its parent.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from types import FrameType

READY = "ready"
IDLE = "idle"
# How long ``tobloop serve`` waits for the loader process to take the lock.
START_TIMEOUT_SECONDS = 60.0


def spawn() -> subprocess.Popen[str] | None:
    """Start the loader process and wait until it holds the loader lock (or gave up on it).

    Returns None when loading is off (``TOBLOOP_INGEST_LOADER=0``). The process inherits this
    one's environment and process group, so stopping the server's group stops it too.
    """
    from django.conf import settings

    if not settings.TOBLOOP_INGEST_LOADER:
        return None
    proc = subprocess.Popen(
        [sys.executable, "-m", "tobloop.analytics.ingest.loader_process"],
        stdout=subprocess.PIPE,
        text=True,
    )
    _wait_for_first_line(proc, START_TIMEOUT_SECONDS)
    return proc


def stop(proc: subprocess.Popen[str], timeout: float = 30.0) -> None:
    """Stop the loader process: it finishes the load under way, then exits."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


def _wait_for_first_line(proc: subprocess.Popen[str], timeout: float) -> str | None:
    line: list[str] = []
    assert proc.stdout is not None
    stdout = proc.stdout
    reader = threading.Thread(target=lambda: line.append(stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return line[0].strip() if line else None


def main() -> None:
    parent = os.getppid()  # before the slow set-up: a server gone meanwhile is noticed
    # The server migrated the database before starting this process.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tobloop.config.settings")
    import django

    django.setup()
    from django.conf import settings

    from tobloop.analytics.ingest.app import spool_dir
    from tobloop.analytics.ingest.loader import Loader
    from tobloop.analytics.logic.profiles import apply_profiles
    from tobloop.analytics.store import event_store
    from tobloop.analytics.store.duckdb_store import DuckDBStore

    if not settings.TOBLOOP_INGEST_LOADER:
        print(IDLE, flush=True)
        return
    store = event_store()
    if isinstance(store, DuckDBStore):
        store.config["threads"] = settings.TOBLOOP_LOADER_THREADS
    loader = Loader(spool_dir(), store, apply_profiles)
    print(READY if loader.try_become_loader() else IDLE, flush=True)
    os.dup2(2, 1)  # nothing else goes to the pipe the server stopped reading
    done = threading.Event()

    def finish(signum: int, frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGTERM, finish)
    signal.signal(signal.SIGINT, finish)
    loader.start()
    while not done.wait(1.0):
        if os.getppid() != parent:  # the server is gone: so is its loader
            break
    loader.stop()


if __name__ == "__main__":
    main()
