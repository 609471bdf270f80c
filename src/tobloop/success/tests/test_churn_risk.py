"""The stored churn risk model: leak-free features, out-of-time training, scoring, pooling."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tobloop.accounts import facade as accounts
from tobloop.kernel.errors import InvalidInput, PermissionDenied
from tobloop.platform.models import AuditEvent
from tobloop.revenue import facade as revenue
from tobloop.success.logic import churn_risk
from tobloop.success.models import ChurnModelRun, HealthVerdict

TODAY = date(2026, 11, 1)
CHURN_DAYS = ["2025-06-10", "2025-08-10", "2025-10-10", "2025-12-10", "2026-02-10",
              "2026-04-10", "2026-06-10", "2026-07-10"]  # fmt: skip


def build(principal: Any, prefix: str = "") -> dict[str, int]:
    """Eight one-seat accounts that cancel one after another, eight ten-seat ones that stay."""
    ids = {}
    lines = ["subscription_id,account_external_id,date,event,quantity,unit_price,interval"]
    for i in range(8):
        for kind, qty in (("C", 1), ("K", 10)):
            ext = f"{prefix}{kind}{i}"
            view = accounts.create_account(
                principal,
                accounts.AccountCreate(name=f"Account {ext}", external_id=ext, headcount=20),
            )
            ids[ext] = view.id
            lines.append(f"S{ext},{ext},2025-01-01,start,{qty},50,1")
            if kind == "C":
                lines.append(f"S{ext},,{CHURN_DAYS[i]},cancel,,,")
    report = revenue.import_subscriptions(principal, "\n".join(lines).encode() + b"\n")
    assert not report.rejected
    return ids


@pytest.fixture
def world(make_workspace: Any, settings: Any, tmp_path: Path) -> tuple[Any, dict[str, int]]:
    settings.DATA_DIR = tmp_path
    principal = make_workspace("acme", timezone="UTC")
    return principal, build(principal)


def _features(principal: Any, day: date) -> dict[int, dict[str, Any]]:
    src = churn_risk.load_sources(principal, TODAY)
    return {a.id: row for a, row in churn_risk.features_on(src, day)}


def test_features_cover_revenue_profile_health_and_tasks(world: Any) -> None:
    principal, ids = world
    day = date(2025, 3, 1)
    HealthVerdict.objects.create(
        workspace_id=principal.workspace_id, account_id=ids["C0"], profile_name="p",
        day=date(2025, 2, 20), color="red", score=20.0, computed_at=datetime.now(UTC),
    )  # fmt: skip
    rows = _features(principal, day)
    assert len(rows) == 16
    c0, k0 = rows[ids["C0"]], rows[ids["K0"]]
    assert (c0["mrr"], k0["mrr"]) == (50.0, 500.0)
    assert (c0["headcount"], c0["health_color"], c0["health_score"]) == (20, "red", 20.0)
    assert (k0["health_color"], k0["health_score"], k0["industry"]) == ("none", None, "none")
    assert "open_risk_tasks" in c0 and c0["open_risk_tasks"] == 0.0
    assert set(churn_risk.feature_names()) <= set(c0)


def test_data_after_a_snapshot_day_changes_none_of_its_features(world: Any, tmp_path: Path) -> None:
    from tobloop.success.tests.fixtures import _event, send_events
    from tobloop.success.work.models import Task

    principal, ids = world
    day = date(2025, 3, 1)
    send_events(principal, tmp_path, [_event(1, "Report Exported", "u1", "K1", "2025-02-20")],
                "before")  # fmt: skip
    before = _features(principal, day)
    assert before[ids["K1"]]["days_since_last_activity"] == 9.0
    assert before[ids["K1"]]["active_users"] == 1.0
    send_events(principal, tmp_path, [_event(2, "Report Exported", "u2", "K1", "2025-03-02")],
                "after")  # fmt: skip
    later = datetime(2025, 3, 5, tzinfo=UTC)
    HealthVerdict.objects.create(
        workspace_id=principal.workspace_id, account_id=ids["K1"], profile_name="p",
        day=date(2025, 3, 5), color="red", score=5.0, computed_at=later,
    )  # fmt: skip
    task = Task.objects.create(
        workspace_id=principal.workspace_id, account_id=ids["K1"], kind="risk", title="Call"
    )
    Task.objects.filter(pk=task.pk).update(created_at=later)
    extra = b"subscription_id,account_external_id,date,event,quantity\nSK1,,2025-03-02,change,2\n"
    assert not revenue.import_subscriptions(principal, extra).rejected
    assert _features(principal, day) == before
    # …while the day after it all does see the change.
    after = _features(principal, date(2025, 3, 6))[ids["K1"]]
    assert (after["mrr"], after["health_color"], after["open_risk_tasks"]) == (100.0, "red", 1.0)
    assert (after["days_since_last_activity"], after["active_users"]) == (4.0, 2.0)


def test_training_validates_out_of_time_stores_the_run_and_scores_accounts(world: Any) -> None:
    principal, ids = world
    view = churn_risk.train_churn_model(principal, today=TODAY)
    assert view.status == "trained", view.reason
    v = view.validation
    assert v["method"] == "out_of_time"
    assert v["train_periods"]["last"] < v["test_periods"]["first"]
    # MRR separates the one-seat (churning) from the ten-seat accounts; the model picks it up.
    assert view.roc_auc is not None and view.roc_auc > 0.9
    assert view.pr_auc is not None and view.pr_auc > 0.5
    assert sum(b["count"] for b in view.calibration) == v["test_rows"]
    assert set(view.calibration[0]) >= {"bin", "predicted", "observed", "count"}
    # Snapshots on the 3rd, 2025-08-03 … 2026-08-03 (12 months up to 90 days before TODAY):
    # 13 days × 8 ten-seat accounts + the one-seat ones while paying (C0 cancelled before:
    # 0+1+3+5+7+9+11+12); a one-seat account is a positive on the snapshots within 90 days
    # before its cancellation: 3 each, C1 only 1 (2025-08-03).
    assert view.n == 104 + 48 and view.positives == 1 + 6 * 3
    assert not view.pooled
    run = ChurnModelRun.objects.get(pk=view.id)
    assert run.model and set(run.features) <= set(churn_risk.feature_names())
    # Health, NPS, CSM sentiment, usage and industry have no value in this workspace: left out.
    assert {"mrr", "segment", "open_risk_tasks"} <= set(run.features)
    assert not {"nps", "health_color", "health_score", "industry"} & set(run.features)
    # Today only the eight ten-seat accounts pay; each has a probability and words.
    page = churn_risk.churn_risk_list(principal, limit=5)
    assert page.count == 8 and len(page.items) == 5
    probs = [i.probability for i in page.items]
    assert probs == sorted(probs, reverse=True) and all(0 <= p <= 1 for p in probs)
    first = page.items[0]
    assert first.account_name.startswith("Account K")
    # Drivers are measured against the training rows: today's accounts all look alike, yet
    # each has its pushes (ten seats, a high MRR lower the risk against the typical row).
    assert first.drivers and all("churn risk" in d["text"] for d in first.drivers)
    assert any(d["column"] == "mrr" and "lowers" in d["text"] for d in first.drivers)
    assert churn_risk.account_churn_risk(principal, ids["K0"]) is not None
    assert churn_risk.account_churn_risk(principal, ids["C0"]) is None


def test_too_little_history_is_a_reason_not_an_error(make_workspace: Any) -> None:
    principal = make_workspace("empty", timezone="UTC")
    view = churn_risk.train_churn_model(principal, today=TODAY)
    assert view.status == "too_little" and view.roc_auc is None
    assert view.reason.startswith("not enough history")
    assert churn_risk.churn_risk_list(principal).count == 0


def test_platt_scaling_on_a_hand_checked_case() -> None:
    import numpy as np

    labels = np.array([0, 0, 0, 1, 0, 1, 1, 1])
    scores = np.array([0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9])
    curve = churn_risk.platt(labels, scores)
    assert curve is not None and curve[0] > 0  # higher raw score, higher probability
    out = churn_risk.calibrate(scores, curve)
    assert list(np.argsort(out)) == list(np.argsort(scores))
    assert abs(out.mean() - labels.mean()) < 0.01  # a logistic fit matches the base rate
    assert churn_risk.platt(np.array([0, 0]), np.array([0.1, 0.2])) is None
    # the fit solves the logistic score equations: residuals sum to 0, also weighted by logit
    residual = labels - out
    logit = np.log(scores / (1 - scores))
    assert abs(residual.sum()) < 1e-3 and abs((residual * logit).sum()) < 1e-3
    # hand values: logit(0.75) = ln 3, so a = 2, b = 0 gives 1 / (1 + 1/9) = 0.9
    assert abs(churn_risk.calibrate([0.75], (2.0, 0.0))[0] - 0.9) < 1e-12
    assert abs(churn_risk.calibrate([0.3], (1.0, 0.0))[0] - 0.3) < 1e-12  # the identity


def test_retrain_when_the_model_is_older_than_the_setting(world: Any, monkeypatch: Any) -> None:
    principal, _ = world
    calls: list[int] = []
    monkeypatch.setattr(
        churn_risk, "train_churn_model", lambda p, **_k: calls.append(1) or "trained"
    )
    assert churn_risk.retrain_if_stale(principal) == "trained"  # never trained
    ChurnModelRun.objects.create(
        workspace_id=principal.workspace_id, trained_at=datetime.now(UTC) - timedelta(days=3),
        trained_by="t", status="trained",
    )  # fmt: skip
    assert churn_risk.retrain_if_stale(principal) is None  # 3 days < 7
    monkeypatch.setenv("TOBLOOP_CHURN_RETRAIN_DAYS", "2")
    assert churn_risk.retrain_if_stale(principal) == "trained"
    assert len(calls) == 2


def test_retrain_days_setting_is_checked() -> None:
    # given the setting unset, set, and set to what is not a number of days
    assert churn_risk.retrain_days({}) == 7
    assert churn_risk.retrain_days({"TOBLOOP_CHURN_RETRAIN_DAYS": " 3 "}) == 3
    for bad in ("7d", "0", "-1", "1.5"):
        # then a clear error names the setting and the value
        with pytest.raises(InvalidInput, match=f"TOBLOOP_CHURN_RETRAIN_DAYS.*{bad}"):
            churn_risk.retrain_days({"TOBLOOP_CHURN_RETRAIN_DAYS": bad})


def test_pooling_is_opt_in_both_ways_audited_and_anonymous(
    world: Any, make_workspace: Any, add_member: Any
) -> None:
    principal, ids = world
    other = make_workspace("beta", timezone="UTC")
    other_ids = build(other, prefix="B")
    csm = add_member("acme", "acme-csm", "csm")
    with pytest.raises(PermissionDenied):
        churn_risk.set_pooling(csm, True)
    # Only A opted in: B's rows are not used, and nobody gets pooled rows.
    assert churn_risk.set_pooling(principal, True).enabled
    assert churn_risk.pooled_rows(principal, TODAY) == ([], 0)
    assert churn_risk.pooled_rows(other, TODAY) == ([], 0)
    churn_risk.set_pooling(other, True)
    rows, used = churn_risk.pooled_rows(principal, TODAY)
    assert used == 1 and len(rows) == 152
    assert all(r[0].startswith("pooled-") for r in rows)
    view = churn_risk.train_churn_model(principal, today=TODAY)
    assert view.pooled and view.pooled_rows == 152 and view.n == 304
    page = churn_risk.churn_risk_list(principal, limit=100)
    assert {i.account_id for i in page.items} <= set(ids.values())
    assert not {i.account_id for i in page.items} & set(other_ids.values())
    assert not any("Account B" in i.account_name for i in page.items)
    # B opts out: A trains on its own rows again.
    churn_risk.set_pooling(other, False)
    assert churn_risk.pooled_rows(principal, TODAY) == ([], 0)
    audit = AuditEvent.objects.filter(object_type="churn_pooling").order_by("id")
    assert [(a.workspace_id, a.after) for a in audit] == [
        (principal.workspace_id, {"enabled": True}),
        (other.workspace_id, {"enabled": True}),
        (other.workspace_id, {"enabled": False}),
    ]
    assert audit[0].actor == principal.label


def test_a_column_blank_on_the_earliest_snapshots_is_left_out() -> None:
    days = [date(2025, m, 1) for m in range(1, 9)]  # 8 periods: fit on 6, inner fit on 5
    rows = [
        ("1", d, {"mrr": 10.0, "nps": None if d < date(2025, 6, 1) else 30.0, "x": 1.0}, 0)
        for d in days
    ]
    assert churn_risk.usable_features(rows, ["mrr", "nps", "x"]) == ["mrr", "x"]
    rows[0][2]["nps"] = 5.0  # one early value is enough
    assert churn_risk.usable_features(rows, ["mrr", "nps", "x"]) == ["mrr", "nps", "x"]
