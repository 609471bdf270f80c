"""Serving the WSGI application with granian; static files come through WhiteNoise."""

from __future__ import annotations

import os

from tobloop.cli.runtime import err_console


def run_server(*, host: str, port: int, workers: int = 1) -> None:
    # Worker processes import the app afresh and need the same settings module.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tobloop.config.settings")
    threads = (os.cpu_count() or 1) * 2 + 1
    # Workers are forked from this process: hand them no open database connection.
    from django.db import connections

    connections.close_all()
    from django.conf import settings

    from tobloop.analytics.facade import loader_process

    # The loader first, at this process's priority; the web workers (forked from here) after
    # it, at a lower one: draining acknowledged events goes before accepting more.
    loader = loader_process.spawn()
    if settings.TOBLOOP_WEB_NICE:
        os.nice(settings.TOBLOOP_WEB_NICE)
    err_console.print(f"Serving on http://{host}:{port}/ (Ctrl-C to stop)")
    try:
        _serve(host, port, workers, threads)
    finally:
        if loader is not None:
            loader_process.stop(loader)


def _serve(host: str, port: int, workers: int, threads: int) -> None:
    from granian import Granian
    from granian.constants import Interfaces
    from granian.log import LogLevels

    Granian(
        "tobloop.config.wsgi:application",
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=workers,
        # Django views block on the database: a few threads per core, as granian recommends.
        # Backpressure keeps granian's default (backlog ÷ workers): capping it to the thread
        # count stops the accept loop under load, and new connections then wait in the kernel.
        blocking_threads=threads,
        log_level=LogLevels.warning,
    ).serve()
