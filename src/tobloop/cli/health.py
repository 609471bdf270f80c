"""``tobloop health``: score account health (P-REQ-4) from the shell or a daily cron job."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Annotated, Literal

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

health_app = typer.Typer(
    help="Account health: profiles (health code or weighted score), verdicts, overrides, back-test."
)


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date (YYYY-MM-DD)", param_hint=option
        ) from None


AsOfOpt = Annotated[
    str | None, typer.Option("--as-of", help="Score as of this day, YYYY-MM-DD (default today).")
]


SnapshotsFromOpt = Annotated[
    str | None, typer.Option("--from", help="First snapshot day (default: a year before --to).")
]
SnapshotsToOpt = Annotated[
    str | None,
    typer.Option("--to", help="Last snapshot day (default and latest: 90 days ago)."),
]
StepOpt = Annotated[str, typer.Option("--step", help="month or week.")]


def _snapshots(
    date_from: str | None, date_to: str | None, step: str
) -> tuple[date | None, date | None, Literal["month", "week"]]:
    """The replay window of ``--from``/``--to``/``--step`` (typer errors name the option)."""
    start, end = _day(date_from, "--from"), _day(date_to, "--to")
    if step not in ("month", "week"):
        raise typer.BadParameter("month or week", param_hint="--step")
    return start, end, "week" if step == "week" else "month"


@health_app.command("score")
def score(
    account: Annotated[
        int | None, typer.Option("--account", min=1, help="Score one account (by id) only.")
    ] = None,
    as_of: AsOfOpt = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Score the health of every account (or one) as of a day and keep it in the history."""
    from tobloop.cli.runtime import setup_django

    day = _day(as_of, "--as-of")
    setup_django()
    from tobloop.kernel.errors import TobloopError
    from tobloop.success import facade

    try:
        principal = cli_principal(workspace, as_json)
        with err_console.status("Scoring account health…"):
            if account is not None:
                summary = facade.score_account(principal, account, day)
            else:
                summary = facade.score_workspace(principal, day)
    except TobloopError as exc:
        fail(exc.message, as_json=as_json, code=exc.code, details=error_details(exc))
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
        profile = facade.install_default_health_profile(cli_principal(workspace, as_json))
    except TobloopError as exc:
        fail(exc.message, as_json=as_json, code=exc.code, details=error_details(exc))
    if as_json:
        emit_json(dataclasses.asdict(profile))
    else:
        out_console.print(f"Created health profile [bold]{profile.name}[/] (id {profile.id}).")


@health_app.command("daily")
def daily(as_json: JsonOpt = False) -> None:
    """Score today's health in every workspace (the job to run once a day from cron/systemd)."""
    from tobloop.cli.runtime import setup_django

    setup_django()
    from tobloop.success import facade

    with err_console.status("Scoring account health in every workspace…"):
        runs = facade.run_daily_health()
    with err_console.status("Retraining churn models older than TOBLOOP_CHURN_RETRAIN_DAYS…"):
        trained = facade.retrain_stale_workspaces()
    if as_json:
        emit_json(
            {
                "workspaces": [{"workspace": s, **dataclasses.asdict(r)} for s, r in runs],
                "churn_models": [
                    {"workspace": s, "id": v.id, "status": v.status, "roc_auc": v.roc_auc,
                     "pr_auc": v.pr_auc, "reason": v.reason}
                    for s, v in trained
                ],
            }
        )  # fmt: skip
        return
    for slug, r in runs:
        out_console.print(
            f"{slug} {r.day}: {r.scored} scored — {r.red} red, {r.yellow} yellow, {r.green} green"
        )
    for slug, v in trained:
        scores = (
            f" — ROC AUC {num(v.roc_auc)}, PR AUC {num(v.pr_auc)}"
            if v.roc_auc is not None or v.pr_auc is not None
            else ""
        )
        out_console.print(
            f"{slug}: churn model retrained ({v.status}){scores}"
            f"{f'; {v.reason}' if v.reason else ''}"
        )


@health_app.command("measures")
def measures(as_json: JsonOpt = False) -> None:
    """List the measures weighted profiles and health-code flags can use."""
    from tobloop.cli.runtime import setup_django

    setup_django()
    from tobloop.success import facade

    items = [
        {"key": m.key, "label": m.label, "source": m.source, "unit": m.unit,
         "direction": m.direction, "default_window": m.default_window,
         "description": m.description, "needs_events": m.needs_events}
        for m in sorted(facade.HEALTH_MEASURES.values(), key=lambda m: m.key)
    ]  # fmt: skip
    if as_json:
        emit_json({"items": items, "count": len(items)})
        return
    for m in items:
        out_console.print(f"[bold]{m['key']}[/] ({m['source']}, {m['unit']}): {m['description']}")


@health_app.command("override")
def override(
    account: Annotated[int, typer.Argument(min=1, help="Account id.")],
    color: Annotated[str, typer.Option("--color", help="red, yellow or green.")],
    reason: Annotated[str, typer.Option("--reason", help="Why the colour is overridden.")],
    until: Annotated[str, typer.Option("--until", help="Last day it applies, YYYY-MM-DD.")],
    score: Annotated[
        float | None, typer.Option("--score", min=0, max=100, help="Optional score 0–100.")
    ] = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Override an account's health colour by hand until a day (audited)."""
    from tobloop.cli.runtime import setup_django

    last = _day(until, "--until")
    setup_django()
    from tobloop.kernel.errors import TobloopError
    from tobloop.success import facade

    data = {"color": color, "reason": reason, "until": last, "score": score}
    try:
        view = facade.set_health_override(cli_principal(workspace, as_json), account, data)
    except TobloopError as exc:
        fail(exc.message, as_json=as_json, code=exc.code, details=error_details(exc))
    if as_json:
        emit_json(dataclasses.asdict(view))
    else:
        out_console.print(f"Account {account} is {view.color} until {view.until}: {view.reason}")


@health_app.command("clear-override")
def clear_override(
    account: Annotated[int, typer.Argument(min=1, help="Account id.")],
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """End an account's override now; the computed colour applies again."""
    from tobloop.cli.runtime import setup_django

    setup_django()
    from tobloop.kernel.errors import TobloopError
    from tobloop.success import facade

    try:
        facade.clear_health_override(cli_principal(workspace, as_json), account)
    except TobloopError as exc:
        fail(exc.message, as_json=as_json, code=exc.code, details=error_details(exc))
    if as_json:
        emit_json({"account": account, "cleared": True})
    else:
        out_console.print(f"Override of account {account} cleared.")


@health_app.command("backtest")
def backtest(
    profile: Annotated[
        str | None, typer.Option("--profile", help="Profile name (default: every active one).")
    ] = None,
    date_from: SnapshotsFromOpt = None,
    date_to: SnapshotsToOpt = None,
    step: StepOpt = "month",
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Replay snapshots and report how well each profile predicted churn in the next 90 days."""
    from tobloop.cli.runtime import setup_django

    start, end, every = _snapshots(date_from, date_to, step)
    setup_django()
    from tobloop.kernel.errors import TobloopError
    from tobloop.success import facade

    try:
        with err_console.status("Replaying health snapshots…"):
            reports = facade.backtest_health(
                cli_principal(workspace, as_json), profile=profile, start=start, end=end,
                step=every,
            )  # fmt: skip
    except TobloopError as exc:
        fail(exc.message, as_json=as_json, code=exc.code, details=error_details(exc))
    if as_json:
        emit_json({"items": [dataclasses.asdict(r) for r in reports], "count": len(reports)})
        return
    for r in reports:
        out_console.print(
            f"[bold]{r.profile}[/] ({r.kind}) {r.start}…{r.end}, {len(r.snapshots)} snapshots: "
            f"{r.observations} observations, {r.churned} churned within {r.horizon_days} days; "
            f"ROC AUC {num(r.roc_auc)}, precision of red {num(r.precision_red)} "
            f"(churn rate {num(r.churn_rate)}), churned that were red {num(r.churned_red_share)}"
        )


@health_app.command("churn-model")
def churn_model(
    date_from: SnapshotsFromOpt = None,
    date_to: SnapshotsToOpt = None,
    step: StepOpt = "month",
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Fit the workspace's own churn model on its replayed health measures (P-DATA-6)."""
    from tobloop.cli.runtime import setup_django

    start, end, every = _snapshots(date_from, date_to, step)
    setup_django()
    from tobloop.kernel.errors import TobloopError
    from tobloop.success import facade

    try:
        with err_console.status("Replaying snapshots and fitting the churn model…"):
            evaluation = facade.evaluate_workspace_churn_model(
                cli_principal(workspace, as_json), start=start, end=end,
                step=every,
            )  # fmt: skip
    except TobloopError as exc:
        fail(exc.message, as_json=as_json, code=exc.code, details=error_details(exc))
    if as_json:
        emit_json(dataclasses.asdict(evaluation))
        return
    v = evaluation.validation
    out_console.print(
        f"{evaluation.n} account snapshots, {evaluation.positives} churned within 90 days; "
        f"{v.chosen_model} validated {v.method}: ROC AUC {num(evaluation.roc_auc)}, "
        f"PR AUC {num(evaluation.pr_auc)} on {v.test_rows} rows ({v.test_positives} churned)"
    )
