"""Churn model evaluation on any table (P-DATA-6; DESIGN.md "Churn model quality").

Two model families are tried — a scaled, L2-regularised logistic regression and gradient-boosted
trees — and the one that validates best is kept. Every reported figure comes from rows the
model was not fitted on: with a time column, the later periods (out-of-time, never a random
split); without one, stratified k-fold. scikit-learn is imported inside the functions so that
importing this module from the web path stays cheap.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from tobloop.kernel.errors import InvalidInput
from tobloop.success.contracts import (
    CalibrationBin,
    CandidateScore,
    ChurnEvaluation,
    PeriodRange,
    Validation,
)
from tobloop.success.logic.churn_table import ChurnTable

LINEAR = "logistic_regression"
TREES = "gradient_boosted_trees"
SEED = 0
MAX_FOLDS = 5
TRAIN_SHARE = 0.75  # share of periods used for fitting in out-of-time validation
CALIBRATION_BINS = 10
MAX_CATEGORIES = 30  # rarer categories of a text column are pooled as "infrequent"

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int_]


def build_linear(table: ChurnTable) -> Any:
    """Median-imputed (with missing indicators), standardised numbers; one-hot text; L2 logit."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    parts: list[tuple[str, Any, list[str]]] = []
    if table.numeric:
        numbers = make_pipeline(
            SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
            StandardScaler(),
        )
        parts.append(("num", numbers, table.numeric))
    if table.categorical:
        texts = make_pipeline(
            SimpleImputer(strategy="constant", fill_value="(blank)"),
            OneHotEncoder(
                handle_unknown="infrequent_if_exist",
                max_categories=MAX_CATEGORIES,
                sparse_output=False,
            ),
        )
        parts.append(("cat", texts, table.categorical))
    return make_pipeline(
        ColumnTransformer(parts, sparse_threshold=0.0),
        LogisticRegression(C=1.0, max_iter=2000, random_state=SEED),
    )


def build_trees(table: ChurnTable) -> Any:
    """Histogram gradient boosting; text columns as native categories, blanks as missing."""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OrdinalEncoder

    parts: list[tuple[str, Any, list[str]]] = []
    if table.numeric:
        parts.append(("num", "passthrough", table.numeric))
    if table.categorical:
        codes = OrdinalEncoder(
            handle_unknown="use_encoded_value",
            unknown_value=np.nan,
            max_categories=MAX_CATEGORIES,
        )
        parts.append(("cat", codes, table.categorical))
    mask = [False] * len(table.numeric) + [True] * len(table.categorical)
    return make_pipeline(
        ColumnTransformer(parts, sparse_threshold=0.0),
        HistGradientBoostingClassifier(
            learning_rate=0.1,
            max_iter=100,
            max_leaf_nodes=15,
            l2_regularization=1.0,
            categorical_features=mask,
            early_stopping=False,
            random_state=SEED,
        ),
    )


CANDIDATES: dict[str, Callable[[ChurnTable], Any]] = {LINEAR: build_linear, TREES: build_trees}


def roc_auc(labels: Ints, scores: Floats) -> float | None:
    """ROC AUC, or None when only one class is present (it is undefined then)."""
    from sklearn.metrics import roc_auc_score

    if len(set(labels.tolist())) < 2:
        return None
    return float(roc_auc_score(labels, scores))


def pr_auc(labels: Ints, scores: Floats) -> float | None:
    """Average precision (area under the precision–recall curve); None with one class only."""
    from sklearn.metrics import average_precision_score

    if len(set(labels.tolist())) < 2:
        return None
    return float(average_precision_score(labels, scores))


def calibration_table(labels: Ints, scores: Floats) -> list[CalibrationBin]:
    """Ten equal-width bands of predicted probability: mean prediction vs observed churn rate."""
    index = np.minimum((scores * CALIBRATION_BINS).astype(int), CALIBRATION_BINS - 1)
    out = []
    for b in range(CALIBRATION_BINS):
        members = index == b
        count = int(members.sum())
        out.append(
            CalibrationBin(
                bin=b + 1,
                lower=round(b / CALIBRATION_BINS, 2),
                upper=round((b + 1) / CALIBRATION_BINS, 2),
                predicted=_round(float(scores[members].mean())) if count else None,
                observed=_round(float(labels[members].mean())) if count else None,
                count=count,
            )
        )
    return out


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None or math.isnan(value) else round(value, digits)


def _fit_predict(name: str, table: ChurnTable, train: Ints, test: Ints) -> Floats:
    model = CANDIDATES[name](table)
    model.fit(table.features.iloc[train], table.labels[train])
    return np.asarray(model.predict_proba(table.features.iloc[test])[:, 1], dtype=np.float64)


def _check_classes(labels: Ints, where: str) -> int:
    """The smaller class's size; at least 2 of each class are needed to fit and to validate."""
    positives = int(labels.sum())
    minority = min(positives, len(labels) - positives)
    if minority < 2:
        which = "churned (1)" if positives < 2 else "retained (0)"
        raise InvalidInput(
            f"{where} has {minority} {which} row(s); a churn model needs at least 2 rows of "
            "each class",
            code="single_class" if minority == 0 else "too_few_rows",
        )
    return minority


def _kfold_predictions(table: ChurnTable, rows: Ints) -> tuple[dict[str, Floats], int]:
    """Out-of-fold predictions of every candidate on ``rows`` (stratified, shuffled, seeded)."""
    from sklearn.model_selection import StratifiedKFold

    labels = table.labels[rows]
    folds = min(MAX_FOLDS, _check_classes(labels, "the table"))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=SEED)
    predictions = {name: np.zeros(len(rows), dtype=np.float64) for name in CANDIDATES}
    for fit_part, held_part in splitter.split(np.zeros(len(rows)), labels):
        for name in CANDIDATES:
            predictions[name][held_part] = _fit_predict(
                name, table, rows[fit_part], rows[held_part]
            )
    return predictions, folds


def _best(scores: dict[str, float | None]) -> str:
    """Highest ROC AUC wins; ties (and undefined scores) go to the simpler linear model."""
    return max(CANDIDATES, key=lambda name: (scores[name] or 0.0, name == LINEAR))


def validate_kfold(table: ChurnTable) -> tuple[Ints, Floats, Validation]:
    rows = np.arange(table.n)
    predictions, folds = _kfold_predictions(table, rows)
    scores = {name: roc_auc(table.labels, p) for name, p in predictions.items()}
    chosen = _best(scores)
    validation = Validation(
        method="stratified_kfold",
        folds=folds,
        chosen_model=chosen,
        candidates=[CandidateScore(name, _round(scores[name])) for name in CANDIDATES],
        selected_on=f"the same {folds} out-of-fold predictions",
        test_rows=table.n,
        test_positives=int(table.labels.sum()),
        ignored_columns=table.ignored,
    )
    return table.labels, predictions[chosen], validation


@dataclass(frozen=True)
class TimeSplit:
    """Rows of the earlier periods (fit) and of the later ones (test), and the periods."""

    train: Ints
    test: Ints
    train_periods: list[str]
    test_periods: list[str]


def split_out_of_time(
    periods: list[str], keys: list[object], share: float = TRAIN_SHARE
) -> TimeSplit:
    """The earliest ``share`` of distinct periods (at least one, never all) are for fitting."""
    key_of = dict(zip(periods, keys, strict=True))
    ordered = sorted(key_of, key=lambda p: key_of[p])  # type: ignore[arg-type,return-value]
    if len(ordered) < 2:
        raise InvalidInput(
            "out-of-time validation needs at least two distinct periods in the time column",
            code="too_few_periods",
        )
    n_train = min(len(ordered) - 1, max(1, math.ceil(share * len(ordered))))
    train_periods, test_periods = ordered[:n_train], ordered[n_train:]
    fit = set(train_periods)
    is_train = np.array([p in fit for p in periods])
    return TimeSplit(
        train=np.flatnonzero(is_train),
        test=np.flatnonzero(~is_train),
        train_periods=train_periods,
        test_periods=test_periods,
    )


def _choose_within(table: ChurnTable, split: TimeSplit) -> tuple[str, dict[str, float | None], str]:
    """Pick the model on the training periods only, so the test period stays unseen."""
    inner_periods = [table.periods[i] for i in split.train] if table.periods else []
    inner_keys = [table.period_keys[i] for i in split.train] if table.period_keys else []
    if len(set(inner_periods)) >= 2:
        inner = split_out_of_time(inner_periods, inner_keys)
        fit_rows, held_rows = split.train[inner.train], split.train[inner.test]
        if (
            len(set(table.labels[fit_rows].tolist())) == 2
            and len(set(table.labels[held_rows].tolist())) == 2
        ):
            scores = {
                name: roc_auc(
                    table.labels[held_rows], _fit_predict(name, table, fit_rows, held_rows)
                )
                for name in CANDIDATES
            }
            check = f"{inner.test_periods[0]}–{inner.test_periods[-1]}"
            where = (
                f"an inner out-of-time split of the training periods (fit up to "
                f"{inner.train_periods[-1]}, check {check})"
            )
            return _best(scores), scores, where
    predictions, folds = _kfold_predictions(table, split.train)
    labels = table.labels[split.train]
    scores = {name: roc_auc(labels, p) for name, p in predictions.items()}
    return _best(scores), scores, f"a {folds}-fold stratified split of the training periods"


def validate_out_of_time(table: ChurnTable) -> tuple[Ints, Floats, Validation]:
    assert table.periods is not None and table.period_keys is not None
    split = split_out_of_time(table.periods, table.period_keys)
    _check_classes(table.labels[split.train], "the training periods")
    chosen, scores, where = _choose_within(table, split)
    predictions = _fit_predict(chosen, table, split.train, split.test)
    labels = table.labels[split.test]
    validation = Validation(
        method="out_of_time",
        chosen_model=chosen,
        candidates=[CandidateScore(name, _round(scores[name])) for name in CANDIDATES],
        selected_on=where,
        test_rows=len(split.test),
        test_positives=int(labels.sum()),
        train_periods=_range(split.train_periods),
        test_periods=_range(split.test_periods),
        ignored_columns=table.ignored,
    )
    return labels, predictions, validation


def _range(periods: list[str]) -> PeriodRange:
    return PeriodRange(first=periods[0], last=periods[-1], count=len(periods))


def evaluate_table(table: ChurnTable) -> ChurnEvaluation:
    """Validate both model families and report the chosen one's out-of-sample quality."""
    from tobloop.success.logic.churn_words import explain

    _check_classes(table.labels, "the table")
    if table.periods is not None:
        labels, scores, validation = validate_out_of_time(table)
    else:
        labels, scores, validation = validate_kfold(table)
    auc, ap = roc_auc(labels, scores), pr_auc(labels, scores)
    brier = float(np.mean((scores - labels) ** 2)) if len(labels) else None
    base_rate = float(labels.mean()) if len(labels) else None
    return ChurnEvaluation(
        n=table.n,
        positives=int(table.labels.sum()),
        roc_auc=_round(auc),
        pr_auc=_round(ap),
        brier=_round(brier),
        calibration=calibration_table(labels, scores),
        validation=validation,
        explanation=explain(auc=auc, ap=ap, base_rate=base_rate, validation=validation),
    )
