"""``tobloop churn train|risk|pooling``: the workspace's stored churn risk model (P-DATA-6)."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

import typer

from tobloop.cli.runtime import (
    JsonOpt,
    WorkspaceOpt,
    cli_principal,
    emit_json,
    err_console,
    error_details,
    fail,
    num,
    out_console,
)


def _json(value: Any) -> Any:
    return dataclasses.asdict(value)


def train(workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Retrain the churn risk model now: out-of-time validation, calibration, account scores."""
    from tobloop.cli.runtime import setup_django

    setup_django()
    from tobloop.kernel.errors import TobloopError
    from tobloop.success import facade

    principal = cli_principal(workspace, as_json)
    try:
        with err_console.status("Training the churn risk model…") as status:
            run = facade.train_churn_model(principal, progress=status.update)
    except TobloopError as exc:
        fail(exc.message, as_json=as_json, code=exc.code, details=error_details(exc))
    if as_json:
        emit_json(_json(run))
        return
    if run.status != "trained":
        out_console.print(f"No model trained: {run.reason}")
        return
    v = run.validation
    out_console.print(
        f"Churn model trained on {run.n} account snapshots ({run.positives} churned within 90 "
        f"days{f', {run.pooled_rows} pooled' if run.pooled else ''}). Out-of-time: ROC AUC "
        f"{num(run.roc_auc)}, PR AUC {num(run.pr_auc)} on {v.get('test_rows')} rows; "
        f"{run.scored_accounts} accounts scored."
    )


def risk(
    workspace: WorkspaceOpt = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=500, help="How many accounts.")] = 20,
    offset: Annotated[int, typer.Option("--offset", min=0, help="Skip this many.")] = 0,
    as_json: JsonOpt = False,
) -> None:
    """Accounts by churn probability under the latest model, with their top drivers."""
    from tobloop.cli.runtime import setup_django

    setup_django()
    from rich.table import Table

    from tobloop.kernel.errors import TobloopError
    from tobloop.success import facade

    principal = cli_principal(workspace, as_json)
    try:
        page = facade.churn_risk_list(principal, limit=limit, offset=offset)
    except TobloopError as exc:
        fail(exc.message, as_json=as_json, code=exc.code, details=error_details(exc))
    if as_json:
        emit_json(_json(page))
        return
    if page.run_id is None:
        out_console.print("No churn model trained yet: run `tobloop churn train`.")
        return
    table = Table(title=f"Churn risk ({page.count} accounts)")
    table.add_column("account")
    table.add_column("probability", justify="right")
    table.add_column("drivers")
    for item in page.items:
        words = "; ".join(d["text"] for d in item.drivers)
        table.add_row(item.account_name, f"{item.probability:.1%}", words)
    out_console.print(table)


def pooling(
    workspace: WorkspaceOpt = None,
    enable: Annotated[
        bool | None,
        typer.Option("--on/--off", help="Opt in to or out of pooled training (audited)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Show or change "share anonymised churn data for pooled training" (off by default)."""
    from tobloop.cli.runtime import setup_django

    setup_django()
    from tobloop.kernel.errors import TobloopError
    from tobloop.success import facade

    principal = cli_principal(workspace, as_json)
    try:
        view = (
            facade.get_pooling(principal)
            if enable is None
            else facade.set_pooling(principal, enable)
        )
    except TobloopError as exc:
        fail(exc.message, as_json=as_json, code=exc.code, details=error_details(exc))
    if as_json:
        emit_json(_json(view))
        return
    state = "on" if view.enabled else "off"
    who = (
        f" (changed by {view.changed_by} at {view.changed_at:%Y-%m-%d %H:%M})"
        if view.changed_at
        else ""
    )
    out_console.print(f"Pooled churn training: {state}{who}")


def register(churn_app: typer.Typer) -> None:
    churn_app.command("train")(train)
    churn_app.command("risk")(risk)
    churn_app.command("pooling")(pooling)
