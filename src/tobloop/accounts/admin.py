from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tobloop.accounts.logic.derivation import apply_segment, refresh_risk_flags
from tobloop.accounts.logic.records import snapshot
from tobloop.accounts.models import Account, Contact
from tobloop.platform.admin_scoping import WorkspaceScopedAdmin
from tobloop.platform.facade import Principal, get_workspace_by_id, record_audit


def _staff_principal(request: HttpRequest, workspace_id: int) -> Principal:
    return Principal(
        workspace=get_workspace_by_id(workspace_id),
        label=f"admin:{request.user.get_username()}",
        scopes=frozenset({"read", "write", "admin"}),
        user_id=int(request.user.pk or 0) or None,
    )


class AuditedAdmin(WorkspaceScopedAdmin):
    """Admin edits go through the same derivation and audit log as the UI and the API."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        before = snapshot(type(obj).objects.unscoped().get(pk=obj.pk)) if change else None
        principal = _staff_principal(request, obj.workspace_id)
        if isinstance(obj, Account):
            apply_segment(obj, principal.workspace.thresholds)
        super().save_model(request, obj, form, change)
        if isinstance(obj, Contact):
            refresh_risk_flags(obj.workspace_id, [obj.account_id])
        record_audit(
            principal,
            action="update" if change else "create",
            object_type=type(obj).__name__.lower(),
            object_id=obj.pk,
            object_repr=str(obj),
            before=before,
            after=snapshot(obj),
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        before = snapshot(obj)
        principal = _staff_principal(request, obj.workspace_id)
        pk = obj.pk
        super().delete_model(request, obj)
        if isinstance(obj, Contact):
            refresh_risk_flags(obj.workspace_id, [obj.account_id])
        record_audit(
            principal,
            action="delete",
            object_type=type(obj).__name__.lower(),
            object_id=pk,
            object_repr=str(obj),
            before=before,
        )


@admin.register(Account)
class AccountAdmin(AuditedAdmin):
    list_display = (
        "name",
        "workspace",
        "external_id",
        "industry",
        "headcount",
        "segment",
        "service_tier",
        "region",
    )
    list_filter = ("segment", "service_tier", "lifecycle_stage")
    search_fields = ("name", "external_id", "domain")
    readonly_fields = ("segment", "service_tier", "risk_flags")
    raw_id_fields = ("csm_owner",)
    actions: list[Any] = []  # bulk delete would bypass the audit log


@admin.register(Contact)
class ContactAdmin(AuditedAdmin):
    list_display = ("name", "workspace", "account", "email", "role", "is_primary")
    list_filter = ("role",)
    search_fields = ("name", "email")
    raw_id_fields = ("account",)
    actions: list[Any] = []
