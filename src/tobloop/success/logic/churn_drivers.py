"""Why the model rates an account as risky: the top drivers per row, in plain words.

For the logistic regression a column's push is its coefficients times the row's standardised
values, measured from the average row (summed over a text column's one-hot parts and a number's
missing-value indicator). Trees have no coefficients; there a column's push is how much the
predicted probability changes when that one value is replaced by other values the column takes
(a fixed sample of ten) — a cheap, SHAP-free approximation of each column's contribution.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped]

from tobloop.success.contracts import Driver, RowDrivers
from tobloop.success.logic.churn_model import CANDIDATES, LINEAR, SEED, Floats
from tobloop.success.logic.churn_table import ChurnTable

TOP_DRIVERS = 3
BACKGROUND = 10  # values swapped in per column when explaining the trees


def fit_final(table: ChurnTable, model: str) -> Any:
    """The chosen family refitted on every row: the model that would score new accounts."""
    fitted = CANDIDATES[model](table)
    fitted.fit(table.features, table.labels)
    return fitted


def typical_values(table: ChurnTable) -> dict[str, object]:
    typical: dict[str, object] = {}
    for name in table.numeric:
        median = table.features[name].median()
        typical[name] = None if pd.isna(median) else float(median)
    for name in table.categorical:
        modes = table.features[name].dropna().mode()
        typical[name] = modes.iloc[0] if len(modes) else None
    return typical


def _source_column(output_name: str, table: ChurnTable) -> str:
    """Map a transformed feature name (``num__x``, ``cat__plan_basic``) to its input column."""
    part, _, rest = output_name.partition("__")
    if part == "num":
        return rest.removeprefix("missingindicator_")
    for name in sorted(table.categorical, key=len, reverse=True):
        if rest.startswith(f"{name}_"):
            return name
    return rest


def linear_effects(table: ChurnTable, fitted: Any) -> pd.DataFrame:
    """Rows × columns of coefficient × (standardised value − its mean), in log-odds."""
    transform, logit = fitted[:-1], fitted[-1]
    values = np.asarray(transform.transform(table.features), dtype=np.float64)
    parts = logit.coef_[0] * (values - values.mean(axis=0))
    names = [_source_column(n, table) for n in transform.get_feature_names_out()]
    frame = pd.DataFrame(parts, columns=names)
    return frame.T.groupby(level=0, sort=False).sum().T


def ablation_effects(table: ChurnTable, fitted: Any, base: Floats) -> pd.DataFrame:
    """Rows × columns of p(row) − the mean p(row) with that column's value swapped for others.

    The swapped-in values are a fixed sample of the column's own values (blanks included), so
    the reference is the column's whole distribution rather than one median that may sit on
    either side of a split.
    """
    rng = np.random.default_rng(SEED)
    picks = rng.choice(table.n, size=min(BACKGROUND, table.n), replace=False)
    effects = {}
    for name in [*table.numeric, *table.categorical]:
        swapped = np.zeros(table.n, dtype=np.float64)
        for value in table.features[name].iloc[picks]:
            changed = table.features.copy()
            changed[name] = value
            swapped += fitted.predict_proba(changed)[:, 1]
        effects[name] = base - swapped / len(picks)
    return pd.DataFrame(effects)


def _words(column: str, value: object, effect: float, typical: object) -> str:
    shown = "blank" if value is None or (isinstance(value, float) and np.isnan(value)) else value
    direction = "raises" if effect > 0 else "lowers"
    if typical is None:
        compare = ""
    elif isinstance(value, str) and value == typical:
        compare = " (the most common value)"
    else:
        compare = f" (typical: {_fmt(typical)})"
    return f"{column} {_fmt(shown)} {direction} the churn risk{compare}"


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def explain_rows(table: ChurnTable, model: str, top: int = TOP_DRIVERS) -> list[RowDrivers]:
    """Every row's probability under the final model and its ``top`` strongest drivers."""
    fitted = fit_final(table, model)
    probabilities = np.asarray(fitted.predict_proba(table.features)[:, 1], dtype=np.float64)
    if model == LINEAR:
        effects = linear_effects(table, fitted)
    else:
        effects = ablation_effects(table, fitted, probabilities)
    typical = typical_values(table)
    columns = list(effects.columns)
    matrix = effects.to_numpy()
    out = []
    for i in range(table.n):
        order = np.argsort(-np.abs(matrix[i]), kind="stable")[:top]
        drivers = []
        for j in order:
            column, effect = columns[j], float(matrix[i, j])
            if effect == 0.0:
                continue
            value = table.features.iloc[i][column]
            drivers.append(
                Driver(
                    column=column,
                    value="" if pd.isna(value) else _fmt(value),
                    effect=round(effect, 4),
                    text=_words(column, value, effect, typical.get(column)),
                )
            )
        out.append(
            RowDrivers(
                row=table.row_numbers[i],
                row_id=table.row_ids[i],
                probability=round(float(probabilities[i]), 4),
                drivers=drivers,
            )
        )
    return out
