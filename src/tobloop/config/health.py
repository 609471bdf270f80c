"""``GET /healthz``: what a load balancer or a monitor asks a tobloop server.

200 while the application database answers, 503 when it does not. The body also shows the
ingestion spool's backlog (segments acknowledged but not yet in the event store, and how long
the oldest has waited) and whether a loader is running, which a monitor can alert on; no
workspace's data is in it.
"""

from __future__ import annotations

from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from tobloop.analytics.facade import loader_running, spool_backlog


@csrf_exempt  # other methods answer 405, not a CSRF refusal
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = "ok"
    except DatabaseError as exc:
        database = f"unavailable ({type(exc).__name__})"
    waiting = spool_backlog()
    healthy = database == "ok"
    return JsonResponse(
        {
            "status": "ok" if healthy else "unavailable",
            "database": database,
            "spool": {
                "segments": waiting.segments,
                "bytes": waiting.bytes,
                "oldest_seconds": waiting.oldest_seconds,
                "loader": "running" if loader_running() else "none",
            },
        },
        status=200 if healthy else 503,
    )
