"""Account pages: the list with filters, the account page, CSV upload. Thin over the facade."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from pydantic import ValidationError

from tobloop.accounts import facade
from tobloop.accounts.models import DecisionRole, LifecycleStage, Segment, ServiceTier
from tobloop.kernel.errors import InvalidInput
from tobloop.platform.contracts import Principal
from tobloop.platform.web import member_view

FILTER_KEYS = (
    "q",
    "segment",
    "industry",
    "region",
    "service_tier",
    "csm_owner",
    "lifecycle_stage",
    "risk_flag",
    "sort",
)
PAGE_SIZE = 50


def _filters(request: HttpRequest) -> tuple[facade.AccountFilter, list[str]]:
    raw: dict[str, Any] = {k: request.GET[k] for k in FILTER_KEYS if request.GET.get(k)}
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    raw["limit"], raw["offset"] = PAGE_SIZE, (page - 1) * PAGE_SIZE
    try:
        return facade.AccountFilter.model_validate(raw), []
    except ValidationError as exc:
        bad = {str(e["loc"][0]) for e in exc.errors()}
        clean = {k: v for k, v in raw.items() if k not in bad}
        return facade.AccountFilter.model_validate(clean), sorted(bad)


@member_view("accounts", "read")
def account_list(request: HttpRequest, principal: Principal) -> HttpResponse:
    f, ignored = _filters(request)
    page = facade.list_accounts(principal, f)
    number = f.offset // PAGE_SIZE + 1
    pages = max(1, (page.count + PAGE_SIZE - 1) // PAGE_SIZE)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "nav_active": "accounts",
        "page": page,
        "filters": f,
        "ignored": ignored,
        "number": number,
        "pages": pages,
        "query": query.urlencode(),
        "segments": Segment.choices,
        "tiers": ServiceTier.choices,
        "stages": LifecycleStage.choices,
        "industries": facade.facet_values(principal, "industry"),
        "regions": facade.facet_values(principal, "region"),
        "owners": list(
            get_user_model()
            .objects.filter(memberships__workspace_id=principal.workspace_id)
            .order_by("username")
            .values_list("username", flat=True)
        ),
        "sorts": [
            ("name", "name"),
            ("-headcount", "-headcount"),
            ("headcount", "headcount"),
            ("-updated_at", "-updated_at"),
        ],
        "can_write": principal.can("accounts", "write"),
    }
    template = "accounts/_table.html" if request.headers.get("HX-Request") else "accounts/list.html"
    return render(request, template, context)


@member_view("accounts", "read")
def account_detail(request: HttpRequest, principal: Principal, pk: int) -> HttpResponse:
    account = facade.get_account(principal, pk)
    contacts = facade.list_contacts(principal, facade.ContactFilter(account_id=pk, limit=500))
    roles_present = {c.role for c in contacts.items}
    chain = [
        (value, label, [c for c in contacts.items if c.role == value])
        for value, label in DecisionRole.choices
    ]
    return render(
        request,
        "accounts/detail.html",
        {
            "nav_active": "accounts",
            "account": account,
            "chain": chain,
            "contacts": contacts.items,
            "missing_roles": [
                label for value, label in DecisionRole.choices if value not in roles_present
            ],
            "risk_labels": [facade.risk_flag_label(f) for f in account.risk_flags],
            "segment_label": Segment(account.segment).label,
            "tier_label": ServiceTier(account.service_tier).label,
        },
    )


@member_view("accounts", "write")
def account_import(request: HttpRequest, principal: Principal) -> HttpResponse:
    context: dict[str, Any] = {"nav_active": "accounts"}
    if request.method == "POST":
        kind = request.POST.get("kind", "accounts")
        upload = request.FILES.get("file")
        if upload is None:
            context["error"] = InvalidInput("choose a CSV file to upload")
        else:
            importer = facade.import_contacts if kind == "contacts" else facade.import_accounts
            try:
                context["report"] = importer(principal, upload.read(), filename=upload.name or "")
            except InvalidInput as exc:
                context["error"] = exc
        context["kind"] = kind
    return render(request, "accounts/import.html", context)
