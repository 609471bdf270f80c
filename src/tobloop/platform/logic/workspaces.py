"""Creating workspaces and changing their settings."""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import available_timezones

from django.db import IntegrityError, transaction
from django.utils.text import slugify
from pydantic import ValidationError

from tobloop.kernel.errors import Conflict, ErrorDetail, InvalidInput, NotFound
from tobloop.platform import hooks
from tobloop.platform.contracts import Principal, WorkspaceInfo
from tobloop.platform.logic.audit import changed_fields, record_audit
from tobloop.platform.models import Workspace
from tobloop.platform.permissions import require
from tobloop.platform.thresholds import PlaybookThresholds

_CURRENCY = re.compile(r"^[A-Z]{3}$")


def workspace_info(ws: Workspace) -> WorkspaceInfo:
    return WorkspaceInfo(
        id=ws.pk,
        slug=ws.slug,
        name=ws.name,
        currency=ws.currency,
        timezone=ws.timezone,
        thresholds=PlaybookThresholds.model_validate(ws.thresholds),
        is_demo=ws.is_demo,
    )


def get_workspace(slug: str) -> WorkspaceInfo:
    try:
        return workspace_info(Workspace.objects.get(slug=slug))
    except Workspace.DoesNotExist:
        raise NotFound(f"no workspace with slug {slug!r}", code="workspace_not_found") from None


def get_workspace_by_id(workspace_id: int) -> WorkspaceInfo:
    try:
        return workspace_info(Workspace.objects.get(pk=workspace_id))
    except Workspace.DoesNotExist:
        raise NotFound(f"no workspace with id {workspace_id}", code="workspace_not_found") from None


def list_workspaces() -> list[WorkspaceInfo]:
    return [workspace_info(ws) for ws in Workspace.objects.order_by("slug")]


def _validate_profile(currency: str, timezone: str) -> None:
    errors = []
    if not _CURRENCY.match(currency):
        errors.append(ErrorDetail(("currency",), "a three-letter ISO 4217 code such as CNY"))
    if timezone not in available_timezones():
        errors.append(ErrorDetail(("timezone",), "an IANA time zone such as Asia/Shanghai"))
    if errors:
        raise InvalidInput("invalid workspace settings", details=errors)


@transaction.atomic
def create_workspace(
    *,
    name: str,
    slug: str | None = None,
    currency: str = "CNY",
    timezone: str = "Asia/Shanghai",
    is_demo: bool = False,
) -> WorkspaceInfo:
    name = name.strip()
    if not name:
        raise InvalidInput("a workspace needs a name", details=[ErrorDetail(("name",), "empty")])
    slug = slugify(slug or name) or "workspace"
    currency = currency.upper()
    _validate_profile(currency, timezone)
    try:
        with transaction.atomic():
            ws = Workspace.objects.create(
                name=name, slug=slug, currency=currency, timezone=timezone, is_demo=is_demo
            )
    except IntegrityError:
        raise Conflict(f"a workspace with slug {slug!r} exists", code="slug_taken") from None
    return workspace_info(ws)


def update_thresholds(principal: Principal, changes: dict[str, Any]) -> WorkspaceInfo:
    """Validate and store new playbook thresholds, then let modules re-derive what they must."""
    require(principal.scopes, "platform", "admin")
    with transaction.atomic():
        ws = Workspace.objects.select_for_update().get(pk=principal.workspace_id)
        before = PlaybookThresholds.model_validate(ws.thresholds).to_json()
        try:
            new = PlaybookThresholds.model_validate({**before, **changes})
        except ValidationError as exc:
            raise InvalidInput(
                "invalid playbook thresholds",
                details=[
                    ErrorDetail(
                        tuple(str(p) for p in e["loc"]) or ("thresholds",),
                        str(e["msg"]).removeprefix("Value error, "),
                    )
                    for e in exc.errors()
                ],
            ) from None
        after = new.to_json()
        diff = changed_fields(before, after)
        if not diff:
            return workspace_info(ws)
        ws.thresholds = after
        ws.save(update_fields=["thresholds"])
        record_audit(
            principal,
            action="update",
            object_type="workspace.thresholds",
            object_id=ws.pk,
            object_repr=ws.slug,
            before={k: v[0] for k, v in diff.items()},
            after={k: v[1] for k, v in diff.items()},
        )
        info = workspace_info(ws)
        updated = Principal(
            workspace=info,
            label=principal.label,
            scopes=principal.scopes,
            user_id=principal.user_id,
            role=principal.role,
            api_key_id=principal.api_key_id,
        )
        hooks.thresholds_changed(updated, frozenset(diff))
    return info
