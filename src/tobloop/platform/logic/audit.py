"""The audit log: every write leaves who, what, when, before and after."""

from __future__ import annotations

from typing import Any

from tobloop.platform.contracts import Principal
from tobloop.platform.models import AuditEvent


def record_audit(
    principal: Principal,
    *,
    action: str,
    object_type: str,
    object_id: str | int = "",
    object_repr: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Store one audit event inside the caller's transaction."""
    AuditEvent.objects.create(
        workspace_id=principal.workspace_id,
        actor=principal.label,
        actor_user_id=principal.user_id,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        object_repr=object_repr[:200],
        before=before,
        after=after,
    )


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Only the keys whose value differs, as ``{"field": [old, new]}``."""
    keys = sorted(set(before) | set(after))
    return {k: [before.get(k), after.get(k)] for k in keys if before.get(k) != after.get(k)}
