"""Template context: the navigation of every module and the user's workspaces."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from tobloop.platform.facade import workspaces_of

# (url name suffix, label, built). Modules not built yet stay hidden from the navigation.
MODULES: list[tuple[str, Any, bool]] = [
    ("overview", _("Overview"), True),
    ("accounts", _("Accounts"), True),
    ("revenue", _("Revenue"), True),
    ("analytics", _("Analytics"), True),
    ("success", _("Health"), True),
    # The success work app (worklist, renewals, NPS/CSAT); its list page is the worklist.
    ("success_work", _("Success"), True),
    ("requirements", _("Requirements"), False),
    ("ecosystem", _("Ecosystem"), False),
    ("pricing", _("Pricing & quotes"), False),
    ("settings", _("Settings"), True),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    principal = getattr(request, "principal", None)
    user = getattr(request, "user", None)
    return {
        "nav_modules": [(key, label) for key, label, built in MODULES if built],
        "current_workspace": principal.workspace if principal else None,
        "current_role": principal.role if principal else None,
        # Times on workspace pages are shown in the workspace's time zone (None: the default).
        "workspace_timezone": principal.workspace.timezone if principal else None,
        "my_workspaces": workspaces_of(user) if user is not None else [],
    }
