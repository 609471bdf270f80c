"""REST endpoints: tasks (worklist), playbooks, renewals, NPS/CSAT, timeline, notes, webhooks."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Body, Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from tobloop.accounts.facade import read_upload
from tobloop.kernel.errors import ErrorDetail, InvalidInput
from tobloop.platform.facade import request_principal
from tobloop.success.work import facade

router = Router(tags=["success"])
MAX_ID = 2**63 - 1


# Tasks -----------------------------------------------------------------------------------


class TaskOut(Schema):
    id: int
    account_id: int
    account_name: str
    kind: str
    title: str
    reason: str
    trigger: str
    occurrence: str
    playbook: str | None
    service_tier: str
    owner: str
    team: str
    due: date | None
    status: str
    outcome: str
    outcome_note: str
    escalation_level: int
    escalation_path: list[str]
    escalated_to: str | None
    actions: list[dict[str, Any]]
    created_at: datetime
    closed_at: datetime | None


class TaskList(Schema):
    items: list[TaskOut]
    count: int


class CompleteIn(Schema):
    outcome: Literal["resolved", "saved", "expanded", "renewed", "no_action", "churned"]
    note: str = Field("", max_length=5000)


@router.get("/success/tasks", response=TaskList, summary="The worklist: tasks with filters")
def list_tasks(request: HttpRequest, filters: Query[facade.TaskFilter]) -> dict[str, Any]:
    items, count = facade.list_tasks(request_principal(request), filters)
    return {"items": [asdict(t) for t in items], "count": count}


@router.post("/success/tasks", response={201: TaskOut}, summary="Create a task")
def create_task(request: HttpRequest, payload: facade.TaskCreate) -> Status[Any]:
    return Status(201, asdict(facade.create_task(request_principal(request), payload)))


@router.get("/success/tasks/{int:task_id}", response=TaskOut, summary="One task")
def get_task(request: HttpRequest, task_id: int) -> Any:
    return asdict(facade.get_task(request_principal(request), task_id))


@router.patch("/success/tasks/{int:task_id}", response=TaskOut, summary="Change a task")
def update_task(request: HttpRequest, task_id: int, payload: facade.TaskPatch) -> Any:
    return asdict(facade.update_task(request_principal(request), task_id, payload))


@router.post(
    "/success/tasks/{int:task_id}/complete", response=TaskOut, summary="Complete with an outcome"
)
def complete_task(request: HttpRequest, task_id: int, payload: CompleteIn) -> Any:
    view = facade.complete_task(request_principal(request), task_id, payload.outcome, payload.note)
    return asdict(view)


@router.delete("/success/tasks/{int:task_id}", response={204: None}, summary="Delete a task")
def delete_task(request: HttpRequest, task_id: int) -> Status[Any]:
    facade.delete_task(request_principal(request), task_id)
    return Status(204, None)


# Playbooks -------------------------------------------------------------------------------


class PlaybookOut(Schema):
    key: str
    name: str
    trigger: str
    params: dict[str, Any]
    task_kind: str
    actions: dict[str, Any]
    is_active: bool


class PlaybookList(Schema):
    items: list[PlaybookOut]
    count: int


class PlaybookPatch(Schema):
    is_active: bool | None = None
    params: dict[str, float] | None = None
    actions: dict[str, dict[str, Any]] | None = None


class RunIn(Schema):
    as_of: date | None = Field(None, description="the day to evaluate (default: today)")


class FiringOut(Schema):
    playbook: str
    account_id: int
    account_name: str
    service_tier: str
    occurrence: str
    reason: str
    actions: list[dict[str, Any]]
    task_id: int | None


class RunOut(Schema):
    as_of: date
    accounts: int
    fired: int
    tasks_created: int
    automated: int
    skipped_open_task: int
    skipped_seen: int
    escalated: int
    by_playbook: dict[str, int]
    by_tier: dict[str, int]
    firings: list[FiringOut]


@router.get("/success/playbooks", response=PlaybookList, summary="Playbooks by service tier")
def list_playbooks(request: HttpRequest) -> dict[str, Any]:
    items = facade.list_playbooks(request_principal(request))
    return {"items": [asdict(p) for p in items], "count": len(items)}


@router.post("/success/playbooks/run", response=RunOut, summary="Run every playbook now")
def run_playbooks(request: HttpRequest, payload: RunIn | None = None) -> Any:
    summary = facade.run_playbooks(request_principal(request), payload.as_of if payload else None)
    return asdict(summary)


@router.patch("/success/playbooks/{key}", response=PlaybookOut, summary="Switch or tune a playbook")
def update_playbook(request: HttpRequest, key: str, payload: PlaybookPatch) -> Any:
    view = facade.update_playbook(
        request_principal(request),
        key,
        is_active=payload.is_active,
        params=payload.params,
        actions=payload.actions,
    )
    return asdict(view)


# Renewals --------------------------------------------------------------------------------


class RenewalsQuery(Schema):
    within: int = Field(90, ge=1, le=3660, description="days ahead")
    as_of: date | None = None
    min_term: int = Field(12, ge=1, le=120, description="shortest contract term, in months")
    forecast: Literal["renew", "expand", "contract", "churn"] | None = None


class RenewalOut(Schema):
    account_id: int
    account_name: str
    service_tier: str
    csm_owner: str | None
    renewal_date: date
    days_left: int
    subscriptions: list[str]
    arr: str
    forecast: str
    reason: str
    health: str | None
    usage_change: float | None
    seat_utilization: float | None


class ForecastTotalOut(Schema):
    forecast: str
    accounts: int
    arr: str


class RenewalsOut(Schema):
    as_of: date
    within_days: int
    currency: str
    items: list[RenewalOut]
    count: int
    totals: list[ForecastTotalOut]
    arr_total: str


def renewals_document(report: facade.RenewalsReport) -> dict[str, Any]:
    """Money as decimal strings (DESIGN: scriptable contracts)."""
    doc = asdict(report)
    for row in doc["items"]:
        row["arr"] = str(row["arr"])
    for total in doc["totals"]:
        total["arr"] = str(total["arr"])
    doc["arr_total"] = str(doc["arr_total"])
    doc["count"] = len(doc["items"])
    return doc


@router.get("/success/renewals", response=RenewalsOut, summary="Renewals with forecast")
def renewals(request: HttpRequest, q: Query[RenewalsQuery]) -> dict[str, Any]:
    report = facade.renewals(
        request_principal(request),
        as_of=q.as_of,
        within=q.within,
        min_term_months=q.min_term,
        forecast_class=q.forecast,
    )
    return renewals_document(report)


# NPS / CSAT ------------------------------------------------------------------------------


class NpsBatch(Schema):
    responses: list[dict[str, Any]] = Field(..., max_length=5000)


class NpsRejected(Schema):
    index: int
    loc: list[str]
    msg: str


class NpsRecordOut(Schema):
    created: int
    updated: int
    rejected: list[NpsRejected]


class NpsOut(Schema):
    id: int
    account_id: int
    external_id: str
    kind: str
    score: int
    email: str
    contact_name: str
    comment: str
    answered_at: datetime
    source: str


class NpsList(Schema):
    items: list[NpsOut]
    count: int


class NpsListQuery(Schema):
    account: int | None = Field(None, ge=1, le=MAX_ID)
    kind: Literal["nps", "csat"] | None = None
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=10_000_000)


class SummaryQuery(Schema):
    account: int | None = Field(None, ge=1, le=MAX_ID)
    as_of: date | None = None
    days: int = Field(90, ge=1, le=3660)


class PeriodOut(Schema):
    period: str
    responses: int
    score: float | None


class NpsSummaryOut(Schema):
    responses: int
    promoters: int
    passives: int
    detractors: int
    nps: float | None
    csat_responses: int
    csat: float | None
    csat_average: float | None
    trend: list[PeriodOut]


class ImportOut(Schema):
    file: str
    rows: int
    created: int
    updated: int
    rejected: list[dict[str, Any]]


@router.post(
    "/nps",
    response={200: NpsRecordOut, 201: NpsRecordOut},
    summary="Record NPS/CSAT answers (one, or a batch under 'responses')",
)
def record_nps(request: HttpRequest, payload: Body[dict[str, Any]]) -> Status[Any]:
    """A single answer object, or ``{"responses": [...]}``. Every valid answer is stored;
    invalid ones are listed by index in ``rejected`` (422 when none is valid)."""
    batch = "responses" in payload
    items = payload["responses"] if batch else [payload]
    if not isinstance(items, list) or len(items) > 5000:
        raise InvalidInput("'responses' must be a list of at most 5,000 answers")
    created, updated, errors = facade.record_answers(request_principal(request), items)
    rejected = [
        {"index": int(d.loc[0]), "loc": [str(p) for p in d.loc[1:]], "msg": d.msg} for d in errors
    ]
    if errors and not (created or updated):
        raise InvalidInput(
            "no answer is valid",
            details=[ErrorDetail(d.loc, d.msg) for d in errors],
        )
    return Status(201 if created else 200, {"created": created, "updated": updated,
                                            "rejected": rejected})  # fmt: skip


@router.get("/nps", response=NpsList, summary="NPS/CSAT answers")
def list_nps(request: HttpRequest, q: Query[NpsListQuery]) -> dict[str, Any]:
    items, count = facade.list_answers(
        request_principal(request),
        account_id=q.account,
        kind=q.kind,
        limit=q.limit,
        offset=q.offset,
    )
    return {"items": [asdict(i) for i in items], "count": count}


@router.get("/nps/summary", response=NpsSummaryOut, summary="NPS, CSAT and the monthly trend")
def nps_summary(request: HttpRequest, q: Query[SummaryQuery]) -> Any:
    return asdict(
        facade.nps_summary(
            request_principal(request), account_id=q.account, as_of=q.as_of, days=q.days
        )
    )


@router.post("/nps/import", response=ImportOut, summary="Import NPS/CSAT answers from CSV")
def import_nps(
    request: HttpRequest, file: File[UploadedFile], mapping: Form[str | None] = None
) -> Any:
    raw, parsed = read_upload(file, mapping)
    report = facade.import_answers(
        request_principal(request), raw, filename=file.name or "", mapping=parsed
    )
    return asdict(report)


# Timeline and notes ----------------------------------------------------------------------


class TimelineQuery(Schema):
    kind: str | None = Field(None, max_length=200, description="comma-separated kinds")
    limit: int = Field(200, ge=1, le=1000)


class EntryOut(Schema):
    at: datetime
    kind: str
    title: str
    detail: str
    link: str | None


class TimelineOut(Schema):
    items: list[EntryOut]
    count: int


class NoteIn(Schema):
    body: str = Field(..., min_length=1, max_length=10_000)
    sentiment: Literal["", "positive", "neutral", "negative"] = ""


class NoteOut(Schema):
    id: int
    account_id: int
    author: str
    body: str
    sentiment: str
    created_at: datetime


class NoteList(Schema):
    items: list[NoteOut]
    count: int


@router.get("/accounts/{int:account_id}/timeline", response=TimelineOut, summary="Account timeline")
def timeline(request: HttpRequest, account_id: int, q: Query[TimelineQuery]) -> dict[str, Any]:
    kinds = {k.strip() for k in q.kind.split(",") if k.strip()} if q.kind else None
    items = facade.account_timeline(
        request_principal(request), account_id, kinds=kinds, limit=q.limit
    )
    return {"items": [asdict(e) for e in items], "count": len(items)}


@router.get("/accounts/{int:account_id}/notes", response=NoteList, summary="Account notes")
def list_notes(request: HttpRequest, account_id: int) -> dict[str, Any]:
    items = facade.list_notes(request_principal(request), account_id)
    return {"items": [asdict(n) for n in items], "count": len(items)}


@router.post(
    "/accounts/{int:account_id}/notes", response={201: NoteOut}, summary="Add an account note"
)
def add_note(request: HttpRequest, account_id: int, payload: NoteIn) -> Status[Any]:
    note = facade.add_note(request_principal(request), account_id, payload.body, payload.sentiment)
    return Status(201, asdict(note))


# Webhooks --------------------------------------------------------------------------------


class EndpointIn(Schema):
    url: str = Field(..., max_length=500)
    events: list[str] = Field(default_factory=list, description="empty: every event type")
    secret: str | None = Field(None, min_length=16, max_length=120)


class EndpointOut(Schema):
    id: int
    url: str
    events: list[str]
    is_active: bool
    created_at: datetime


class CreatedEndpointOut(Schema):
    endpoint: EndpointOut
    secret: str


class EndpointList(Schema):
    items: list[EndpointOut]
    count: int


class DeliveryOut(Schema):
    id: int
    endpoint_id: int
    url: str
    event: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str
    delivered_at: datetime | None
    created_at: datetime


class DeliveryList(Schema):
    items: list[DeliveryOut]
    count: int


class DeliveryQuery(Schema):
    status: Literal["pending", "delivered", "failed"] | None = None
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=10_000_000)


class DeliverOut(Schema):
    attempted: int
    delivered: int
    retrying: int
    failed: int


@router.get("/success/webhooks", response=EndpointList, summary="Webhook endpoints")
def list_webhooks(request: HttpRequest) -> dict[str, Any]:
    items = facade.list_endpoints(request_principal(request))
    return {"items": [asdict(e) for e in items], "count": len(items)}


@router.post(
    "/success/webhooks", response={201: CreatedEndpointOut}, summary="Add a webhook endpoint"
)
def create_webhook(request: HttpRequest, payload: EndpointIn) -> Status[Any]:
    created = facade.create_endpoint(
        request_principal(request), url=payload.url, events=payload.events, secret=payload.secret
    )
    return Status(201, asdict(created))


@router.delete(
    "/success/webhooks/{int:endpoint_id}", response={204: None}, summary="Remove an endpoint"
)
def delete_webhook(request: HttpRequest, endpoint_id: int) -> Status[Any]:
    facade.delete_endpoint(request_principal(request), endpoint_id)
    return Status(204, None)


@router.get(
    "/success/webhooks/deliveries", response=DeliveryList, summary="The webhook delivery log"
)
def list_deliveries(request: HttpRequest, q: Query[DeliveryQuery]) -> dict[str, Any]:
    items, count = facade.list_deliveries(
        request_principal(request), status=q.status, limit=q.limit, offset=q.offset
    )
    return {"items": [asdict(d) for d in items], "count": count}


@router.post(
    "/success/webhooks/deliver", response=DeliverOut, summary="Send the deliveries that are due"
)
def deliver(request: HttpRequest) -> Any:
    principal = request_principal(request)
    facade.list_endpoints(principal)  # admin only
    return asdict(facade.deliver_due(workspace_id=principal.workspace_id, limit=20))
