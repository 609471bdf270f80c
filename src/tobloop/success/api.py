"""REST endpoints for customer success: health verdicts, scoring and health profiles."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from tobloop.platform.contracts import Principal
from tobloop.success import facade

router = Router(tags=["success"])


class FlagOut(Schema):
    rule: str
    color: str
    label: str


class VerdictOut(Schema):
    account_id: int
    day: date
    color: str
    flags: list[FlagOut]
    reason: str
    profile_id: int
    profile_name: str
    computed_at: datetime


class AccountHealthOut(Schema):
    account_id: int
    current: VerdictOut | None
    history: list[VerdictOut]


class HealthQuery(Schema):
    account: int = Field(..., ge=1, le=2**63 - 1, description="account id")
    days: int = Field(90, ge=1, le=3660, description="how many days of history")


class ScoreIn(Schema):
    account: int | None = Field(
        None, ge=1, le=2**63 - 1, description="one account id; omit to score the workspace"
    )


class ScoreOut(Schema):
    day: date
    scored: int
    red: int
    yellow: int
    green: int
    unscored: int
    verdicts: list[VerdictOut]


class RuleOut(Schema):
    id: str
    color: str
    measure: str
    op: str
    value: Any = None
    field: str | None = None
    label: str


class ProfileOut(Schema):
    id: int
    name: str
    kind: str
    segment: str
    lifecycle_stage: str
    rules: list[RuleOut]
    is_active: bool


class ProfileList(Schema):
    items: list[ProfileOut]
    count: int


def _principal(request: HttpRequest) -> Principal:
    principal = request.auth  # type: ignore[attr-defined]
    assert isinstance(principal, Principal)
    return principal


@router.get("/success/health", response=AccountHealthOut, summary="An account's health")
def account_health(request: HttpRequest, query: Query[HealthQuery]) -> Any:
    """The latest verdict (red / yellow / green and the flags behind it) and daily history."""
    return asdict(facade.account_health(_principal(request), query.account, days=query.days))


@router.post("/success/health/score", response=ScoreOut, summary="Score health now")
def score_health(request: HttpRequest, payload: ScoreIn) -> Any:
    """Score one account, or every account of the workspace, and store today's verdicts."""
    principal = _principal(request)
    if payload.account is not None:
        return asdict(facade.score_account(principal, payload.account))
    return asdict(facade.score_workspace(principal))


@router.get("/success/health/profiles", response=ProfileList, summary="List health profiles")
def list_profiles(request: HttpRequest) -> dict[str, Any]:
    items = facade.list_health_profiles(_principal(request))
    return {"items": [asdict(p) for p in items], "count": len(items)}


@router.post(
    "/success/health/profiles", response={201: ProfileOut}, summary="Create a health profile"
)
def create_profile(request: HttpRequest, payload: facade.HealthProfileIn) -> Status[Any]:
    return Status(201, asdict(facade.create_health_profile(_principal(request), payload)))


@router.put(
    "/success/health/profiles/{int:profile_id}",
    response=ProfileOut,
    summary="Replace a health profile",
)
def replace_profile(request: HttpRequest, profile_id: int, payload: facade.HealthProfileIn) -> Any:
    return asdict(facade.replace_health_profile(_principal(request), profile_id, payload))


@router.delete(
    "/success/health/profiles/{int:profile_id}",
    response={204: None},
    summary="Delete a health profile",
)
def delete_profile(request: HttpRequest, profile_id: int) -> Status[Any]:
    facade.delete_health_profile(_principal(request), profile_id)
    return Status(204, None)
