"""Revenue commands: ``metrics``, ``check``, ``import subscriptions`` and ``import spend``.

The JSON documents are those of DESIGN.md "Scriptable interfaces" (built by
``tobloop.revenue.present``); without ``--json`` the same figures print as Rich tables.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

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

VERDICT_STYLE = {"pass": "green", "warn": "yellow", "fail": "bold red", "unknown": "dim"}


class SubscriptionFormat(StrEnum):
    csv = "csv"
    stripe = "stripe"


def _as_of(value: str | None, as_json: bool) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(
            f"--as-of {value!r} is not a date (YYYY-MM-DD)",
            as_json=as_json,
            code="invalid_date",
            exit_code=EXIT_USAGE,
        )


def _show(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def print_metrics(doc: dict[str, Any]) -> None:
    from rich.table import Table

    head = Table("figure", "value", title=f"Revenue at {doc['as_of']} ({doc['currency']})")
    for key in (
        "mrr",
        "arr",
        "paying_accounts",
        "arpa",
        "nrr_12",
        "grr_12",
        "cc",
        "logo_churn_12",
        "quick_ratio",
        "ltv",
        "ltv_km",
        "cac",
        "cac_payback_months",
        "growth_12",
    ):
        head.add_row(key, _show(doc[key]))
    out_console.print(head)
    kinds = ("new", "reactivation", "expansion", "contraction", "churn")
    bridge = Table("month", "mrr_start", *kinds, "mrr_end", "paying", title="MRR bridge")
    for m in doc["months"]:
        bridge.add_row(
            m["month"],
            m["mrr_start"],
            *[m[k] for k in kinds],
            m["mrr_end"],
            str(m["paying_accounts"]),
        )
    out_console.print(bridge)
    if doc["channels"]:
        cac = Table("channel", "spend", "new accounts", "CAC", "payback (months)", title="CAC")
        for c in doc["channels"]:
            cac.add_row(
                c["channel"] or "—",
                c["spend"],
                str(c["new_accounts"]),
                _show(c["cac"]),
                _show(c["cac_payback_months"]),
            )
        out_console.print(cac)


def print_check(doc: dict[str, Any]) -> None:
    from rich.table import Table

    table = Table("rule", "value", "threshold", "verdict", "explanation", title="Playbook check")
    for r in doc["rules"]:
        style = VERDICT_STYLE[r["verdict"]]
        table.add_row(
            r["rule"],
            _show(r["value"]),
            _show(r["threshold"]),
            f"[{style}]{r['verdict']}[/]",
            r["explanation"],
        )
    out_console.print(table)
    ms = doc["milestones"]
    reached = ", ".join(str(n) for n in ms["reached"]) or "none"
    out_console.print(
        f"P-REQ-3 milestones: {ms['paying_accounts']} paying accounts; reached {reached}; "
        f"next {ms['next'] or '—'}."
    )


AsOfOpt = Annotated[
    str | None, typer.Option("--as-of", help="Date of the figures, YYYY-MM-DD (default: today).")
]


def metrics(
    as_of: AsOfOpt = None,
    segment: Annotated[str | None, typer.Option(help="Only this size segment.")] = None,
    industry: Annotated[str | None, typer.Option(help="Only this industry.")] = None,
    region: Annotated[str | None, typer.Option(help="Only this region.")] = None,
    channel: Annotated[str | None, typer.Option(help="Only this acquisition channel.")] = None,
    plan: Annotated[str | None, typer.Option(help="Only this plan (external id).")] = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """MRR, ARR, the monthly MRR bridge, NRR/GRR, CC, LTV, CAC and payback."""
    setup_django()
    from tobloop.kernel.errors import TobloopError
    from tobloop.revenue import facade, present

    day = _as_of(as_of, as_json)
    principal = cli_principal(workspace, as_json)
    cut = facade.RevenueFilter(
        segment=segment, industry=industry, region=region, channel=channel, plan=plan
    )
    try:
        doc = present.metrics_doc(facade.revenue_metrics(principal, day, cut))
    except TobloopError as exc:
        fail(exc.message, as_json=as_json, code=exc.code)
    if as_json:
        emit_json(doc)
    else:
        print_metrics(doc)


def check(as_of: AsOfOpt = None, workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """The playbook check (P-ECON-1 … P-ECON-6) and the P-REQ-3 milestones."""
    setup_django()
    from tobloop.kernel.errors import TobloopError
    from tobloop.revenue import facade, present

    day = _as_of(as_of, as_json)
    principal = cli_principal(workspace, as_json)
    try:
        doc = present.check_doc(facade.playbook_check(principal, day))
    except TobloopError as exc:
        fail(exc.message, as_json=as_json, code=exc.code)
    if as_json:
        emit_json(doc)
    else:
        print_check(doc)


def _run(kind: str, file: Path, mapping: Path | None, fmt: str, ws: str | None, js: bool) -> None:
    setup_django()
    from tobloop.cli.app import _print_report
    from tobloop.kernel.errors import TobloopError
    from tobloop.revenue import facade

    principal = cli_principal(ws, js)
    try:
        raw = file.read_bytes()
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror}", as_json=js, code="unreadable_file")
    try:
        from tobloop.accounts.facade import load_mapping

        parsed = load_mapping(mapping)
        with err_console.status(f"Importing {kind} from {file.name}…"):
            if kind == "subscriptions":
                report = facade.import_subscriptions(
                    principal, raw, filename=str(file), mapping=parsed, fmt=fmt
                )
            else:
                report = facade.import_spend(principal, raw, filename=str(file), mapping=parsed)
    except TobloopError as exc:
        fail(exc.message, as_json=js, code=exc.code, details=error_details(exc))
    _print_report(report, as_json=js)
    if report.rejected:
        raise typer.Exit(EXIT_PARTIAL)


FileArg = Annotated[Path, typer.Argument(help="CSV file (UTF-8, UTF-8 with BOM or GB18030).")]
MappingOpt = Annotated[
    Path | None,
    typer.Option(help='JSON file {"source column": "field"} for columns whose names differ.'),
]


def import_subscriptions(
    file: FileArg,
    fmt: Annotated[
        SubscriptionFormat,
        typer.Option("--format", help="csv: one row per dated change; stripe: Stripe's export."),
    ] = SubscriptionFormat.csv,
    mapping: MappingOpt = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Import subscription histories, matched by subscription id, date and event."""
    _run("subscriptions", file, mapping, fmt.value, workspace, as_json)


def import_spend(
    file: FileArg,
    mapping: MappingOpt = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Import acquisition spend per channel per month, matched by channel and month."""
    _run("spend", file, mapping, "csv", workspace, as_json)


def register(app: typer.Typer, import_app: typer.Typer) -> None:
    app.command("metrics")(metrics)
    app.command("check")(check)
    import_app.command("subscriptions")(import_subscriptions)
    import_app.command("spend")(import_spend)
