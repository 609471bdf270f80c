"""Event commands: ``import events FILE`` and ``events count``.

``import events`` answers the import contract of every import (``{"file", "rows", "created",
"updated", "rejected": [...]}``, exit 3 when some rows were rejected); ``events count`` answers
``{"count", "users", "accounts"}`` (DESIGN.md "Scriptable interfaces").
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from enum import StrEnum
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
    fail,
    out_console,
    setup_django,
)

events_app = typer.Typer(help="Product events: counts and checks.", no_args_is_help=True)


class EventFormat(StrEnum):
    ndjson = "ndjson"
    csv = "csv"


def _day(value: str | None, option: str, as_json: bool) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(
            f"{option} {value!r} is not a date (YYYY-MM-DD)",
            as_json=as_json,
            code="invalid_date",
            exit_code=EXIT_USAGE,
        )


def import_events(
    file: Annotated[Path, typer.Argument(help="NDJSON (Segment messages, one a line) or CSV.")],
    fmt: Annotated[
        EventFormat | None,
        typer.Option("--format", help="File format (default: from the file name, else ndjson)."),
    ] = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Import event history; re-importing stores nothing twice (by messageId)."""
    setup_django()
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from tobloop.analytics import facade
    from tobloop.kernel.errors import TobloopError

    principal = cli_principal(workspace, as_json)
    if not file.is_file():
        fail(f"cannot read {file}: no such file", as_json=as_json, code="unreadable_file")
    kind = fmt.value if fmt else ("csv" if file.suffix.lower() == ".csv" else "ndjson")
    columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err_console, transient=True) as progress:
        task = progress.add_task(f"Importing events from {file.name}", total=None)

        def report_progress(phase: str, done: int, total: int | None) -> None:
            progress.update(
                task, description=f"{phase} {file.name}", completed=done, total=total or None
            )

        try:
            report = facade.import_events(
                principal, file, fmt=kind, filename=str(file), progress=report_progress
            )
        except TobloopError as exc:
            fail(exc.message, as_json=as_json, code=exc.code)
    if as_json:
        emit_json(asdict(report))
    else:
        out_console.print(
            f"{report.file}: {report.rows} rows, {report.created} created, "
            f"{report.duplicates} already stored, {len(report.rejected)} rejected"
        )
        if report.rejected:
            from rich.table import Table

            table = Table("row", "column", "value", "reason", title="Rejected rows")
            for r in report.rejected[:200]:
                table.add_row(str(r.row), r.column or "", r.value or "", r.reason)
            err_console.print(table)
    if report.rejected:
        raise typer.Exit(EXIT_PARTIAL)


@events_app.command("count")
def events_count(
    event: Annotated[str | None, typer.Option("--event", help="Only this event name.")] = None,
    start: Annotated[
        str | None, typer.Option("--from", help="First day (YYYY-MM-DD, workspace time zone).")
    ] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day, included.")] = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Count events, distinct users and distinct accounts."""
    setup_django()
    from tobloop.analytics import facade

    principal = cli_principal(workspace, as_json)
    first, last = _day(start, "--from", as_json), _day(end, "--to", as_json)
    facade.load_pending_events()
    counted = facade.count_events(principal, event=event, start=first, end=last)
    if as_json:
        emit_json(asdict(counted))
    else:
        out_console.print(
            f"{counted.count} events, {counted.users} users, {counted.accounts} accounts"
        )


def register(app: typer.Typer, import_app: typer.Typer) -> None:
    app.add_typer(events_app, name="events")
    import_app.command("events")(import_events)
