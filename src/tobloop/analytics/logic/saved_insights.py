"""Saved insights and dashboards of a workspace: typed writes with an audit entry each.

An insight's ``query`` is the JSON body of the matching REST query (``POST
/api/v1/analytics/funnel`` …), validated by the engine's pydantic model and stored as it
dumps, without defaults the caller did not set (so a query without ``timezone`` keeps reading
dates in the workspace time zone). A trends insight may compare several events: it stores
``events`` (a list; ``null`` for any event) and the chart's ``metric`` (``count``, ``users`` or
``accounts``) beside the other trends options.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from django.db import transaction
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tobloop.analytics.models import Dashboard, DashboardItem, SavedInsight
from tobloop.analytics.query_forms import MAX_TREND_EVENTS, MODELS, TREND_METRICS
from tobloop.kernel.errors import ErrorDetail, InvalidInput, NotFound
from tobloop.platform.facade import Principal, record_audit, require

Kind = Literal["funnel", "retention", "paths", "trends", "active"]
MAX_DASHBOARD_INSIGHTS = 40


@dataclass(frozen=True)
class InsightView:
    id: int
    name: str
    kind: str
    query: dict[str, Any]
    description: str
    owner: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class DashboardView:
    id: int
    name: str
    description: str
    owner: str
    insights: list[int]
    created_at: datetime
    updated_at: datetime


class InsightIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    kind: Kind
    query: dict[str, Any]
    description: str = Field(default="", max_length=2000)


class InsightPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    query: dict[str, Any] | None = None
    description: str | None = Field(default=None, max_length=2000)


class DashboardIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    insights: list[int] = Field(default_factory=list, max_length=MAX_DASHBOARD_INSIGHTS)


class DashboardPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    insights: list[int] | None = Field(default=None, max_length=MAX_DASHBOARD_INSIGHTS)


def _dump(model: BaseModel) -> dict[str, Any]:
    doc: dict[str, Any] = model.model_dump(mode="json", by_alias=True, exclude_unset=True)
    return doc


def _invalid(exc: ValidationError, prefix: tuple[str | int, ...]) -> InvalidInput:
    details = [
        ErrorDetail(
            (*prefix, *e.get("loc", ())), str(e.get("msg", "")).removeprefix("Value error, ")
        )
        for e in exc.errors()
    ]
    return InvalidInput("the insight's query is not valid", details=details)


def normalise_query(kind: str, raw: dict[str, Any]) -> dict[str, Any]:
    """Validate ``raw`` with the engine's model for ``kind``; the JSON to store."""
    model = MODELS[kind]
    if kind != "trends":
        try:
            return _dump(model.model_validate(raw))
        except ValidationError as exc:
            raise _invalid(exc, ("query",)) from None
    rest = {k: v for k, v in raw.items() if k not in ("events", "event", "metric")}
    events = raw["events"] if "events" in raw else [raw.get("event")]
    if not isinstance(events, list) or not 1 <= len(events) <= MAX_TREND_EVENTS:
        msg = f"give from 1 to {MAX_TREND_EVENTS} events (null for any event)"
        raise InvalidInput(
            "the insight's query is not valid", [ErrorDetail(("query", "events"), msg)]
        )
    metric = raw.get("metric", "users")
    if metric not in TREND_METRICS:
        msg = f"one of {', '.join(TREND_METRICS)}"
        raise InvalidInput(
            "the insight's query is not valid", [ErrorDetail(("query", "metric"), msg)]
        )
    dumped: list[Any] = []
    base: dict[str, Any] = {}
    for n, event in enumerate(events):
        try:
            q = model.model_validate({**rest, "event": event})
        except ValidationError as exc:
            raise _invalid(exc, ("query", "events", n)) from None
        doc = _dump(q)
        dumped.append(doc.pop("event", None))
        base = doc
    return {**base, "events": dumped, "metric": metric}


def _insight_view(row: SavedInsight) -> InsightView:
    return InsightView(
        id=row.pk,
        name=row.name,
        kind=row.kind,
        query=row.query,
        description=row.description,
        owner=row.owner,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _dashboard_view(row: Dashboard) -> DashboardView:
    return DashboardView(
        id=row.pk,
        name=row.name,
        description=row.description,
        owner=row.owner,
        insights=[i.insight_id for i in row.items.all()],
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _insight_row(principal: Principal, insight_id: int) -> SavedInsight:
    row = SavedInsight.objects.for_workspace(principal.workspace_id).filter(pk=insight_id).first()
    if row is None:
        raise NotFound("no such insight")
    return row


def list_insights(
    principal: Principal, *, kind: str | None = None, limit: int = 100, offset: int = 0
) -> tuple[list[InsightView], int]:
    require(principal.scopes, "analytics", "read")
    qs = SavedInsight.objects.for_workspace(principal.workspace_id)
    if kind:
        qs = qs.filter(kind=kind)
    return [_insight_view(r) for r in qs[offset : offset + limit]], qs.count()


def get_insight(principal: Principal, insight_id: int) -> InsightView:
    require(principal.scopes, "analytics", "read")
    return _insight_view(_insight_row(principal, insight_id))


@transaction.atomic
def create_insight(principal: Principal, data: InsightIn) -> InsightView:
    """Store a named query after the engine's model accepts it."""
    require(principal.scopes, "analytics", "write")
    row = SavedInsight.objects.create(
        workspace_id=principal.workspace_id,
        name=data.name.strip(),
        kind=data.kind,
        query=normalise_query(data.kind, data.query),
        description=data.description,
        owner=principal.label,
    )
    after = {"name": row.name, "kind": row.kind, "query": row.query}
    record_audit(
        principal,
        action="create",
        object_type="analytics.insight",
        object_id=row.pk,
        object_repr=row.name,
        after=after,
    )
    return _insight_view(row)


@transaction.atomic
def update_insight(principal: Principal, insight_id: int, patch: InsightPatch) -> InsightView:
    require(principal.scopes, "analytics", "write")
    row = _insight_row(principal, insight_id)
    before = {"name": row.name, "query": row.query, "description": row.description}
    if patch.name is not None:
        row.name = patch.name.strip()
    if patch.query is not None:
        row.query = normalise_query(row.kind, patch.query)
    if patch.description is not None:
        row.description = patch.description
    row.save()
    after = {"name": row.name, "query": row.query, "description": row.description}
    record_audit(
        principal,
        action="update",
        object_type="analytics.insight",
        object_id=row.pk,
        object_repr=row.name,
        before=before,
        after=after,
    )
    return _insight_view(row)


@transaction.atomic
def delete_insight(principal: Principal, insight_id: int) -> None:
    """Delete the insight; it leaves every dashboard that showed it."""
    require(principal.scopes, "analytics", "write")
    row = _insight_row(principal, insight_id)
    before = {"name": row.name, "kind": row.kind, "query": row.query}
    record_audit(
        principal,
        action="delete",
        object_type="analytics.insight",
        object_id=row.pk,
        object_repr=row.name,
        before=before,
    )
    row.delete()


def _dashboard_row(principal: Principal, dashboard_id: int) -> Dashboard:
    qs = Dashboard.objects.for_workspace(principal.workspace_id).prefetch_related("items")
    row = qs.filter(pk=dashboard_id).first()
    if row is None:
        raise NotFound("no such dashboard")
    return row


def _set_items(principal: Principal, dashboard: Dashboard, ids: list[int]) -> None:
    """Replace the dashboard's insights by ``ids``, in that order (duplicates kept once)."""
    ordered = list(dict.fromkeys(ids))
    found = set(
        SavedInsight.objects.for_workspace(principal.workspace_id)
        .filter(pk__in=ordered)
        .values_list("pk", flat=True)
    )
    unknown = [(n, i) for n, i in enumerate(ids) if i not in found]
    if unknown:
        details = [ErrorDetail(("insights", n), f"no insight {i} here") for n, i in unknown]
        raise InvalidInput("a dashboard shows saved insights of its workspace", details=details)
    DashboardItem.objects.filter(dashboard=dashboard).delete()
    DashboardItem.objects.bulk_create(
        DashboardItem(
            workspace_id=principal.workspace_id, dashboard=dashboard, insight_id=i, position=n
        )
        for n, i in enumerate(ordered)
    )


def list_dashboards(
    principal: Principal, *, limit: int = 100, offset: int = 0
) -> tuple[list[DashboardView], int]:
    require(principal.scopes, "analytics", "read")
    qs = Dashboard.objects.for_workspace(principal.workspace_id).prefetch_related("items")
    return [_dashboard_view(r) for r in qs[offset : offset + limit]], qs.count()


def get_dashboard(principal: Principal, dashboard_id: int) -> DashboardView:
    require(principal.scopes, "analytics", "read")
    return _dashboard_view(_dashboard_row(principal, dashboard_id))


def dashboard_insights(principal: Principal, dashboard_id: int) -> list[InsightView]:
    """The dashboard's insights in their order."""
    view = get_dashboard(principal, dashboard_id)
    rows = SavedInsight.objects.for_workspace(principal.workspace_id).in_bulk(view.insights)
    return [_insight_view(rows[i]) for i in view.insights if i in rows]


def _dashboard_audit(row: Dashboard) -> dict[str, Any]:
    return {
        "name": row.name,
        "description": row.description,
        "insights": [i.insight_id for i in row.items.all()],
    }


@transaction.atomic
def create_dashboard(principal: Principal, data: DashboardIn) -> DashboardView:
    require(principal.scopes, "analytics", "write")
    row = Dashboard.objects.create(
        workspace_id=principal.workspace_id,
        name=data.name.strip(),
        description=data.description,
        owner=principal.label,
    )
    _set_items(principal, row, data.insights)
    row = _dashboard_row(principal, row.pk)
    record_audit(
        principal,
        action="create",
        object_type="analytics.dashboard",
        object_id=row.pk,
        object_repr=row.name,
        after=_dashboard_audit(row),
    )
    return _dashboard_view(row)


@transaction.atomic
def update_dashboard(
    principal: Principal, dashboard_id: int, patch: DashboardPatch
) -> DashboardView:
    require(principal.scopes, "analytics", "write")
    row = _dashboard_row(principal, dashboard_id)
    before = _dashboard_audit(row)
    if patch.name is not None:
        row.name = patch.name.strip()
    if patch.description is not None:
        row.description = patch.description
    row.save()
    if patch.insights is not None:
        _set_items(principal, row, patch.insights)
    row = _dashboard_row(principal, dashboard_id)
    record_audit(
        principal,
        action="update",
        object_type="analytics.dashboard",
        object_id=row.pk,
        object_repr=row.name,
        before=before,
        after=_dashboard_audit(row),
    )
    return _dashboard_view(row)


@transaction.atomic
def add_to_dashboard(principal: Principal, dashboard_id: int, insight_id: int) -> DashboardView:
    """Append an insight at the end of a dashboard (no change when it is already there)."""
    view = get_dashboard(principal, dashboard_id)
    if insight_id in view.insights:
        return view
    return update_dashboard(
        principal, dashboard_id, DashboardPatch(insights=[*view.insights, insight_id])
    )


@transaction.atomic
def delete_dashboard(principal: Principal, dashboard_id: int) -> None:
    """Delete the dashboard; its insights stay saved."""
    require(principal.scopes, "analytics", "write")
    row = _dashboard_row(principal, dashboard_id)
    record_audit(
        principal,
        action="delete",
        object_type="analytics.dashboard",
        object_id=row.pk,
        object_repr=row.name,
        before=_dashboard_audit(row),
    )
    row.delete()
