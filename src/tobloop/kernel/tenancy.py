"""Tenant scoping: every tenant-owned row carries ``workspace_id``.

There is no global "current workspace". Querysets of tenant-owned models are reached through
``Model.objects.for_workspace(workspace_id)``, which accepts nothing but an integer id, and
``unscoped()`` names the few places (admin for superusers, migrations) that may see every
workspace. The manager's plain ``all()`` still works, because Django's related managers build on
it; the tenant-isolation test matrix (tests/test_tenant_isolation.py) is what proves that no
endpoint, page, import or admin view reads another workspace's rows.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models

M = TypeVar("M", bound=models.Model)


class WorkspaceQuerySet(models.QuerySet[M]):
    def for_workspace(self, workspace_id: int) -> WorkspaceQuerySet[M]:
        if not isinstance(workspace_id, int) or isinstance(workspace_id, bool):
            raise TypeError("for_workspace() needs a workspace id (int)")
        return self.filter(workspace_id=workspace_id)


class WorkspaceManager(models.Manager[M]):
    """Manager whose only way to rows is an explicit workspace scope."""

    def get_queryset(self) -> WorkspaceQuerySet[M]:
        return WorkspaceQuerySet(self.model, using=self._db)

    def for_workspace(self, workspace_id: int) -> WorkspaceQuerySet[M]:
        return self.get_queryset().for_workspace(workspace_id)

    def unscoped(self) -> WorkspaceQuerySet[M]:
        """All workspaces at once: only for platform staff tooling (admin, migrations)."""
        return self.get_queryset()


def scoped_kwargs(workspace_id: int, **kwargs: Any) -> dict[str, Any]:
    return {"workspace_id": workspace_id, **kwargs}
