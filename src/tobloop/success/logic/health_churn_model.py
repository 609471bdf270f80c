"""The workspace's own churn model (P-DATA-6): learned from its replayed health measures.

The back-test's snapshots become a training table: one row per account paying on a snapshot
day, the built-in measures as of that day as features (replayed: only data on or before the
day), the segment, and whether the account churned within the following 90 days as the label.
The table goes through the same evaluation as ``tobloop churn evaluate`` with the snapshot as
the time column, so the reported ROC AUC is out-of-time: fitted on earlier snapshots, tested
on later ones. Compare it with the back-test of the hand-made profiles.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any, Literal

from tobloop.kernel.errors import InvalidInput
from tobloop.platform.facade import Principal, require
from tobloop.success.contracts import ChurnEvaluation, Validation
from tobloop.success.logic.health_backtest import (
    HORIZON_DAYS,
    _recorded_facts,
    _window,
    churned_within,
    snapshot_days,
)
from tobloop.success.logic.measure_data import load_revenue_book
from tobloop.success.logic.measures import MeasureContext, compute_measure

FEATURES = (
    ("usage_trend", 30),
    ("active_users", 30),
    ("days_since_last_activity", 0),
    ("seat_utilization", 30),
    ("mrr_change", 90),
    ("contraction", 90),
    ("days_to_renewal", 0),
    ("decision_maker_known", 0),
    ("contacts_count", 0),
)


def churn_training_table(
    principal: Principal,
    *,
    start: date | None = None,
    end: date | None = None,
    step: Literal["month", "week"] = "month",
) -> tuple[bytes, int]:
    """The CSV table (``account``, ``snapshot``, ``segment``, features…, ``churned``) and its
    number of rows."""
    from tobloop.success.logic.health import all_accounts, today_for

    require(principal.scopes, "success", "read")
    start, end = _window(today_for(principal), start, end, HORIZON_DAYS)
    accounts = all_accounts(principal)
    book = load_revenue_book(principal)
    facts = _recorded_facts(principal.workspace_id, end)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["account", "snapshot", "segment", *(k for k, _w in FEATURES), "churned"])
    rows = 0
    for day in snapshot_days(start, end, step):
        paying = [a for a in accounts if book.mrr(a.id, day) > 0]
        ctx = MeasureContext(
            principal=principal, as_of=day, accounts=paying, replay=True, revenue=book,
            recorded_facts=facts,
        )  # fmt: skip
        values = {k: compute_measure(ctx, k, w, {}) for k, w in FEATURES}
        for a in paying:
            cells: list[Any] = [a.id, day.isoformat(), a.segment]
            cells += ["" if (v := values[k][a.id]) is None else round(v, 4) for k, _w in FEATURES]
            cells.append(int(churned_within(book, a.id, day, HORIZON_DAYS)))
            writer.writerow(cells)
            rows += 1
    return out.getvalue().encode(), rows


def evaluate_workspace_churn_model(
    principal: Principal,
    *,
    start: date | None = None,
    end: date | None = None,
    step: Literal["month", "week"] = "month",
    drivers: bool = False,
) -> ChurnEvaluation:
    """Fit and validate a churn model on the workspace's replayed snapshots (out-of-time).

    Too little history to validate a model (no paying account, no churn yet, a single
    snapshot) is not an error: the figures are ``null`` and ``validation.selected_on`` says why.
    """
    from tobloop.success.logic.churn import evaluate_csv

    raw, rows = churn_training_table(principal, start=start, end=end, step=step)
    try:
        return evaluate_csv(raw, label="churned", time="snapshot", id_column="account",
                            drivers=drivers)  # fmt: skip
    except InvalidInput as exc:
        positives = sum(line.endswith(b",1") for line in raw.splitlines()[1:])
        return ChurnEvaluation(
            n=rows, positives=positives, roc_auc=None, pr_auc=None, brier=None,
            calibration=[],
            validation=Validation(
                method="none", chosen_model="", candidates=[],
                selected_on=f"not enough history to validate a model: {exc.message}",
                test_rows=0, test_positives=0,
            ),
            explanation={"validation": "Replay more snapshots (an earlier --from) or wait "
                                       "until churn has been observed."},
        )  # fmt: skip
