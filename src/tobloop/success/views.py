"""Health pages: accounts by health, the health-profile editor (Settings) and the account panel.

Thin over the facade; every write is audited by the logic it calls.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from tobloop.accounts.facade import AccountFilter, get_account, list_accounts
from tobloop.kernel.errors import InvalidInput, NotFound, TobloopError
from tobloop.platform.contracts import Principal
from tobloop.platform.web import member_view
from tobloop.success import facade
from tobloop.success.health_forms import (
    OPS,
    FormError,
    measure_rows,
    profile_from_form,
    rule_measures,
    rule_rows,
)
from tobloop.success.logic.health import today_for
from tobloop.success.models import HealthVerdict

COLORS = ("red", "yellow", "green")
SEGMENTS = ("small", "mid", "large", "unknown")
STAGES = ("prospect", "trial", "onboarding", "active", "at_risk", "churned")
TIERS = ("online_partner", "regional_csm", "dedicated_team", "unassigned")
PAGE_SIZE = 50


def _common(principal: Principal, **extra: Any) -> dict[str, Any]:
    return {
        "can_write": principal.can("success", "write"),
        "is_admin": principal.can("platform", "admin"),
        **extra,
    }


@member_view("success", "read")
def health_list(request: HttpRequest, principal: Principal) -> HttpResponse:
    """Accounts by health on the latest scored day: red first, then by score."""
    f = {k: request.GET.get(k, "").strip() for k in ("color", "segment", "tier", "csm")}
    verdicts = HealthVerdict.objects.for_workspace(principal.workspace_id)
    day = verdicts.order_by("-day").values_list("day", flat=True).first()
    rows: list[dict[str, Any]] = []
    csms: set[str] = set()
    if day is not None:
        accounts = _filtered_accounts(principal, f)
        csms = {a.csm_owner for a in accounts.values() if a.csm_owner}
        if f["csm"]:
            accounts = {k: a for k, a in accounts.items() if a.csm_owner == f["csm"]}
        qs = verdicts.filter(day=day)
        rank = {"red": 0, "yellow": 1, "green": 2}
        for v in qs.only("account_id", "color", "score", "reason", "profile_name", "changes"):
            a = accounts.get(v.account_id)
            if a is not None:
                rows.append({"v": v, "a": a, "rank": rank[v.color]})
        rows.sort(key=lambda r: (r["rank"], r["v"].score if r["v"].score is not None else 999))
    counts = {c: sum(r["v"].color == c for r in rows) for c in COLORS}
    if f["color"] in COLORS:
        rows = [r for r in rows if r["v"].color == f["color"]]
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    context = _common(
        principal, nav_active="success", day=day, rows=rows[(page - 1) * PAGE_SIZE :][:PAGE_SIZE],
        total=len(rows), counts=counts, filters=f, colors=COLORS, segments=SEGMENTS,
        tiers=TIERS, csms=sorted(csms), page=page,
        pages=max(1, (len(rows) + PAGE_SIZE - 1) // PAGE_SIZE),
    )  # fmt: skip
    template = (
        "success/_health_table.html"
        if request.headers.get("HX-Request")
        else ("success/health_list.html")
    )
    return render(request, template, context)


def _filtered_accounts(principal: Principal, f: dict[str, str]) -> dict[int, Any]:
    base: dict[str, Any] = {"limit": 500, "sort": "created_at"}
    if f["segment"] in SEGMENTS:
        base["segment"] = f["segment"]
    if f["tier"] in TIERS:
        base["service_tier"] = f["tier"]
    out: dict[int, Any] = {}
    while True:
        page = list_accounts(principal, AccountFilter(**base, offset=len(out)))
        out.update({a.id: a for a in page.items})
        if len(out) >= page.count or not page.items:
            return out


def _profile_context(
    principal: Principal, doc: dict[str, Any] | None, errors: list[str], editing: int | None
) -> dict[str, Any]:
    return _common(
        principal, nav_active="settings", tab="health", profiles=facade.list_health_profiles(
            principal), doc=doc or {"kind": "score", "is_active": True},
        measure_rows=measure_rows(doc), rule_rows=rule_rows(doc), rule_measures=rule_measures(),
        ops=OPS, segments=SEGMENTS, stages=STAGES, errors=errors, editing=editing,
    )  # fmt: skip


def _errors(exc: TobloopError) -> list[str]:
    if not exc.details:
        return [exc.message]
    return [f"{' → '.join(str(p) for p in d.loc)}: {d.msg}" for d in exc.details]


@member_view("success", "read")
def profiles_page(request: HttpRequest, principal: Principal) -> HttpResponse:
    """Settings → Health profiles: the list, and the editor for a new or an existing one."""
    editing = request.GET.get("edit", "")
    doc = None
    if editing.isdigit():
        found = [p for p in facade.list_health_profiles(principal) if p.id == int(editing)]
        if not found:
            raise NotFound(f"no health profile with id {editing}", code="health_profile_not_found")
        doc = asdict(found[0])
        doc["bands"] = found[0].bands
    if request.method == "POST":
        return _save_profile(request, principal)
    context = _profile_context(principal, doc, [], int(editing) if editing.isdigit() else None)
    return render(request, "success/health_profiles.html", context)


def _save_profile(request: HttpRequest, principal: Principal) -> HttpResponse:
    pk = request.POST.get("profile_id", "")
    editing = int(pk) if pk.isdigit() else None
    try:
        doc = profile_from_form(request.POST)
    except FormError as exc:
        errors = [f"{' → '.join(str(p) for p in exc.loc)}: {exc.msg}"]
        context = _profile_context(principal, None, errors, editing)
        return render(request, "success/health_profiles.html", context, status=400)
    try:
        if editing is not None:
            facade.replace_health_profile(principal, editing, doc)
        else:
            facade.create_health_profile(principal, doc)
    except (InvalidInput, TobloopError) as exc:
        if exc.status >= 500 or exc.status in (403, 404):
            raise
        context = _profile_context(principal, doc, _errors(exc), editing)
        return render(request, "success/health_profiles.html", context, status=400)
    return redirect("success:health-profiles", slug=principal.workspace.slug)


@member_view("success", "write")
def profile_toggle(request: HttpRequest, principal: Principal, pk: int) -> HttpResponse:
    found = [p for p in facade.list_health_profiles(principal) if p.id == pk]
    if not found:
        raise NotFound(f"no health profile with id {pk}", code="health_profile_not_found")
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    doc = asdict(found[0])
    doc.pop("id")
    doc["is_active"] = not doc["is_active"]
    if doc["kind"] != "score":
        doc.pop("bands")
    for rule in doc["rules"]:
        if rule.get("window_days") is None:
            rule.pop("window_days", None)
    facade.replace_health_profile(principal, pk, doc)
    return redirect("success:health-profiles", slug=principal.workspace.slug)


@member_view("success", "write")
def profile_delete(request: HttpRequest, principal: Principal, pk: int) -> HttpResponse:
    if not any(p.id == pk for p in facade.list_health_profiles(principal)):
        raise NotFound(f"no health profile with id {pk}", code="health_profile_not_found")
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    facade.delete_health_profile(principal, pk)
    return redirect("success:health-profiles", slug=principal.workspace.slug)


@member_view("success", "read")
def profile_backtest(request: HttpRequest, principal: Principal, pk: int) -> HttpResponse:
    try:
        reports = facade.backtest_health(principal, profile=str(pk))
        error = None
    except InvalidInput as exc:
        reports, error = [], exc.message
    return render(request, "success/_backtest.html", {"reports": reports, "error": error})


def _panel(request: HttpRequest, principal: Principal, pk: int, **extra: Any) -> HttpResponse:
    get_account(principal, pk)
    health = facade.account_health(principal, pk, days=180)
    history = list(reversed(health.history))
    chart = {
        "days": [v.day.isoformat() for v in history],
        "score": [v.score for v in history],
        "computed": [v.computed_score for v in history],
        "level": [{"red": 0, "yellow": 1, "green": 2}[v.color] for v in history],
        "kind": health.current.kind if health.current else "code",
        "labels": {"score": _("Score"), "computed": _("Computed score"), "colour": _("Colour"),
                   "0": _("Red"), "1": _("Yellow"), "2": _("Green")},
    }  # fmt: skip
    overrides = facade.list_health_overrides(principal, pk)
    context = _common(
        principal, account_id=pk, chart_id=f"health-chart-{pk}", current=health.current,
        history=health.history[:10], chart=chart,
        override=next((o for o in overrides if o.active), None),
        today=today_for(principal), **extra,
    )  # fmt: skip
    return render(request, "success/_account_health.html", context, status=extra.get("status", 200))


@member_view("success", "read")
def account_panel(request: HttpRequest, principal: Principal, pk: int) -> HttpResponse:
    return _panel(request, principal, pk)


@member_view("success", "write")
def account_score(request: HttpRequest, principal: Principal, pk: int) -> HttpResponse:
    get_account(principal, pk)  # 404 for another workspace's account
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    facade.score_account(principal, pk)
    return _panel(request, principal, pk)


@member_view("success", "write")
def account_override(request: HttpRequest, principal: Principal, pk: int) -> HttpResponse:
    get_account(principal, pk)  # 404 for another workspace's account
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    raw = {k: request.POST.get(k, "").strip() for k in ("color", "score", "reason", "until")}
    data: dict[str, Any] = {"color": raw["color"], "reason": raw["reason"]}
    errors: list[str] = []
    try:
        data["until"] = date.fromisoformat(raw["until"])
    except ValueError:
        errors.append("until: a date is needed (YYYY-MM-DD)")
    if raw["score"]:
        try:
            data["score"] = float(raw["score"])
        except ValueError:
            errors.append("score: a number from 0 to 100")
    if not errors:
        try:
            facade.set_health_override(principal, pk, data)
            return _panel(request, principal, pk)
        except InvalidInput as exc:
            errors = _errors(exc)
    return _panel(request, principal, pk, override_errors=errors, form=raw, status=400)


@member_view("success", "write")
def account_override_clear(request: HttpRequest, principal: Principal, pk: int) -> HttpResponse:
    get_account(principal, pk)  # 404 for another workspace's account
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    facade.clear_health_override(principal, pk)
    return _panel(request, principal, pk)


@member_view("success", "read")
def churn_page(request: HttpRequest, principal: Principal) -> HttpResponse:
    """The churn risk model: its card (out-of-time figures, reliability diagram) and accounts
    by calibrated churn probability with their drivers."""
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    run = facade.churn_model_status(principal)
    risks = facade.churn_risk_list(principal, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    chart = None
    if run is not None and run.calibration:
        chart = {
            "bins": [
                {"predicted": b["predicted"], "observed": b["observed"], "count": b["count"],
                 "lower": b["lower"], "upper": b["upper"]}
                for b in run.calibration
            ],
            "labels": {"predicted": _("Mean predicted probability"),
                       "observed": _("Observed churn rate"), "ideal": _("Perfect calibration")},
        }  # fmt: skip
    context = _common(
        principal, nav_active="success", run=run, risks=risks, chart=chart, page=page,
        pages=max(1, (risks.count + PAGE_SIZE - 1) // PAGE_SIZE),
        pooling=facade.get_pooling(principal),
        message=request.GET.get("done", ""),
    )  # fmt: skip
    return render(request, "success/churn_risk.html", context)


@member_view("success", "write")
def churn_train(request: HttpRequest, principal: Principal) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    facade.train_churn_model(principal)
    return redirect(f"{request.path.rsplit('train/', 1)[0]}?done=trained")


@member_view("success", "read")
def churn_pooling(request: HttpRequest, principal: Principal) -> HttpResponse:
    """Opt in to or out of pooled training; set_pooling refuses anyone but owners/admins."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    facade.set_pooling(principal, request.POST.get("enabled") == "1")
    return redirect(f"{request.path.rsplit('pooling/', 1)[0]}?done=pooling")


@member_view("success", "read")
def account_churn_panel(request: HttpRequest, principal: Principal, pk: int) -> HttpResponse:
    """The account page's churn risk panel: probability and drivers under the latest model."""
    get_account(principal, pk)  # 404 for another workspace's account
    risk = facade.account_churn_risk(principal, pk)
    run = facade.churn_model_status(principal)
    return render(request, "success/_account_churn.html", {"risk": risk, "run": run})
