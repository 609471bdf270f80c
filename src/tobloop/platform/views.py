"""Settings pages: playbook thresholds, members, API keys, the audit log."""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from pydantic import ValidationError

from tobloop.kernel.errors import InvalidInput, TobloopError
from tobloop.platform.contracts import CreatedKey, Principal
from tobloop.platform.logic import apikeys, workspaces
from tobloop.platform.models import ApiKey, AuditEvent, Membership
from tobloop.platform.thresholds import SIZE_FIELDS, PlaybookThresholds
from tobloop.platform.web import member_view

# What each threshold means, in words a user reads on the settings page (the pydantic
# descriptions are for the API schema and stay English).
THRESHOLD_LABELS = {
    "mid_min_headcount": _("Mid-size from this headcount"),
    "large_min_headcount": _("Large from this headcount"),
    "ltv_min": _("Minimum lifetime value (LTV)"),
    "acv_min": _("Annual contract value (ACV) that reaches it"),
    "lifetime_years": _("Assumed average customer lifetime, in years"),
    "cc_max": _("Highest acceptable annual revenue churn (CC)"),
    "nrr_target": _("Ideal net revenue retention (NRR)"),
    "cac_ltv_max_ratio": _("CAC at most this share of LTV"),
    "cac_payback_max_months": _("CAC paid back within, in months"),
    "telesales_acv_max": _("Telesales below this ACV"),
    "field_sales_acv_min": _("Field sales above this ACV"),
    "growth_good_min": _("Good growth pace from (× per year)"),
    "growth_good_max": _("Good growth pace up to (× per year)"),
    "gross_margin": _("Gross margin used in LTV"),
    "ltv_horizon_years": _("Longest lifetime counted in LTV, in years"),
    "warn_margin": _("Warn within this share of a limit"),
}
# The cross-field rules of PlaybookThresholds, by the start of their English message.
ORDER_RULES = {
    "mid_min_headcount must be below": (
        "large_min_headcount",
        _("Must be above the mid-size headcount (P-PROFILE-3)."),
    ),
    "telesales_acv_max must not exceed": (
        "field_sales_acv_min",
        _("Must not be below the telesales ACV (P-ECON-5)."),
    ),
    "growth_good_min must not exceed": (
        "growth_good_max",
        _("Must not be below the lower end of the good pace (P-ECON-6)."),
    ),
}
# Audit log words; codes other modules add later show as they are until they get a label.
AUDIT_ACTIONS = {
    "create": _("created"),
    "update": _("changed"),
    "delete": _("deleted"),
    "revoke": _("revoked"),
    "import": _("imported"),
}
AUDIT_OBJECTS = {
    "account": _("Account"),
    "contact": _("Contact"),
    "membership": _("Member"),
    "api_key": _("API key"),
    "workspace.thresholds": _("Playbook thresholds"),
    "workspace": _("Workspace"),
}
_RULE_ID = re.compile(r"^(P-[A-Z]+-\d+):")


def _field_message(error: Any) -> str:
    """A pydantic error about one number, said in the user's language."""
    ctx = error.get("ctx") or {}
    kind = error["type"]
    if kind == "greater_than_equal":
        return gettext("Must be at least %(limit)s.") % {"limit": ctx.get("ge")}
    if kind == "greater_than":
        return gettext("Must be more than %(limit)s.") % {"limit": ctx.get("gt")}
    if kind == "less_than_equal":
        return gettext("Must be at most %(limit)s.") % {"limit": ctx.get("le")}
    if kind == "less_than":
        return gettext("Must be less than %(limit)s.") % {"limit": ctx.get("lt")}
    if kind.startswith("int_"):
        return gettext("Must be a whole number.")
    return gettext("Must be a number.")


def _threshold_errors(current: dict[str, Any], changes: dict[str, str]) -> dict[str, str]:
    """Field name → message for every value the thresholds would refuse ("" = the form)."""
    try:
        PlaybookThresholds.model_validate({**current, **changes})
    except ValidationError as exc:
        out: dict[str, str] = {}
        for error in exc.errors():
            if error["loc"]:
                out.setdefault(str(error["loc"][0]), _field_message(error))
                continue
            text = str(error["msg"]).removeprefix("Value error, ")
            for start, (field, message) in ORDER_RULES.items():
                if text.startswith(start):
                    out.setdefault(field, str(message))
                    break
            else:
                out.setdefault("", text)
        return out
    return {}


def _threshold_rows(
    values: dict[str, Any], errors: dict[str, str]
) -> list[tuple[str, str, str, Any, str]]:
    """(field, rule id, label, value, error) in the order the playbook lists them."""
    rows = []
    for name, info in PlaybookThresholds.model_fields.items():
        match = _RULE_ID.match(info.description or "")
        rule = match.group(1) if match else ""
        label = str(THRESHOLD_LABELS.get(name, info.description or name))
        rows.append((name, rule, label, values.get(name), errors.get(name, "")))
    return rows


def _save_thresholds(
    request: HttpRequest, principal: Principal, changes: dict[str, str]
) -> tuple[dict[str, str], int]:
    """Store submitted thresholds: (errors by field, HTTP status); no errors means saved."""
    if not principal.can("platform", "admin"):
        return {"": gettext("Only owners and admins can change the thresholds.")}, 403
    current = principal.workspace.thresholds.to_json()
    errors = _threshold_errors(current, changes)
    if errors:
        return errors, 200
    try:
        info = workspaces.update_thresholds(principal, changes)
    except InvalidInput as exc:
        details = (f"{'.'.join(map(str, d.loc))}: {d.msg}" for d in exc.details)
        return {"": "; ".join(details) or exc.message}, 200
    messages.success(request, gettext("Playbook thresholds saved."))
    after = info.thresholds.to_json()
    if any(current[f] != after[f] for f in SIZE_FIELDS):
        messages.success(
            request, gettext("Segments and service tiers of every account were re-derived.")
        )
    return {}, 200


@member_view("platform", "read")
def settings_page(request: HttpRequest, principal: Principal) -> HttpResponse:
    values: dict[str, Any] = principal.workspace.thresholds.to_json()
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        changes = {
            name: request.POST[name].strip()
            for name in PlaybookThresholds.model_fields
            if name in request.POST
        }
        errors, status = _save_thresholds(request, principal, changes)
        if not errors:
            return redirect("settings:list", slug=principal.workspace.slug)
        values.update(changes)
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
            "tab": "settings",
            "rows": _threshold_rows(values, errors),
            "form_error": errors.get(""),
            "has_errors": bool(errors),
            "members": members,
            "is_admin": principal.can("platform", "admin"),
        },
        status=status,
    )


def _key_status(key: ApiKey, now: datetime) -> str:
    if key.revoked_at is not None:
        return "revoked"
    if key.expires_at is not None and key.expires_at <= now:
        return "expired"
    return "active"


@member_view("platform", "admin")
def keys_page(request: HttpRequest, principal: Principal) -> HttpResponse:
    context: dict[str, Any] = {"nav_active": "settings", "tab": "keys", "is_admin": True}
    if request.method == "POST":
        try:
            if "revoke" in request.POST:
                _revoke(request, principal)
                return redirect("settings:keys", slug=principal.workspace.slug)
            if not _first_submission(request):
                messages.info(request, gettext("That form was already sent; no new key was made."))
                return redirect("settings:keys", slug=principal.workspace.slug)
            context["created"] = _create_key(request, principal)
        except TobloopError as exc:
            context["error"] = exc
            context["form"] = request.POST
    now = timezone.now()
    context["keys"] = [(k, _key_status(k, now)) for k in apikeys.list_api_keys(principal)]
    context["form_nonce"] = secrets.token_urlsafe(16)
    return render(request, "platform/keys.html", context)


USED_NONCES = "platform.used_key_form_nonces"


def _first_submission(request: HttpRequest) -> bool:
    """False when this key form was already sent (a reload re-posting it), so no second key.

    The page that shows a new key is the answer to the POST itself (the secret is never stored,
    not even in the session), so the browser can re-post it; each rendered form carries a
    nonce that is accepted once.
    """
    nonce = request.POST.get("form_nonce", "")
    used: list[str] = request.session.get(USED_NONCES, [])
    if nonce and nonce in used:
        return False
    if nonce:
        request.session[USED_NONCES] = [*used, nonce][-20:]
    return True


def _revoke(request: HttpRequest, principal: Principal) -> None:
    try:
        key_id = int(request.POST["revoke"])
    except ValueError:
        raise InvalidInput(gettext("That is not a key of this workspace.")) from None
    apikeys.revoke_api_key(principal, key_id)
    messages.success(request, gettext("The key was revoked; it no longer works."))


def _create_key(request: HttpRequest, principal: Principal) -> CreatedKey:
    days_text = request.POST.get("expires_in_days", "").strip()
    days: int | None = None
    if days_text:
        try:
            days = int(days_text)
        except ValueError:
            days = 0
        if days < 1:
            raise InvalidInput(
                gettext("Expiry must be a whole number of days, or empty for no expiry.")
            )
    return apikeys.create_api_key(
        workspace_id=principal.workspace_id,
        scopes=request.POST.get("scopes", "read"),
        name=request.POST.get("name", "").strip()[:120],
        write_key=request.POST.get("kind") == "write",
        expires_in_days=days,
        created_by=principal,
    )


def _changes(event: AuditEvent) -> list[tuple[str, Any, Any, bool]]:
    """(field, before, after, changed) for each field the event mentions."""
    before = event.before if isinstance(event.before, dict) else {}
    after = event.after if isinstance(event.after, dict) else {}
    rows = []
    for key in dict.fromkeys([*before, *after]):
        old, new = before.get(key), after.get(key)
        rows.append((key, old, new, key in before and key in after and old != new))
    return rows


@member_view("platform", "admin")
def audit_page(request: HttpRequest, principal: Principal) -> HttpResponse:
    qs = AuditEvent.objects.for_workspace(principal.workspace_id)
    kinds = sorted(set(qs.values_list("object_type", flat=True).distinct()))
    kind = request.GET.get("object_type", "")
    if kind:
        qs = qs.filter(object_type=kind)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "platform/audit.html",
        {
            "nav_active": "settings",
            "tab": "audit",
            "is_admin": True,
            "page": page,
            "events": [(e, _changes(e)) for e in page],
            "kinds": [(k, AUDIT_OBJECTS.get(k, k)) for k in kinds],
            "actions": AUDIT_ACTIONS,
            "objects": AUDIT_OBJECTS,
            "kind": kind,
        },
    )
