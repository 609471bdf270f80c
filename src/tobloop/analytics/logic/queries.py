"""Reading events for people and scripts: counts, the live stream, the event catalog."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tobloop.analytics.contracts import CatalogEvent, EventCount, LoadResult, StoredEvent
from tobloop.analytics.store import EventFilter, event_store
from tobloop.platform.facade import Principal, require

MAX_LIVE_EVENTS = 500


def _day_start_ms(day: date, tz: str) -> int:
    moment = datetime.combine(day, time.min, tzinfo=ZoneInfo(tz))
    return int(moment.timestamp() * 1000)


def count_events(
    principal: Principal,
    *,
    event: str | None = None,
    start: date | None = None,
    end: date | None = None,
) -> EventCount:
    """Events, users and accounts; ``start``…``end`` are whole days (``end`` included) in the
    workspace time zone."""
    require(principal.scopes, "analytics", "read")
    tz = principal.workspace.timezone
    return event_store().count(
        EventFilter(
            workspace_id=principal.workspace_id,
            event=event,
            start_ms=_day_start_ms(start, tz) if start else None,
            end_ms=_day_start_ms(end + timedelta(days=1), tz) if end else None,
        )
    )


def live_events(
    principal: Principal,
    *,
    event: str | None = None,
    user_id: str | None = None,
    account: str | None = None,
    limit: int = 50,
) -> list[StoredEvent]:
    """The latest events to arrive, newest first (the Live events page and API)."""
    require(principal.scopes, "analytics", "read")
    return event_store().recent(
        EventFilter(
            workspace_id=principal.workspace_id,
            event=event or None,
            user_id=user_id or None,
            account_id=account or None,
            limit=max(1, min(limit, MAX_LIVE_EVENTS)),
        )
    )


def event_catalog(principal: Principal) -> list[CatalogEvent]:
    """Every event name and property seen, with counts, first/last seen and examples."""
    require(principal.scopes, "analytics", "read")
    return event_store().catalog(principal.workspace_id)


def load_pending_events() -> LoadResult | None:
    """Load spooled events now when no server process is loading them (CLI reads)."""
    from django.conf import settings

    from tobloop.analytics.logic.event_loader import event_loader

    spool = settings.DATA_DIR / "spool"
    if not spool.is_dir():
        return None
    return event_loader(spool).drain_if_free()
