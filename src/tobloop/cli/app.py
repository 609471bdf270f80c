"""Commands: demo, serve, import, workspace, user, apikey."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from django.core.exceptions import ImproperlyConfigured

from tobloop.cli.aarrr import register as register_aarrr
from tobloop.cli.churn import churn_app
from tobloop.cli.churn_risk import register as register_churn_risk
from tobloop.cli.events import register as register_events
from tobloop.cli.health import health_app
from tobloop.cli.insights import register as register_insights
from tobloop.cli.revenue import register as register_revenue
from tobloop.cli.runtime import (
    EXIT_FAILED,
    EXIT_PARTIAL,
    EXIT_USAGE,
    JsonOpt,
    WorkspaceOpt,
    cli_actor,
    emit_json,
    err_console,
    error_details,
    fail,
    out_console,
    report_error,
    resolve_workspace,
    setup_django,
)
from tobloop.cli.success_work import register as register_success_work

app = typer.Typer(
    name="tobloop",
    help="tobloop: customer operations for companies that sell to businesses.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
workspace_app = typer.Typer(help="Create and list workspaces (tenants).", no_args_is_help=True)
user_app = typer.Typer(help="Create users and make them workspace members.", no_args_is_help=True)
apikey_app = typer.Typer(help="Make API keys and event write keys.", no_args_is_help=True)
import_app = typer.Typer(help="Import CRM exports (CSV) into a workspace.", no_args_is_help=True)
app.add_typer(workspace_app, name="workspace")
app.add_typer(user_app, name="user")
app.add_typer(apikey_app, name="apikey")
app.add_typer(import_app, name="import")
app.add_typer(churn_app, name="churn")
register_churn_risk(churn_app)
app.add_typer(health_app, name="health")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Web worker processes.")] = 1,
) -> None:
    """Serve the web UI and the API from the data directory."""
    setup_django()
    from tobloop.cli.serving import run_server

    run_server(host=host, port=port, workers=workers)


@app.command()
def demo(
    accounts: Annotated[int, typer.Option(help="How many customer accounts.", min=1)] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same demo).")] = 42,
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8000,
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    fresh: Annotated[bool, typer.Option("--fresh", help="Rebuild even if a demo exists.")] = False,
    events: Annotated[
        int | None,
        typer.Option(
            help="Product events (default: 5000 per account, 5,000,000 for 1,000 accounts).", min=0
        ),
    ] = None,
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="Build the demo, then exit.")
    ] = False,
) -> None:
    """Build a demo workspace of a realistic ToB company and serve it."""
    setup_django()
    from tobloop.demo.build import build_demo

    summary = build_demo(accounts=accounts, seed=seed, fresh=fresh, events=events)
    url = f"http://{host}:{port}/"
    verb = "Reused" if summary.reused else "Built"
    out_console.print(
        f"{verb} demo workspace [bold]{summary.slug}[/]: {summary.accounts} accounts, "
        f"{summary.contacts} contacts (seed {seed})."
    )
    out_console.print(f"Open [bold]{url}[/] and sign in as [bold]demo[/] / [bold]demo[/].")
    if no_serve:
        return
    from tobloop.cli.serving import run_server

    run_server(host=host, port=port, workers=1)


@workspace_app.command("create")
def workspace_create(
    name: Annotated[str, typer.Argument(help="Display name of the company.")],
    slug: Annotated[str | None, typer.Option(help="URL name (default: from the name).")] = None,
    currency: Annotated[str, typer.Option(help="ISO 4217 currency.")] = "CNY",
    timezone: Annotated[str, typer.Option(help="IANA time zone.")] = "Asia/Shanghai",
    as_json: JsonOpt = False,
) -> None:
    """Create a workspace."""
    setup_django()
    from tobloop.kernel.errors import TobloopError
    from tobloop.platform.facade import create_workspace

    try:
        ws = create_workspace(name=name, slug=slug, currency=currency, timezone=timezone)
    except TobloopError as exc:
        fail(exc.message, as_json=as_json, code=exc.code, details=error_details(exc))
    doc = {
        "workspace": {
            "slug": ws.slug,
            "name": ws.name,
            "currency": ws.currency,
            "timezone": ws.timezone,
        }
    }
    if as_json:
        emit_json(doc)
    else:
        out_console.print(f"Created workspace [bold]{ws.slug}[/] ({ws.currency}, {ws.timezone})")


@workspace_app.command("list")
def workspace_list(as_json: JsonOpt = False) -> None:
    """List workspaces."""
    setup_django()
    from tobloop.platform.facade import list_workspaces

    rows = [
        {"slug": w.slug, "name": w.name, "currency": w.currency, "timezone": w.timezone}
        for w in list_workspaces()
    ]
    if as_json:
        emit_json({"items": rows, "count": len(rows)})
        return
    from rich.table import Table

    table = Table("slug", "name", "currency", "timezone")
    for r in rows:
        table.add_row(r["slug"], r["name"], r["currency"], r["timezone"])
    out_console.print(table)


class RoleChoice(StrEnum):
    owner = "owner"
    admin = "admin"
    analyst = "analyst"
    csm = "csm"
    sales = "sales"
    partner_manager = "partner_manager"
    viewer = "viewer"


@user_app.command("create")
def user_create(
    username: Annotated[str, typer.Argument(help="Sign-in name.")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, help="Password.")],
    email: Annotated[str, typer.Option(help="E-mail address.")] = "",
    workspace: WorkspaceOpt = None,
    role: Annotated[RoleChoice, typer.Option(help="Role in the workspace.")] = RoleChoice.viewer,
    staff: Annotated[bool, typer.Option("--staff", help="Platform staff (Django admin).")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Create (or update) a user and make them a member of a workspace."""
    setup_django()
    from tobloop.kernel.errors import TobloopError
    from tobloop.platform.facade import add_member, create_user

    try:
        user_id = create_user(username=username, password=password, email=email, is_staff=staff)
        slug = None
        if workspace or not staff:
            slug = resolve_workspace(workspace, as_json=as_json)
            add_member(workspace_slug=slug, user_id=user_id, role=role.value)
    except TobloopError as exc:
        fail(exc.message, as_json=as_json, code=exc.code, details=error_details(exc))
    doc = {
        "user": {
            "username": username,
            "workspace": slug,
            "role": role.value if slug else None,
            "staff": staff,
        }
    }
    if as_json:
        emit_json(doc)
    else:
        where = f" as {role.value} of {slug}" if slug else ""
        out_console.print(f"User [bold]{username}[/] ready{where}.")


@apikey_app.command("create")
def apikey_create(
    workspace: WorkspaceOpt = None,
    scopes: Annotated[
        str, typer.Option(help="Comma-separated: read, write, admin, MODULE:read, MODULE:write.")
    ] = "read",
    write_key: Annotated[
        bool, typer.Option("--write-key", help="Make the event write key instead.")
    ] = False,
    name: Annotated[str, typer.Option(help="A label for the key.")] = "",
    expires_in_days: Annotated[int | None, typer.Option(help="Expire after N days.", min=1)] = None,
    as_json: JsonOpt = False,
) -> None:
    """Make a key; it is printed once (alone on the last line) and never shown again."""
    setup_django()
    from tobloop.kernel.errors import TobloopError
    from tobloop.platform.facade import create_api_key, system_principal

    slug = resolve_workspace(workspace, as_json=as_json)
    try:
        actor = system_principal(slug, cli_actor())
        created = create_api_key(
            workspace_id=actor.workspace_id,
            scopes=scopes,
            name=name,
            write_key=write_key,
            expires_in_days=expires_in_days,
            created_by=actor,
        )
    except TobloopError as exc:
        fail(
            exc.message,
            as_json=as_json,
            code=exc.code,
            details=error_details(exc),
            exit_code=EXIT_USAGE if exc.code == "invalid_scopes" else 1,
        )
    if as_json:
        emit_json(
            {
                "key": created.key,
                "prefix": created.prefix,
                "scopes": list(created.scopes),
                "expires_at": created.expires_at,
            }
        )
    else:
        err_console.print(
            f"Key {created.prefix}… for {slug} ({', '.join(created.scopes)}); "
            "store it now, it is not shown again:"
        )
        print(created.key)


class ImportFormat(StrEnum):
    csv = "csv"


def _run_import(
    kind: str, file: Path, mapping: Path | None, workspace: str | None, as_json: bool
) -> None:
    setup_django()
    from tobloop.accounts import facade
    from tobloop.accounts.logic.csvfile import load_mapping
    from tobloop.kernel.errors import TobloopError
    from tobloop.platform.facade import system_principal

    slug = resolve_workspace(workspace, as_json=as_json)
    try:
        raw = file.read_bytes()
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror}", as_json=as_json, code="unreadable_file")
    importer = facade.import_accounts if kind == "accounts" else facade.import_contacts
    try:
        with err_console.status(f"Importing {kind} from {file.name}…"):
            report = importer(
                system_principal(slug, cli_actor()),
                raw,
                filename=str(file),
                mapping=load_mapping(mapping),
            )
    except TobloopError as exc:
        fail(exc.message, as_json=as_json, code=exc.code, details=error_details(exc))
    _print_report(report, as_json=as_json)
    if report.rejected:
        raise typer.Exit(EXIT_PARTIAL)


def _print_report(report: Any, *, as_json: bool) -> None:
    if as_json:
        emit_json(report)
        return
    out_console.print(
        f"{report.file}: {report.rows} rows, {report.created} created, "
        f"{report.updated} updated, {len(report.rejected)} rejected"
    )
    if report.rejected:
        from rich.table import Table

        table = Table("row", "column", "value", "reason", title="Rejected rows")
        for r in report.rejected:
            table.add_row(str(r.row), r.column or "", r.value or "", r.reason)
        err_console.print(table)


FileArg = Annotated[Path, typer.Argument(help="CSV file (UTF-8, UTF-8 with BOM or GB18030).")]
MappingOpt = Annotated[
    Path | None,
    typer.Option(help='JSON file {"source column": "field"} for columns whose names differ.'),
]
FormatOpt = Annotated[ImportFormat, typer.Option("--format", help="File format.")]


@import_app.command("accounts")
def import_accounts(
    file: FileArg,
    mapping: MappingOpt = None,
    fmt: FormatOpt = ImportFormat.csv,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Import or update accounts, matched by external id."""
    _run_import("accounts", file, mapping, workspace, as_json)


@import_app.command("contacts")
def import_contacts(
    file: FileArg,
    mapping: MappingOpt = None,
    fmt: FormatOpt = ImportFormat.csv,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Import or update contacts, matched by external id or by account and e-mail."""
    _run_import("contacts", file, mapping, workspace, as_json)


register_revenue(app, import_app)
register_events(app, import_app)
register_insights(app)
register_aarrr(app)
register_success_work(app, import_app)


def main() -> None:
    try:
        app()
    except ImproperlyConfigured as exc:  # a setting read at start-up: no traceback for it
        message = f"{exc} (a setting in the environment)"
        report_error(message, as_json="--json" in sys.argv[1:], code="bad_setting")
        sys.exit(EXIT_FAILED)


if __name__ == "__main__":
    main()
