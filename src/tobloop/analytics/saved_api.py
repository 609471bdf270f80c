"""``/api/v1/analytics/insights`` and ``/dashboards``: saved queries and their dashboards, per
workspace; ``/api/v1/analytics/aarrr``: the AARRR board of a period."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from tobloop.analytics import insight_charts
from tobloop.analytics.logic import aarrr
from tobloop.analytics.logic import saved_insights as saved
from tobloop.analytics.query_forms import DEFAULT_DAYS, validate
from tobloop.platform.facade import request_principal

router = Router(tags=["analytics"])


class Paging(Schema):
    limit: int = Field(100, ge=1, le=500)
    offset: int = Field(0, ge=0)


class InsightFilter(Paging):
    kind: Literal["funnel", "retention", "paths", "trends", "active"] | None = None


class InsightOut(Schema):
    id: int
    name: str
    kind: str
    query: dict[str, Any]
    description: str
    owner: str
    created_at: datetime
    updated_at: datetime


class InsightList(Schema):
    items: list[InsightOut]
    count: int


class InsightResultOut(Schema):
    insight: InsightOut
    results: list[dict[str, Any]]


class DashboardOut(Schema):
    id: int
    name: str
    description: str
    owner: str
    insights: list[int]
    created_at: datetime
    updated_at: datetime


class DashboardList(Schema):
    items: list[DashboardOut]
    count: int


@router.get("/analytics/insights", response=InsightList, summary="List saved insights")
def list_insights(request: HttpRequest, params: Query[InsightFilter]) -> dict[str, Any]:
    items, count = saved.list_insights(
        request_principal(request), kind=params.kind, limit=params.limit, offset=params.offset
    )
    return {"items": [asdict(i) for i in items], "count": count}


@router.post("/analytics/insights", response={201: InsightOut}, summary="Save an insight")
def create_insight(request: HttpRequest, payload: saved.InsightIn) -> Status[Any]:
    """``query`` is the body of the matching query endpoint (trends: ``events`` and ``metric``)."""
    return Status(201, asdict(saved.create_insight(request_principal(request), payload)))


@router.get("/analytics/insights/{int:insight_id}", response=InsightOut, summary="A saved insight")
def get_insight(request: HttpRequest, insight_id: int) -> Any:
    return asdict(saved.get_insight(request_principal(request), insight_id))


@router.get(
    "/analytics/insights/{int:insight_id}/result",
    response=InsightResultOut,
    summary="Run a saved insight",
)
def insight_result(request: HttpRequest, insight_id: int) -> Any:
    """The insight and the typed result of its query now (one per event for trends)."""
    principal = request_principal(request)
    insight = saved.get_insight(principal, insight_id)
    queries, _errors = validate(insight.kind, insight.query)
    answer = insight_charts.run_insight(principal, insight.kind, queries, insight.query)
    results = [r.model_dump(mode="json", by_alias=True) for r in answer.results]
    return {"insight": asdict(insight), "results": results}


@router.patch(
    "/analytics/insights/{int:insight_id}", response=InsightOut, summary="Change an insight"
)
def update_insight(request: HttpRequest, insight_id: int, payload: saved.InsightPatch) -> Any:
    return asdict(saved.update_insight(request_principal(request), insight_id, payload))


@router.delete(
    "/analytics/insights/{int:insight_id}", response={204: None}, summary="Delete an insight"
)
def delete_insight(request: HttpRequest, insight_id: int) -> Status[Any]:
    saved.delete_insight(request_principal(request), insight_id)
    return Status(204, None)


@router.get("/analytics/dashboards", response=DashboardList, summary="List dashboards")
def list_dashboards(request: HttpRequest, params: Query[Paging]) -> dict[str, Any]:
    items, count = saved.list_dashboards(
        request_principal(request), limit=params.limit, offset=params.offset
    )
    return {"items": [asdict(d) for d in items], "count": count}


@router.post("/analytics/dashboards", response={201: DashboardOut}, summary="Make a dashboard")
def create_dashboard(request: HttpRequest, payload: saved.DashboardIn) -> Status[Any]:
    """``insights`` are saved-insight ids of the workspace, in the order shown."""
    return Status(201, asdict(saved.create_dashboard(request_principal(request), payload)))


@router.get(
    "/analytics/dashboards/{int:dashboard_id}", response=DashboardOut, summary="A dashboard"
)
def get_dashboard(request: HttpRequest, dashboard_id: int) -> Any:
    return asdict(saved.get_dashboard(request_principal(request), dashboard_id))


@router.patch(
    "/analytics/dashboards/{int:dashboard_id}",
    response=DashboardOut,
    summary="Change a dashboard",
)
def update_dashboard(request: HttpRequest, dashboard_id: int, payload: saved.DashboardPatch) -> Any:
    """``insights`` replaces the list and its order."""
    return asdict(saved.update_dashboard(request_principal(request), dashboard_id, payload))


@router.delete(
    "/analytics/dashboards/{int:dashboard_id}",
    response={204: None},
    summary="Delete a dashboard",
)
def delete_dashboard(request: HttpRequest, dashboard_id: int) -> Status[Any]:
    saved.delete_dashboard(request_principal(request), dashboard_id)
    return Status(204, None)


class PeriodParams(Schema):
    date_from: date | None = Field(None, alias="from", description="default: 29 days before to")
    date_to: date | None = Field(None, alias="to", description="default: today")


class StageOut(Schema):
    stage: str
    event: str
    count: int | None
    conversion: float | None
    target: float | None
    owner: str
    attainment: float | None
    below_target: bool
    weakest: bool


class ViralOut(Schema):
    invites_sent: int
    invites_accepted: int
    active_users: int
    invites_per_active_user: float | None
    acceptance_rate: float | None
    viral_coefficient: float | None
    accounts_from_invitations: int
    invited_accounts: list[str]


class AarrrOut(Schema):
    date_from: date = Field(..., alias="from")
    date_to: date = Field(..., alias="to")
    configured: bool
    revenue_available: bool
    stages: list[StageOut]
    weakest: str | None
    new_paying_accounts: int | None
    viral: ViralOut


@router.get("/analytics/aarrr", response=AarrrOut, by_alias=True, summary="The AARRR board")
def aarrr_board(request: HttpRequest, params: Query[PeriodParams]) -> Any:
    """Accounts per stage, conversion against target, the weakest link and the viral
    coefficient of the period (docs/analytics.md "AARRR board")."""
    principal = request_principal(request)
    end = params.date_to or datetime.now(ZoneInfo(principal.workspace.timezone)).date()
    start = params.date_from or end - timedelta(days=DEFAULT_DAYS - 1)
    board = aarrr.aarrr_board(principal, start, end)
    return aarrr.board_document(board)
