"""``tobloop churn evaluate``: out-of-sample quality of a churn model on any CSV table."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated, Any

import typer

from tobloop.cli.runtime import (
    EXIT_FAILED,
    EXIT_USAGE,
    JsonOpt,
    emit_json,
    err_console,
    error_details,
    fail,
    num,
    out_console,
)

churn_app = typer.Typer(help="Evaluate churn models on your own data.", no_args_is_help=True)

USAGE_CODES = frozenset({"unknown_column"})


@churn_app.command("evaluate")
def evaluate(
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV of accounts with features and a churn label (UTF-8, BOM or GB18030).",
            exists=True,
            dir_okay=False,
        ),
    ],
    label: Annotated[
        str, typer.Option("--label", help="Churn label column: 0/1, true/false or yes/no.")
    ],
    time: Annotated[
        str | None,
        typer.Option("--time", help="Period column: validate out-of-time on the latest periods."),
    ] = None,
    id_column: Annotated[
        str | None, typer.Option("--id", help="Id column (not used as a feature).")
    ] = None,
    drivers: Annotated[
        int,
        typer.Option("--drivers", min=0, help="Also list the N riskiest rows and their drivers."),
    ] = 0,
    as_json: JsonOpt = False,
) -> None:
    """Fit a linear model and gradient-boosted trees, keep the better, report held-out figures."""
    from tobloop.cli.runtime import setup_django

    setup_django(migrate=False)  # no workspace and no database are needed
    from tobloop.kernel.errors import TobloopError
    from tobloop.success.facade import evaluate_churn_csv

    try:
        raw = file.read_bytes()
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror}", as_json=as_json, code="unreadable_file")
    try:
        with err_console.status(f"Evaluating churn models on {file.name}…"):
            result = evaluate_churn_csv(
                raw, label=label, time=time, id_column=id_column, drivers=drivers > 0
            )
    except TobloopError as exc:
        fail(
            exc.message,
            as_json=as_json,
            code=exc.code,
            details=error_details(exc),
            exit_code=EXIT_USAGE if exc.code in USAGE_CODES else EXIT_FAILED,
        )
    doc = dataclasses.asdict(result)
    doc["drivers"] = doc["drivers"][:drivers]
    if not drivers:
        del doc["drivers"]
    if as_json:
        emit_json(doc)
    else:
        _print(doc)


def _print(doc: dict[str, Any]) -> None:
    from rich.table import Table

    v = doc["validation"]
    summary = Table("figure", "value", "in plain words", title="Churn model, out-of-sample")
    summary.add_row("rows", str(doc["n"]), f"{doc['positives']} churned")
    summary.add_row("ROC AUC", num(doc["roc_auc"]), doc["explanation"]["roc_auc"])
    summary.add_row("PR AUC", num(doc["pr_auc"]), doc["explanation"]["pr_auc"])
    summary.add_row("validation", v["method"], doc["explanation"]["validation"])
    for c in v["candidates"]:
        chosen = " (kept)" if c["model"] == v["chosen_model"] else ""
        summary.add_row(f"  {c['model']}{chosen}", num(c["roc_auc"]), "ROC AUC where chosen")
    if v["ignored_columns"]:
        summary.add_row("ignored", ", ".join(v["ignored_columns"]), "empty or id-like columns")
    out_console.print(summary)
    calibration = Table("bin", "predicted", "observed", "rows", title="Calibration")
    for b in doc["calibration"]:
        calibration.add_row(
            f"{b['lower']:.1f}–{b['upper']:.1f}",
            num(b["predicted"]),
            num(b["observed"]),
            str(b["count"]),
        )
    out_console.print(calibration)
    if doc.get("drivers"):
        risky = Table("row", "id", "probability", "top drivers", title="Riskiest rows")
        for r in doc["drivers"]:
            texts = "; ".join(d["text"] for d in r["drivers"])
            risky.add_row(str(r["row"]), r["row_id"], f"{r['probability']:.3f}", texts)
        out_console.print(risky)
