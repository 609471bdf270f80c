"""Django admin that keeps staff inside the workspaces they belong to.

Superusers run the installation and see everything; other staff see and edit only rows of
workspaces where they are members, and can only pick those workspaces in forms.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from tobloop.platform.models import Membership


def member_workspace_ids(request: HttpRequest) -> list[int]:
    return list(
        Membership.objects.unscoped()
        .filter(user_id=int(request.user.pk or 0))
        .values_list("workspace_id", flat=True)
    )


class WorkspaceScopedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    workspace_field = "workspace_id"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        manager = self.model._default_manager
        qs: QuerySet[Any] = manager.unscoped() if hasattr(manager, "unscoped") else manager.all()
        if request.user.is_superuser:
            return qs
        return qs.filter(**{f"{self.workspace_field}__in": member_workspace_ids(request)})

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "workspace" and not request.user.is_superuser:
            from tobloop.platform.models import Workspace

            kwargs["queryset"] = Workspace.objects.filter(pk__in=member_workspace_ids(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return super().has_change_permission(request, obj) and self._mine(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return super().has_delete_permission(request, obj) and self._mine(request, obj)

    def _mine(self, request: HttpRequest, obj: Model | None) -> bool:
        if obj is None or request.user.is_superuser:
            return True
        return getattr(obj, self.workspace_field) in member_workspace_ids(request)
