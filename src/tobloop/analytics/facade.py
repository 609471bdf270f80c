"""The analytics module's public surface: other modules import only this."""

from tobloop.analytics.contracts import (
    CatalogEvent,
    CatalogProperty,
    EventCount,
    EventImportReport,
    LoadResult,
    RejectedRow,
    StoredEvent,
)
from tobloop.analytics.hooks import RevenueFacts, register_revenue_source, register_seat_source
from tobloop.analytics.ingest import loader_process
from tobloop.analytics.ingest.spool import Backlog
from tobloop.analytics.logic.aarrr import (
    AarrrBoard,
    AarrrConfig,
    aarrr_board,
    get_aarrr_config,
    save_aarrr_config,
)
from tobloop.analytics.logic.aarrr import (
    board_document as aarrr_document,
)
from tobloop.analytics.logic.aarrr import (
    board_frame as aarrr_frame,
)
from tobloop.analytics.logic.account_measures import AccountActivity, account_activity
from tobloop.analytics.logic.account_usage import (
    AccountUsage,
    FeatureUse,
    account_usage,
)
from tobloop.analytics.logic.importing import import_events
from tobloop.analytics.logic.queries import (
    count_events,
    event_catalog,
    live_events,
    load_pending_events,
)
from tobloop.analytics.store import EventFilter, EventStore, event_store, open_store

__all__ = [
    "AarrrBoard",
    "AarrrConfig",
    "AccountActivity",
    "AccountUsage",
    "Backlog",
    "CatalogEvent",
    "CatalogProperty",
    "EventCount",
    "EventFilter",
    "EventImportReport",
    "EventStore",
    "FeatureUse",
    "LoadResult",
    "RejectedRow",
    "RevenueFacts",
    "StoredEvent",
    "aarrr_board",
    "aarrr_document",
    "aarrr_frame",
    "account_activity",
    "account_usage",
    "count_events",
    "event_catalog",
    "event_store",
    "get_aarrr_config",
    "import_events",
    "live_events",
    "load_pending_events",
    "loader_process",
    "loader_running",
    "open_store",
    "register_revenue_source",
    "register_seat_source",
    "save_aarrr_config",
    "spool_backlog",
]


def loader_running() -> bool:
    """Whether a process holds the event loader's role (it loads the spool)."""
    from tobloop.analytics.ingest.app import spool_dir
    from tobloop.analytics.ingest.loader import loader_running as holds_role

    return holds_role(spool_dir())


def spool_backlog() -> Backlog:
    """What the ingestion spool holds that the loader has not stored yet."""
    from tobloop.analytics.ingest.app import spool_dir
    from tobloop.analytics.ingest.spool import backlog

    return backlog(spool_dir())
