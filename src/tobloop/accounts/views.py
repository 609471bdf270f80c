"""Account pages: the list with filters, the account page, CSV upload. Thin over the facade."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from pydantic import ValidationError

from tobloop.accounts import facade
from tobloop.accounts.logic.derivation import RISK_NO_CONTACTS, RISK_NO_DECISION_MAKER
from tobloop.accounts.models import (
    DecisionRole,
    LifecycleStage,
    RevenueBand,
    Segment,
    ServiceTier,
)
from tobloop.accounts.panels import account_panels
from tobloop.accounts.schemas import ACCOUNT_FIELDS, CONTACT_FIELDS
from tobloop.kernel.errors import InvalidInput, TobloopError
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


SORTS = (
    ("name", _("Name, A to Z")),
    ("-name", _("Name, Z to A")),
    ("-headcount", _("Headcount, largest first")),
    ("headcount", _("Headcount, smallest first")),
    ("industry", _("Industry, A to Z")),
    ("-industry", _("Industry, Z to A")),
    ("region", _("Region, A to Z")),
    ("-region", _("Region, Z to A")),
    ("-updated_at", _("Recently changed")),
    ("updated_at", _("Least recently changed")),
    ("-created_at", _("Newest first")),
    ("created_at", _("Oldest first")),
)
# Sortable columns: (column, sort when first clicked, the opposite sort).
SORTABLE = {
    "name": ("name", "-name"),
    "industry": ("industry", "-industry"),
    "region": ("region", "-region"),
    "headcount": ("-headcount", "headcount"),
}
RISK_FLAGS = (RISK_NO_CONTACTS, RISK_NO_DECISION_MAKER)


def _page_url(query: QueryDict, number: int) -> str:
    params = query.copy()
    params["page"] = str(number)
    return "?" + params.urlencode()


def _column_sorts(query: QueryDict, current: str) -> dict[str, tuple[str, str, str]]:
    """Per sortable column: the sort a click applies, its URL, and an arrow when sorted by it."""
    out = {}
    for column, (first, second) in SORTABLE.items():
        if current in (first, second):
            then = second if current == first else first
            arrow = "↓" if current.startswith("-") else "↑"
        else:
            then, arrow = first, ""
        params = query.copy()
        params["sort"] = then
        out[column] = (then, "?" + params.urlencode(), arrow)
    return out


def _labels() -> dict[str, dict[str, str]]:
    return {
        "segment": {str(v): str(label) for v, label in Segment.choices},
        "tier": {str(v): str(label) for v, label in ServiceTier.choices},
        "stage": {str(v): str(label) for v, label in LifecycleStage.choices},
        "risk": {flag: facade.risk_flag_label(flag) for flag in RISK_FLAGS},
    }


def _filter_choices(principal: Principal) -> dict[str, Any]:
    """The options of the filter drop-downs."""
    return {
        "segments": Segment.choices,
        "tiers": ServiceTier.choices,
        "stages": LifecycleStage.choices,
        "risk_flags": [(flag, facade.risk_flag_label(flag)) for flag in RISK_FLAGS],
        "industries": facade.facet_values(principal, "industry"),
        "regions": facade.facet_values(principal, "region"),
        "owners": list(
            get_user_model()
            .objects.filter(memberships__workspace_id=principal.workspace_id)
            .order_by("username")
            .values_list("username", flat=True)
        ),
        "sorts": SORTS,
    }


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
        "first_row": f.offset + 1 if page.count else 0,
        "last_row": f.offset + len(page.items),
        "prev_url": _page_url(query, number - 1) if number > 1 else None,
        "next_url": _page_url(query, number + 1) if number < pages else None,
        "labels": _labels(),
        "column_sorts": _column_sorts(query, f.sort),
        "can_write": principal.can("accounts", "write"),
    }
    # An HTMX filter change swaps only the table; a history restore needs the whole page.
    partial = request.headers.get("HX-Request") and not request.headers.get(
        "HX-History-Restore-Request"
    )
    if not partial:
        context.update(_filter_choices(principal))
    template = "accounts/_table.html" if partial else "accounts/list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


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
            "panels": [
                (
                    panel,
                    reverse(panel.url_name, kwargs={"slug": principal.workspace.slug, "pk": pk}),
                )
                for panel in account_panels()
            ],
            "contacts": contacts.items,
            "missing_roles": [
                label for value, label in DecisionRole.choices if value not in roles_present
            ],
            "risk_labels": [facade.risk_flag_label(f) for f in account.risk_flags],
            "segment_label": Segment(account.segment).label,
            "tier_label": ServiceTier(account.service_tier).label,
            "stage_label": LifecycleStage(account.lifecycle_stage).label,
            "revenue_band_label": (
                RevenueBand(account.revenue_band).label if account.revenue_band else ""
            ),
        },
    )


@member_view("accounts", "write")
def account_import(request: HttpRequest, principal: Principal) -> HttpResponse:
    context: dict[str, Any] = {
        "nav_active": "accounts",
        "account_columns": ACCOUNT_FIELDS,
        "contact_columns": CONTACT_FIELDS,
    }
    if request.method == "POST":
        kind = request.POST.get("kind", "accounts")
        upload = request.FILES.get("file")
        if upload is None:
            context["error"] = InvalidInput(gettext("Choose a CSV file to upload."))
        else:
            importer = facade.import_contacts if kind == "contacts" else facade.import_accounts
            try:
                report = importer(principal, upload.read(), filename=upload.name or "")
            except TobloopError as exc:
                context["error"] = exc
            else:
                # A row can have several problems; the summary counts rows.
                context["report"] = report
                context["rejected_rows"] = len({r.row for r in report.rejected})
        context["kind"] = kind
    return render(request, "accounts/import.html", context)
