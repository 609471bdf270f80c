"""``tobloop aarrr --from DATE --to DATE [--json]``: the AARRR board of a period.

Answers ``{"from", "to", "configured", "revenue_available", "stages": [{"stage", "event",
"count", "conversion", "target", "owner", "attainment", "below_target", "weakest"}], "weakest",
"new_paying_accounts", "viral": {"invites_sent", "invites_accepted", "active_users",
"invites_per_active_user", "acceptance_rate", "viral_coefficient",
"accounts_from_invitations", "invited_accounts"}}`` (docs/analytics.md "AARRR board").
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from tobloop.cli.runtime import (
    EXIT_USAGE,
    JsonOpt,
    WorkspaceOpt,
    cli_principal,
    emit_json,
    error_details,
    fail,
    out_console,
    setup_django,
)

STAGE_NAMES = {
    "acquisition": "Acquisition",
    "activation": "Activation",
    "retention": "Retention",
    "revenue": "Revenue",
    "referral": "Referral",
}


def _day(value: str, option: str, as_json: bool) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(
            f"{option} {value!r} is not a date (YYYY-MM-DD)",
            as_json=as_json,
            code="invalid_date",
            details=[{"loc": [option.lstrip("-")], "msg": "not a date"}],
            exit_code=EXIT_USAGE,
        )


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def register(app: typer.Typer) -> None:
    @app.command()
    def aarrr(
        date_from: Annotated[
            str, typer.Option("--from", help="First day (YYYY-MM-DD, workspace time zone).")
        ],
        date_to: Annotated[str, typer.Option("--to", help="Last day, included.")],
        workspace: WorkspaceOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """The AARRR board: accounts per stage, conversions against targets, the weakest
        link and the viral coefficient (P-DATA-2, P-DATA-4, P-DATA-5)."""
        start = _day(date_from, "--from", as_json)
        end = _day(date_to, "--to", as_json)
        setup_django()
        from tobloop.analytics import facade
        from tobloop.kernel.errors import TobloopError

        principal = cli_principal(workspace, as_json)
        facade.load_pending_events()
        try:
            board = facade.aarrr_board(principal, start, end)
        except TobloopError as exc:
            details = error_details(exc)
            code = EXIT_USAGE if exc.code == "invalid_input" else 1
            fail(exc.message, as_json=as_json, code=exc.code, details=details, exit_code=code)
        doc = facade.aarrr_document(board)
        if as_json:
            emit_json(doc)
            return
        _print(doc)


def _print(doc: dict[str, object]) -> None:
    from rich.table import Table

    if not doc["configured"]:
        out_console.print(
            "No AARRR mapping yet: set it under Analytics → AARRR → Settings in the web UI."
        )
    table = Table(
        "stage",
        "event",
        "accounts",
        "conversion",
        "target",
        "owner",
        "",
        title=f"AARRR {doc['from']} … {doc['to']}",
    )
    stages = doc["stages"]
    assert isinstance(stages, list)
    for s in stages:
        count = "—" if s["count"] is None else str(s["count"])
        if s["stage"] == "acquisition":
            target = "—" if s["target"] is None else f"{s['target']:g}"
        else:
            target = _share(s["target"])
        flag = "weakest link" if s["weakest"] else ("below target" if s["below_target"] else "")
        table.add_row(
            STAGE_NAMES[s["stage"]],
            s["event"] or "",
            count,
            _share(s["conversion"]),
            target,
            s["owner"],
            flag,
        )
    out_console.print(table)
    viral = doc["viral"]
    assert isinstance(viral, dict)
    k = viral["viral_coefficient"]
    out_console.print(
        f"Viral coefficient K = {'—' if k is None else f'{k:.3f}'} "
        f"({viral['invites_sent']} invites sent by {viral['active_users']} active users, "
        f"{viral['invites_accepted']} accepted); "
        f"{viral['accounts_from_invitations']} accounts brought in by invitations."
    )
