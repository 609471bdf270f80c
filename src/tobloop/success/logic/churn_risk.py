"""The churn risk model (P-DATA-6): trained per workspace, stored, and scoring every account.

Training table: one row per (account paying on a monthly snapshot day D, D) with features as of
D only — usage, revenue and contact measures replayed from the measure registry, the MRR on D,
the profile (segment, industry, headcount, region: tobloop keeps profiles only as they are now,
so these are today's values), the latest health verdict recorded on or before D (colour and
score), and the registered measures of the success work app (open risk tasks, NPS, CSM
sentiment) when present. The label: the account churned (MRR 0) within the 90 days after D.

Training (:func:`train_churn_model`): out-of-time validation as in ``tobloop churn evaluate``
(fit on the older snapshots, test on the latest ones, never a random split) gives ROC AUC,
PR AUC and the calibration table; the chosen model family is then refitted on every row and
its probabilities are calibrated with Platt scaling (a logistic curve on the log-odds) fitted
on the out-of-time predictions. The run is stored with the pickled model; every paying account
is then scored as of today with its three strongest drivers in words.

Pooling: a workspace that opted in (audited) may add the training rows of the other workspaces
that opted in — their features and labels only, never their account ids.
"""

from __future__ import annotations

import math
import pickle
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np

from tobloop.accounts.facade import AccountView
from tobloop.kernel.errors import InvalidInput, PermissionDenied
from tobloop.platform.facade import Principal, record_audit, require
from tobloop.success.logic.churn_model import TRAIN_SHARE
from tobloop.success.logic.health_backtest import HORIZON_DAYS, churned_within, snapshot_days
from tobloop.success.logic.measure_data import RevenueBook, add_months, load_revenue_book
from tobloop.success.logic.measures import REGISTRY, MeasureContext, compute_measure
from tobloop.success.models import ChurnModelRun, ChurnPooling, ChurnRiskScore, HealthVerdict

MEASURES = (
    ("usage_trend", 30),
    ("active_users", 30),
    ("days_since_last_activity", 0),
    ("seat_utilization", 30),
    ("mrr_change", 90),
    ("contraction", 90),
    ("days_to_renewal", 0),
    ("overdue_payments", 0),
    ("decision_maker_known", 0),
    ("contacts_count", 0),
)
# Registered by the success work app (tasks, NPS, sentiment); used when registered.
WORK_MEASURES = (("open_risk_tasks", 0), ("nps", 90), ("csm_sentiment", 90))
PROFILE = ("segment", "industry", "headcount", "region")
HEALTH = ("health_color", "health_score")
NONE = "none"
HEALTH_MAX_AGE = 31  # a verdict older than this on the snapshot day is not "the health then"
HISTORY_MONTHS = 12  # as the back-test: the last 12 months of complete outcomes
DEFAULT_RETRAIN_DAYS = 7

LABELS = {
    "mrr": "MRR",
    "segment": "segment",
    "industry": "industry",
    "headcount": "headcount",
    "region": "region",
    "health_color": "health colour",
    "health_score": "health score",
}


def measures() -> list[tuple[str, int]]:
    return [(k, w) for k, w in (*MEASURES, *WORK_MEASURES) if k in REGISTRY]


def feature_names() -> list[str]:
    return [*(k for k, _ in measures()), "mrr", *PROFILE, *HEALTH]


def label_of(column: str) -> str:
    spec = REGISTRY.get(column)
    return spec.label if spec is not None else LABELS.get(column, column.replace("_", " "))


def _verdicts(workspace_id: int, end: date) -> dict[int, list[tuple[date, str, float | None]]]:
    out: dict[int, list[tuple[date, str, float | None]]] = {}
    rows = (
        HealthVerdict.objects.for_workspace(workspace_id)
        .filter(day__lte=end)
        .order_by("day")
        .values_list("account_id", "day", "color", "score")
    )
    for account_id, day, color, score in rows:
        out.setdefault(account_id, []).append((day, color, score))
    return out


def _recorded_facts(workspace_id: int, end: date) -> dict[int, list[tuple[date, dict[str, Any]]]]:
    from tobloop.success.logic.health_backtest import _recorded_facts as facts

    return facts(workspace_id, end)


@dataclass
class Sources:
    """What the features of one workspace are read from (loaded once, cut at each day)."""

    principal: Principal
    accounts: list[AccountView]
    book: RevenueBook
    facts: dict[int, list[tuple[date, dict[str, Any]]]]
    verdicts: dict[int, list[tuple[date, str, float | None]]]
    usage: dict[Any, Any] = field(default_factory=dict)


def load_sources(principal: Principal, end: date) -> Sources:
    from tobloop.success.logic.health import all_accounts

    return Sources(
        principal=principal,
        accounts=all_accounts(principal),
        book=load_revenue_book(principal),
        facts=_recorded_facts(principal.workspace_id, end),
        verdicts=_verdicts(principal.workspace_id, end),
    )


def features_on(src: Sources, day: date) -> list[tuple[AccountView, dict[str, Any]]]:
    """The accounts paying on ``day`` and their features as of that day (nothing later)."""
    paying = [a for a in src.accounts if src.book.mrr(a.id, day) > 0]
    if not paying:
        return []
    ctx = MeasureContext(
        principal=src.principal, as_of=day, accounts=paying, replay=True, revenue=src.book,
        recorded_facts=src.facts, usage_cache=src.usage.setdefault(day, {}),
    )  # fmt: skip
    values = {k: compute_measure(ctx, k, w, {}) for k, w in measures()}
    out = []
    for a in paying:
        row: dict[str, Any] = {k: values[k].get(a.id) for k, _ in measures()}
        row["mrr"] = round(src.book.mrr(a.id, day), 2)
        # Text columns are never blank ("none" is a value): a fold of the out-of-time split
        # whose rows all lack a category could not be fitted by the trees.
        row.update(segment=a.segment or NONE, industry=a.industry or NONE,
                   headcount=a.headcount, region=a.region or NONE)  # fmt: skip
        latest = [v for v in src.verdicts.get(a.id, []) if v[0] <= day]
        if latest and (day - latest[-1][0]).days <= HEALTH_MAX_AGE:
            row["health_color"], row["health_score"] = latest[-1][1], latest[-1][2]
        else:
            row["health_color"], row["health_score"] = NONE, None
        out.append((a, row))
    return out


def training_rows(
    src: Sources, today: date, months: int = HISTORY_MONTHS
) -> list[tuple[int, date, dict[str, Any], int]]:
    """(account id, snapshot day, features, churned 0/1) for every snapshot with a full
    90-day outcome, monthly over the last ``months`` months (12, as the back-test)."""
    end = today - timedelta(days=HORIZON_DAYS)
    start = add_months(end, -months)
    out = []
    for day in snapshot_days(start, end, "month"):
        for a, row in features_on(src, day):
            churned = int(churned_within(src.book, a.id, day, HORIZON_DAYS))
            out.append((a.id, day, row, churned))
    return out


def _cell(value: Any) -> str:
    if _is_blank(value):
        return ""
    if isinstance(value, float):
        return str(round(value, 4))
    return str(value)


def usable_features(
    rows: list[tuple[str, date, dict[str, Any], int]], names: list[str]
) -> list[str]:
    """The columns with a value on some row of the earliest snapshots a model is fitted on (the
    inner split of the training periods): a column blank (or "none") there — a measure whose
    data starts later, e.g. usage imported only for recent months, or health verdicts recorded
    only lately — cannot be fitted, or would read differently today than in training, and is
    left out."""
    periods = sorted({d for _i, d, _r, _y in rows})
    n_train = min(len(periods) - 1, max(1, math.ceil(TRAIN_SHARE * len(periods))))
    n_inner = n_train if n_train < 2 else min(n_train - 1, math.ceil(TRAIN_SHARE * n_train))
    earliest = set(periods[: max(1, n_inner)])
    first = [r for _i, d, r, _y in rows if d in earliest]
    return [n for n in names if any(not _is_blank(r.get(n)) and r.get(n) != NONE for r in first)]


def _table(rows: list[tuple[str, date, dict[str, Any], int]], names: list[str]) -> Any:
    from tobloop.success.logic.churn_table import churn_table

    header = ["account", "snapshot", *names, "churned"]
    lines = [
        (i + 2, [ident, day.isoformat(), *(_cell(r.get(n)) for n in names), str(label)])
        for i, (ident, day, r, label) in enumerate(rows)
    ]
    return churn_table(header, lines, label="churned", time="snapshot", id_column="account")


# --- pooling ---------------------------------------------------------------------------------


def pooling_enabled(workspace_id: int) -> bool:
    row = ChurnPooling.objects.for_workspace(workspace_id).first()
    return bool(row and row.enabled)


@dataclass(frozen=True)
class PoolingView:
    enabled: bool
    changed_by: str
    changed_at: datetime | None


def get_pooling(principal: Principal) -> PoolingView:
    require(principal.scopes, "success", "read")
    row = ChurnPooling.objects.for_workspace(principal.workspace_id).first()
    if row is None:
        return PoolingView(enabled=False, changed_by="", changed_at=None)
    return PoolingView(enabled=row.enabled, changed_by=row.changed_by, changed_at=row.changed_at)


def set_pooling(principal: Principal, enabled: bool) -> PoolingView:
    """Opt in to (or out of) pooled training: owners and admins only; audited."""
    from django.db import transaction
    from django.utils import timezone

    if not principal.can("platform", "admin"):
        raise PermissionDenied("only a workspace owner or admin can change churn data pooling")
    with transaction.atomic():
        before = pooling_enabled(principal.workspace_id)
        ChurnPooling.objects.update_or_create(
            workspace_id=principal.workspace_id,
            defaults={"enabled": enabled, "changed_by": principal.label,
                      "changed_at": timezone.now()},
        )  # fmt: skip
        record_audit(
            principal, action="update", object_type="churn_pooling",
            object_id=principal.workspace_id,
            object_repr="share anonymised churn data for pooled training",
            before={"enabled": before}, after={"enabled": enabled},
        )  # fmt: skip
    return get_pooling(principal)


def pooled_rows(
    principal: Principal, today: date
) -> tuple[list[tuple[str, date, dict[str, Any], int]], int]:
    """Training rows of the other opted-in workspaces (only when this one opted in), with the
    account replaced by an anonymous row number; and how many workspaces gave rows."""
    from tobloop.platform.facade import list_workspaces, system_principal

    if not pooling_enabled(principal.workspace_id):
        return [], 0
    out: list[tuple[str, date, dict[str, Any], int]] = []
    used = 0
    for ws in list_workspaces():
        if ws.id == principal.workspace_id or not pooling_enabled(ws.id):
            continue
        other = system_principal(ws.slug, "churn-pooling")
        rows = training_rows(load_sources(other, today), today)
        if rows:
            used += 1
        out += [(f"pooled-{len(out) + i + 1}", d, r, y) for i, (_a, d, r, y) in enumerate(rows)]
    return out, used


# --- training --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChurnRunView:
    id: int
    trained_at: datetime
    trained_by: str
    status: str
    reason: str
    n: int
    positives: int
    roc_auc: float | None
    pr_auc: float | None
    brier: float | None
    calibration: list[dict[str, Any]]
    validation: dict[str, Any]
    explanation: dict[str, str]
    calibration_method: str
    features: list[str]
    pooled: bool
    pooled_rows: int
    pooled_workspaces: int
    scored_on: date | None
    scored_accounts: int


def run_view(run: ChurnModelRun) -> ChurnRunView:
    m = run.metrics or {}
    return ChurnRunView(
        id=run.pk, trained_at=run.trained_at, trained_by=run.trained_by, status=run.status,
        reason=run.reason, n=m.get("n", 0), positives=m.get("positives", 0),
        roc_auc=m.get("roc_auc"), pr_auc=m.get("pr_auc"), brier=m.get("brier"),
        calibration=m.get("calibration", []), validation=m.get("validation", {}),
        explanation=m.get("explanation", {}),
        calibration_method=m.get("calibration_method", ""), features=list(run.features),
        pooled=run.pooled, pooled_rows=run.pooled_rows,
        pooled_workspaces=run.pooled_workspaces, scored_on=run.scored_on,
        scored_accounts=run.scores.count(),
    )  # fmt: skip


def _logit(p: Any) -> Any:
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def platt(labels: Any, scores: Any) -> tuple[float, float] | None:
    """(a, b) of p = 1 / (1 + exp(−(a·logit(s) + b))) fitted on out-of-time predictions;
    None when those rows hold a single class (then the model's own probabilities are kept)."""
    from sklearn.linear_model import LogisticRegression

    if len(set(np.asarray(labels).tolist())) < 2:
        return None
    fit = LogisticRegression(C=1e6, max_iter=1000).fit(_logit(scores).reshape(-1, 1), labels)
    return float(fit.coef_[0][0]), float(fit.intercept_[0])


def calibrate(raw: Any, curve: tuple[float, float] | None) -> Any:
    if curve is None:
        return np.asarray(raw, dtype=np.float64)
    a, b = curve
    return 1.0 / (1.0 + np.exp(-(a * _logit(raw) + b)))


def train_churn_model(
    principal: Principal, *, today: date | None = None, progress: Any = None
) -> ChurnRunView:
    """Validate out of time, refit on every row, calibrate, store the run and score accounts.

    Too little history is not an error: the run is stored with status ``too_little``, null
    figures and the reason, and the previous scores stay in place.
    """
    import dataclasses

    import sklearn.ensemble  # noqa: F401  (loads OpenMP before the thread limit is applied)
    from django.db import transaction
    from django.utils import timezone
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    from tobloop.success.logic.churn_drivers import fit_final
    from tobloop.success.logic.churn_model import (
        _round,
        calibration_table,
        pr_auc,
        roc_auc,
        validate_out_of_time,
    )
    from tobloop.success.logic.churn_words import explain
    from tobloop.success.logic.health import today_for

    require(principal.scopes, "success", "write")
    say = progress or (lambda _m: None)
    today = today or today_for(principal)
    names = feature_names()
    say("Replaying monthly snapshots of the workspace's accounts…")
    src = load_sources(principal, today)
    own = [(str(a), d, r, y) for a, d, r, y in training_rows(src, today)]
    say("Reading the pooled rows of opted-in workspaces…")
    pooled, pooled_ws = pooled_rows(principal, today)
    rows = own + pooled
    positives = sum(y for *_x, y in rows)
    run = ChurnModelRun(
        workspace_id=principal.workspace_id, trained_at=timezone.now(),
        trained_by=principal.label, features=names, pooled=bool(pooled),
        pooled_rows=len(pooled), pooled_workspaces=pooled_ws,
    )  # fmt: skip
    base = {"n": len(rows), "positives": positives}
    say(f"Fitting and validating on {len(rows)} account snapshots…")
    try:
        if not rows:
            raise InvalidInput("no account paid on any snapshot day with a complete outcome")
        used = usable_features(rows, names)
        run.features = used
        table = _table(rows, used)
        with threadpool_limits(limits=1):
            labels, scores, validation = validate_out_of_time(table)
            final = fit_final(table, validation.chosen_model)
    except InvalidInput as exc:
        run.status, run.reason = "too_little", f"not enough history to train: {exc.message}"
        run.metrics = {**base, "roc_auc": None, "pr_auc": None, "calibration": []}
        run.save()
        return run_view(run)
    except ValueError as exc:  # scikit-learn refusing a degenerate table: say so, keep going
        run.status, run.reason = "failed", f"the model could not be fitted: {exc}"
        run.metrics = {**base, "roc_auc": None, "pr_auc": None, "calibration": []}
        run.save()
        return run_view(run)
    auc, ap = roc_auc(labels, scores), pr_auc(labels, scores)
    curve = platt(labels, scores)
    run.status = "trained"
    run.metrics = {
        **base,
        "roc_auc": _round(auc),
        "pr_auc": _round(ap),
        "brier": _round(float(np.mean((scores - labels) ** 2))),
        "calibration": [dataclasses.asdict(b) for b in calibration_table(labels, scores)],
        "validation": _jsonable(dataclasses.asdict(validation)),
        "explanation": explain(
            auc=auc, ap=ap, base_rate=float(labels.mean()), validation=validation
        ),
        "calibration_method": (
            "Platt scaling fitted on the out-of-time predictions"
            if curve
            else "none: the out-of-time rows hold one class only"
        ),
    }
    run.model = pickle.dumps(
        {"model": final, "platt": curve, "chosen": validation.chosen_model,
         "numeric": table.numeric, "categorical": table.categorical,
         "typical": _typical(table), **_reference(table, final)},
    )  # fmt: skip
    say("Scoring today's accounts…")
    with transaction.atomic():
        run.save()
        _score(run, src, today)
    return run_view(run)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def _reference(table: Any, fitted: Any) -> dict[str, Any]:
    """What an account's drivers are measured against: the training rows, not today's —
    the mean transformed row (linear model) and a fixed sample of ten rows (trees)."""
    from tobloop.success.logic.churn_drivers import BACKGROUND
    from tobloop.success.logic.churn_model import SEED

    rng = np.random.default_rng(SEED)
    picks = rng.choice(table.n, size=min(BACKGROUND, table.n), replace=False)
    center = np.asarray(fitted[:-1].transform(table.features), dtype=np.float64).mean(axis=0)
    return {"center": center, "background": table.features.iloc[picks].reset_index(drop=True)}


def _effects(saved: dict[str, Any], frame: Any, raw: Any) -> Any:
    """Rows × input columns: each column's push on the churn risk, against the training rows
    (linear: coefficient × (value − training mean), in log-odds; trees: probability minus the
    mean probability with the value swapped for the background rows' values)."""
    import pandas as pd  # type: ignore[import-untyped]

    from tobloop.success.logic.churn_drivers import _source_column
    from tobloop.success.logic.churn_model import LINEAR
    from tobloop.success.logic.churn_table import ChurnTable

    model = saved["model"]
    if saved["chosen"] == LINEAR:
        transform, logit = model[:-1], model[-1]
        values = np.asarray(transform.transform(frame), dtype=np.float64)
        parts = logit.coef_[0] * (values - saved["center"])
        shape = ChurnTable(
            features=frame, numeric=saved["numeric"], categorical=saved["categorical"],
            labels=np.zeros(len(frame), dtype=int), periods=None, period_keys=None,
            row_numbers=[], row_ids=[], ignored=[],
        )  # fmt: skip
        names = [_source_column(n, shape) for n in transform.get_feature_names_out()]
        return pd.DataFrame(parts, columns=names).T.groupby(level=0, sort=False).sum().T
    effects = {}
    background = saved["background"]
    for name in [*saved["numeric"], *saved["categorical"]]:
        swapped = np.zeros(len(frame), dtype=np.float64)
        for value in background[name]:
            changed = frame.copy()
            changed[name] = value
            swapped += model.predict_proba(changed)[:, 1]
        effects[name] = raw - swapped / len(background)
    return pd.DataFrame(effects)


def _typical(table: Any) -> dict[str, Any]:
    from tobloop.success.logic.churn_drivers import typical_values

    return typical_values(table)


def _frame(rows: list[dict[str, Any]], numeric: list[str], categorical: list[str]) -> Any:
    import pandas as pd  # type: ignore[import-untyped]

    data: dict[str, Any] = {}
    for n in numeric:
        data[n] = pd.Series([_num(r.get(n)) for r in rows], dtype=float)
    for c in categorical:
        data[c] = pd.Series([r.get(c) or np.nan for r in rows], dtype=object)
    return pd.DataFrame(data, index=range(len(rows)))


def _num(value: Any) -> float:
    if value is None or value == "":
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _score(run: ChurnModelRun, src: Sources, today: date) -> None:
    """Score every account paying today with the run's model; drivers in words."""
    from threadpoolctl import threadpool_limits

    from tobloop.success.logic.churn_drivers import _fmt, _words

    assert run.model is not None
    saved = pickle.loads(bytes(run.model))  # written by this server only
    current = features_on(src, today)
    if not current:
        run.scored_on = today
        run.save(update_fields=["scored_on"])
        return
    frame = _frame([r for _a, r in current], saved["numeric"], saved["categorical"])
    model = saved["model"]
    with threadpool_limits(limits=1):
        raw = np.asarray(model.predict_proba(frame)[:, 1], dtype=np.float64)
        effects = _effects(saved, frame, raw)
    probabilities = calibrate(raw, saved["platt"])
    columns, matrix = list(effects.columns), effects.to_numpy()
    scores = []
    for i, (account, _row) in enumerate(current):
        drivers = []
        for j in np.argsort(-np.abs(matrix[i]), kind="stable")[:3]:
            column, effect = columns[j], float(matrix[i, j])
            if effect == 0.0:
                continue
            value = _short(frame.iloc[i][column])
            shown = "" if _is_blank(value) else _fmt(value)
            drivers.append(
                {"column": column, "label": label_of(column), "value": shown,
                 "effect": round(effect, 4),
                 "text": _words(label_of(column), value, effect,
                                _short(saved["typical"].get(column)))}
            )  # fmt: skip
        scores.append(
            ChurnRiskScore(
                workspace_id=run.workspace_id, run=run, account_id=account.id,
                probability=round(float(probabilities[i]), 4), drivers=drivers,
            )
        )  # fmt: skip
    ChurnRiskScore.objects.bulk_create(scores)
    run.scored_on = today
    run.save(update_fields=["scored_on"])


def _short(value: Any) -> Any:
    """Numbers as people read them in a sentence: two decimals at most (-0.334586 → -0.33)."""
    if isinstance(value, float | np.floating) and not math.isnan(value):
        return round(float(value), 2)
    return value


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


# --- reading ---------------------------------------------------------------------------------


def latest_run(workspace_id: int, *, trained: bool = False) -> ChurnModelRun | None:
    qs = ChurnModelRun.objects.for_workspace(workspace_id)
    if trained:
        qs = qs.filter(status="trained")
    return qs.order_by("-trained_at", "-id").first()


def churn_model_status(principal: Principal) -> ChurnRunView | None:
    """The latest run (trained or not), or None when the model was never trained."""
    require(principal.scopes, "success", "read")
    run = latest_run(principal.workspace_id)
    return None if run is None else run_view(run)


@dataclass(frozen=True)
class AccountRisk:
    account_id: int
    account_name: str
    probability: float
    drivers: list[dict[str, Any]]
    run_id: int
    scored_on: date | None

    @property
    def percent(self) -> str:
        return f"{self.probability * 100:.1f}%"


@dataclass(frozen=True)
class RiskPage:
    items: list[AccountRisk]
    count: int
    run_id: int | None
    trained_at: datetime | None


def churn_risk_list(principal: Principal, *, limit: int = 50, offset: int = 0) -> RiskPage:
    """Accounts by churn probability (highest first) under the latest trained model."""
    from tobloop.accounts.facade import get_accounts

    require(principal.scopes, "success", "read")
    if limit < 1 or limit > 500:
        raise InvalidInput("limit must be between 1 and 500", code="invalid_limit")
    if offset < 0:
        raise InvalidInput("offset must be 0 or more", code="invalid_offset")
    run = latest_run(principal.workspace_id, trained=True)
    if run is None:
        return RiskPage(items=[], count=0, run_id=None, trained_at=None)
    qs = ChurnRiskScore.objects.for_workspace(principal.workspace_id).filter(run=run)
    page = list(qs.order_by("-probability", "account_id")[offset : offset + limit])
    names = {a: v.name for a, v in get_accounts(principal, [s.account_id for s in page]).items()}
    items = [
        AccountRisk(account_id=s.account_id, account_name=names.get(s.account_id, ""),
                    probability=s.probability, drivers=s.drivers, run_id=run.pk,
                    scored_on=run.scored_on)
        for s in page
    ]  # fmt: skip
    return RiskPage(items=items, count=qs.count(), run_id=run.pk, trained_at=run.trained_at)


def account_churn_risk(principal: Principal, account_id: int) -> AccountRisk | None:
    require(principal.scopes, "success", "read")
    run = latest_run(principal.workspace_id, trained=True)
    if run is None:
        return None
    s = (
        ChurnRiskScore.objects.for_workspace(principal.workspace_id)
        .filter(run=run, account_id=account_id)
        .first()
    )
    if s is None:
        return None
    return AccountRisk(account_id=account_id, account_name="", probability=s.probability,
                       drivers=s.drivers, run_id=run.pk, scored_on=run.scored_on)  # fmt: skip


def retrain_days(environ: Mapping[str, str]) -> int:
    """``TOBLOOP_CHURN_RETRAIN_DAYS`` (default 7): a whole number of days, at least 1."""
    text = environ.get("TOBLOOP_CHURN_RETRAIN_DAYS", "").strip()
    if not text:
        return DEFAULT_RETRAIN_DAYS
    if not text.isdigit() or int(text) < 1:
        raise InvalidInput(
            f"TOBLOOP_CHURN_RETRAIN_DAYS must be a whole number of days, at least 1 (got {text!r})"
        )
    return int(text)


def retrain_if_stale(
    principal: Principal, *, max_age_days: int | None = None, now: datetime | None = None
) -> ChurnRunView | None:
    """The daily job's step: retrain when the latest run is older than ``max_age_days``
    (setting ``TOBLOOP_CHURN_RETRAIN_DAYS``, default 7) or there is none; else None."""
    import os

    from django.utils import timezone

    days = max_age_days if max_age_days is not None else retrain_days(os.environ)
    now = now or timezone.now()
    run = latest_run(principal.workspace_id)
    if run is not None and now - run.trained_at < timedelta(days=days):
        return None
    return train_churn_model(principal)


def retrain_stale_workspaces() -> list[tuple[str, ChurnRunView]]:
    """The daily job's churn step: retrain in every workspace whose model is stale."""
    from tobloop.platform.facade import list_workspaces, system_principal

    out = []
    for ws in list_workspaces():
        view = retrain_if_stale(system_principal(ws.slug, "churn-daily"))
        if view is not None:
            out.append((ws.slug, view))
    return out
