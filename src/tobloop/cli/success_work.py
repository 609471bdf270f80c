"""Customer-success work from the shell: ``tasks list``, ``playbooks run``, ``renewals``,
``import nps`` and ``alerts deliver`` (for cron jobs and scripts).

With ``--json`` stdout carries one JSON document; progress goes to stderr.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from tobloop.cli.runtime import (
    EXIT_PARTIAL,
    EXIT_USAGE,
    JsonOpt,
    WorkspaceOpt,
    cli_principal,
    emit_json,
    err_console,
    error_details,
    fail,
    out_console,
    setup_django,
)

tasks_app = typer.Typer(help="The worklist: tasks and CTAs opened by playbooks.")
playbooks_app = typer.Typer(help="Playbooks by service tier (P-CS-3).")
alerts_app = typer.Typer(help="Alerts to the outside: signed webhooks and e-mail.")


def _date(option: str, value: str | None, as_json: bool) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option} {value!r} is not a date (YYYY-MM-DD)", as_json=as_json,
             code="invalid_date", exit_code=EXIT_USAGE)  # fmt: skip


@tasks_app.command("list")
def tasks_list(
    owner: Annotated[str | None, typer.Option(help="Owner user name ('-': no owner).")] = None,
    due_before: Annotated[
        str | None, typer.Option("--due-before", help="Due on or before DATE.")
    ] = None,
    tier: Annotated[str | None, typer.Option(help="Service tier.")] = None,
    kind: Annotated[
        str | None, typer.Option(help="risk, opportunity, onboarding, renewal.")
    ] = None,
    status: Annotated[str, typer.Option(help="open, done, cancelled or all.")] = "open",
    limit: Annotated[int, typer.Option(min=1, max=500, help="At most this many tasks.")] = 100,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List tasks: {"items": [...], "count"}."""
    setup_django()
    from pydantic import ValidationError

    from tobloop.kernel.errors import TobloopError
    from tobloop.success.work import facade

    try:
        f = facade.TaskFilter(
            owner=owner, tier=tier, kind=kind,  # type: ignore[arg-type]
            status=None if status == "all" else status,  # type: ignore[arg-type]
            due_before=_date("--due-before", due_before, as_json), limit=limit,
        )  # fmt: skip
    except ValidationError as exc:
        details = [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]
        fail("invalid filter", as_json=as_json, code="invalid_input", details=details,
             exit_code=EXIT_USAGE)  # fmt: skip
    try:
        items, count = facade.list_tasks(cli_principal(workspace, as_json), f)
    except TobloopError as exc:
        fail(exc.message, as_json=as_json, code=exc.code, details=error_details(exc))
    if as_json:
        emit_json({"items": items, "count": count})
        return
    from rich.table import Table

    table = Table("id", "account", "kind", "tier", "owner / team", "due", "status", "title")
    for t in items:
        table.add_row(str(t.id), t.account_name, t.kind, t.service_tier,
                      t.owner or t.team, t.due.isoformat() if t.due else "—",
                      t.outcome or t.status, t.title)  # fmt: skip
    out_console.print(table)
    out_console.print(f"{len(items)} of {count} tasks")


@playbooks_app.command("run")
def playbooks_run(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Evaluate as of DATE (default: today).")
    ] = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Evaluate every active playbook on every account, then send due webhook deliveries."""
    setup_django()
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from tobloop.kernel.errors import TobloopError
    from tobloop.success.work import facade

    day = _date("--as-of", as_of, as_json)
    principal = cli_principal(workspace, as_json)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} accounts"),
        TimeElapsedColumn(),
    )
    try:
        with Progress(*columns, console=err_console, transient=True) as progress:
            bar = progress.add_task("Running playbooks", total=None)
            summary = facade.run_playbooks(
                principal, day,
                progress=lambda done, total: progress.update(bar, completed=done, total=total),
            )  # fmt: skip
            progress.update(bar, description="Sending webhooks")
            facade.deliver_due(workspace_id=principal.workspace_id)
    except TobloopError as exc:
        fail(exc.message, as_json=as_json, code=exc.code, details=error_details(exc))
    if as_json:
        emit_json(dataclasses.asdict(summary))
        return
    out_console.print(
        f"{summary.as_of}: {summary.accounts} accounts, {summary.fired} playbooks fired — "
        f"{summary.tasks_created} tasks opened, {summary.automated} handled automatically, "
        f"{summary.skipped_open_task} skipped (open task), {summary.escalated} escalated"
    )
    for key, n in summary.by_playbook.items():
        out_console.print(f"  {key}: {n}")


def renewals(
    within: Annotated[int, typer.Option(min=1, max=3660, help="Days ahead.")] = 90,
    as_of: Annotated[str | None, typer.Option("--as-of", help="As of DATE.")] = None,
    min_term: Annotated[
        int, typer.Option("--min-term", min=1, max=120, help="Shortest contract term (months).")
    ] = 12,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Renewals in the next N days with ARR at stake and a forecast per account."""
    setup_django()
    from tobloop.kernel.errors import TobloopError
    from tobloop.success.work import facade
    from tobloop.success.work.api import renewals_document

    try:
        report = facade.renewals(
            cli_principal(workspace, as_json), as_of=_date("--as-of", as_of, as_json),
            within=within, min_term_months=min_term,
        )  # fmt: skip
    except TobloopError as exc:
        fail(exc.message, as_json=as_json, code=exc.code, details=error_details(exc))
    if as_json:
        emit_json(renewals_document(report))
        return
    from rich.table import Table

    table = Table("renewal", "days", "account", "ARR", "forecast", "why")
    for r in report.items:
        table.add_row(r.renewal_date.isoformat(), str(r.days_left), r.account_name, str(r.arr),
                      r.forecast, r.reason)  # fmt: skip
    out_console.print(table)
    for t in report.totals:
        out_console.print(f"{t.forecast}: {t.accounts} accounts, ARR {t.arr} {report.currency}")


@alerts_app.command("deliver")
def alerts_deliver(workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Send the webhook deliveries that are due (retries with backoff); run it from cron."""
    setup_django()
    from tobloop.success.work import facade

    principal = cli_principal(workspace, as_json)
    with err_console.status("Sending webhook deliveries…"):
        run = facade.deliver_due(workspace_id=principal.workspace_id, limit=1000)
    if as_json:
        emit_json(dataclasses.asdict(run))
        return
    out_console.print(
        f"{run.attempted} attempted: {run.delivered} delivered, {run.retrying} to retry, "
        f"{run.failed} failed"
    )


def import_nps(
    file: Annotated[Path, typer.Argument(help="CSV file of NPS/CSAT answers.")],
    mapping: Annotated[
        Path | None,
        typer.Option(help='JSON file {"source column": "field"} for columns whose names differ.'),
    ] = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Import NPS/CSAT answers; answers with an id are updated on re-import."""
    setup_django()
    from tobloop.accounts.facade import load_mapping
    from tobloop.cli.app import _print_report
    from tobloop.kernel.errors import TobloopError
    from tobloop.success.work import facade

    try:
        raw = file.read_bytes()
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror}", as_json=as_json, code="unreadable_file")
    try:
        with err_console.status(f"Importing NPS/CSAT answers from {file.name}…"):
            report = facade.import_answers(
                cli_principal(workspace, as_json), raw, filename=str(file),
                mapping=load_mapping(mapping),
            )  # fmt: skip
    except TobloopError as exc:
        fail(exc.message, as_json=as_json, code=exc.code, details=error_details(exc))
    _print_report(report, as_json=as_json)
    if report.rejected:
        raise typer.Exit(EXIT_PARTIAL)


def register(app: typer.Typer, import_app: typer.Typer) -> None:
    app.add_typer(tasks_app, name="tasks")
    app.add_typer(playbooks_app, name="playbooks")
    app.add_typer(alerts_app, name="alerts")
    app.command("renewals")(renewals)
    import_app.command("nps")(import_nps)
