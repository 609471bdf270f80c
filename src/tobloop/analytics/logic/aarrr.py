"""The AARRR board (P-DATA-2, P-DATA-4) and the viral coefficient (P-DATA-5).

The unit is the customer account (P-DATA-3). For a period ``start``…``end`` (whole days in the
workspace time zone, ``end`` included) the stages form a nested funnel of the accounts
acquired in the period — docs/analytics.md "AARRR board" states the same rules:

1. **Acquisition**: accounts that did the acquisition event in the period and never before it
   (new accounts: a colleague signing up in an old account does not acquire it again).
2. **Activation**: of those, accounts that did the activation event in the period, not before
   their first acquisition event.
3. **Retention**: of those, accounts that did the retention event in the period at least 24
   hours after their first activation event (they came back).
4. **Revenue**: of those, accounts the revenue module counts as paying at some day of the
   period (MRR > 0). Without the revenue module, the stage is left out (``count`` null) and
   referral follows retention.
5. **Referral**: of those, accounts that did the referral event (by default the invite-sent
   event) in the period.

Conversion of a stage = its count ÷ the previous stage's count (``None`` when that is 0);
acquisition has none. A target is a count for acquisition and a conversion (0…1) for the
other stages; **attainment** = count ÷ target (acquisition) or conversion ÷ target. The
**weakest link** is the stage with the lowest attainment among the stages that have a target
and a defined value; with no target anywhere, the stage (2–5) with the lowest conversion; ties
go to the earlier stage.

**Viral coefficient** K = (invites sent ÷ active users) × (invites accepted ÷ invites sent),
all inside the period: invite events counted as events, active users as distinct users with any
``track``/``page``/``screen`` call; ``None`` when a denominator is 0. **Accounts brought in by
invitations**: accounts whose first event ever falls in the period and whose first user (the
user of that first event) did the invite-accepted event before the period ended.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from tobloop.analytics.hooks import RevenueFacts, revenue_source
from tobloop.analytics.insights.periods import local_midnight_ms
from tobloop.analytics.logic.aarrr_data import AccountSpan, FirstSeen, event_facts
from tobloop.analytics.models import AarrrSettings
from tobloop.kernel.errors import ErrorDetail, InvalidInput
from tobloop.platform.facade import Principal, record_audit, require

STAGES = ("acquisition", "activation", "retention", "revenue", "referral")
EVENT_STAGES = ("acquisition", "activation", "retention", "referral")
RETURN_GAP_MS = 24 * 3_600_000  # retention: back at least a day after activation
MAX_DAYS = 3660


class StageSetting(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event: str = Field(default="", max_length=200)
    target: float | None = Field(default=None, ge=0)
    owner: str = Field(default="", max_length=200)


class AarrrConfig(BaseModel):
    """The workspace's mapping: an event per stage (revenue comes from the revenue module),
    a target and an owner per stage, and the two invitation events of P-DATA-5."""

    model_config = ConfigDict(extra="forbid")

    acquisition: StageSetting = StageSetting()
    activation: StageSetting = StageSetting()
    retention: StageSetting = StageSetting()
    revenue: StageSetting = StageSetting()
    referral: StageSetting = StageSetting()
    invite_sent_event: str = Field(default="", max_length=200)
    invite_accepted_event: str = Field(default="", max_length=200)

    @field_validator("activation", "retention", "revenue", "referral")
    @classmethod
    def _conversion_target(cls, value: StageSetting, info: ValidationInfo) -> StageSetting:
        if value.target is not None and value.target > 1:
            raise ValueError(f"the {info.field_name} target is a conversion between 0 and 1")
        return value

    def stage(self, name: str) -> StageSetting:
        setting: StageSetting = getattr(self, name)
        return setting

    def event_of(self, name: str) -> str:
        if name == "referral":
            return self.referral.event or self.invite_sent_event
        return self.stage(name).event

    @property
    def configured(self) -> bool:
        return bool(self.acquisition.event)


@dataclass(frozen=True)
class StageResult:
    stage: str
    event: str
    count: int | None
    conversion: float | None
    target: float | None
    owner: str
    attainment: float | None
    below_target: bool
    weakest: bool = False


@dataclass(frozen=True)
class ViralResult:
    invites_sent: int
    invites_accepted: int
    active_users: int
    invites_per_active_user: float | None
    acceptance_rate: float | None
    viral_coefficient: float | None
    accounts_from_invitations: int
    invited_accounts: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class AarrrBoard:
    start: date
    end: date
    configured: bool
    revenue_available: bool
    stages: list[StageResult]
    weakest: str | None
    viral: ViralResult
    new_paying_accounts: int | None = None


def _ratio(numerator: int | float | None, denominator: int | float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def stage_accounts(
    spans: dict[str, dict[str, AccountSpan]], paying: frozenset[str] | None
) -> dict[str, set[str] | None]:
    """The nested account sets of the five stages (revenue None without revenue data)."""
    acq, act, ret, ref = (spans.get(s, {}) for s in EVENT_STAGES)
    acquired = set(acq)
    activated = {a for a in acquired if a in act and act[a].last_ms >= acq[a].first_ms}
    retained = {
        a for a in activated if a in ret and ret[a].last_ms >= act[a].first_ms + RETURN_GAP_MS
    }
    paid = None if paying is None else {a for a in retained if a in paying}
    referring = {a for a in (retained if paid is None else paid) if a in ref}
    return {
        "acquisition": acquired,
        "activation": activated,
        "retention": retained,
        "revenue": paid,
        "referral": referring,
    }


def stage_results(config: AarrrConfig, sets: dict[str, set[str] | None]) -> list[StageResult]:
    """Count, conversion, attainment and the weakest link of each stage."""
    out: list[StageResult] = []
    previous: int | None = None
    for name in STAGES:
        setting = config.stage(name)
        members = sets[name]
        count = None if members is None else len(members)
        conversion = None if name == "acquisition" else _ratio(count, previous)
        value = count if name == "acquisition" else conversion
        attainment = _ratio(value, setting.target) if setting.target else None
        if setting.target == 0 and value is not None:
            attainment = None  # a zero target is always met: nothing to compare
        out.append(
            StageResult(
                stage=name,
                event=config.event_of(name) if name != "revenue" else "",
                count=count,
                conversion=conversion,
                target=setting.target,
                owner=setting.owner,
                attainment=attainment,
                below_target=attainment is not None and attainment < 1,
            )
        )
        if count is not None:
            previous = count
    weakest = weakest_link(out)
    return [StageResult(**{**s.__dict__, "weakest": s.stage == weakest}) for s in out]


def weakest_link(stages: list[StageResult]) -> str | None:
    """Lowest attainment among stages with a target; else the lowest conversion (2–5)."""
    scored = [(s.attainment, i, s.stage) for i, s in enumerate(stages) if s.attainment is not None]
    if any(s.target for s in stages):
        return min(scored)[2] if scored else None
    convs = [(s.conversion, i, s.stage) for i, s in enumerate(stages) if s.conversion is not None]
    return min(convs)[2] if convs else None


def viral_result(
    *,
    invites_sent: int,
    invites_accepted: int,
    active_users: int,
    first_seen: list[FirstSeen],
    accepted_users: set[str],
) -> ViralResult:
    """K = (sent ÷ active users) × (accepted ÷ sent); accounts whose first user was invited."""
    per_user = _ratio(invites_sent, active_users)
    acceptance = _ratio(invites_accepted, invites_sent)
    k = None if per_user is None or acceptance is None else per_user * acceptance
    invited = sorted(f.account for f in first_seen if f.user in accepted_users)
    return ViralResult(
        invites_sent=invites_sent,
        invites_accepted=invites_accepted,
        active_users=active_users,
        invites_per_active_user=per_user,
        acceptance_rate=acceptance,
        viral_coefficient=k,
        accounts_from_invitations=len(invited),
        invited_accounts=invited,
    )


def check_period(start: date, end: date) -> None:
    if end < start:
        raise InvalidInput(
            "the period is not valid", [ErrorDetail(("to",), "'to' is before 'from'")]
        )
    if (end - start).days > MAX_DAYS:
        raise InvalidInput(
            "the period is not valid", [ErrorDetail(("to",), "the period is limited to ten years")]
        )


def aarrr_board(
    principal: Principal, start: date, end: date, *, revenue: RevenueFacts | None = None
) -> AarrrBoard:
    """The board of the period in the principal's workspace."""
    require(principal.scopes, "analytics", "read")
    check_period(start, end)
    config = get_aarrr_config(principal)
    tz = principal.workspace.timezone
    start_ms = local_midnight_ms(start, tz)
    end_ms = local_midnight_ms(end + timedelta(days=1), tz)
    source = revenue_source()
    if revenue is None and source is not None:
        revenue = source(principal, start, end)
    with event_facts(
        workspace_id=principal.workspace_id, start_ms=start_ms, end_ms=end_ms
    ) as facts:
        spans = {s: facts.account_spans(config.event_of(s)) for s in EVENT_STAGES}
        earlier = facts.accounts_before(config.event_of("acquisition"))
        spans["acquisition"] = {
            a: span for a, span in spans["acquisition"].items() if a not in earlier
        }
        sent = facts.volume(config.invite_sent_event)[0] if config.invite_sent_event else 0
        accepted_event = config.invite_accepted_event
        accepted = facts.volume(accepted_event)[0] if accepted_event else 0
        active_users = facts.volume(None)[1]
        first_seen = facts.accounts_first_seen() if accepted_event else []
        accepted_users = facts.users_of(accepted_event, before_ms=end_ms)
    sets = stage_accounts(spans, None if revenue is None else revenue.paying)
    stages = stage_results(config, sets)
    return AarrrBoard(
        start=start,
        end=end,
        configured=config.configured,
        revenue_available=revenue is not None,
        stages=stages,
        weakest=next((s.stage for s in stages if s.weakest), None),
        viral=viral_result(
            invites_sent=sent,
            invites_accepted=accepted,
            active_users=active_users,
            first_seen=first_seen,
            accepted_users=accepted_users,
        ),
        new_paying_accounts=None if revenue is None else revenue.new_paying,
    )


def get_aarrr_config(principal: Principal) -> AarrrConfig:
    require(principal.scopes, "analytics", "read")
    row = AarrrSettings.objects.for_workspace(principal.workspace_id).first()
    if row is None:
        return AarrrConfig()
    return AarrrConfig.model_validate(
        {
            **row.stages,
            "invite_sent_event": row.invite_sent_event,
            "invite_accepted_event": row.invite_accepted_event,
        }
    )


def parse_aarrr_config(raw: dict[str, Any]) -> AarrrConfig:
    """Validate a mapping; errors name the field (``("activation", "target")``)."""
    try:
        return AarrrConfig.model_validate(raw)
    except ValidationError as exc:
        details = [
            ErrorDetail(
                tuple(e.get("loc", ())), str(e.get("msg", "")).removeprefix("Value error, ")
            )
            for e in exc.errors()
        ]
        raise InvalidInput("the AARRR settings are not valid", details=details) from None


@transaction.atomic
def save_aarrr_config(principal: Principal, config: AarrrConfig) -> AarrrConfig:
    """Store the mapping, targets and owners (P-DATA-4), with an audit entry."""
    require(principal.scopes, "analytics", "write")
    before = get_aarrr_config(principal).model_dump()
    doc = config.model_dump()
    stages = {name: doc[name] for name in STAGES}
    AarrrSettings.objects.update_or_create(
        workspace_id=principal.workspace_id,
        defaults={
            "stages": stages,
            "invite_sent_event": config.invite_sent_event,
            "invite_accepted_event": config.invite_accepted_event,
        },
    )
    record_audit(
        principal,
        action="update",
        object_type="analytics.aarrr_settings",
        object_repr="AARRR",
        before=before,
        after=doc,
    )
    return config


def board_document(board: AarrrBoard) -> dict[str, Any]:
    """The JSON of the REST answer and of ``tobloop aarrr --json`` (ratios as plain numbers,
    undefined values null)."""
    return {
        "from": board.start.isoformat(),
        "to": board.end.isoformat(),
        "configured": board.configured,
        "revenue_available": board.revenue_available,
        "stages": [dict(s.__dict__) for s in board.stages],
        "weakest": board.weakest,
        "new_paying_accounts": board.new_paying_accounts,
        "viral": dict(board.viral.__dict__),
    }


def board_frame(board: AarrrBoard) -> Any:
    """The stages as a pandas DataFrame indexed by stage (for notebooks and scripts)."""
    import pandas as pd  # type: ignore[import-untyped,unused-ignore]

    rows = [dict(s.__dict__) for s in board.stages]
    return pd.DataFrame(rows).set_index("stage")
