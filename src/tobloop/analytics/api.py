"""``GET /api/v1/events`` (Live events) and ``GET /api/v1/events/catalog``, over the facade."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from tobloop.analytics import facade
from tobloop.platform.facade import request_principal

router = Router(tags=["events"])


class EventOut(Schema):
    type: str
    event: str
    distinct_id: str
    user_id: str | None
    anonymous_id: str | None
    account_id: str | None
    timestamp: datetime
    received_at: datetime
    message_id: str
    previous_id: str | None
    properties: dict[str, Any]
    traits: dict[str, Any]
    context: dict[str, Any]
    source: str


class EventList(Schema):
    items: list[EventOut]
    count: int


class EventQuery(Schema):
    event: str | None = Field(None, max_length=255, description="only this event name")
    user_id: str | None = Field(None, max_length=255, description="user id or anonymous id")
    account: str | None = Field(None, max_length=120, description="account external id")
    limit: int = Field(50, ge=1, le=500)


class PropertyOut(Schema):
    name: str
    count: int
    examples: list[str]
    first_seen: datetime
    last_seen: datetime


class CatalogEventOut(Schema):
    type: str
    event: str
    count: int
    first_seen: datetime
    last_seen: datetime
    properties: list[PropertyOut]


class CatalogList(Schema):
    items: list[CatalogEventOut]
    count: int


@router.get("/events", response=EventList, summary="Live events: the latest events, newest first")
def live_events(request: HttpRequest, filters: Query[EventQuery]) -> dict[str, Any]:
    items = facade.live_events(
        request_principal(request),
        event=filters.event,
        user_id=filters.user_id,
        account=filters.account,
        limit=filters.limit,
    )
    return {"items": [asdict(e) for e in items], "count": len(items)}


@router.get(
    "/events/catalog",
    response=CatalogList,
    summary="Every event name and property seen, with counts, first/last seen and examples",
)
def event_catalog(request: HttpRequest) -> dict[str, Any]:
    items = facade.event_catalog(request_principal(request))
    return {"items": [asdict(c) for c in items], "count": len(items)}
