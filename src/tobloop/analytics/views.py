"""Pages: Live events (filterable, refreshing) and the Event catalog. Thin over the facade."""

from __future__ import annotations

from typing import Any

import orjson
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tobloop.analytics import facade
from tobloop.platform.contracts import Principal
from tobloop.platform.web import member_view

LIVE_LIMIT = 100


def _text(request: HttpRequest, name: str, limit: int) -> str:
    return request.GET.get(name, "").strip()[:limit]


def _compact(doc: dict[str, Any]) -> str:
    return orjson.dumps(doc).decode() if doc else ""


@member_view("analytics", "read")
def live_events(request: HttpRequest, principal: Principal) -> HttpResponse:
    filters = {
        "event": _text(request, "event", 255),
        "user_id": _text(request, "user_id", 255),
        "account": _text(request, "account", 120),
    }
    events = facade.live_events(principal, limit=LIVE_LIMIT, **filters)
    rows = [
        {
            "event": e,
            "label": e.event or e.type,
            "payload": _compact(e.traits if e.type in ("identify", "group") else e.properties),
        }
        for e in events
    ]
    context = {
        "nav_active": "analytics",
        "tab": "live",
        "filters": filters,
        "rows": rows,
        "limit": LIVE_LIMIT,
        "query": request.GET.urlencode(),
        "event_names": sorted(
            {c.event for c in facade.event_catalog(principal) if c.event}, key=str.lower
        )
        if not request.headers.get("HX-Request")
        else [],
    }
    template = (
        "analytics/_live_table.html" if request.headers.get("HX-Request") else "analytics/live.html"
    )
    return render(request, template, context)


@member_view("analytics", "read")
def event_catalog(request: HttpRequest, principal: Principal) -> HttpResponse:
    catalog = facade.event_catalog(principal)
    return render(
        request,
        "analytics/catalog.html",
        {
            "nav_active": "analytics",
            "tab": "catalog",
            "catalog": catalog,
            "total": sum(c.count for c in catalog),
        },
    )
