"""Panels that modules above accounts add to the account page.

The account page (the "account 360") is owned by this module, but most of what it shows —
revenue, usage, health, tasks, the timeline — belongs to modules that depend on accounts, not
the other way round. Those modules register a panel here when their app is ready; the page
then loads each panel from the registering module's own URL with HTMX, so a slow or failing
panel never holds up or breaks the rest of the page.

The panel URL is reversed with ``slug`` (the workspace) and ``pk`` (the account id) and must
answer an HTML fragment (no ``<html>``), checking the member's permission itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class AccountPanel:
    key: str  # stable id, used as data-panel="…" in the page
    url_name: str  # e.g. "success:account-health"; reversed with slug= and pk=
    order: int = 100  # lower comes first
    wide: bool = True  # full width, else half
    title: Any = ""  # a (lazy) translated heading shown while the panel loads


_panels: dict[str, AccountPanel] = {}


def register_account_panel(panel: AccountPanel) -> AccountPanel:
    """Add or replace the panel with this key; idempotent across app reloads."""
    _panels[panel.key] = panel
    return panel


def account_panels() -> list[AccountPanel]:
    return sorted(_panels.values(), key=lambda p: (p.order, p.key))
