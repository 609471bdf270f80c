"""Frozen data the success module hands to other modules and to its API/CLI."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True)
class CalibrationBin:
    """One band of predicted churn probability and what actually happened in it."""

    bin: int
    lower: float
    upper: float
    predicted: float | None
    observed: float | None
    count: int


@dataclass(frozen=True)
class CandidateScore:
    """A model family that was tried, and the ROC AUC it reached where it was chosen."""

    model: str
    roc_auc: float | None


@dataclass(frozen=True)
class PeriodRange:
    first: str
    last: str
    count: int


@dataclass(frozen=True)
class Validation:
    """How the out-of-sample figures were obtained (P-DATA-6, DESIGN "Churn model quality")."""

    method: str  # "out_of_time" | "stratified_kfold"
    chosen_model: str
    candidates: list[CandidateScore]
    selected_on: str
    test_rows: int
    test_positives: int
    folds: int | None = None
    train_periods: PeriodRange | None = None
    test_periods: PeriodRange | None = None
    ignored_columns: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Driver:
    """One column's push on a row's churn probability, in plain words."""

    column: str
    value: str
    effect: float
    text: str


@dataclass(frozen=True)
class RowDrivers:
    row: int
    row_id: str
    probability: float
    drivers: list[Driver]


@dataclass(frozen=True)
class ChurnEvaluation:
    n: int
    positives: int
    roc_auc: float | None
    pr_auc: float | None
    brier: float | None
    calibration: list[CalibrationBin]
    validation: Validation
    explanation: dict[str, str]
    drivers: list[RowDrivers] = field(default_factory=list)


@dataclass(frozen=True)
class HealthFlag:
    """A yes/no rule that answered "yes" for an account."""

    rule: str
    color: str
    label: str


@dataclass(frozen=True)
class HealthVerdictView:
    account_id: int
    day: date
    color: str  # "red" | "yellow" | "green"
    flags: list[HealthFlag]
    reason: str
    profile_id: int
    profile_name: str
    computed_at: datetime
    kind: str = "code"
    score: float | None = None
    computed_color: str = ""
    computed_score: float | None = None
    measures: list[dict[str, Any]] = field(default_factory=list)
    override: dict[str, Any] | None = None
    changes: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class HealthOverrideView:
    id: int
    account_id: int
    color: str
    score: float | None
    reason: str
    until: date
    created_by: str
    created_at: datetime
    cleared_at: datetime | None
    active: bool


@dataclass(frozen=True)
class AccountHealth:
    """An account's latest verdict and its daily history, newest first."""

    account_id: int
    current: HealthVerdictView | None
    history: list[HealthVerdictView]


@dataclass(frozen=True)
class HealthRuleView:
    id: str
    color: str
    measure: str
    op: str
    value: object
    field: str | None
    label: str
    window_days: int | None = None


@dataclass(frozen=True)
class HealthProfileView:
    id: int
    name: str
    kind: str  # "code" | "score"
    segment: str
    lifecycle_stage: str
    rules: list[HealthRuleView]
    measures: list[dict[str, Any]]
    bands: dict[str, float]
    is_active: bool


@dataclass(frozen=True)
class ScoreSummary:
    day: date
    scored: int
    red: int
    yellow: int
    green: int
    unscored: int
    verdicts: list[HealthVerdictView] = field(default_factory=list)
