"""``POST /api/v1/analytics/funnel|funnel/dropped|retention|trends|active|paths``: typed JSON.

Bodies are the typed queries of ``models`` (``steps``, ``from``, ``to``, ``window``, ``by``,
``first_attempt``; ``start``, ``return``, ``period``, ``periods``, ``bounded``); dates are read in
the workspace time zone unless ``timezone`` is given.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from tobloop.analytics.insights import service
from tobloop.analytics.insights.models import (
    ActiveQuery,
    ActiveResult,
    DroppedQuery,
    DroppedResult,
    FunnelQuery,
    FunnelResult,
    PathsQuery,
    PathsResult,
    RetentionQuery,
    RetentionResult,
    TrendsQuery,
    TrendsResult,
)
from tobloop.platform.facade import request_principal

router = Router(tags=["analytics"])


@router.post("/analytics/funnel", response=FunnelResult, by_alias=True)
def funnel(request: HttpRequest, query: FunnelQuery) -> FunnelResult:
    """Entities reaching each step; the best attempt counts unless ``first_attempt``."""
    return service.run_funnel(request_principal(request), query)


@router.post("/analytics/funnel/dropped", response=DroppedResult, by_alias=True)
def funnel_dropped(request: HttpRequest, query: DroppedQuery) -> DroppedResult:
    """The funnel's query plus ``step`` and ``limit``: who reached step − 1 and not ``step``."""
    return service.run_dropped(request_principal(request), query)


@router.post("/analytics/retention", response=RetentionResult, by_alias=True)
def retention(request: HttpRequest, query: RetentionQuery) -> RetentionResult:
    """Cohorts by first start event and the entities back in each later period."""
    return service.run_retention(request_principal(request), query)


@router.post("/analytics/trends", response=TrendsResult, by_alias=True)
def trends(request: HttpRequest, query: TrendsQuery) -> TrendsResult:
    """Events, distinct users and distinct accounts per day, week or month."""
    return service.run_trends(request_principal(request), query)


@router.post("/analytics/active", response=ActiveResult, by_alias=True)
def active(request: HttpRequest, query: ActiveQuery) -> ActiveResult:
    """DAU, WAU, MAU and stickiness (DAU ÷ MAU) per day, for the workspace or one account."""
    return service.run_active(request_principal(request), query)


@router.post("/analytics/paths", response=PathsResult, by_alias=True)
def paths(request: HttpRequest, query: PathsQuery) -> PathsResult:
    """Top paths (Sankey nodes and links) after ``start`` or before ``end``."""
    return service.run_paths(request_principal(request), query)
