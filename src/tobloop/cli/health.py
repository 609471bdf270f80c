"""``tobloop health``: score account health (P-REQ-4) from the shell or a daily cron job."""

from __future__ import annotations

import dataclasses
import getpass
from typing import Annotated, Any

import typer

from tobloop.cli.runtime import emit_json, err_console, fail, out_console, resolve_workspace

health_app = typer.Typer(help="Account health: health-code profiles and verdicts.")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
WorkspaceOpt = Annotated[
    str | None,
    typer.Option("--workspace", "-w", help="Workspace slug (default: the only one, or the demo)."),
]


def _principal(workspace: str | None, as_json: bool) -> Any:
    from tobloop.platform.facade import system_principal

    try:
        actor = f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        actor = "cli"
    return system_principal(resolve_workspace(workspace, as_json=as_json), actor)


def _details(exc: Any) -> list[dict[str, Any]]:
    return [{"loc": list(d.loc), "msg": d.msg} for d in exc.details]


@health_app.command("score")
def score(
    account: Annotated[
        int | None, typer.Option("--account", min=1, help="Score one account (by id) only.")
    ] = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Score today's health of every account (or one) and keep it in the daily history."""
    from tobloop.cli.runtime import setup_django

    setup_django()
    from tobloop.kernel.errors import TobloopError
    from tobloop.success import facade

    try:
        principal = _principal(workspace, as_json)
        with err_console.status("Scoring account health…"):
            if account is not None:
                summary = facade.score_account(principal, account)
            else:
                summary = facade.score_workspace(principal)
    except TobloopError as exc:
        fail(exc.message, as_json=as_json, code=exc.code, details=_details(exc))
    if as_json:
        emit_json(dataclasses.asdict(summary))
        return
    out_console.print(
        f"{summary.day}: {summary.scored} scored — [red]{summary.red} red[/], "
        f"[yellow]{summary.yellow} yellow[/], [green]{summary.green} green[/]; "
        f"{summary.unscored} without a profile"
    )
    for v in summary.verdicts:
        out_console.print(f"account {v.account_id}: {v.reason}")


@health_app.command("install-default")
def install_default(workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Create the catch-all health code (red: at risk or no contacts; yellow: no decision maker)."""
    from tobloop.cli.runtime import setup_django

    setup_django()
    from tobloop.kernel.errors import TobloopError
    from tobloop.success import facade

    try:
        profile = facade.install_default_health_profile(_principal(workspace, as_json))
    except TobloopError as exc:
        fail(exc.message, as_json=as_json, code=exc.code, details=_details(exc))
    if as_json:
        emit_json(dataclasses.asdict(profile))
    else:
        out_console.print(f"Created health profile [bold]{profile.name}[/] (id {profile.id}).")
