"""Settings pages: playbook thresholds, members, API keys, the audit log."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from tobloop.kernel.errors import InvalidInput, PermissionDenied
from tobloop.platform.contracts import Principal
from tobloop.platform.logic import apikeys, workspaces
from tobloop.platform.models import AuditEvent, Membership
from tobloop.platform.thresholds import PlaybookThresholds
from tobloop.platform.web import member_view


@member_view("platform", "read")
def settings_page(request: HttpRequest, principal: Principal) -> HttpResponse:
    thresholds = principal.workspace.thresholds
    errors: list[str] = []
    if request.method == "POST":
        changes = {
            name: request.POST[name]
            for name in PlaybookThresholds.model_fields
            if name in request.POST
        }
        try:
            workspaces.update_thresholds(principal, changes)
            return redirect("settings:list", slug=principal.workspace.slug)
        except InvalidInput as exc:
            errors = [f"{'.'.join(map(str, d.loc))}: {d.msg}" for d in exc.details]
        except PermissionDenied as exc:
            errors = [exc.message]
    fields = [
        (name, info.description or name, getattr(thresholds, name))
        for name, info in PlaybookThresholds.model_fields.items()
    ]
    members = (
        Membership.objects.for_workspace(principal.workspace_id)
        .select_related("user")
        .order_by("user__username")
    )
    return render(
        request,
        "platform/settings.html",
        {
            "nav_active": "settings",
            "fields": fields,
            "errors": errors,
            "members": members,
            "is_admin": principal.can("platform", "admin"),
        },
    )


@member_view("platform", "admin")
def keys_page(request: HttpRequest, principal: Principal) -> HttpResponse:
    context: dict[str, Any] = {"nav_active": "settings"}
    if request.method == "POST":
        if "revoke" in request.POST:
            apikeys.revoke_api_key(principal, int(request.POST["revoke"]))
        else:
            try:
                context["created"] = apikeys.create_api_key(
                    workspace_id=principal.workspace_id,
                    scopes=request.POST.get("scopes", "read"),
                    name=request.POST.get("name", ""),
                    write_key=request.POST.get("kind") == "write",
                    created_by=principal,
                )
            except InvalidInput as exc:
                context["error"] = exc
    context["keys"] = apikeys.list_api_keys(principal)
    return render(request, "platform/keys.html", context)


@member_view("platform", "admin")
def audit_page(request: HttpRequest, principal: Principal) -> HttpResponse:
    qs = AuditEvent.objects.for_workspace(principal.workspace_id)
    kind = request.GET.get("object_type")
    if kind:
        qs = qs.filter(object_type=kind)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "platform/audit.html", {"nav_active": "settings", "page": page})
