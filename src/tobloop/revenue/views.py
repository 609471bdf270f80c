"""Revenue and Overview pages, and the drill-downs behind them. Thin over the facade."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tobloop.accounts import facade as accounts
from tobloop.kernel.errors import InvalidInput
from tobloop.platform.contracts import Principal
from tobloop.platform.web import member_view
from tobloop.revenue import present
from tobloop.revenue.contracts import RevenueMetrics
from tobloop.revenue.logic import metrics as calc
from tobloop.revenue.logic import reports
from tobloop.revenue.logic.check import milestones, playbook_rules
from tobloop.revenue.logic.dataset import CUTS, RevenueFilter
from tobloop.revenue.logic.motion import account_positions, motion_by_segment
from tobloop.revenue.logic.spend import list_spend
from tobloop.revenue.logic.subscriptions import list_plans

KIND_LABELS = {
    "new": gettext_lazy("New"),
    "reactivation": gettext_lazy("Reactivation"),
    "expansion": gettext_lazy("Expansion"),
    "contraction": gettext_lazy("Contraction"),
    "churn": gettext_lazy("Churn"),
}
MOTION_LABELS = {
    "telesales": gettext_lazy("Telesales / self-serve"),
    "hybrid": gettext_lazy("Hybrid"),
    "field": gettext_lazy("Field sales"),
    "event": gettext_lazy("Events"),
    "unknown": gettext_lazy("Not a sales motion"),
}
VERDICT_LABELS = {
    "pass": gettext_lazy("Pass"),
    "warn": gettext_lazy("Warn"),
    "fail": gettext_lazy("Fail"),
    "unknown": gettext_lazy("Unknown"),
}
SEGMENTS = [
    ("small", gettext_lazy("Micro / small")),
    ("mid", gettext_lazy("Mid-size")),
    ("large", gettext_lazy("Large")),
    ("unknown", gettext_lazy("Unknown size")),
]


PAGE_SIZE = 100


def labels(mapping: dict[str, Any]) -> dict[str, str]:
    """Lazy labels resolved once per request (templates look them up row by row)."""
    return {k: str(v) for k, v in mapping.items()}


def _as_of(request: HttpRequest) -> date | None:
    raw = request.GET.get("as_of", "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(_("%(value)s is not a date (YYYY-MM-DD)") % {"value": raw}) from None


def _cut(request: HttpRequest) -> RevenueFilter:
    values = {c: request.GET.get(c, "").strip() or None for c in CUTS}
    try:
        return RevenueFilter.model_validate(values)
    except ValueError:
        raise InvalidInput(_("The filter values are not valid.")) from None


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def number(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def _headline(m: RevenueMetrics) -> list[tuple[str, str, Any, str]]:
    """(key, label, value, kind) of the headline cards; kind is money, pct or number."""
    return [
        ("mrr", _("MRR"), m.mrr, "money"),
        ("arr", _("ARR"), m.arr, "money"),
        ("paying_accounts", _("Paying customers"), f"{m.paying_accounts:,}", "text"),
        ("arpa", _("ARPA"), m.arpa, "money"),
        ("nrr_12", _("NRR (12 months)"), pct(m.nrr_12), "text"),
        ("grr_12", _("GRR (12 months)"), pct(m.grr_12), "text"),
        ("cc", _("CC, annual revenue churn"), pct(m.cc), "text"),
        ("logo_churn_12", _("Logo churn (12 months)"), pct(m.logo_churn_12), "text"),
        ("quick_ratio", _("Quick ratio"), number(m.quick_ratio), "text"),
        ("ltv", _("LTV"), m.ltv, "money"),
        ("ltv_km", _("LTV (Kaplan–Meier)"), m.ltv_km, "money"),
        ("cac", _("Blended CAC"), m.cac, "money"),
        ("cac_payback_months", _("CAC payback (months)"), number(m.cac_payback_months, 1), "text"),
        ("growth_12", _("Growth (× in 12 months)"), number(m.growth_12), "text"),
    ]


def _chart_data(m: RevenueMetrics, cohorts: Any) -> dict[str, Any]:
    months = [r.month for r in m.months]
    return {
        "months": months,
        "mrr": [float(r.mrr_end) for r in m.months],
        "arr": [float(12 * r.mrr_end) for r in m.months],
        "bridge": {
            "new": [float(r.new) for r in m.months],
            "reactivation": [float(r.reactivation) for r in m.months],
            "expansion": [float(r.expansion) for r in m.months],
            "contraction": [-float(r.contraction) for r in m.months],
            "churn": [-float(r.churn) for r in m.months],
        },
        "labels": {k: str(v) for k, v in KIND_LABELS.items()} | {"mrr": "MRR", "arr": "ARR"},
        "cohorts": present.cohorts_doc(cohorts)["cohorts"],
    }


def _facet(principal: Principal, name: str) -> list[str]:
    if not principal.can("accounts", "read"):
        return []
    return accounts.facet_values(principal, name)


def _options(principal: Principal) -> dict[str, Any]:
    spend_channels = {s.channel for s in list_spend(principal)}
    return {
        "segments": SEGMENTS,
        "industries": _facet(principal, "industry"),
        "regions": _facet(principal, "region"),
        "channels": sorted(set(_facet(principal, "acquisition_channel")) | spend_channels),
        "plans": [(p.external_id, p.name) for p in list_plans(principal)],
    }


@member_view("revenue", "read")
def revenue_page(request: HttpRequest, principal: Principal) -> HttpResponse:
    cut = _cut(request)
    snap = reports.snapshot(principal, _as_of(request), cut)
    m = reports.revenue_metrics(principal, snap=snap)
    cohorts = calc.cohort_table(snap)
    positions = account_positions(snap, principal.workspace.thresholds)
    options = _options(principal)
    query = request.GET.copy()
    query.pop("month", None)
    context = {
        "nav_active": "revenue",
        "m": m,
        "cut": cut,
        "as_of": snap.as_of,
        "headline": _headline(m),
        "months": list(reversed(m.months)),
        "chart": _chart_data(m, cohorts),
        "cac_rows": [(c, number(c.cac_payback_months, 1)) for c in m.channels],
        "motion": motion_by_segment(positions).to_dict("records"),
        "motion_labels": labels(MOTION_LABELS),
        "mismatches": sum(1 for p in positions if p.mismatch),
        "query": query.urlencode(),
        **options,
    }
    return render(request, "revenue/revenue.html", context)


@member_view("revenue", "read")
def movements_page(request: HttpRequest, principal: Principal) -> HttpResponse:
    month = reports.require_month(request.GET.get("month", ""))
    kind = request.GET.get("kind") or None
    items = reports.month_movements(principal, month, kind, _as_of(request), _cut(request))
    total = sum((i.amount for i in items), Decimal(0))
    context = {
        "nav_active": "revenue",
        "month": month,
        "kind": kind,
        "kind_label": KIND_LABELS.get(kind or "", ""),
        "items": items,
        "total": total,
        "labels": labels(KIND_LABELS),
    }
    partial = bool(request.headers.get("HX-Request"))
    return render(
        request, "revenue/_movements.html" if partial else "revenue/movements.html", context
    )


@member_view("revenue", "read")
def accounts_page(request: HttpRequest, principal: Principal) -> HttpResponse:
    """Paying accounts with MRR, ACV and sales motion; ``?ids=`` or ``?mismatch=1`` narrow."""
    items = reports.account_revenue(principal, _as_of(request), _cut(request))
    raw_ids = request.GET.get("ids", "")
    ids = [int(i) for i in raw_ids.split(",") if i.strip().isdigit()]
    wanted = set(ids)
    if wanted:
        items = [i for i in items if i.account_id in wanted]
        missing = wanted - {i.account_id for i in items}
    else:
        missing = set()
    if request.GET.get("mismatch"):
        items = [i for i in items if i.mismatch]
    try:
        number = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        number = 1
    pages = max(1, -(-len(items) // PAGE_SIZE))
    number = min(number, pages)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "nav_active": "revenue",
        "items": items[(number - 1) * PAGE_SIZE : number * PAGE_SIZE],
        "count": len(items),
        "number": number,
        "pages": pages,
        "query": query.urlencode(),
        "not_paying": len(missing),
        "motion_labels": labels(MOTION_LABELS),
        "narrowed": bool(wanted) or bool(request.GET.get("mismatch")),
    }
    return render(request, "revenue/accounts.html", context)


RULE_FORMAT = {
    "P-ECON-1": "money",
    "P-ECON-2": "pct",
    "P-ECON-3": "pct",
    "P-ECON-4": "months",
    "P-ECON-5": "pct",
    "P-ECON-6": "times",
}


def shown(value: Decimal | float | None, kind: str, currency: str) -> str:
    """A rule's value or threshold as people read it: money, %, months or ×."""
    if value is None:
        return "—"
    if kind == "money":
        return f"{currency} {Decimal(value):,.0f}"
    if kind == "pct":
        return pct(float(value))
    if kind == "months":
        return _("%(n)s months") % {"n": number(float(value), 1)}
    return f"{float(value):.2f}×"


def _rule_rows(rules: list[Any], currency: str) -> list[dict[str, Any]]:
    rows = []
    for r in rules:
        kind = RULE_FORMAT.get(r.rule, "number")
        limit = shown(r.threshold, kind, currency)
        if r.threshold_max is not None:
            limit = f"{limit} – {shown(r.threshold_max, kind, currency)}"
        rows.append({"rule": r, "value": shown(r.value, kind, currency), "threshold": limit})
    return rows


@member_view("revenue", "read")
def overview_page(request: HttpRequest, principal: Principal) -> HttpResponse:
    snap = reports.snapshot(principal, _as_of(request))
    m = reports.revenue_metrics(principal, snap=snap, survival=False)
    t = principal.workspace.thresholds
    positions = account_positions(snap, t)
    rules = playbook_rules(m, snap, positions, t, lambda ids: reports.accounts_link(principal, ids))
    context = {
        "nav_active": "overview",
        "as_of": snap.as_of,
        "m": m,
        "rules": _rule_rows(rules, principal.workspace.currency),
        "verdict_labels": labels(VERDICT_LABELS),
        "milestones": milestones(m),
        "headline": _headline(m)[:4],
    }
    return render(request, "revenue/overview.html", context)
