"""Start-up of Django for the CLI, output in text or JSON, and exit codes.

Exit codes (docs/cli.md): 0 done; 1 failed; 2 usage error; 3 an import that stored every
valid row but rejected some. With ``--json`` stdout carries exactly one JSON document and
everything else (progress, logs, warnings) goes to stderr.

The options most commands share (``--json``, ``--workspace``), the principal a command acts
as, and the number format of the Rich tables live here once.
"""

from __future__ import annotations

import dataclasses
import getpass
import json
import os
import sys
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console

if TYPE_CHECKING:
    from tobloop.platform.facade import Principal

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_PARTIAL = 0, 1, 2, 3

err_console = Console(stderr=True)
out_console = Console()

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
"""``--json``: print exactly one JSON document on stdout (progress and errors go to stderr)."""

WorkspaceOpt = Annotated[
    str | None,
    typer.Option("--workspace", "-w", help="Workspace slug (default: the only one, or the demo)."),
]
"""``--workspace/-w SLUG``; ``None`` lets :func:`resolve_workspace` pick the workspace."""

NUMBER_PLACEHOLDER = "—"
"""What a Rich table or a sentence shows for a figure that has no value."""


def setup_django(migrate: bool = True) -> None:
    """Configure Django once; create and migrate the data directory on first use."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tobloop.config.settings")
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()
    if migrate:
        ensure_migrated()


def ensure_migrated() -> None:
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        call_command("migrate", interactive=False, verbosity=0)


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def emit_json(document: Any) -> None:
    sys.stdout.write(json.dumps(document, default=_default, ensure_ascii=False, indent=2) + "\n")
    sys.stdout.flush()


def error_details(exc: Any) -> list[dict[str, Any]]:
    """The ``details`` of a tobloop error (kernel/errors.py), as ``fail`` prints them."""
    return [{"loc": list(d.loc), "msg": d.msg} for d in exc.details]


def fail(
    message: str,
    *,
    as_json: bool,
    code: str = "failed",
    details: list[dict[str, Any]] | None = None,
    exit_code: int = EXIT_FAILED,
) -> NoReturn:
    report_error(message, as_json=as_json, code=code, details=details)
    raise typer.Exit(exit_code)


def report_error(
    message: str, *, as_json: bool, code: str, details: list[dict[str, Any]] | None = None
) -> None:
    """The error object on stdout with ``--json``, else ``error: …`` on stderr."""
    if as_json:
        emit_json({"error": {"code": code, "message": message, "details": details or []}})
    else:
        err_console.print(f"[bold red]error:[/] {message}")
        for d in details or []:
            err_console.print(f"  {'.'.join(map(str, d.get('loc', [])))}: {d.get('msg')}")


def resolve_workspace(slug: str | None, *, as_json: bool) -> str:
    """``--workspace`` or the only workspace, else the demo's; a clear error otherwise."""
    from tobloop.platform.facade import list_workspaces

    if slug:
        return slug
    all_ws = list_workspaces()
    if len(all_ws) == 1:
        return all_ws[0].slug
    demos = [w for w in all_ws if w.is_demo]
    if demos:
        return demos[0].slug
    if not all_ws:
        fail(
            "there is no workspace yet: run `tobloop workspace create NAME` or `tobloop demo`",
            as_json=as_json,
            code="no_workspace",
            exit_code=EXIT_FAILED,
        )
    fail(
        "several workspaces exist: name one with --workspace SLUG",
        as_json=as_json,
        code="workspace_required",
        exit_code=EXIT_USAGE,
    )


def cli_actor() -> str:
    """The audit-log actor of a command: ``cli:<login name>``, or ``cli`` without one."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def cli_principal(workspace: str | None, as_json: bool) -> Principal:
    """The system principal a command acts as, in ``--workspace`` or the resolved workspace.

    Django must be set up first (:func:`setup_django`); fails like :func:`resolve_workspace`
    when no workspace can be chosen.
    """
    from tobloop.platform.facade import system_principal

    return system_principal(resolve_workspace(workspace, as_json=as_json), cli_actor())


def num(value: float | None) -> str:
    """A model figure (AUC, probability, share) with three decimals; ``—`` when there is none."""
    return NUMBER_PLACEHOLDER if value is None else f"{value:.3f}"
