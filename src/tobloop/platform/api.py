"""REST endpoints for the workspace itself: settings, API keys, the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Body, Field, Query, Router, Schema, Status
from pydantic import field_validator

from tobloop.platform.auth import request_principal
from tobloop.platform.contracts import Principal
from tobloop.platform.logic import apikeys, members, workspaces
from tobloop.platform.models import AuditEvent
from tobloop.platform.permissions import require

router = Router(tags=["workspace"])
# Offsets beyond this are not a page anyone reads; bigger ones overflow SQL integer types.
MAX_OFFSET = 1_000_000_000


def _no_nul(value: str) -> str:
    """PostgreSQL cannot store or compare text with NUL characters; refuse them as input."""
    if "\x00" in value:
        raise ValueError("text cannot contain NUL characters")
    return value


class WorkspaceOut(Schema):
    slug: str
    name: str
    currency: str
    timezone: str
    thresholds: dict[str, Any]


class KeyIn(Schema):
    name: str = Field("", max_length=120)
    scopes: list[str] = ["read"]
    write_key: bool = False
    expires_in_days: int | None = Field(None, ge=1, le=3650)

    @field_validator("name")
    @classmethod
    def _printable(cls, value: str) -> str:
        return _no_nul(value)


class KeyCreatedOut(Schema):
    key: str
    prefix: str
    scopes: list[str]
    expires_at: datetime | None


class KeyOut(Schema):
    id: int
    name: str
    kind: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class KeyList(Schema):
    items: list[KeyOut]
    count: int


class AuditOut(Schema):
    id: int
    actor: str
    action: str
    object_type: str
    object_id: str
    object_repr: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    at: datetime


class AuditList(Schema):
    items: list[AuditOut]
    count: int


class AuditQuery(Schema):
    object_type: str | None = Field(None, max_length=60)
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)

    @field_validator("object_type")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        return None if value is None else _no_nul(value)


def _workspace_out(p: Principal) -> dict[str, Any]:
    ws = p.workspace
    return {
        "slug": ws.slug,
        "name": ws.name,
        "currency": ws.currency,
        "timezone": ws.timezone,
        "thresholds": ws.thresholds.to_json(),
    }


@router.get("/workspace", response=WorkspaceOut, summary="The workspace of the caller")
def get_workspace(request: HttpRequest) -> dict[str, Any]:
    principal = request_principal(request)
    require(principal.scopes, "platform", "read")
    return _workspace_out(principal)


@router.patch(
    "/workspace/thresholds",
    response=WorkspaceOut,
    summary="Change playbook thresholds (re-derives segments)",
)
def patch_thresholds(request: HttpRequest, payload: Body[dict[str, Any]]) -> dict[str, Any]:
    principal = request_principal(request)
    info = workspaces.update_thresholds(principal, payload)
    return _workspace_out(Principal(workspace=info, label=principal.label, scopes=principal.scopes))


@router.get("/api-keys", response=KeyList, summary="API keys (secrets are never shown)")
def list_keys(request: HttpRequest) -> dict[str, Any]:
    rows = apikeys.list_api_keys(request_principal(request))
    return {"items": rows, "count": len(rows)}


@router.post("/api-keys", response={201: KeyCreatedOut}, summary="Make a key (shown once)")
def create_key(request: HttpRequest, payload: KeyIn) -> Status[Any]:
    principal = request_principal(request)
    require(principal.scopes, "platform", "admin")
    created = apikeys.create_api_key(
        workspace_id=principal.workspace_id,
        scopes=payload.scopes,
        name=payload.name,
        write_key=payload.write_key,
        expires_in_days=payload.expires_in_days,
        created_by=principal,
    )
    return Status(
        201,
        {
            "key": created.key,
            "prefix": created.prefix,
            "scopes": list(created.scopes),
            "expires_at": created.expires_at,
        },
    )


@router.delete("/api-keys/{int:key_id}", response={204: None}, summary="Revoke a key")
def revoke_key(request: HttpRequest, key_id: int) -> Status[Any]:
    apikeys.revoke_api_key(request_principal(request), key_id)
    return Status(204, None)


@router.get("/audit", response=AuditList, summary="The audit log, newest first")
def list_audit(request: HttpRequest, q: Query[AuditQuery]) -> dict[str, Any]:
    principal = request_principal(request)
    require(principal.scopes, "platform", "admin")
    qs = AuditEvent.objects.for_workspace(principal.workspace_id)
    if q.object_type:
        qs = qs.filter(object_type=q.object_type)
    return {"items": list(qs[q.offset : q.offset + q.limit]), "count": qs.count()}


class MemberOut(Schema):
    username: str
    role: str


class MemberList(Schema):
    items: list[MemberOut]
    count: int


class RoleIn(Schema):
    role: str


@router.get("/members", response=MemberList, summary="Members and their roles")
def list_members(request: HttpRequest) -> dict[str, Any]:
    rows = members.list_members(request_principal(request))
    return {"items": [{"username": u, "role": r} for u, r in rows], "count": len(rows)}


@router.put("/members/{username}", response=MemberOut, summary="Add a member or change a role")
def put_member(request: HttpRequest, username: str, payload: RoleIn) -> dict[str, Any]:
    members.set_member_role(request_principal(request), username, payload.role)
    return {"username": username, "role": payload.role}


@router.delete("/members/{username}", response={204: None}, summary="Remove a member")
def delete_member(request: HttpRequest, username: str) -> Status[Any]:
    members.remove_member(request_principal(request), username)
    return Status(204, None)
