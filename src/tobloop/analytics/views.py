"""Pages: Live events (filterable, refreshing) and the Event catalog. Thin over the facade."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from pydantic import ValidationError

from tobloop.accounts import facade as accounts_facade
from tobloop.analytics import facade, insight_charts, query_forms
from tobloop.analytics.insights import models as insight_models
from tobloop.analytics.insights import service
from tobloop.analytics.insights.models import FunnelQuery
from tobloop.analytics.logic import aarrr as aarrr_logic
from tobloop.analytics.logic import saved_insights as saved
from tobloop.analytics.models import EventUser
from tobloop.kernel.errors import InvalidInput, NotFound, PermissionDenied
from tobloop.platform.contracts import Principal
from tobloop.platform.web import member_view

LIVE_LIMIT = 100


def _text(request: HttpRequest, name: str, limit: int) -> str:
    return request.GET.get(name, "").strip()[:limit]


def _compact(doc: dict[str, Any]) -> str:
    return orjson.dumps(doc).decode() if doc else ""


@member_view("analytics", "read")
def live_events(request: HttpRequest, principal: Principal) -> HttpResponse:
    filters = {
        "event": _text(request, "event", 255),
        "user_id": _text(request, "user_id", 255),
        "account": _text(request, "account", 120),
    }
    events = facade.live_events(principal, limit=LIVE_LIMIT, **filters)
    rows = [
        {
            "event": e,
            "label": e.event or e.type,
            "payload": _compact(e.traits if e.type in ("identify", "group") else e.properties),
        }
        for e in events
    ]
    context = {
        "nav_active": "analytics",
        "tab": "live",
        "filters": filters,
        "rows": rows,
        "limit": LIVE_LIMIT,
        "query": request.GET.urlencode(),
        "event_names": sorted(
            {c.event for c in facade.event_catalog(principal) if c.event}, key=str.lower
        )
        if not request.headers.get("HX-Request")
        else [],
    }
    template = (
        "analytics/_live_table.html" if request.headers.get("HX-Request") else "analytics/live.html"
    )
    return render(request, template, context)


@member_view("analytics", "read")
def event_catalog(request: HttpRequest, principal: Principal) -> HttpResponse:
    catalog = facade.event_catalog(principal)
    return render(
        request,
        "analytics/catalog.html",
        {
            "nav_active": "analytics",
            "tab": "catalog",
            "catalog": catalog,
            "total": sum(c.count for c in catalog),
        },
    )


@member_view("analytics", "read")
def account_by_external_id(request: HttpRequest, principal: Principal) -> HttpResponse:
    """``?id=EXT``: the account page of the account events name by its external id."""
    external_id = _text(request, "id", 120)
    if external_id:
        page = accounts_facade.list_accounts(
            principal, accounts_facade.AccountFilter(q=external_id, limit=50)
        )
        for account in page.items:
            if account.external_id == external_id:
                return redirect("accounts:detail", slug=principal.workspace.slug, pk=account.id)
    raise NotFound(_("No account has the external id %(id)s.") % {"id": external_id or "—"})


# --- Query builder: funnel, retention, paths, trends --------------------------------------

BUILDER_TITLES = {
    "funnel": gettext_lazy("Funnel"),
    "retention": gettext_lazy("Retention"),
    "paths": gettext_lazy("Paths"),
    "trends": gettext_lazy("Trends"),
    "active": gettext_lazy("Active users"),
}
FILTER_OPS = [
    ("eq", "="),
    ("neq", "≠"),
    ("gt", ">"),
    ("gte", "≥"),
    ("lt", "<"),
    ("lte", "≤"),
    ("contains", gettext_lazy("contains")),
    ("is_set", gettext_lazy("is set")),
    ("is_not_set", gettext_lazy("is not set")),
]
DROPPED_LIMIT = 200
PERIOD_LABELS = [
    ("day", gettext_lazy("Day")),
    ("week", gettext_lazy("Week")),
    ("month", gettext_lazy("Month")),
]
METRIC_LABELS = [
    ("users", gettext_lazy("Unique users")),
    ("accounts", gettext_lazy("Unique accounts")),
    ("count", gettext_lazy("Events")),
]


def workspace_today(principal: Principal) -> date:
    return datetime.now(ZoneInfo(principal.workspace.timezone)).date()


def _event_names(principal: Principal) -> list[str]:
    return sorted({c.event for c in facade.event_catalog(principal) if c.event}, key=str.lower)


def builder_context(principal: Principal, kind: str, request: HttpRequest) -> dict[str, Any]:
    """Read, validate and (when valid) run one builder page's query."""
    form = query_forms.read_form(kind, request.GET, workspace_today(principal))
    catalog = facade.event_catalog(principal)
    _unplaced_errors_to_query(kind, form.errors)
    insight = None
    if form.valid:
        try:
            insight = insight_charts.run_insight(principal, kind, form.queries, form.body)
        except InvalidInput as exc:
            form.errors["query"] = exc.message
    return {
        "nav_active": "analytics",
        "tab": kind,
        "kind": kind,
        "title": BUILDER_TITLES[kind],
        "form": form,
        "v": form.values,
        "errors": form.errors,
        "insight": insight,
        "chart_json": insight.chart if insight else None,
        "event_names": sorted({c.event for c in catalog if c.event}, key=str.lower),
        "filter_ops": FILTER_OPS,
        "query": request.GET.urlencode(),
        "saved_body": orjson.dumps(form.body).decode() if form.valid else "",
        "can_save": principal.can("analytics", "write"),
        "steps": funnel_step_rows(form) if kind == "funnel" else [],
        "start_filters": _with_blank(form.values.get("start_filters", [])),
        "periods": PERIOD_LABELS,
        "metrics": METRIC_LABELS,
        "metric_label": dict(METRIC_LABELS).get(form.values.get("metric", ""), ""),
        "trend_events": trend_event_rows(form) if kind == "trends" else [],
        "dashboards": saved.list_dashboards(principal, limit=500)[0] if form.valid else [],
        "supports_breakdown": query_forms.supports(kind, "breakdown"),
        "supports_over_time": query_forms.supports(kind, "over_time"),
        "supports_time_to_convert": query_forms.supports(kind, "time_to_convert"),
        "breakdown_keys": _breakdown_keys(catalog),
    }


def _breakdown_keys(catalog: list[Any]) -> list[str]:
    """Property names from the catalog plus the account fields, for the breakdown input."""
    keys = {p.name for c in catalog for p in c.properties}
    fields = getattr(insight_models, "ACCOUNT_FIELDS", ())
    return sorted(keys, key=str.lower) + list(fields)


def trend_event_rows(form: query_forms.BuiltForm) -> list[dict[str, Any]]:
    """The events compared, one blank to add another (up to five), errors beside each."""
    names = list(form.values.get("events", []))
    while not names or (names[-1] and len(names) < query_forms.MAX_TREND_EVENTS):
        names.append("")
    filled = 0
    rows = []
    for name in names:
        key = f"event_{filled}" if name else ""
        filled += 1 if name else 0
        rows.append({"name": name, "key": key, "error": form.errors.get(key, "") if key else ""})
    return rows


# Form fields that show their own error on each page; any other error goes under the form.
PLACED_ERRORS = {
    "funnel": {"steps", "window", "by", "bd_key", "bd_top", "breakdown"},
    "retention": {"start", "return", "period", "periods", "bd_key", "bd_top", "breakdown"},
    "paths": {"event", "depth", "top"},
    "trends": {"interval", "account", "bd_key", "bd_top", "breakdown"},
    "active": {"event", "account", "by"},
}


def _unplaced_errors_to_query(kind: str, errors: dict[str, str]) -> None:
    placed = PLACED_ERRORS[kind] | {"from", "to", "query"}
    for key in [k for k in errors if k not in placed and not k.startswith(("step_", "event_"))]:
        message = f"{key}: {errors.pop(key)}"
        errors["query"] = f"{errors['query']}; {message}" if "query" in errors else message


def _with_blank(filters: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [*filters, {"key": "", "op": "eq", "raw": ""}]


def funnel_step_rows(form: query_forms.BuiltForm) -> list[dict[str, Any]]:
    """The form's steps plus one blank row to add a step; errors of step n of the query (blank
    rows are skipped in it) are shown beside the row they came from."""
    steps = list(form.values.get("steps", []))
    rows, n = [], 0
    for s in steps:
        key = ""
        if s["event"]:
            key, n = f"step_{n}", n + 1
        rows.append(
            {
                **s,
                "filters_shown": _with_blank(s["filters"]),
                "error_key": key,
                "error": form.errors.get(key, "") if key else "",
            }
        )
    while len(rows) < 2 or (len(rows) < query_forms.MAX_STEPS and rows[-1]["event"]):
        rows.append(
            {
                "event": "",
                "filters": [],
                "filters_shown": _with_blank([]),
                "error_key": "",
                "error": "",
            }
        )
    return rows


def _builder(kind: str) -> Any:
    @member_view("analytics", "read")
    def page(request: HttpRequest, principal: Principal) -> HttpResponse:
        context = builder_context(principal, kind, request)
        return render(request, f"analytics/{kind}.html", context)

    page.__name__ = f"{kind}_page"
    return page


funnel_page = _builder("funnel")
retention_page = _builder("retention")
paths_page = _builder("paths")
trends_page = _builder("trends")
active_page = _builder("active")


@member_view("analytics", "read")
def funnel_dropped(request: HttpRequest, principal: Principal) -> HttpResponse:
    """The users or accounts that reached step ``at`` − 1 and not step ``at``: a fragment."""
    form = query_forms.read_form("funnel", request.GET, workspace_today(principal))
    if not form.valid:
        raise InvalidInput(_("The funnel is not valid: %(errors)s") % {"errors": form.errors})
    query: FunnelQuery = form.queries[0]
    try:
        at = int(request.GET.get("at", ""))
    except ValueError:
        raise InvalidInput(_("Choose a step from 2 to %(n)s.") % {"n": len(query.steps)}) from None
    if not 2 <= at <= len(query.steps):
        raise InvalidInput(_("Choose a step from 2 to %(n)s.") % {"n": len(query.steps)})
    ids = service.funnel_dropped(principal, query, step=at, limit=DROPPED_LIMIT + 1)
    users = {}
    if query.by.value == "user":
        found = EventUser.objects.for_workspace(principal.workspace_id).filter(
            distinct_id__in=ids[:DROPPED_LIMIT]
        )
        users = {u.distinct_id: u for u in found}
    rows = [{"id": i, "user": users.get(i)} for i in ids[:DROPPED_LIMIT]]
    return render(
        request,
        "analytics/_dropped.html",
        {
            "rows": rows,
            "more": len(ids) > DROPPED_LIMIT,
            "limit": DROPPED_LIMIT,
            "by": query.by.value,
            "from_step": query.steps[at - 2].event,
            "to_step": query.steps[at - 1].event,
            "at": at,
        },
    )


# --- Saved insights and dashboards --------------------------------------------------------


@member_view("analytics", "write")
@require_POST
def insight_save(request: HttpRequest, principal: Principal) -> HttpResponse:
    """The builder's Save button: store the query, optionally onto a (new) dashboard."""
    try:
        query = orjson.loads(request.POST.get("query", "") or "{}")
    except orjson.JSONDecodeError:
        raise InvalidInput(_("The query to save is not valid JSON.")) from None
    kind = request.POST.get("kind", "")
    try:
        data = saved.InsightIn(
            name=request.POST.get("name", "").strip() or "",
            kind=kind,  # type: ignore[arg-type]
            query=query if isinstance(query, dict) else {},
        )
    except ValidationError as exc:
        fields = ", ".join(str(e["loc"][0]) for e in exc.errors() if e.get("loc"))
        raise InvalidInput(_("The insight cannot be saved: check %(f)s.") % {"f": fields}) from None
    with transaction.atomic():
        insight = saved.create_insight(principal, data)
        target = request.POST.get("dashboard", "")
        dashboard_id: int | None = None
        if target == "new":
            name = request.POST.get("dashboard_name", "").strip() or insight.name
            dashboard_id = saved.create_dashboard(
                principal, saved.DashboardIn(name=name[:200], insights=[insight.id])
            ).id
        elif target.isdigit():
            dashboard_id = saved.add_to_dashboard(principal, int(target), insight.id).id
    messages.success(request, _("Saved “%(name)s”.") % {"name": insight.name})
    slug = principal.workspace.slug
    if dashboard_id is not None:
        return redirect("analytics:dashboard", slug=slug, pk=dashboard_id)
    return redirect("analytics:dashboards", slug=slug)


@member_view("analytics", "read")
def insight_open(request: HttpRequest, principal: Principal, pk: int) -> HttpResponse:
    """A saved insight opens in its builder, as a shareable URL."""
    insight = saved.get_insight(principal, pk)
    url = reverse(f"analytics:{insight.kind}", kwargs={"slug": principal.workspace.slug})
    return redirect(f"{url}?{query_forms.query_string(insight.kind, insight.query)}")


def render_saved(principal: Principal, insight: saved.InsightView, n: int) -> dict[str, Any]:
    """One dashboard tile: the chart document, or the reason it cannot be drawn now."""
    queries, errors = query_forms.validate(insight.kind, insight.query)
    tile: dict[str, Any] = {"insight": insight, "chart_id": f"chart-{n}", "error": ""}
    if errors:
        tile["error"] = "; ".join(f"{k}: {v}" for k, v in errors.items())
        return tile
    try:
        answer = insight_charts.run_insight(principal, insight.kind, queries, insight.query)
    except InvalidInput as exc:
        tile["error"] = exc.message
        return tile
    tile["chart"] = answer.chart
    tile["summary"] = _tile_summary(answer)
    return tile


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _tile_summary(answer: insight_charts.Insight) -> str:
    """One line under a dashboard chart: the figure a reader looks for first."""
    chart = answer.chart
    if answer.kind == "retention" and chart.get("curve"):
        return _("Back in the first period after: %(share)s of all cohorts") % {
            "share": _share(chart["curve"][0])
        }
    if answer.kind == "trends" and chart.get("dates"):
        parts = [f"{s['name']}: {s['data'][-1]:,}" for s in chart["series"]]
        return _("Latest period (%(day)s): %(values)s") % {
            "day": chart["dates"][-1],
            "values": ", ".join(parts),
        }
    if answer.kind == "active" and answer.results:
        return _("Stickiness (DAU ÷ MAU): %(share)s") % {
            "share": _share(answer.results[0].stickiness)
        }
    if answer.kind == "funnel" and answer.rows:
        last = answer.rows[-1]
        conv = "—" if last["conversion"] is None else f"{last['conversion'] * 100:.1f}%"
        return _("%(first)s → %(last)s: %(conv)s overall") % {
            "first": answer.rows[0]["event"],
            "last": last["event"],
            "conv": conv,
        }
    return ""


@member_view("analytics", "read")
def dashboards(request: HttpRequest, principal: Principal) -> HttpResponse:
    """Dashboards and saved insights of the workspace; a form to make a dashboard."""
    if request.method == "POST":
        if not principal.can("analytics", "write"):
            raise PermissionDenied(_("You cannot change dashboards in this workspace."))
        raw = request.POST.get("delete_insight", "")
        if raw.isdigit():
            gone = saved.get_insight(principal, int(raw))
            saved.delete_insight(principal, gone.id)
            messages.success(request, _("Deleted the insight “%(name)s”.") % {"name": gone.name})
            return redirect("analytics:dashboards", slug=principal.workspace.slug)
        name = request.POST.get("name", "").strip()
        if not name:
            raise InvalidInput(_("A dashboard needs a name."))
        created = saved.create_dashboard(principal, saved.DashboardIn(name=name[:200]))
        return redirect("analytics:dashboard", slug=principal.workspace.slug, pk=created.id)
    boards, _n = saved.list_dashboards(principal, limit=500)
    insights, _m = saved.list_insights(principal, limit=500)
    return render(
        request,
        "analytics/dashboards.html",
        {
            "nav_active": "analytics",
            "tab": "dashboards",
            "dashboards": boards,
            "insights": insights,
            "kinds": dict(BUILDER_TITLES),
            "can_write": principal.can("analytics", "write"),
        },
    )


@member_view("analytics", "read")
def dashboard_detail(request: HttpRequest, principal: Principal, pk: int) -> HttpResponse:
    """Every insight of the dashboard, each with its chart; owners of write scope edit it."""
    board = saved.get_dashboard(principal, pk)
    if request.method == "POST":
        return _dashboard_action(request, principal, board)
    insights = saved.dashboard_insights(principal, pk)
    tiles = [render_saved(principal, i, n) for n, i in enumerate(insights)]
    others, _n = saved.list_insights(principal, limit=500)
    return render(
        request,
        "analytics/dashboard.html",
        {
            "nav_active": "analytics",
            "tab": "dashboards",
            "board": board,
            "tiles": tiles,
            "others": [i for i in others if i.id not in board.insights],
            "kinds": dict(BUILDER_TITLES),
            "can_write": principal.can("analytics", "write"),
        },
    )


def _dashboard_action(
    request: HttpRequest, principal: Principal, board: saved.DashboardView
) -> HttpResponse:
    if not principal.can("analytics", "write"):
        raise PermissionDenied(_("You cannot change dashboards in this workspace."))
    action = request.POST.get("action", "")
    slug = principal.workspace.slug
    ids = list(board.insights)
    raw = request.POST.get("insight", "")
    insight_id = int(raw) if raw.isdigit() else None
    if action == "delete":
        saved.delete_dashboard(principal, board.id)
        messages.success(request, _("Deleted the dashboard “%(name)s”.") % {"name": board.name})
        return redirect("analytics:dashboards", slug=slug)
    if action == "add" and insight_id is not None:
        saved.add_to_dashboard(principal, board.id, insight_id)
    elif action == "remove" and insight_id in ids:
        ids.remove(insight_id)
        saved.update_dashboard(principal, board.id, saved.DashboardPatch(insights=ids))
    elif action in ("up", "down") and insight_id in ids:
        i = ids.index(insight_id)
        j = i - 1 if action == "up" else i + 1
        if 0 <= j < len(ids):
            ids[i], ids[j] = ids[j], ids[i]
            saved.update_dashboard(principal, board.id, saved.DashboardPatch(insights=ids))
    elif action == "rename" and request.POST.get("name", "").strip():
        patch = saved.DashboardPatch(name=request.POST["name"].strip()[:200])
        saved.update_dashboard(principal, board.id, patch)
    else:
        raise InvalidInput(_("Unknown dashboard action."))
    return redirect("analytics:dashboard", slug=slug, pk=board.id)


# --- AARRR board (P-DATA-2, P-DATA-4, P-DATA-5) -------------------------------------------

STAGE_LABELS = {
    "acquisition": gettext_lazy("Acquisition"),
    "activation": gettext_lazy("Activation"),
    "retention": gettext_lazy("Retention"),
    "revenue": gettext_lazy("Revenue"),
    "referral": gettext_lazy("Referral"),
}
STAGE_HELP = {
    "acquisition": gettext_lazy("accounts that did the acquisition event in the period"),
    "activation": gettext_lazy("of those, accounts that did the activation event"),
    "retention": gettext_lazy(
        "of those, accounts back with the retention event a day or more later"
    ),
    "revenue": gettext_lazy("of those, accounts paying in the period (revenue module)"),
    "referral": gettext_lazy("of those, accounts that sent an invitation"),
}


def _period(request: HttpRequest, principal: Principal) -> tuple[date, date, dict[str, str]]:
    today = workspace_today(principal)
    start_text, end_text = query_forms.default_range(today)
    errors: dict[str, str] = {}
    values = {}
    for name, default in (("from", start_text), ("to", end_text)):
        raw = _text(request, name, 10) or default
        try:
            values[name] = date.fromisoformat(raw)
        except ValueError:
            errors[name] = _("%(value)s is not a date (YYYY-MM-DD)") % {"value": raw}
            values[name] = date.fromisoformat(default)
    if not errors and values["to"] < values["from"]:
        errors["to"] = _("'to' is before 'from'")
    return values["from"], values["to"], errors


@member_view("analytics", "read")
def aarrr_page(request: HttpRequest, principal: Principal) -> HttpResponse:
    """Each stage's accounts and conversion against its target; the weakest link flagged."""
    start, end, errors = _period(request, principal)
    board = None
    if not errors:
        try:
            board = facade.aarrr_board(principal, start, end)
        except InvalidInput as exc:
            errors.update({str(d.loc[0]): d.msg for d in exc.details} or {"to": exc.message})
    stages = []
    chart: dict[str, Any] | None = None
    if board is not None:
        stages = [
            {**s.__dict__, "label": str(STAGE_LABELS[s.stage]), "help": STAGE_HELP[s.stage]}
            for s in board.stages
        ]
        chart = {
            "type": "aarrr",
            "stages": [
                {
                    "label": s["label"],
                    "count": s["count"],
                    "conversion": s["conversion"],
                    "target": None if s["stage"] == "acquisition" else s["target"],
                    "weakest": s["weakest"],
                }
                for s in stages
                if s["count"] is not None
            ],
            "labels": {
                "count": _("Accounts"),
                "conversion": _("Conversion from the previous stage"),
                "target": _("Target"),
            },
        }
    return render(
        request,
        "analytics/aarrr.html",
        {
            "nav_active": "analytics",
            "tab": "aarrr",
            "v": {"from": start.isoformat(), "to": end.isoformat()},
            "errors": errors,
            "board": board,
            "stages": stages,
            "weakest_label": STAGE_LABELS.get(board.weakest or "", "") if board else "",
            "funnel_query": _aarrr_funnel_query(principal, start, end) if board else "",
            "chart_json": chart,
            "can_write": principal.can("analytics", "write"),
        },
    )


def _aarrr_funnel_query(principal: Principal, start: date, end: date) -> str:
    """The mapped events in stage order as a funnel by account over the period (window: the
    period, at most 90 days), to look at the same accounts step by step."""
    config = facade.get_aarrr_config(principal)
    steps = [config.event_of(s) for s in ("acquisition", "activation", "retention", "referral")]
    steps = [e for e in steps if e]
    if len(steps) < 2:
        return ""
    days = min((end - start).days + 1, 90)
    body = {"from": start.isoformat(), "to": end.isoformat(), "steps": steps}
    return query_forms.query_string("funnel", {**body, "window": f"{days}d", "by": "account"})


def _settings_form(config: Any) -> list[dict[str, Any]]:
    rows = []
    for name in aarrr_logic.STAGES:
        s = config.stage(name)
        target = s.target
        if target is not None and name != "acquisition":
            target = round(target * 100, 4)
        rows.append(
            {
                "stage": name,
                "label": STAGE_LABELS[name],
                "help": STAGE_HELP[name],
                "event": s.event,
                "target": "" if target is None else f"{target:g}",
                "owner": s.owner,
            }
        )
    return rows


def _read_settings(post: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """The posted settings form as the config JSON; targets of stages 2–5 are percentages."""
    raw: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name in aarrr_logic.STAGES:
        text = str(post.get(f"{name}_target", "")).strip().rstrip("%")
        target: float | None = None
        if text:
            try:
                target = float(text)
            except ValueError:
                errors[f"{name}_target"] = _("%(value)s is not a number") % {"value": text}
            else:
                if name != "acquisition":
                    target = target / 100
        raw[name] = {
            "event": str(post.get(f"{name}_event", "")).strip()[:200] if name != "revenue" else "",
            "target": target,
            "owner": str(post.get(f"{name}_owner", "")).strip()[:200],
        }
    raw["invite_sent_event"] = str(post.get("invite_sent_event", "")).strip()[:200]
    raw["invite_accepted_event"] = str(post.get("invite_accepted_event", "")).strip()[:200]
    return raw, errors


@member_view("analytics", "read")
def aarrr_settings(request: HttpRequest, principal: Principal) -> HttpResponse:
    """Map events to the stages, with a target and an owner each (P-DATA-4)."""
    config = facade.get_aarrr_config(principal)
    errors: dict[str, str] = {}
    rows = _settings_form(config)
    invites = {"sent": config.invite_sent_event, "accepted": config.invite_accepted_event}
    if request.method == "POST":
        if not principal.can("analytics", "write"):
            raise PermissionDenied(_("You cannot change the AARRR settings of this workspace."))
        raw, errors = _read_settings(request.POST)
        if not errors:
            try:
                facade.save_aarrr_config(principal, aarrr_logic.parse_aarrr_config(raw))
            except InvalidInput as exc:
                for d in exc.details:
                    key = "_".join(str(p) for p in d.loc) if d.loc else "settings"
                    errors[key if len(d.loc) > 1 else f"{key}_target"] = d.msg
            else:
                messages.success(request, _("Saved the AARRR settings."))
                return redirect("analytics:aarrr", slug=principal.workspace.slug)
        # keep what was typed, show each error beside its field
        rows = [
            {
                **r,
                "event": raw[r["stage"]]["event"],
                "owner": raw[r["stage"]]["owner"],
                "target": str(request.POST.get(f"{r['stage']}_target", "")),
            }
            for r in rows
        ]
        invites = {"sent": raw["invite_sent_event"], "accepted": raw["invite_accepted_event"]}
    for r in rows:
        r["error"] = errors.get(f"{r['stage']}_target") or errors.get(f"{r['stage']}_event", "")
    return render(
        request,
        "analytics/aarrr_settings.html",
        {
            "nav_active": "analytics",
            "tab": "aarrr",
            "rows": rows,
            "invites": invites,
            "errors": errors,
            "event_names": _event_names(principal),
            "can_write": principal.can("analytics", "write"),
        },
        status=422 if errors else 200,
    )
