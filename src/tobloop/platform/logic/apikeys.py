"""API keys and event write keys: shown once, stored as SHA-256, revocable, expiring."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from tobloop.kernel.errors import NotAuthenticated, NotFound
from tobloop.platform.contracts import CreatedKey, Principal
from tobloop.platform.logic.audit import record_audit
from tobloop.platform.logic.workspaces import workspace_info
from tobloop.platform.models import ApiKey, ApiKeyKind, Workspace
from tobloop.platform.permissions import WRITE_KEY_SCOPES, parse_scopes

_PREFIX = {ApiKeyKind.API: "tbk", ApiKeyKind.WRITE: "tbw"}


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def create_api_key(
    *,
    workspace_id: int,
    scopes: str | Iterable[str] = ("read",),
    name: str = "",
    write_key: bool = False,
    expires_in_days: int | None = None,
    created_by: Principal | None = None,
) -> CreatedKey:
    """Make a key. A write key can only send events; its scopes are fixed."""
    kind = ApiKeyKind.WRITE if write_key else ApiKeyKind.API
    scope_list = tuple(sorted(WRITE_KEY_SCOPES)) if write_key else parse_scopes(scopes)
    public = secrets.token_hex(4)
    key = f"{_PREFIX[kind]}_{public}_{secrets.token_urlsafe(24)}"
    prefix = f"{_PREFIX[kind]}_{public}"
    expires_at = (
        timezone.now() + timedelta(days=expires_in_days) if expires_in_days is not None else None
    )
    row = ApiKey.objects.create(
        workspace_id=workspace_id,
        name=name,
        kind=kind,
        prefix=prefix,
        key_hash=hash_key(key),
        scopes=list(scope_list),
        created_by_id=created_by.user_id if created_by else None,
        expires_at=expires_at,
    )
    if created_by is not None:
        record_audit(
            created_by,
            action="create",
            object_type="api_key",
            object_id=row.pk,
            object_repr=prefix,
            after={"prefix": prefix, "kind": kind, "scopes": list(scope_list), "name": name},
        )
    return CreatedKey(
        id=row.pk, key=key, prefix=prefix, kind=kind, scopes=scope_list, expires_at=expires_at
    )


def _usable(row: ApiKey, now: datetime) -> bool:
    return row.revoked_at is None and (row.expires_at is None or row.expires_at > now)


def principal_for_key(key: str, *, kind: str = ApiKeyKind.API) -> Principal:
    """Authenticate a presented key; records its last use (at most once a minute)."""
    try:
        row = ApiKey.objects.unscoped().select_related("workspace").get(key_hash=hash_key(key))
    except ApiKey.DoesNotExist:
        raise NotAuthenticated("unknown API key", code="invalid_api_key") from None
    now = timezone.now()
    if row.kind != kind:
        raise NotAuthenticated("this key cannot be used here", code="wrong_key_kind")
    if not _usable(row, now):
        raise NotAuthenticated("this API key is revoked or expired", code="invalid_api_key")
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        ApiKey.objects.unscoped().filter(pk=row.pk).update(last_used_at=now)
    return Principal(
        workspace=workspace_info(row.workspace),
        label=f"key:{row.prefix}",
        scopes=frozenset(row.scopes),
        api_key_id=row.pk,
    )


@transaction.atomic
def revoke_api_key(principal: Principal, key_id: int) -> None:
    from tobloop.platform.permissions import require

    require(principal.scopes, "platform", "admin")
    try:
        row = ApiKey.objects.for_workspace(principal.workspace_id).get(pk=key_id)
    except ApiKey.DoesNotExist:
        raise NotFound("no such API key") from None
    if row.revoked_at is None:
        row.revoked_at = timezone.now()
        row.save(update_fields=["revoked_at"])
        record_audit(
            principal,
            action="revoke",
            object_type="api_key",
            object_id=row.pk,
            object_repr=row.prefix,
        )


def list_api_keys(principal: Principal) -> list[ApiKey]:
    from tobloop.platform.permissions import require

    require(principal.scopes, "platform", "admin")
    return list(ApiKey.objects.for_workspace(principal.workspace_id).order_by("-created_at"))


def workspace_id_for_slug(slug: str) -> int:
    try:
        return int(Workspace.objects.values_list("pk", flat=True).get(slug=slug))
    except Workspace.DoesNotExist:
        raise NotFound(f"no workspace with slug {slug!r}", code="workspace_not_found") from None
