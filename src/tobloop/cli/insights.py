"""Analytics commands: ``tobloop funnel``, ``retention``, ``trends`` and ``active``.

``funnel`` answers ``{"by", "window_seconds", "first_attempt", "steps": [{"event", "count",
"conversion"}], "breakdown", "over_time", "time_to_convert"}`` (the last three null unless
asked for) or, with ``--dropped-at N``, ``{"by", "step", "event", "entities", "truncated"}``;
``retention`` answers ``{"period", "by", "bounded", "cohorts": [{"cohort", "size", "retained":
[r1, …, rN]}], "breakdown"}``. Dates are whole days in the workspace time zone.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Any

import typer

from tobloop.cli.runtime import (
    EXIT_USAGE,
    JsonOpt,
    WorkspaceOpt,
    cli_principal,
    emit_json,
    fail,
    out_console,
    setup_django,
)

FromOpt = Annotated[
    str, typer.Option("--from", help="First day (YYYY-MM-DD, workspace time zone).")
]
ToOpt = Annotated[str, typer.Option("--to", help="Last day, included.")]


class ByChoice(StrEnum):
    user = "user"
    account = "account"


class PeriodChoice(StrEnum):
    day = "day"
    week = "week"
    month = "month"


BreakdownOpt = Annotated[
    str | None,
    typer.Option(
        "--breakdown",
        help="KIND:KEY, KIND one of event_property, user_trait, account_field "
        "(segment, industry, region, plan, service_tier).",
    ),
]
TopOpt = Annotated[int, typer.Option("--top", help="Breakdown values kept; the rest: $other.")]


def _breakdown(text: str | None, top: int) -> dict[str, Any] | None:
    if text is None:
        return None
    kind, _, key = text.partition(":")
    return {"kind": kind, "key": key, "top": top}


def _query(model: Any, body: dict[str, Any], as_json: bool) -> Any:
    from pydantic import ValidationError

    try:
        return model.model_validate(body)
    except ValidationError as exc:
        details = [{"loc": [str(p) for p in e["loc"]], "msg": e["msg"]} for e in exc.errors()]
        first = details[0]
        fail(
            f"{'.'.join(first['loc']) or 'query'}: {first['msg']}",
            as_json=as_json,
            code="invalid_query",
            details=details,
            exit_code=EXIT_USAGE,
        )


def _run(kind: str, query: Any, workspace: str | None, as_json: bool) -> Any:
    from tobloop.analytics import facade
    from tobloop.analytics.insights import service
    from tobloop.kernel.errors import TobloopError

    principal = cli_principal(workspace, as_json)
    facade.load_pending_events()
    runs: dict[str, Callable[..., Any]] = {
        "funnel": service.run_funnel,
        "dropped": service.run_dropped,
        "retention": service.run_retention,
        "trends": service.run_trends,
        "active": service.run_active,
    }
    run = runs[kind]
    try:
        return run(principal, query)
    except TobloopError as exc:
        fail(exc.message, as_json=as_json, code=exc.code)


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _seconds(value: float | None) -> str:
    if value is None:
        return "—"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if value >= size:
            return f"{value / size:.1f}{unit}"
    return f"{value:g}s"


def funnel(
    steps: Annotated[list[str], typer.Argument(help="2–10 event names, in order.")],
    start: FromOpt,
    end: ToOpt,
    window: Annotated[
        str, typer.Option("--window", help="Conversion window: 90s, 30m, 1h, 7d or seconds.")
    ] = "7d",
    by: Annotated[ByChoice, typer.Option("--by", help="Count users or accounts.")] = ByChoice.user,
    first_attempt: Annotated[
        bool, typer.Option("--first-attempt", help="Only each entity's first start counts.")
    ] = False,
    breakdown: BreakdownOpt = None,
    top: TopOpt = 10,
    over_time: Annotated[
        PeriodChoice | None,
        typer.Option("--over-time", help="Conversion per day/week/month of the first step."),
    ] = None,
    time_to_convert: Annotated[
        bool, typer.Option("--time-to-convert", help="Median, p90 and histogram per step.")
    ] = False,
    dropped_at: Annotated[
        int | None,
        typer.Option("--dropped-at", help="List who reached step N − 1 and not step N."),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many (--dropped-at).")] = 100,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Entities reaching each step of a funnel (the best attempt counts, as windowFunnel)."""
    setup_django()
    from tobloop.analytics.insights.models import DroppedQuery, FunnelQuery

    body: dict[str, Any] = {
        "steps": steps,
        "from": start,
        "to": end,
        "window": window,
        "by": by.value,
        "first_attempt": first_attempt,
        "breakdown": _breakdown(breakdown, top),
        "over_time": over_time.value if over_time else None,
        "time_to_convert": time_to_convert,
    }
    from rich.table import Table

    if dropped_at is not None:
        query = _query(DroppedQuery, {**body, "step": dropped_at, "limit": limit}, as_json)
        dropped = _run("dropped", query, workspace, as_json)
        if as_json:
            emit_json(dropped.model_dump(mode="json"))
            return
        table = Table(dropped.by.value)
        table.title = f"Reached step {dropped.step - 1}, not step {dropped.step} ({dropped.event})"
        for entity in dropped.entities:
            table.add_row(entity)
        if dropped.truncated:
            table.caption = f"the first {limit}; raise --limit for more"
        out_console.print(table)
        return
    result = _run("funnel", _query(FunnelQuery, body, as_json), workspace, as_json)
    if as_json:
        emit_json(result.model_dump(mode="json"))
        return
    attempt = "first attempt" if result.first_attempt else "best attempt"
    table = Table(
        "step",
        "event",
        "count",
        "conversion",
        title=f"Funnel by {result.by.value}, window {window} ({attempt})",
    )
    for i, s in enumerate(result.steps, start=1):
        table.add_row(str(i), s.event, str(s.count), _rate(s.conversion))
    out_console.print(table)
    if result.breakdown is not None:
        split = Table(
            breakdown or "value", *[f"{i}. {s.event}" for i, s in enumerate(result.steps, 1)]
        )
        for row in result.breakdown:
            split.add_row(row.value, *[f"{s.count} ({_rate(s.conversion)})" for s in row.steps])
        out_console.print(split)
    if result.over_time is not None:
        buckets = Table("first step in", "entered", "converted", "conversion")
        for b in result.over_time:
            buckets.add_row(
                b.date.isoformat(), str(b.entered), str(b.converted), _rate(b.conversion)
            )
        out_console.print(buckets)
    if result.time_to_convert is not None:
        timing = Table("step", "event", "entities", "median", "p90", "mean")
        for t in result.time_to_convert:
            timing.add_row(
                str(t.step),
                t.event,
                str(t.entities),
                _seconds(t.median_seconds),
                _seconds(t.p90_seconds),
                _seconds(t.mean_seconds),
            )
        out_console.print(timing)


def retention(
    start_event: Annotated[str, typer.Option("--start", help="The event that starts a cohort.")],
    start: FromOpt,
    end: ToOpt,
    return_event: Annotated[
        str | None, typer.Option("--return", help="The return event (default: any event).")
    ] = None,
    period: Annotated[
        PeriodChoice, typer.Option("--period", help="Cohort and return period.")
    ] = PeriodChoice.week,
    periods: Annotated[int, typer.Option("--periods", help="Periods after the cohort's.")] = 8,
    by: Annotated[ByChoice, typer.Option("--by", help="Count users or accounts.")] = ByChoice.user,
    unbounded: Annotated[
        bool, typer.Option("--unbounded", help="Retained in k when back in period k or later.")
    ] = False,
    breakdown: BreakdownOpt = None,
    top: TopOpt = 10,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Cohorts by first start event, and how many came back in each later period."""
    setup_django()
    from tobloop.analytics.insights.models import RetentionQuery

    body = {
        "start": start_event,
        "return": return_event,
        "from": start,
        "to": end,
        "period": period.value,
        "periods": periods,
        "by": by.value,
        "bounded": not unbounded,
        "breakdown": _breakdown(breakdown, top),
    }
    result = _run("retention", _query(RetentionQuery, body, as_json), workspace, as_json)
    if as_json:
        emit_json(result.model_dump(mode="json"))
        return
    from rich.table import Table

    table = Table("cohort", "size", *[f"+{k}" for k in range(1, periods + 1)])
    table.title = f"Retention by {result.by.value}, per {result.period.value}"
    for c in result.cohorts:
        cells = [f"{n} ({n / c.size:.0%})" if c.size else str(n) for n in c.retained]
        table.add_row(c.cohort.isoformat(), str(c.size), *cells)
    out_console.print(table)
    for row in result.breakdown or []:
        split = Table("cohort", "size", *[f"+{k}" for k in range(1, periods + 1)])
        split.title = f"{breakdown} = {row.value}"
        for c in row.cohorts:
            cells = [f"{n} ({n / c.size:.0%})" if c.size else str(n) for n in c.retained]
            split.add_row(c.cohort.isoformat(), str(c.size), *cells)
        out_console.print(split)


def _event(name: str | None) -> dict[str, Any] | None:
    return None if name is None else {"event": name}


AccountOpt = Annotated[
    str | None, typer.Option("--account", help="Only this account's events (its external id).")
]
EventOpt = Annotated[
    str | None, typer.Option("--event", help="Count this event (default: any event).")
]


def trends(
    start: FromOpt,
    end: ToOpt,
    event: EventOpt = None,
    interval: Annotated[
        PeriodChoice, typer.Option("--interval", help="Points per day, week or month.")
    ] = PeriodChoice.day,
    account: AccountOpt = None,
    breakdown: BreakdownOpt = None,
    top: TopOpt = 10,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Events, distinct users and distinct accounts per day, week or month."""
    setup_django()
    from tobloop.analytics.insights.models import TrendsQuery

    body = {
        "event": _event(event),
        "from": start,
        "to": end,
        "interval": interval.value,
        "account": account,
        "breakdown": _breakdown(breakdown, top),
    }
    result = _run("trends", _query(TrendsQuery, body, as_json), workspace, as_json)
    if as_json:
        emit_json(result.model_dump(mode="json"))
        return
    from rich.table import Table

    table = Table(result.interval.value, "events", "users", "accounts")
    table.title = f"{event or 'Any event'} per {result.interval.value}"
    for p in result.series:
        table.add_row(p.date.isoformat(), str(p.count), str(p.users), str(p.accounts))
    out_console.print(table)
    if result.breakdown:
        split = Table(result.interval.value, *[r.value for r in result.breakdown])
        split.title = f"Events by {breakdown}"
        for i, p in enumerate(result.series):
            split.add_row(p.date.isoformat(), *[str(r.series[i].count) for r in result.breakdown])
        out_console.print(split)


def active(
    start: FromOpt,
    end: ToOpt,
    event: EventOpt = None,
    by: Annotated[
        ByChoice, typer.Option("--by", help="Count active users or accounts.")
    ] = ByChoice.user,
    account: AccountOpt = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """DAU, WAU, MAU and stickiness (DAU ÷ MAU) per day, for the workspace or one account."""
    setup_django()
    from tobloop.analytics.insights.models import ActiveQuery

    body = {"event": _event(event), "from": start, "to": end, "by": by.value, "account": account}
    result = _run("active", _query(ActiveQuery, body, as_json), workspace, as_json)
    if as_json:
        emit_json(result.model_dump(mode="json"))
        return
    from rich.table import Table

    table = Table("day", "DAU", "WAU", "MAU", "DAU/MAU")
    table.title = f"Active {result.by.value}s" + (f" of {account}" if account else "")
    for p in result.series:
        table.add_row(p.date.isoformat(), str(p.dau), str(p.wau), str(p.mau), _rate(p.stickiness))
    table.caption = (
        f"average DAU {result.average_dau:.1f}, WAU {result.average_wau:.1f}, "
        f"MAU {result.average_mau:.1f}; stickiness {_rate(result.stickiness)}"
    )
    out_console.print(table)


def register(app: typer.Typer) -> None:
    app.command("funnel")(funnel)
    app.command("retention")(retention)
    app.command("trends")(trends)
    app.command("active")(active)
