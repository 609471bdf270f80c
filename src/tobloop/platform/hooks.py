"""Extension points of the platform module, declared in one place.

Higher modules register plain functions here when their app is ready; the platform calls them
explicitly after the write they follow has committed. This keeps dependencies pointing one way
(platform knows no module above it) without Django signals.
"""

from __future__ import annotations

from collections.abc import Callable

from tobloop.platform.contracts import Principal

ThresholdsListener = Callable[[Principal, frozenset[str]], None]
WorkspaceDeletedListener = Callable[[int], None]

_thresholds_listeners: list[ThresholdsListener] = []
_workspace_deleted_listeners: list[WorkspaceDeletedListener] = []


def on_thresholds_changed(listener: ThresholdsListener) -> ThresholdsListener:
    """Register ``listener(principal, changed_field_names)``; idempotent."""
    if listener not in _thresholds_listeners:
        _thresholds_listeners.append(listener)
    return listener


def thresholds_changed(principal: Principal, changed: frozenset[str]) -> None:
    for listener in list(_thresholds_listeners):
        listener(principal, changed)


def on_workspace_deleted(listener: WorkspaceDeletedListener) -> WorkspaceDeletedListener:
    """Register ``listener(workspace_id)``, called once the deletion of a workspace has
    committed (however it was deleted: admin, demo rebuild, a queryset); idempotent.

    Modules that keep workspace data outside the database (the event store) remove it here.
    """
    if listener not in _workspace_deleted_listeners:
        _workspace_deleted_listeners.append(listener)
    return listener


def workspace_deleted(workspace_id: int) -> None:
    for listener in list(_workspace_deleted_listeners):
        listener(workspace_id)
