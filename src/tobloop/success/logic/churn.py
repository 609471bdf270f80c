"""Evaluate a churn model on a plain CSV table: the entry point of ``tobloop churn evaluate``."""

from __future__ import annotations

import dataclasses

from tobloop.accounts.facade import read_csv
from tobloop.success.contracts import ChurnEvaluation
from tobloop.success.logic.churn_drivers import explain_rows
from tobloop.success.logic.churn_model import evaluate_table
from tobloop.success.logic.churn_table import churn_table


def evaluate_csv(
    raw: bytes,
    *,
    label: str,
    time: str | None = None,
    id_column: str | None = None,
    drivers: bool = False,
) -> ChurnEvaluation:
    """Decode (UTF-8, BOM, GB18030; comma or tab), validate, and optionally explain each row."""
    import sklearn.ensemble  # noqa: F401  (loads OpenMP before the thread limit is applied)
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    csv = read_csv(raw)
    table = churn_table(csv.header, csv.rows, label=label, time=time, id_column=id_column)
    # One thread: OpenMP gradient boosting slows down many-fold on a busy 2-core machine, and
    # a single thread keeps the results bit-for-bit repeatable.
    with threadpool_limits(limits=1):
        evaluation = evaluate_table(table)
        if not drivers:
            return evaluation
        rows = explain_rows(table, evaluation.validation.chosen_model)
    rows.sort(key=lambda r: (-r.probability, r.row))
    return dataclasses.replace(evaluation, drivers=rows)
