"""NPS and CSAT answers: capture (API, CSV import), scores per account and workspace, trend.

NPS (0–10 "how likely are you to recommend us?"): promoters answer 9–10, passives 7–8,
detractors 0–6; NPS = % promoters − % detractors, from −100 to 100 (docs/metrics.md).
CSAT (1–5 "how satisfied are you?"): CSAT = share of answers 4–5 (0 … 1), with the mean.
Both are computed over the answers of a period (default: the 90 days up to the as-of day).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from tobloop.accounts.facade import (
    AccountFilter,
    ImportReport,
    RejectedRow,
    column_plan,
    get_account,
    list_accounts,
    read_csv,
)
from tobloop.kernel.errors import ErrorDetail, InvalidInput, NotFound
from tobloop.platform.facade import Principal, record_audit, require
from tobloop.success.work.contracts import NpsSummary, NpsView, ScorePeriod
from tobloop.success.work.logic import alerts
from tobloop.success.work.logic.tasks import today_for
from tobloop.success.work.models import NpsResponse

MAX_ID = 2**63 - 1
SCALES = {"nps": (0, 10), "csat": (1, 5)}
FIELDS = ("id", "account", "account_id", "kind", "score", "email", "contact", "comment",
          "answered_at")  # fmt: skip
ALIASES = {
    "response_id": "id", "external_id": "id", "account_external_id": "account",
    "company": "account", "type": "kind", "survey": "kind", "rating": "score", "nps": "score",
    "e-mail": "email", "contact_name": "contact", "name": "contact", "feedback": "comment",
    "date": "answered_at", "created_at": "answered_at", "submitted_at": "answered_at",
}  # fmt: skip


class NpsIn(BaseModel):
    """One answer. Give the account by id or by external id; ``id`` makes re-sending safe."""

    model_config = ConfigDict(extra="forbid")

    account: int | None = Field(None, ge=1, le=MAX_ID, description="account id")
    account_external_id: str | None = Field(None, min_length=1, max_length=120)
    id: str | None = Field(None, min_length=1, max_length=120, description="your answer id")
    kind: Literal["nps", "csat"] = "nps"
    score: int
    email: str = Field("", max_length=254)
    contact: str = Field("", max_length=200)
    comment: str = Field("", max_length=10_000)
    answered_at: datetime | None = None

    @field_validator("email", "contact", "comment", "id", "account_external_id")
    @classmethod
    def _no_nul(cls, value: str | None) -> str | None:
        if value is not None and "\x00" in value:
            raise ValueError("text cannot contain NUL characters")
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        value = value.strip()
        if value and ("@" not in value or " " in value or value.startswith("@")):
            raise ValueError("not an e-mail address")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> NpsIn:
        low, high = SCALES[self.kind]
        if not low <= self.score <= high:
            raise ValueError(f"score: a {self.kind} score is from {low} to {high}")
        if self.account is None and self.account_external_id is None:
            raise ValueError("account: give account (id) or account_external_id")
        return self


def nps_view(r: NpsResponse) -> NpsView:
    return NpsView(
        id=r.pk, account_id=r.account_id, external_id=r.external_id, kind=r.kind, score=r.score,
        email=r.email, contact_name=r.contact_name, comment=r.comment,
        answered_at=r.answered_at, source=r.source,
    )  # fmt: skip


def _account_ids_by_external(principal: Principal, wanted: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for ext in wanted:
        page = list_accounts(principal, AccountFilter(q=ext, limit=20))
        for a in page.items:
            if a.external_id == ext:
                found[ext] = a.id
    return found


def _store(principal: Principal, item: NpsIn, account_id: int, source: str) -> bool:
    """Create or update (by ``id``) one answer; True when created."""
    values = {
        "account_id": account_id, "kind": item.kind, "score": item.score, "email": item.email,
        "contact_name": item.contact, "comment": item.comment,
        "answered_at": item.answered_at or timezone.now(), "source": source,
    }  # fmt: skip
    if item.id:
        _, created = NpsResponse.objects.for_workspace(principal.workspace_id).update_or_create(
            workspace_id=principal.workspace_id, external_id=item.id, defaults=values
        )
        return created
    NpsResponse.objects.create(workspace_id=principal.workspace_id, **values)
    return True


def record_answers(
    principal: Principal, items: Sequence[NpsIn | dict[str, Any]], *, source: str = "api"
) -> tuple[int, int, list[ErrorDetail]]:
    """Store every valid answer; (created, updated, errors with ``loc`` = (index, field))."""
    require(principal.scopes, "success", "write")
    parsed: list[tuple[int, NpsIn]] = []
    errors: list[ErrorDetail] = []
    for index, raw in enumerate(items):
        try:
            parsed.append((index, raw if isinstance(raw, NpsIn) else NpsIn.model_validate(raw)))
        except ValidationError as exc:
            for e in exc.errors():
                loc = tuple(str(p) for p in e.get("loc", ()))
                msg = str(e.get("msg", "invalid")).removeprefix("Value error, ")
                if not loc and ": " in msg:
                    field, msg = msg.split(": ", 1)
                    loc = (field,)
                errors.append(ErrorDetail((index, *loc), msg))
    wanted = {
        i.account_external_id for _, i in parsed if i.account is None and i.account_external_id
    }
    by_ext = _account_ids_by_external(principal, {w for w in wanted if w})
    created = updated = 0
    with transaction.atomic():
        for index, item in parsed:
            account_id = item.account or by_ext.get(item.account_external_id or "")
            if account_id is None:
                errors.append(ErrorDetail((index, "account_external_id"), "no such account"))
                continue
            try:
                get_account(principal, account_id)
            except NotFound:
                errors.append(ErrorDetail((index, "account"), "no such account"))
                continue
            if _store(principal, item, account_id, source):
                created += 1
            else:
                updated += 1
            alerts.enqueue(principal.workspace_id, "nps.received", {
                "account_id": account_id, "kind": item.kind, "score": item.score,
                "comment": item.comment,
            })  # fmt: skip
        if created or updated:
            record_audit(principal, action="import" if source == "csv" else "create",
                         object_type="nps_response",
                         object_repr=f"{created} NPS/CSAT answers created, {updated} updated",
                         after={"created": created, "updated": updated})  # fmt: skip
    errors.sort(key=lambda d: d.loc[0] if isinstance(d.loc[0], int) else 0)
    return created, updated, errors


def _parse_time(value: str, tz: str) -> datetime:
    value = value.strip()
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError("not a date or date-time (YYYY-MM-DD[THH:MM])") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(tz))
    return moment


def import_answers(
    principal: Principal,
    raw: bytes,
    *,
    filename: str = "nps.csv",
    mapping: dict[str, str] | None = None,
) -> ImportReport:
    """``tobloop import nps FILE``: every valid row stored, the others reported by line."""
    require(principal.scopes, "success", "write")
    table = read_csv(raw)
    plan = column_plan(table.header, mapping or {}, FIELDS, ALIASES)
    if "score" not in plan.values() or not {"account", "account_id"} & set(plan.values()):
        raise InvalidInput(
            "the file needs a score column and an account (external id) or account_id column",
            code="missing_columns",
            details=[ErrorDetail(("file",), f"columns found: {', '.join(table.header)}")],
        )
    names = {v: table.header[k] for k, v in plan.items()}
    rejected: list[RejectedRow] = []
    items: list[NpsIn] = []
    lines: list[int] = []
    for line_no, line in table.rows:
        cells = {f: (line[i].strip() if i < len(line) else "") for i, f in plan.items()}
        try:
            data: dict[str, Any] = {
                "id": cells.get("id") or None,
                "account": int(cells["account_id"]) if cells.get("account_id") else None,
                "account_external_id": cells.get("account") or None,
                "kind": (cells.get("kind") or "nps").lower(),
                "score": cells.get("score", ""),
                "email": cells.get("email", ""),
                "contact": cells.get("contact", ""),
                "comment": cells.get("comment", ""),
                "answered_at": _parse_time(cells["answered_at"], principal.workspace.timezone)
                if cells.get("answered_at") else None,
            }  # fmt: skip
        except ValueError as exc:
            column = "answered_at" if "date" in str(exc) else "account_id"
            rejected.append(RejectedRow(line_no, names.get(column), cells.get(column), str(exc)))
            continue
        try:
            items.append(NpsIn.model_validate(data))
            lines.append(line_no)
        except ValidationError as exc:
            e = exc.errors()[0]
            msg = str(e.get("msg", "invalid")).removeprefix("Value error, ")
            field = str(e["loc"][0]) if e.get("loc") else msg.split(": ", 1)[0]
            if ": " in msg and not e.get("loc"):
                msg = msg.split(": ", 1)[1]
            field = {"account_external_id": "account", "account": "account_id"}.get(field, field)
            rejected.append(RejectedRow(line_no, names.get(field, field), cells.get(field), msg))
    created, updated, errors = record_answers(principal, items, source="csv")
    for d in errors:
        index = int(d.loc[0])
        item = items[index]
        field = "account_id" if item.account else "account"
        value = str(item.account) if item.account else item.account_external_id
        rejected.append(RejectedRow(lines[index], names.get(field, field), value, d.msg))
    rejected.sort(key=lambda r: r.row)
    return ImportReport(file=filename, rows=len(table.rows), created=created, updated=updated,
                        rejected=rejected)  # fmt: skip


def list_answers(
    principal: Principal,
    *,
    account_id: int | None = None,
    kind: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[NpsView], int]:
    require(principal.scopes, "success", "read")
    qs = NpsResponse.objects.for_workspace(principal.workspace_id)
    if account_id is not None:
        qs = qs.filter(account_id=account_id)
    if kind:
        qs = qs.filter(kind=kind)
    return [nps_view(r) for r in qs[offset : offset + limit]], qs.count()


def nps_score(scores: Iterable[int]) -> tuple[int, int, int, float | None]:
    """(promoters, passives, detractors, NPS) — NPS rounded to one decimal; None if no answer."""
    values = list(scores)
    promoters = sum(1 for s in values if s >= 9)
    detractors = sum(1 for s in values if s <= 6)
    passives = len(values) - promoters - detractors
    if not values:
        return 0, 0, 0, None
    return promoters, passives, detractors, round(100 * (promoters - detractors) / len(values), 1)


def csat_score(scores: Iterable[int]) -> tuple[float | None, float | None]:
    """(share of 4–5, mean), None when no answer."""
    values = list(scores)
    if not values:
        return None, None
    return round(sum(1 for s in values if s >= 4) / len(values), 4), round(
        sum(values) / len(values), 2
    )


def _month_key(moment: datetime, tz: str) -> str:
    return moment.astimezone(ZoneInfo(tz)).strftime("%Y-%m")


def nps_summary(
    principal: Principal,
    *,
    account_id: int | None = None,
    as_of: date | None = None,
    days: int = 90,
    months: int = 12,
) -> NpsSummary:
    """NPS and CSAT over the ``days`` up to as_of, and the monthly NPS of the last ``months``."""
    require(principal.scopes, "success", "read")
    if account_id is not None:
        get_account(principal, account_id)
    tz = principal.workspace.timezone
    as_of = as_of or today_for(principal)
    end = datetime.combine(as_of + timedelta(days=1), time.min, tzinfo=ZoneInfo(tz))
    start = end - timedelta(days=days)
    first_month = date(as_of.year, as_of.month, 1)
    for _ in range(months - 1):
        first_month = (first_month - timedelta(days=1)).replace(day=1)
    trend_start = datetime.combine(first_month, time.min, tzinfo=ZoneInfo(tz))
    qs = NpsResponse.objects.for_workspace(principal.workspace_id).filter(
        answered_at__lt=end, answered_at__gte=min(start, trend_start)
    )
    if account_id is not None:
        qs = qs.filter(account_id=account_id)
    rows = list(qs.values_list("kind", "score", "answered_at"))
    window = [(k, s) for k, s, at in rows if at >= start]
    p, pa, d, nps = nps_score(s for k, s in window if k == "nps")
    csat_values = [s for k, s in window if k == "csat"]
    csat, csat_mean = csat_score(csat_values)
    monthly: dict[str, list[int]] = defaultdict(list)
    for k, s, at in rows:
        if k == "nps" and at >= trend_start:
            monthly[_month_key(at, tz)].append(s)
    trend = []
    month = first_month
    for _ in range(months):
        key = f"{month:%Y-%m}"
        trend.append(ScorePeriod(key, len(monthly[key]), nps_score(monthly[key])[3]))
        month = (month + timedelta(days=32)).replace(day=1)
    return NpsSummary(
        responses=p + pa + d, promoters=p, passives=pa, detractors=d, nps=nps,
        csat_responses=len(csat_values), csat=csat, csat_average=csat_mean, trend=trend,
    )  # fmt: skip


def nps_by_account(
    principal: Principal, account_ids: Sequence[int], as_of: date, days: int = 90
) -> dict[int, float | None]:
    """NPS per account over the ``days`` up to as_of (the health measure "NPS/CSAT")."""
    end = datetime.combine(as_of + timedelta(days=1), time.min, tzinfo=UTC)
    rows = NpsResponse.objects.for_workspace(principal.workspace_id).filter(
        account_id__in=list(account_ids), kind="nps", answered_at__lt=end,
        answered_at__gte=end - timedelta(days=days),
    ).values_list("account_id", "score")  # fmt: skip
    scores: dict[int, list[int]] = defaultdict(list)
    for a, s in rows:
        scores[a].append(s)
    return {a: nps_score(scores.get(a, []))[3] for a in account_ids}
