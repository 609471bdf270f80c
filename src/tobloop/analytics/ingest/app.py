"""Mounting the ingestion endpoints in front of Django (WSGI and ASGI), and the loader.

``/v1/*`` and ``/sa`` never enter Django's request cycle: the lean handler answers them in the
same worker process; every other path goes to Django. Each process that mounts the handler
also starts a loader thread, of which exactly one (holding the loader lock) drains the spools.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

from tobloop.analytics.ingest.handler import BASE_HEADERS, Ingestion, Reply, handles
from tobloop.analytics.ingest.keys import KeyCache
from tobloop.analytics.ingest.loader import Loader
from tobloop.analytics.ingest.ratelimit import RateLimiter
from tobloop.analytics.ingest.spool import Spool

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
ASGIApp = Callable[
    [dict[str, Any], Callable[..., Awaitable[Any]], Callable[..., Any]], Awaitable[None]
]

STATUS_TEXT = {
    200: "200 OK",
    400: "400 Bad Request",
    401: "401 Unauthorized",
    403: "403 Forbidden",
    404: "404 Not Found",
    405: "405 Method Not Allowed",
    413: "413 Payload Too Large",
    429: "429 Too Many Requests",
    503: "503 Service Unavailable",
}


def spool_dir() -> Path:
    from django.conf import settings

    return Path(settings.DATA_DIR) / "spool"


def build_ingestion() -> Ingestion:
    from django.conf import settings

    # Segments close after half a second: the loader waits for loads worth their costs
    # (loader.LOAD_DELAY_SECONDS), and this keeps events queryable within 5 s meanwhile.
    return Ingestion(
        spool=Spool(spool_dir()),
        keys=KeyCache(),
        limiter=RateLimiter(float(settings.TOBLOOP_INGEST_RATE_LIMIT)),
    )


def start_loader() -> Loader | None:
    """The background loader of this process (it loads only while it holds the lock)."""
    from django.conf import settings

    from tobloop.analytics.logic.event_loader import event_loader

    if not settings.TOBLOOP_INGEST_LOADER:
        return None
    loader = event_loader(spool_dir())
    loader.start()
    return loader


def _headers(reply: Reply) -> list[tuple[str, str]]:
    return [*BASE_HEADERS, *reply.headers]


def mount_wsgi(django_app: WSGIApp, ingestion: Ingestion | None = None) -> WSGIApp:
    handler = ingestion or build_ingestion()

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if not handles(path):
            return django_app(environ, start_response)
        headers = {
            "content-length": environ.get("CONTENT_LENGTH", ""),
            "content-type": environ.get("CONTENT_TYPE", ""),
            "content-encoding": environ.get("HTTP_CONTENT_ENCODING", ""),
            "authorization": environ.get("HTTP_AUTHORIZATION", ""),
        }
        stream = environ["wsgi.input"]
        reply = handler(
            environ.get("REQUEST_METHOD", "GET"),
            path,
            environ.get("QUERY_STRING", ""),
            headers,
            stream.read,
        )
        body = reply.encode()
        start_response(
            STATUS_TEXT.get(reply.status, f"{reply.status} Error"),
            [*_headers(reply), ("Content-Length", str(len(body)))],
        )
        return [body]

    return application


def mount_asgi(django_app: ASGIApp, ingestion: Ingestion | None = None) -> ASGIApp:
    handler = ingestion or build_ingestion()

    async def application(
        scope: dict[str, Any], receive: Callable[..., Awaitable[Any]], send: Callable[..., Any]
    ) -> None:
        if scope["type"] != "http" or not handles(scope.get("path", "")):
            await django_app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        chunks: list[bytes] = []
        size, limit = 0, handler.body_limit(scope["path"]) + 1
        while True:
            message = await receive()
            chunk = message.get("body", b"")
            if size < limit:
                chunks.append(chunk)
            size += len(chunk)
            if not message.get("more_body"):
                break
        raw = b"".join(chunks)

        def read(n: int) -> bytes:
            return raw[:n]

        reply = await asyncio.to_thread(
            handler,
            scope["method"],
            scope["path"],
            scope.get("query_string", b"").decode("latin-1"),
            headers,
            read,
        )
        body = reply.encode()
        await send(
            {
                "type": "http.response.start",
                "status": reply.status,
                "headers": [
                    (k.encode("latin-1"), v.encode("latin-1"))
                    for k, v in [*_headers(reply), ("Content-Length", str(len(body)))]
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    return application
