"""REST endpoints for customer success: health verdicts, scoring and health profiles."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import Field as PydanticField

from tobloop.platform.facade import request_principal
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
    kind: str
    score: float | None
    computed_color: str
    computed_score: float | None
    measures: list[dict[str, Any]]
    override: dict[str, Any] | None
    changes: list[dict[str, Any]]


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
    as_of: date | None = Field(None, description="the day to score (default today)")


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
    window_days: int | None = None


class ProfileOut(Schema):
    id: int
    name: str
    kind: str
    segment: str
    lifecycle_stage: str
    rules: list[RuleOut]
    measures: list[dict[str, Any]]
    bands: dict[str, float]
    is_active: bool


class OverrideOut(Schema):
    id: int
    account_id: int
    color: str
    score: float | None
    reason: str
    until: date
    created_by: str
    created_at: datetime
    cleared_at: datetime | None
    active: bool


class OverrideList(Schema):
    items: list[OverrideOut]
    count: int


class OverrideQuery(Schema):
    account: int = Field(..., ge=1, le=2**63 - 1, description="account id")


class MeasureOut(Schema):
    key: str
    label: str
    source: str
    unit: str
    direction: str
    default_window: int
    description: str
    needs_events: bool


class MeasureList(Schema):
    items: list[MeasureOut]
    count: int


class BacktestQuery(Schema):
    profile: str | None = Field(None, max_length=120, description="profile name or id")
    from_: date | None = Field(None, alias="from", description="first snapshot day")
    to: date | None = Field(None, description="last snapshot day")
    step: Literal["month", "week"] = "month"


class SnapshotOut(Schema):
    day: date
    accounts: int
    churned: int
    red: int
    churned_red: int


class BacktestOut(Schema):
    profile: str
    kind: str
    start: date
    end: date
    step: str
    horizon_days: int
    observations: int
    churned: int
    red: int
    churned_red: int
    roc_auc: float | None
    precision_red: float | None
    churned_red_share: float | None
    churn_rate: float | None
    snapshots: list[SnapshotOut]
    explanation: dict[str, str]


class BacktestList(Schema):
    items: list[BacktestOut]
    count: int


class ProfileList(Schema):
    items: list[ProfileOut]
    count: int


@router.get("/success/health", response=AccountHealthOut, summary="An account's health")
def account_health(request: HttpRequest, query: Query[HealthQuery]) -> Any:
    """The latest verdict (red / yellow / green and the flags behind it) and daily history."""
    return asdict(facade.account_health(request_principal(request), query.account, days=query.days))


@router.post("/success/health/score", response=ScoreOut, summary="Score health now")
def score_health(request: HttpRequest, payload: ScoreIn) -> Any:
    """Score one account, or every account of the workspace, and store today's verdicts."""
    principal = request_principal(request)
    if payload.account is not None:
        return asdict(facade.score_account(principal, payload.account, payload.as_of))
    return asdict(facade.score_workspace(principal, payload.as_of))


@router.get("/success/health/measures", response=MeasureList, summary="List health measures")
def list_measures(request: HttpRequest) -> dict[str, Any]:
    """Every measure a weighted profile (or a health-code flag) can use, with its source."""
    facade.list_health_profiles(request_principal(request))  # the success:read check
    items = [
        {k: getattr(m, k) for k in MeasureOut.model_fields}
        for m in sorted(facade.HEALTH_MEASURES.values(), key=lambda m: m.key)
    ]
    return {"items": items, "count": len(items)}


@router.get("/success/health/overrides", response=OverrideList, summary="An account's overrides")
def list_overrides(request: HttpRequest, query: Query[OverrideQuery]) -> dict[str, Any]:
    items = facade.list_health_overrides(request_principal(request), query.account)
    return {"items": [asdict(o) for o in items], "count": len(items)}


class OverrideBody(facade.OverrideIn):
    account: int = PydanticField(..., ge=1, le=2**63 - 1, description="account id")


@router.post(
    "/success/health/overrides", response={201: OverrideOut}, summary="Override an account's health"
)
def set_override(request: HttpRequest, payload: OverrideBody) -> Status[Any]:
    """Set the colour (and optionally the score) by hand, with a reason, until a day."""
    data = facade.OverrideIn(**payload.model_dump(exclude={"account"}))
    return Status(
        201, asdict(facade.set_health_override(request_principal(request), payload.account, data))
    )


@router.delete(
    "/success/health/overrides/{int:account_id}",
    response={204: None},
    summary="Clear an account's override",
)
def clear_override(request: HttpRequest, account_id: int) -> Status[Any]:
    facade.clear_health_override(request_principal(request), account_id)
    return Status(204, None)


@router.get("/success/health/backtest", response=BacktestList, summary="Back-test health profiles")
def backtest(request: HttpRequest, query: Query[BacktestQuery]) -> dict[str, Any]:
    """Replay monthly (or weekly) snapshots and compare with churn in the following 90 days."""
    reports = facade.backtest_health(
        request_principal(request), profile=query.profile, start=query.from_, end=query.to,
        step=query.step,
    )  # fmt: skip
    return {"items": [asdict(r) for r in reports], "count": len(reports)}


@router.get("/success/health/profiles", response=ProfileList, summary="List health profiles")
def list_profiles(request: HttpRequest) -> dict[str, Any]:
    items = facade.list_health_profiles(request_principal(request))
    return {"items": [asdict(p) for p in items], "count": len(items)}


@router.post(
    "/success/health/profiles", response={201: ProfileOut}, summary="Create a health profile"
)
def create_profile(request: HttpRequest, payload: facade.HealthProfileIn) -> Status[Any]:
    return Status(201, asdict(facade.create_health_profile(request_principal(request), payload)))


@router.put(
    "/success/health/profiles/{int:profile_id}",
    response=ProfileOut,
    summary="Replace a health profile",
)
def replace_profile(request: HttpRequest, profile_id: int, payload: facade.HealthProfileIn) -> Any:
    return asdict(facade.replace_health_profile(request_principal(request), profile_id, payload))


@router.delete(
    "/success/health/profiles/{int:profile_id}",
    response={204: None},
    summary="Delete a health profile",
)
def delete_profile(request: HttpRequest, profile_id: int) -> Status[Any]:
    facade.delete_health_profile(request_principal(request), profile_id)
    return Status(204, None)


class ChurnModelQuery(Schema):
    from_: date | None = Field(None, alias="from", description="first snapshot day")
    to: date | None = Field(None, description="last snapshot day")
    step: Literal["month", "week"] = "month"


class ChurnModelOut(Schema):
    n: int
    positives: int
    roc_auc: float | None
    pr_auc: float | None
    brier: float | None
    calibration: list[dict[str, Any]]
    validation: dict[str, Any]
    explanation: dict[str, str]
    drivers: list[dict[str, Any]]  # as `tobloop health churn-model --json`


@router.get(
    "/success/health/churn-model", response=ChurnModelOut, summary="The workspace's churn model"
)
def churn_model(request: HttpRequest, query: Query[ChurnModelQuery]) -> Any:
    """Fit a churn model on the replayed health measures and validate it out of time (P-DATA-6)."""
    evaluation = facade.evaluate_workspace_churn_model(
        request_principal(request), start=query.from_, end=query.to, step=query.step
    )
    return asdict(evaluation)


class RiskQuery(Schema):
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=1_000_000)


class DriverOut(Schema):
    column: str
    label: str
    value: str
    effect: float
    text: str


class AccountRiskOut(Schema):
    account_id: int
    account_name: str
    probability: float
    drivers: list[DriverOut]
    run_id: int
    scored_on: date | None


class RiskList(Schema):
    items: list[AccountRiskOut]
    count: int
    run_id: int | None
    trained_at: datetime | None


class ChurnRunOut(Schema):
    id: int
    trained_at: datetime
    trained_by: str
    status: str
    reason: str
    n: int
    positives: int
    roc_auc: float | None
    pr_auc: float | None
    brier: float | None
    calibration: list[dict[str, Any]]
    validation: dict[str, Any]
    explanation: dict[str, str]
    calibration_method: str
    features: list[str]
    pooled: bool
    pooled_rows: int
    pooled_workspaces: int
    scored_on: date | None
    scored_accounts: int


class ChurnStatusOut(Schema):
    model: ChurnRunOut | None
    pooling: bool


class PoolingIn(Schema):
    enabled: bool


class PoolingOut(Schema):
    enabled: bool
    changed_by: str
    changed_at: datetime | None


@router.get("/success/churn-risk", response=RiskList, summary="Accounts by churn risk")
def churn_risk(request: HttpRequest, query: Query[RiskQuery]) -> Any:
    """Calibrated churn probability and top drivers per account, riskiest first (latest model)."""
    page = facade.churn_risk_list(
        request_principal(request), limit=query.limit, offset=query.offset
    )
    return asdict(page)


@router.get("/success/churn-risk/model", response=ChurnStatusOut, summary="The churn risk model")
def churn_risk_model(request: HttpRequest) -> Any:
    """The latest training: out-of-time ROC AUC, PR AUC, calibration table (null if untrained)."""
    principal = request_principal(request)
    run = facade.churn_model_status(principal)
    return {
        "model": None if run is None else asdict(run),
        "pooling": facade.get_pooling(principal).enabled,
    }


@router.post("/success/churn-risk/train", response=ChurnRunOut, summary="Retrain the churn model")
def churn_risk_train(request: HttpRequest) -> Any:
    """Train on every labelled snapshot, validate out of time, calibrate, score the accounts."""
    return asdict(facade.train_churn_model(request_principal(request)))


@router.get("/success/churn-risk/pooling", response=PoolingOut, summary="Churn data pooling")
def churn_pooling(request: HttpRequest) -> Any:
    return asdict(facade.get_pooling(request_principal(request)))


@router.put("/success/churn-risk/pooling", response=PoolingOut, summary="Opt in or out of pooling")
def set_churn_pooling(request: HttpRequest, payload: PoolingIn) -> Any:
    """Share anonymised churn data for pooled training (owners and admins; audited)."""
    return asdict(facade.set_pooling(request_principal(request), payload.enabled))
