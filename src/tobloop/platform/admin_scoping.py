"""Django admin that keeps staff inside the workspaces they belong to.

Superusers run the installation and see everything; other staff see and edit only rows of
workspaces where they are members, and can only pick those workspaces in forms.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse

from tobloop.platform.models import Membership


def member_workspace_ids(request: HttpRequest) -> list[int]:
    return list(
        Membership.objects.unscoped()
        .filter(user_id=int(request.user.pk or 0))
        .values_list("workspace_id", flat=True)
    )


class WorkspaceConsistentForm(forms.ModelForm):  # type: ignore[type-arg]
    """A row may only point at rows of its own workspace (an account of B under A's contact…)."""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        workspace = data.get("workspace")
        workspace_id = (
            workspace.pk if workspace is not None else self.instance.__dict__.get("workspace_id")
        )
        for name, value in list(data.items()):  # add_error() removes the field from data
            if name == "workspace" or not isinstance(value, Model) or workspace_id is None:
                continue
            other = getattr(value, "workspace_id", workspace_id)
            if other != workspace_id:
                self.add_error(name, "This belongs to another workspace.")
        return data


def _scoped_rows(model: type[Model]) -> QuerySet[Any]:
    manager = model._default_manager
    return manager.unscoped() if hasattr(manager, "unscoped") else manager.all()


class OutsideWorkspacesNotFound(admin.ModelAdmin):  # type: ignore[type-arg]
    """Rows of other workspaces are not found (instead of Django's redirect to the index)."""

    def _visible_or_404(self, request: HttpRequest, object_id: str | None) -> None:
        if object_id is None or request.user.is_superuser:
            return
        if self.get_object(request, unquote(object_id)) is None:
            raise Http404(f"no {self.opts.verbose_name} with this id in your workspaces")

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        self._visible_or_404(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        self._visible_or_404(request, object_id)
        return super().delete_view(request, object_id, extra_context)

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        self._visible_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)


class WorkspaceScopedAdmin(OutsideWorkspacesNotFound):
    workspace_field = "workspace_id"
    form = WorkspaceConsistentForm

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs = _scoped_rows(self.model)
        if request.user.is_superuser:
            return qs
        return qs.filter(**{f"{self.workspace_field}__in": member_workspace_ids(request)})

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if not request.user.is_superuser:
            from tobloop.platform.models import Workspace

            target = db_field.remote_field.model
            mine = member_workspace_ids(request)
            if target is Workspace:
                kwargs["queryset"] = Workspace.objects.filter(pk__in=mine)
            elif any(f.name == "workspace" for f in target._meta.get_fields()):
                kwargs["queryset"] = _scoped_rows(target).filter(workspace_id__in=mine)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return super().has_change_permission(request, obj) and self._mine(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return super().has_delete_permission(request, obj) and self._mine(request, obj)

    def _mine(self, request: HttpRequest, obj: Model | None) -> bool:
        if obj is None or request.user.is_superuser:
            return True
        return getattr(obj, self.workspace_field) in member_workspace_ids(request)
