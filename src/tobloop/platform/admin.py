from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from tobloop.platform.admin_scoping import (
    OutsideWorkspacesNotFound,
    WorkspaceScopedAdmin,
    member_workspace_ids,
)
from tobloop.platform.models import ApiKey, AuditEvent, Membership, Workspace


@admin.register(Workspace)
class WorkspaceAdmin(OutsideWorkspacesNotFound):
    list_display = ("slug", "name", "currency", "timezone", "is_demo", "created_at")
    search_fields = ("slug", "name")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Workspace]:
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(pk__in=member_workspace_ids(request))


@admin.register(Membership)
class MembershipAdmin(WorkspaceScopedAdmin):
    list_display = ("user", "workspace", "role")
    list_filter = ("role",)


@admin.register(ApiKey)
class ApiKeyAdmin(WorkspaceScopedAdmin):
    list_display = (
        "prefix",
        "workspace",
        "kind",
        "name",
        "created_at",
        "last_used_at",
        "revoked_at",
    )
    readonly_fields = ("prefix", "key_hash", "last_used_at", "created_at")


@admin.register(AuditEvent)
class AuditEventAdmin(WorkspaceScopedAdmin):
    list_display = ("at", "workspace", "actor", "action", "object_type", "object_repr")
    list_filter = ("action", "object_type")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
