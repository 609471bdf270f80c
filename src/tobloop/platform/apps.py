from typing import Any

from django.apps import AppConfig


class PlatformConfig(AppConfig):
    name = "tobloop.platform"
    label = "platform"
    verbose_name = "Platform"

    def ready(self) -> None:
        from django.db.models.signals import post_delete

        from tobloop.platform.models import Workspace

        post_delete.connect(_workspace_deleted, sender=Workspace, dispatch_uid="workspace_deleted")


def _workspace_deleted(sender: Any, instance: Any, using: str, **kwargs: Any) -> None:
    """Tell the registered modules (platform/hooks.py) once the deletion has committed."""
    from django.db import transaction

    from tobloop.platform import hooks

    workspace_id = int(instance.pk)
    transaction.on_commit(lambda: hooks.workspace_deleted(workspace_id), using=using, robust=True)
