"""Plain-word readings of the churn model's figures, for people who do not read ROC curves."""

from __future__ import annotations

from tobloop.success.contracts import Validation

MODEL_NAMES = {
    "logistic_regression": "a regularised logistic regression",
    "gradient_boosted_trees": "gradient-boosted trees",
}


def _pct(value: float) -> str:
    return f"{value * 100:.0f}%"


def explain(
    *, auc: float | None, ap: float | None, base_rate: float | None, validation: Validation
) -> dict[str, str]:
    """One sentence per figure: what it means for this table, and the bar to compare it with."""
    words: dict[str, str] = {}
    if auc is None:
        words["roc_auc"] = (
            "Undefined: the rows the model was tested on are all of one class, so there is no "
            "churned/retained pair to rank."
        )
    else:
        words["roc_auc"] = (
            f"Take one account that churned and one that stayed: the model gives the churned one "
            f"the higher risk {_pct(auc)} of the time (50% is a coin flip, 100% is perfect)."
        )
    if ap is None or base_rate is None:
        words["pr_auc"] = "Undefined: the tested rows hold no churned and retained accounts both."
    else:
        words["pr_auc"] = (
            f"Working down the list from the riskiest account, on average {_pct(ap)} of the "
            f"accounts flagged really churned; flagging at random would hit {_pct(base_rate)}."
        )
    words["calibration"] = (
        "Each band groups accounts by predicted churn probability; when the model is "
        "well calibrated the observed churn rate in a band is close to its mean prediction."
    )
    chosen = MODEL_NAMES.get(validation.chosen_model, validation.chosen_model)
    if validation.method == "out_of_time" and validation.train_periods and validation.test_periods:
        tr, te = validation.train_periods, validation.test_periods
        words["validation"] = (
            f"Out-of-time: the model was fitted on periods {tr.first} to {tr.last} and "
            f"tested on the later periods {te.first} to {te.last} ({validation.test_rows} rows) "
            f"that it never saw; {chosen} was kept because it validated best on "
            f"{validation.selected_on}."
        )
    else:
        words["validation"] = (
            f"Stratified {validation.folds}-fold cross-validation: every row was scored by a "
            f"model fitted without it; {chosen} was kept because it validated best on "
            f"{validation.selected_on}."
        )
    return words
