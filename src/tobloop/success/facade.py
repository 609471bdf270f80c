"""The success module's public surface: other modules import only this.

The churn functions import pandas and scikit-learn only when called, so importing the facade
from the web path stays cheap.
"""

from __future__ import annotations

from tobloop.success.contracts import (
    AccountHealth,
    CalibrationBin,
    ChurnEvaluation,
    Driver,
    HealthFlag,
    HealthOverrideView,
    HealthProfileView,
    HealthVerdictView,
    RowDrivers,
    ScoreSummary,
    Validation,
)
from tobloop.success.logic.churn_risk import (
    AccountRisk,
    ChurnRunView,
    PoolingView,
    RiskPage,
    account_churn_risk,
    churn_model_status,
    churn_risk_list,
    get_pooling,
    retrain_if_stale,
    retrain_stale_workspaces,
    set_pooling,
    train_churn_model,
)
from tobloop.success.logic.health import (
    account_health,
    run_daily_health,
    score_account,
    score_history,
    score_workspace,
)
from tobloop.success.logic.health_backtest import BacktestReport
from tobloop.success.logic.health_backtest import run_backtest as backtest_health
from tobloop.success.logic.health_churn_model import evaluate_workspace_churn_model
from tobloop.success.logic.health_overrides import (
    OverrideIn,
    clear_health_override,
    list_health_overrides,
    set_health_override,
)
from tobloop.success.logic.health_profiles import (
    HealthProfileIn,
    create_health_profile,
    delete_health_profile,
    install_default_health_profile,
    list_health_profiles,
    replace_health_profile,
)
from tobloop.success.logic.health_rules import MEASURES, HealthRuleIn
from tobloop.success.logic.measures import REGISTRY as HEALTH_MEASURES
from tobloop.success.logic.measures import MeasureContext, MeasureSpec, register_measure


def evaluate_churn_csv(
    raw: bytes,
    *,
    label: str,
    time: str | None = None,
    id_column: str | None = None,
    drivers: bool = False,
) -> ChurnEvaluation:
    """Out-of-sample quality of a churn model on a plain CSV table (``tobloop churn evaluate``)."""
    from tobloop.success.logic.churn import evaluate_csv

    return evaluate_csv(raw, label=label, time=time, id_column=id_column, drivers=drivers)


__all__ = [
    "HEALTH_MEASURES",
    "MEASURES",
    "AccountHealth",
    "AccountRisk",
    "BacktestReport",
    "CalibrationBin",
    "ChurnEvaluation",
    "ChurnRunView",
    "Driver",
    "HealthFlag",
    "HealthOverrideView",
    "HealthProfileIn",
    "HealthProfileView",
    "HealthRuleIn",
    "HealthVerdictView",
    "MeasureContext",
    "MeasureSpec",
    "OverrideIn",
    "PoolingView",
    "RiskPage",
    "RowDrivers",
    "ScoreSummary",
    "Validation",
    "account_churn_risk",
    "account_health",
    "backtest_health",
    "churn_model_status",
    "churn_risk_list",
    "clear_health_override",
    "create_health_profile",
    "delete_health_profile",
    "evaluate_churn_csv",
    "evaluate_workspace_churn_model",
    "get_pooling",
    "install_default_health_profile",
    "list_health_overrides",
    "list_health_profiles",
    "register_measure",
    "replace_health_profile",
    "retrain_if_stale",
    "retrain_stale_workspaces",
    "run_daily_health",
    "score_account",
    "score_history",
    "score_workspace",
    "set_health_override",
    "set_pooling",
    "train_churn_model",
]
