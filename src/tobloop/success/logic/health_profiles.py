"""Health profiles: create, list, change and remove them, and pick the one for an account."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from tobloop.kernel.errors import Conflict, ErrorDetail, InvalidInput, NotFound
from tobloop.platform.facade import Principal, record_audit, require
from tobloop.success.contracts import HealthProfileView, HealthRuleView
from tobloop.success.logic.health_rules import HealthRuleIn, check_storable
from tobloop.success.logic.health_score import ColorBandsIn, ScoreMeasureIn, check_weights
from tobloop.success.models import HealthProfile

SEGMENTS = ("", "small", "mid", "large", "unknown")
STAGES = ("", "prospect", "trial", "onboarding", "active", "at_risk", "churned")


class HealthProfileIn(BaseModel):
    """A health profile for one segment and/or lifecycle stage (blank = any).

    ``kind`` "code" uses ``rules`` (yes/no flags); "score" uses ``measures`` (weights total
    100) and ``bands`` (the colour cut-offs of the 0–100 score).
    """

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120)
    kind: str = Field("code", pattern="^(code|score)$")
    segment: str = ""
    lifecycle_stage: str = ""
    rules: list[HealthRuleIn] = Field(default_factory=list, max_length=100)
    measures: list[ScoreMeasureIn] = Field(default_factory=list, max_length=30)
    bands: ColorBandsIn = Field(default_factory=ColorBandsIn)
    is_active: bool = True

    @field_validator("measures")
    @classmethod
    def _weights(cls, measures: list[ScoreMeasureIn], info: ValidationInfo) -> list[ScoreMeasureIn]:
        if info.data.get("kind") == "score":
            if not measures:
                raise ValueError("a weighted profile needs at least one measure")
            check_weights(measures)
        elif measures:
            raise ValueError("measures belong to weighted profiles (kind 'score')")
        return measures

    @field_validator("name", "segment", "lifecycle_stage", mode="before")
    @classmethod
    def _no_nul(cls, value: object) -> object:
        check_storable(value)
        return value

    @field_validator("segment")
    @classmethod
    def _segment(cls, value: str) -> str:
        if value not in SEGMENTS:
            raise ValueError(f"segment is one of {', '.join(s for s in SEGMENTS if s)} or blank")
        return value

    @field_validator("lifecycle_stage")
    @classmethod
    def _stage(cls, value: str) -> str:
        if value not in STAGES:
            raise ValueError(f"lifecycle stage is one of {', '.join(s for s in STAGES if s)}")
        return value

    @field_validator("rules")
    @classmethod
    def _unique_ids(cls, rules: list[HealthRuleIn], info: ValidationInfo) -> list[HealthRuleIn]:
        if rules and info.data.get("kind") == "score":
            raise ValueError("rules belong to health-code profiles (kind 'code')")
        ids = [r.id for r in rules]
        if len(ids) != len(set(ids)):
            raise ValueError("rule ids must be unique within a profile")
        return rules


DEFAULT_PROFILE = {
    "name": "Health code",
    "rules": [
        {"id": "at_risk", "color": "red", "measure": "lifecycle_stage", "op": "eq",
         "value": "at_risk", "label": "Lifecycle stage is at risk"},
        {"id": "no_contacts", "color": "red", "measure": "no_contacts",
         "label": "No contacts known"},
        {"id": "no_decision_maker", "color": "yellow", "measure": "no_decision_maker",
         "label": "No known decision maker (P-PROFILE-2)"},
    ],
}  # fmt: skip


def parse_rules(raw: Iterable[Any]) -> list[HealthRuleIn]:
    return [HealthRuleIn.model_validate(r) for r in raw]


def parse_measures(raw: Iterable[Any]) -> list[ScoreMeasureIn]:
    return [ScoreMeasureIn.model_validate(m) for m in raw]


def parse_bands(raw: dict[str, Any] | None) -> ColorBandsIn:
    return ColorBandsIn.model_validate(raw or {})


def profile_view(profile: HealthProfile) -> HealthProfileView:
    rules = [
        HealthRuleView(
            id=r.id,
            color=r.color,
            measure=r.measure,
            op=r.op,
            value=r.value,
            field=r.field,
            label=r.label,
            window_days=r.window_days,
        )
        for r in parse_rules(profile.rules)
    ]
    return HealthProfileView(
        id=profile.pk,
        name=profile.name,
        kind=profile.kind,
        segment=profile.segment,
        lifecycle_stage=profile.lifecycle_stage,
        rules=rules,
        measures=[m.model_dump(mode="json") for m in parse_measures(profile.measures)],
        bands=parse_bands(profile.bands).model_dump(mode="json"),
        is_active=profile.is_active,
    )


def _save(profile: HealthProfile) -> None:
    try:
        with transaction.atomic():
            profile.save()
    except IntegrityError:
        raise Conflict(
            f"a health profile named {profile.name!r} already exists",
            code="duplicate_profile_name",
            details=[ErrorDetail(("name",), "already used")],
        ) from None


def _snapshot(profile: HealthProfile) -> dict[str, Any]:
    return {
        "name": profile.name,
        "kind": profile.kind,
        "segment": profile.segment,
        "lifecycle_stage": profile.lifecycle_stage,
        "rules": profile.rules,
        "measures": profile.measures,
        "bands": profile.bands,
        "is_active": profile.is_active,
    }


def _validated(data: HealthProfileIn | dict[str, Any]) -> HealthProfileIn:
    if isinstance(data, HealthProfileIn):
        return data
    try:
        return HealthProfileIn.model_validate(data)
    except ValidationError as exc:
        details = [ErrorDetail(tuple(e["loc"]), e["msg"]) for e in exc.errors()]
        raise InvalidInput("the health profile is not valid", details=details) from None


@transaction.atomic
def create_health_profile(
    principal: Principal, data: HealthProfileIn | dict[str, Any]
) -> HealthProfileView:
    require(principal.scopes, "success", "write")
    valid = _validated(data)
    profile = HealthProfile(workspace_id=principal.workspace_id, **_fields(valid))
    _save(profile)
    record_audit(
        principal,
        action="create",
        object_type="health_profile",
        object_id=profile.pk,
        object_repr=profile.name,
        after=_snapshot(profile),
    )
    return profile_view(profile)


def _fields(valid: HealthProfileIn) -> dict[str, Any]:
    return {
        "name": valid.name,
        "kind": valid.kind,
        "segment": valid.segment,
        "lifecycle_stage": valid.lifecycle_stage,
        "rules": [r.model_dump(mode="json") for r in valid.rules],
        "measures": [m.model_dump(mode="json") for m in valid.measures],
        "bands": valid.bands.model_dump(mode="json") if valid.kind == "score" else {},
        "is_active": valid.is_active,
    }


def _get(principal: Principal, profile_id: int) -> HealthProfile:
    try:
        return HealthProfile.objects.for_workspace(principal.workspace_id).get(pk=profile_id)
    except HealthProfile.DoesNotExist:
        raise NotFound(
            f"no health profile with id {profile_id}", code="health_profile_not_found"
        ) from None


@transaction.atomic
def replace_health_profile(
    principal: Principal, profile_id: int, data: HealthProfileIn | dict[str, Any]
) -> HealthProfileView:
    require(principal.scopes, "success", "write")
    valid = _validated(data)
    profile = _get(principal, profile_id)
    before = _snapshot(profile)
    for name, value in _fields(valid).items():
        setattr(profile, name, value)
    _save(profile)
    record_audit(
        principal,
        action="update",
        object_type="health_profile",
        object_id=profile.pk,
        object_repr=profile.name,
        before=before,
        after=_snapshot(profile),
    )
    return profile_view(profile)


@transaction.atomic
def delete_health_profile(principal: Principal, profile_id: int) -> None:
    """Remove a profile; verdicts it produced stay in the history under its name."""
    require(principal.scopes, "success", "write")
    profile = _get(principal, profile_id)
    record_audit(
        principal,
        action="delete",
        object_type="health_profile",
        object_id=profile.pk,
        object_repr=profile.name,
        before=_snapshot(profile),
    )
    profile.delete()


def list_health_profiles(principal: Principal) -> list[HealthProfileView]:
    require(principal.scopes, "success", "read")
    return [profile_view(p) for p in HealthProfile.objects.for_workspace(principal.workspace_id)]


def install_default_health_profile(principal: Principal) -> HealthProfileView:
    """A catch-all health code a new workspace can start from (P-REQ-4)."""
    return create_health_profile(principal, DEFAULT_PROFILE)


def profile_for(profiles: list[HealthProfile], segment: str, stage: str) -> HealthProfile | None:
    """The most specific active profile: stage and segment > stage > segment > catch-all.

    Among equally specific profiles the oldest (lowest id) wins, so a verdict never depends on
    the order rows come back from the database. A churned account is judged only by a profile
    made for the ``churned`` stage: a lost customer's health is not news.
    """
    best: tuple[int, int] | None = None
    chosen = None
    for p in profiles:
        if stage == "churned" and p.lifecycle_stage != "churned":
            continue
        if (
            not p.is_active
            or p.segment not in ("", segment)
            or p.lifecycle_stage not in ("", stage)
        ):
            continue
        rank = (2 * bool(p.lifecycle_stage) + bool(p.segment), -p.pk)
        if best is None or rank > best:
            best, chosen = rank, p
    return chosen
