"""Success pages: the worklist, renewals, NPS/CSAT, playbooks, webhooks, and the account
panels (timeline with notes, NPS/CSAT). Thin over the facade."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from pydantic import ValidationError

from tobloop.accounts.facade import get_account, read_upload
from tobloop.kernel.errors import InvalidInput, NotFound
from tobloop.platform.contracts import Principal
from tobloop.platform.facade import require
from tobloop.platform.web import member_view
from tobloop.success.work import facade
from tobloop.success.work.logic.tasks import task_owners, today_for

TIERS = [
    ("online_partner", gettext_lazy("Micro / small · online + partners")),
    ("regional_csm", gettext_lazy("Mid-size · regional CSM")),
    ("dedicated_team", gettext_lazy("Large · dedicated team")),
    ("unassigned", gettext_lazy("Unknown size")),
]
KINDS = [
    ("risk", gettext_lazy("Risk")),
    ("opportunity", gettext_lazy("Opportunity")),
    ("onboarding", gettext_lazy("Onboarding")),
    ("renewal", gettext_lazy("Renewal")),
]
STATUSES = [
    ("open", gettext_lazy("Open")),
    ("done", gettext_lazy("Done")),
    ("cancelled", gettext_lazy("Cancelled")),
]
OUTCOMES = [
    ("resolved", gettext_lazy("Resolved")),
    ("saved", gettext_lazy("Saved (risk averted)")),
    ("expanded", gettext_lazy("Expanded")),
    ("renewed", gettext_lazy("Renewed")),
    ("no_action", gettext_lazy("No action needed")),
    ("churned", gettext_lazy("Churned")),
    ("automated", gettext_lazy("Handled automatically")),
]
FORECASTS = [
    ("renew", gettext_lazy("Renew")),
    ("expand", gettext_lazy("Expand")),
    ("contract", gettext_lazy("Contract")),
    ("churn", gettext_lazy("Churn")),
]
PAGE_SIZE = 50


def _labels(pairs: list[tuple[str, Any]]) -> dict[str, str]:
    return {k: str(v) for k, v in pairs}


def _task_filter(request: HttpRequest) -> facade.TaskFilter:
    raw: dict[str, Any] = {
        k: request.GET.get(k, "").strip() or None
        for k in ("tier", "owner", "kind", "status", "due_before", "account")
    }
    if "status" not in request.GET:
        raw["status"] = "open"
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    raw["limit"], raw["offset"] = PAGE_SIZE, (page - 1) * PAGE_SIZE
    try:
        return facade.TaskFilter.model_validate(raw)
    except ValidationError as exc:
        fields = ", ".join(str(e["loc"][0]) for e in exc.errors() if e.get("loc"))
        raise InvalidInput(_("The filter values are not valid: %(f)s") % {"f": fields}) from None


def _common(principal: Principal) -> dict[str, Any]:
    return {
        "nav_active": "success_work",
        "tier_labels": _labels(TIERS),
        "kind_labels": _labels(KINDS),
        "status_labels": _labels(STATUSES),
        "outcome_labels": _labels(OUTCOMES),
        "outcomes": [o for o in OUTCOMES if o[0] != "automated"],
        "can_write": principal.can("success", "write"),
        "is_admin": principal.can("platform", "admin"),
        "today": today_for(principal),
    }


@member_view("success", "read")
def worklist(request: HttpRequest, principal: Principal) -> HttpResponse:
    f = _task_filter(request)
    items, count = facade.list_tasks(principal, f)
    number = f.offset // PAGE_SIZE + 1
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        **_common(principal),
        "filters": f,
        "items": items,
        "count": count,
        "number": number,
        "pages": max(1, -(-count // PAGE_SIZE)),
        "query": query.urlencode(),
        "tiers": TIERS,
        "kinds": KINDS,
        "statuses": STATUSES,
        "owners": task_owners(principal),
    }
    partial = request.headers.get("HX-Request") and not request.headers.get("HX-Boosted")
    template = "success_work/_tasks.html" if partial else "success_work/worklist.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@member_view("success", "write")
def task_complete(request: HttpRequest, principal: Principal, pk: int) -> HttpResponse:
    """Complete a task with its outcome; HTMX swaps in the updated row."""
    facade.get_task(principal, pk)  # 404 for tasks of other workspaces, before anything else
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    outcome = request.POST.get("outcome", "")
    note = request.POST.get("note", "")[:5000]
    task = facade.complete_task(principal, pk, outcome, note)
    if request.headers.get("HX-Request"):
        return render(request, "success_work/_task_row.html", {**_common(principal), "t": task})
    messages.success(request, _("Task completed."))
    return redirect("success_work:worklist", slug=principal.workspace.slug)


@member_view("success", "write")
@require_POST
def playbooks_run(request: HttpRequest, principal: Principal) -> HttpResponse:
    summary = facade.run_playbooks(principal, keep_firings=False)
    facade.deliver_due(workspace_id=principal.workspace_id, limit=20)
    messages.success(
        request,
        _("Playbooks ran on %(n)s accounts: %(t)s tasks opened, %(a)s handled automatically.")
        % {"n": summary.accounts, "t": summary.tasks_created, "a": summary.automated},
    )
    return redirect("success_work:worklist", slug=principal.workspace.slug)


def _posted_params(request: HttpRequest) -> dict[str, float]:
    """``param-NAME`` fields of the playbook form as numbers; a clear error names the field."""
    params: dict[str, float] = {}
    for name in request.POST:
        if not name.startswith("param-"):
            continue
        field, raw = name.removeprefix("param-"), request.POST.get(name, "")
        try:
            value = float(raw.strip())
        except ValueError:
            raise InvalidInput(
                _("%(field)s: %(value)s is not a number") % {"field": field, "value": raw}
            ) from None
        params[field] = int(value) if value.is_integer() else value
    return params


@member_view("success", "read")
def playbooks_page(request: HttpRequest, principal: Principal) -> HttpResponse:
    """The playbooks and their per-tier actions; POST ``key`` + ``is_active`` switches one."""
    if request.method == "POST":
        require(principal.scopes, "success", "write")
        key = request.POST.get("key", "")
        if "is_active" in request.POST:
            facade.update_playbook(principal, key, is_active=request.POST["is_active"] == "1")
        else:
            facade.update_playbook(principal, key, params=_posted_params(request))
        return redirect("success_work:playbooks", slug=principal.workspace.slug)
    return render(
        request,
        "success_work/playbooks.html",
        {**_common(principal), "playbooks": facade.list_playbooks(principal), "tiers": TIERS},
    )


def _date_param(request: HttpRequest, name: str) -> date | None:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(_("%(value)s is not a date (YYYY-MM-DD)") % {"value": raw}) from None


@member_view("success", "read")
def renewals_page(request: HttpRequest, principal: Principal) -> HttpResponse:
    try:
        within = min(3660, max(1, int(request.GET.get("within", "90"))))
    except ValueError:
        within = 90
    forecast = request.GET.get("forecast") or None
    if forecast not in (None, *[f for f, _l in FORECASTS]):
        forecast = None
    report = facade.renewals(
        principal, as_of=_date_param(request, "as_of"), within=within, forecast_class=forecast
    )
    return render(
        request,
        "success_work/renewals.html",
        {**_common(principal), "report": report, "within": within, "forecast": forecast,
         "forecasts": FORECASTS, "forecast_labels": _labels(FORECASTS),
         "within_choices": sorted({30, 60, 90, 180, 365, within})},
    )  # fmt: skip


@member_view("success", "read")
def nps_page(request: HttpRequest, principal: Principal) -> HttpResponse:
    """Workspace NPS/CSAT, the trend and the latest answers; POST a CSV file to import."""
    report = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            raise InvalidInput(_("Choose a CSV file to import."))
        raw, mapping = read_upload(upload, None)
        report = facade.import_answers(principal, raw, filename=upload.name or "", mapping=mapping)
    summary = facade.nps_summary(principal)
    answers, count = facade.list_answers(principal, limit=50)
    return render(
        request,
        "success_work/nps.html",
        {**_common(principal), "summary": summary, "answers": answers, "count": count,
         "report": report},
    )  # fmt: skip


@member_view("platform", "admin")
def webhooks_page(request: HttpRequest, principal: Principal) -> HttpResponse:
    created = None
    if request.method == "POST":
        events = request.POST.getlist("events")
        created = facade.create_endpoint(
            principal, url=request.POST.get("url", "").strip(), events=events
        )
    deliveries, count = facade.list_deliveries(principal, limit=50)
    return render(
        request,
        "success_work/webhooks.html",
        {**_common(principal), "nav_active": "settings", "created": created,
         "endpoints": facade.list_endpoints(principal), "deliveries": deliveries,
         "count": count, "event_types": facade.EVENT_TYPES},
    )  # fmt: skip


@member_view("platform", "admin")
def webhook_delete(request: HttpRequest, principal: Principal, pk: int) -> HttpResponse:
    if pk not in {e.id for e in facade.list_endpoints(principal)}:
        raise NotFound(_("No webhook endpoint with this id."), code="endpoint_not_found")
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    facade.delete_endpoint(principal, pk)
    return redirect("success_work:webhooks", slug=principal.workspace.slug)


# Account panels --------------------------------------------------------------------------


@member_view("success", "read")
def account_timeline(request: HttpRequest, principal: Principal, pk: int) -> HttpResponse:
    """The timeline panel of the account page (an HTML fragment), with the note form."""
    if request.method == "POST":
        facade.add_note(principal, pk, request.POST.get("body", ""),
                        request.POST.get("sentiment", ""))  # fmt: skip
    account = get_account(principal, pk)
    entries = facade.account_timeline(principal, pk, limit=100)
    return render(
        request,
        "success_work/_timeline.html",
        {**_common(principal), "account": account, "entries": entries},
    )


@member_view("success", "read")
def account_nps(request: HttpRequest, principal: Principal, pk: int) -> HttpResponse:
    summary = facade.nps_summary(principal, account_id=pk, days=365)
    answers, count = facade.list_answers(principal, account_id=pk, limit=5)
    return render(
        request,
        "success_work/_account_nps.html",
        {**_common(principal), "summary": summary, "answers": answers, "count": count},
    )
