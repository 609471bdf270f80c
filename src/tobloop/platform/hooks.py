"""Extension points of the platform module, declared in one place.

Higher modules register plain functions here when their app is ready; the platform calls them
explicitly after the write they follow has committed. This keeps dependencies pointing one way
(platform knows no module above it) without Django signals.
"""

from __future__ import annotations

from collections.abc import Callable

from tobloop.platform.contracts import Principal

ThresholdsListener = Callable[[Principal, frozenset[str]], None]

_thresholds_listeners: list[ThresholdsListener] = []


def on_thresholds_changed(listener: ThresholdsListener) -> ThresholdsListener:
    """Register ``listener(principal, changed_field_names)``; idempotent."""
    if listener not in _thresholds_listeners:
        _thresholds_listeners.append(listener)
    return listener


def thresholds_changed(principal: Principal, changed: frozenset[str]) -> None:
    for listener in list(_thresholds_listeners):
        listener(principal, changed)
