"""The CSM override: a manual colour (and optional score) with a reason and an expiry.

An override is in force on day D when it was set on or before D (workspace calendar day), D is
on or before ``until``, and it was not cleared on or before D. Setting a new override clears
the account's earlier one. Verdicts keep the computed colour and score beside the override, so
the history shows both; the back-test judges the computed values only.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from tobloop.accounts.facade import get_account
from tobloop.kernel.errors import ErrorDetail, InvalidInput, NotFound
from tobloop.platform.facade import Principal, record_audit, require
from tobloop.success.contracts import HealthOverrideView
from tobloop.success.models import HealthOverride

MAX_DAYS = 366


class OverrideIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    color: str = Field(pattern="^(red|yellow|green)$", description="red, yellow or green")
    score: float | None = Field(None, ge=0, le=100, allow_inf_nan=False)
    reason: str = Field(min_length=1, max_length=500)
    until: date = Field(description="the last day the override applies")

    @field_validator("reason")
    @classmethod
    def _text(cls, value: str) -> str:
        value = value.strip()
        if not value or "\x00" in value:
            raise ValueError("say why the colour is overridden")
        return value


def _local(principal_tz: str, moment: Any) -> date:
    return moment.astimezone(ZoneInfo(principal_tz)).date()  # type: ignore[no-any-return]


def override_view(o: HealthOverride, today: date, tz: str) -> HealthOverrideView:
    cleared = o.cleared_at is not None and _local(tz, o.cleared_at) <= today
    return HealthOverrideView(
        id=o.pk, account_id=o.account_id, color=o.color, score=o.score, reason=o.reason,
        until=o.until, created_by=o.created_by, created_at=o.created_at,
        cleared_at=o.cleared_at, active=not cleared and o.until >= today,
    )  # fmt: skip


def _validated(data: OverrideIn | dict[str, Any], today: date) -> OverrideIn:
    try:
        valid = data if isinstance(data, OverrideIn) else OverrideIn.model_validate(data)
    except ValidationError as exc:
        details = [ErrorDetail(tuple(e["loc"]), e["msg"]) for e in exc.errors()]
        raise InvalidInput("the override is not valid", details=details) from None
    if not today <= valid.until <= today + timedelta(days=MAX_DAYS):
        raise InvalidInput(
            f"the override must end between today ({today}) and one year from now",
            code="invalid_until",
            details=[ErrorDetail(("until",), "today or later, at most a year ahead")],
        )
    return valid


def _clear_active(principal: Principal, account_id: int) -> list[HealthOverride]:
    now = timezone.now()
    active = list(
        HealthOverride.objects.for_workspace(principal.workspace_id).filter(
            account_id=account_id, cleared_at__isnull=True
        )
    )
    for o in active:
        o.cleared_at, o.cleared_by = now, principal.label
        o.save(update_fields=["cleared_at", "cleared_by"])
    return active


@transaction.atomic
def set_health_override(
    principal: Principal, account_id: int, data: OverrideIn | dict[str, Any]
) -> HealthOverrideView:
    """Override an account's health colour from today until ``until`` (audited, re-scored)."""
    from tobloop.success.logic.health import score_account, today_for

    require(principal.scopes, "success", "write")
    get_account(principal, account_id)
    today = today_for(principal)
    valid = _validated(data, today)
    replaced = _clear_active(principal, account_id)
    o = HealthOverride.objects.create(
        workspace_id=principal.workspace_id, account_id=account_id, color=valid.color,
        score=valid.score, reason=valid.reason, until=valid.until, created_by=principal.label,
    )  # fmt: skip
    record_audit(
        principal, action="override", object_type="health", object_id=account_id,
        object_repr=f"health of account {account_id} set to {valid.color}",
        before={"replaced": [r.pk for r in replaced]},
        after={"color": valid.color, "score": valid.score, "reason": valid.reason,
               "until": valid.until.isoformat()},
    )  # fmt: skip
    score_account(principal, account_id, today)
    return override_view(o, today, principal.workspace.timezone)


@transaction.atomic
def clear_health_override(principal: Principal, account_id: int) -> None:
    """End the account's override now; the computed colour applies again (audited)."""
    from tobloop.success.logic.health import score_account, today_for

    require(principal.scopes, "success", "write")
    get_account(principal, account_id)
    cleared = _clear_active(principal, account_id)
    if not cleared:
        raise NotFound(f"account {account_id} has no override", code="override_not_found")
    record_audit(
        principal, action="clear_override", object_type="health", object_id=account_id,
        object_repr=f"health override of account {account_id} cleared",
        before={"color": cleared[0].color, "reason": cleared[0].reason},
    )  # fmt: skip
    score_account(principal, account_id, today_for(principal))


def list_health_overrides(principal: Principal, account_id: int) -> list[HealthOverrideView]:
    from tobloop.success.logic.health import today_for

    require(principal.scopes, "success", "read")
    get_account(principal, account_id)
    today, tz = today_for(principal), principal.workspace.timezone
    return [
        override_view(o, today, tz)
        for o in HealthOverride.objects.for_workspace(principal.workspace_id).filter(
            account_id=account_id
        )
    ]


def overrides_in_force(workspace_id: int, ids: list[int], day: date) -> dict[int, dict[str, Any]]:
    """Per account, the override in force on the day, as stored in its verdict."""
    from tobloop.platform.facade import get_workspace_by_id

    tz = get_workspace_by_id(workspace_id).timezone
    out: dict[int, dict[str, Any]] = {}
    wanted = set(ids)
    rows = HealthOverride.objects.for_workspace(workspace_id).filter(until__gte=day)
    for o in rows.order_by("created_at", "id"):
        if o.account_id not in wanted or _local(tz, o.created_at) > day:
            continue
        if o.cleared_at is not None and _local(tz, o.cleared_at) <= day:
            continue
        out[o.account_id] = {
            "id": o.pk, "color": o.color, "score": o.score, "reason": o.reason,
            "until": o.until.isoformat(), "by": o.created_by,
        }  # fmt: skip
    return out
