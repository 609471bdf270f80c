"""The loader in a process of its own, beside the web workers of ``tobloop serve``.

In a web worker the loader thread shares the interpreter lock with the request threads and
the CPU with them at equal priority: at sustained traffic near the machine's capacity the
loads stretch out, and acknowledged events wait longer before they are queryable. Run here,
the loader takes the loader lock before the web workers start (their loader threads stay as
the fallback: one of them takes the role within seconds if this process dies), and the
server lowers the web workers' priority (``TOBLOOP_WEB_NICE``), so that draining the spool
goes before accepting more (docs/decisions/0014). Its DuckDB runs ``TOBLOOP_LOADER_THREADS``
threads (2).

``python -m tobloop.analytics.ingest.loader_process`` is a small supervisor: it runs the loader
in a child process (``… --run``) and starts it again when it dies (after 1 s, up to 30 s while
it keeps dying at once). The loader is *dedicated* (loader.py): while it lives the web workers
leave it the role, and after a restart a worker that took the role over meanwhile hands it
back after its current load. The supervisor prints ``ready`` once its first loader holds the
lock (or ``idle`` when loading is off or another process holds the lock), then runs until
SIGTERM, SIGINT or the end of its parent; the loader ends with it.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from types import FrameType

log = logging.getLogger(__name__)

READY = "ready"
IDLE = "idle"
# How long ``tobloop serve`` waits for the loader process to take the lock.
START_TIMEOUT_SECONDS = 60.0
# A loader that died is started again after this pause, doubled (up to the maximum) while it
# keeps dying within a minute of its start.
RESTART_SECONDS = 1.0
MAX_RESTART_SECONDS = 30.0
_MODULE = "tobloop.analytics.ingest.loader_process"


def spawn() -> subprocess.Popen[str] | None:
    """Start the loader process and wait until it holds the loader lock (or gave up on it).

    Returns None when loading is off (``TOBLOOP_INGEST_LOADER=0``). The process inherits this
    one's environment and process group, so stopping the server's group stops it too.
    """
    from django.conf import settings

    if not settings.TOBLOOP_INGEST_LOADER:
        return None
    proc = subprocess.Popen([sys.executable, "-m", _MODULE], stdout=subprocess.PIPE, text=True)
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


def _stop_signals() -> threading.Event:
    """An event set by SIGTERM or SIGINT."""
    done = threading.Event()

    def finish(signum: int, frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGTERM, finish)
    signal.signal(signal.SIGINT, finish)
    return done


def supervise() -> None:
    """Run the loader in a child process, again whenever it dies, until told to stop or the
    server is gone; the first child's ``ready``/``idle`` is passed on to the server."""
    parent = os.getppid()
    done = _stop_signals()
    pause, first = RESTART_SECONDS, True
    while not done.is_set():
        started = time.monotonic()
        child = subprocess.Popen(
            [sys.executable, "-m", _MODULE, "--run"], stdout=subprocess.PIPE, text=True
        )
        state = _wait_for_first_line(child, START_TIMEOUT_SECONDS)
        if first:
            print(state or IDLE, flush=True)
            os.dup2(2, 1)  # nothing else goes to the pipe the server stopped reading
            first = False
        elif state == READY:
            log.warning("the loader process was started again and holds the loader role")
        else:
            log.warning(
                "the loader process was started again; it takes the loader role when the "
                "process holding it hands it over (after its current load)"
            )
        while child.poll() is None:
            if done.wait(0.5) or os.getppid() != parent:
                stop(child)
                return
        if child.stdout is not None:
            child.stdout.close()
        if child.returncode == 0:  # it left by itself (loading is off): so does this one
            return
        log.error("the loader process ended with %s; starting it again", child.returncode)
        pause = RESTART_SECONDS if time.monotonic() - started > 60 else pause
        done.wait(pause)
        pause = min(pause * 2, MAX_RESTART_SECONDS)


def run() -> None:
    """The loader itself (``--run``): loads until SIGTERM, SIGINT or its parent's end."""
    parent = os.getppid()  # before the slow set-up: a parent gone meanwhile is noticed
    # The server migrated the database before starting this process.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tobloop.config.settings")
    import django

    django.setup()
    from django.conf import settings

    from tobloop.analytics.ingest.app import spool_dir
    from tobloop.analytics.logic.event_loader import event_loader
    from tobloop.analytics.store import event_store
    from tobloop.analytics.store.duckdb_store import DuckDBStore

    if not settings.TOBLOOP_INGEST_LOADER:
        print(IDLE, flush=True)
        return
    store = event_store()
    if isinstance(store, DuckDBStore):
        store.config["threads"] = settings.TOBLOOP_LOADER_THREADS
    loader = event_loader(spool_dir(), store, dedicated=True)
    ready = loader.announce() and loader.try_become_loader()
    print(READY if ready else IDLE, flush=True)
    os.dup2(2, 1)
    done = _stop_signals()
    loader.start()
    while not done.wait(1.0):
        if os.getppid() != parent:  # the supervisor is gone: so is its loader
            break
    loader.stop()


def main() -> None:
    if "--run" in sys.argv[1:]:
        run()
    else:
        supervise()


if __name__ == "__main__":
    main()
