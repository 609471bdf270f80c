"""Analytics commands: ``tobloop funnel`` and ``tobloop retention`` (DESIGN.md "Analytics").

``funnel`` answers ``{"by", "window_seconds", "first_attempt", "steps": [{"event", "count",
"conversion"}]}``; ``retention`` answers ``{"period", "by", "bounded", "cohorts": [{"cohort",
"size", "retained": [r1, …, rN]}]}``. Dates are whole days in the workspace time zone.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer

from tobloop.cli.runtime import EXIT_USAGE, emit_json, fail, out_console, setup_django

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
WorkspaceOpt = Annotated[
    str | None,
    typer.Option("--workspace", "-w", help="Workspace slug (default: the only one, or the demo)."),
]
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
    from tobloop.cli.events import _principal
    from tobloop.kernel.errors import TobloopError

    principal = _principal(workspace, as_json)
    facade.load_pending_events()
    try:
        if kind == "funnel":
            return service.run_funnel(principal, query)
        return service.run_retention(principal, query)
    except TobloopError as exc:
        fail(exc.message, as_json=as_json, code=exc.code)


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
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Entities reaching each step of a funnel (the best attempt counts, as windowFunnel)."""
    setup_django()
    from tobloop.analytics.insights.models import FunnelQuery

    body = {
        "steps": steps,
        "from": start,
        "to": end,
        "window": window,
        "by": by.value,
        "first_attempt": first_attempt,
    }
    result = _run("funnel", _query(FunnelQuery, body, as_json), workspace, as_json)
    if as_json:
        emit_json(result.model_dump(mode="json"))
        return
    from rich.table import Table

    attempt = "first attempt" if result.first_attempt else "best attempt"
    table = Table(
        "step",
        "event",
        "count",
        "conversion",
        title=f"Funnel by {result.by.value}, window {window} ({attempt})",
    )
    for i, s in enumerate(result.steps, start=1):
        rate = "—" if s.conversion is None else f"{s.conversion:.1%}"
        table.add_row(str(i), s.event, str(s.count), rate)
    out_console.print(table)


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


def register(app: typer.Typer) -> None:
    app.command("funnel")(funnel)
    app.command("retention")(retention)
