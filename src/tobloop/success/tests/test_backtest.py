"""The back-test: hand-computed figures, and no snapshot reading data after its day."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tobloop.accounts import facade as accounts
from tobloop.kernel.errors import InvalidInput, NotFound
from tobloop.revenue import facade as revenue
from tobloop.success import facade
from tobloop.success.logic.health_backtest import (
    replay,
    roc_auc,
    run_backtest,
    snapshot_days,
)
from tobloop.success.logic.measure_data import load_revenue_book
from tobloop.success.models import HealthProfile
from tobloop.success.tests.fixtures import (
    AS_OF,
    LATER_SUBSCRIPTIONS,
    later_events,
    seed,
    send_events,
)
from tobloop.success.tests.test_health_score import PROFILE


def test_roc_auc_counts_pairs_ranked_right_and_ties_half() -> None:
    # churned risks {3, 1}, retained {2, 0}: (3>2) (3>0) (1>0) right, (1<2) wrong → 3/4.
    assert roc_auc([3, 2, 1, 0], [True, False, True, False]) == 0.75
    # a tie between a churned and a retained account counts half: (2=2) ½ + (2>0) 1 → 0.75.
    assert roc_auc([2, 2, 0], [True, False, False]) == 0.75
    assert roc_auc([1, 2], [False, False]) is None


def test_snapshots_step_by_calendar_month_or_week() -> None:
    assert snapshot_days(date(2026, 1, 31), date(2026, 4, 30), "month") == [
        date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30),
    ]  # fmt: skip
    assert snapshot_days(date(2026, 1, 1), date(2026, 1, 20), "week") == [
        date(2026, 1, 1), date(2026, 1, 8), date(2026, 1, 15),
    ]  # fmt: skip


@pytest.fixture
def world(make_workspace: Any, settings: Any, tmp_path: Path) -> tuple[Any, dict[str, int]]:
    settings.DATA_DIR = tmp_path
    principal = make_workspace("acme", timezone="UTC")
    return principal, seed(principal, tmp_path)


def _scores(principal: Any, profile: HealthProfile) -> dict[int, tuple[str, float | None]]:
    found = accounts.list_accounts(principal, accounts.AccountFilter(limit=10)).items
    book = load_revenue_book(principal)
    return {
        e.account_id: (e.color, e.score)
        for e in replay(principal, profile, found, AS_OF, book=book, facts={})
    }


def test_a_snapshot_does_not_change_when_later_data_arrives(world: Any, tmp_path: Path) -> None:
    principal, ids = world
    view = facade.create_health_profile(principal, PROFILE)
    profile = HealthProfile.objects.get(pk=view.id)
    before = _scores(principal, profile)
    # A1 and A2 pay on May 10; A3 never paid and is not judged.
    assert before == {ids["A1"]: ("green", 70.0), ids["A2"]: ("red", 30.0)}
    send_events(principal, tmp_path, later_events(), "later")
    assert not revenue.import_subscriptions(principal, LATER_SUBSCRIPTIONS).rejected
    assert _scores(principal, profile) == before


def test_backtest_figures_on_a_hand_computed_case(world: Any) -> None:
    principal, _ids = world
    facade.create_health_profile(principal, PROFILE)
    assert not revenue.import_subscriptions(principal, LATER_SUBSCRIPTIONS).rejected
    [report] = run_backtest(principal, profile="Weighted", start=AS_OF, end=AS_OF)
    # A1 (green, 70) cancels on May 20, within 90 days; A2 (red, 30) stays.
    assert (report.observations, report.churned, report.red, report.churned_red) == (2, 1, 1, 0)
    assert report.roc_auc == 0.0  # the churned account was rated the safer one
    assert report.precision_red == 0.0 and report.churned_red_share == 0.0
    assert report.churn_rate == 0.5
    assert [(s.day, s.accounts, s.churned) for s in report.snapshots] == [(AS_OF, 2, 1)]


def test_backtest_refuses_snapshots_without_a_complete_outcome(world: Any) -> None:
    principal, _ = world
    facade.create_health_profile(principal, PROFILE)
    today = facade.score_workspace(principal).day
    with pytest.raises(InvalidInput) as exc:
        run_backtest(principal, start=today, end=today)
    assert exc.value.details[0].loc == ("from",)
    with pytest.raises(NotFound):
        run_backtest(principal, profile="Nope")


def test_churn_model_table_is_the_replayed_measures_and_the_outcome(world: Any) -> None:
    from tobloop.success.logic.health_churn_model import churn_training_table

    principal, ids = world
    assert not revenue.import_subscriptions(principal, LATER_SUBSCRIPTIONS).rejected
    raw, rows = churn_training_table(principal, start=AS_OF, end=AS_OF)
    lines = raw.decode().splitlines()
    assert rows == 2 and lines[0] == (
        "account,snapshot,segment,usage_trend,active_users,days_since_last_activity,"
        "seat_utilization,mrr_change,contraction,days_to_renewal,decision_maker_known,"
        "contacts_count,churned"
    )
    # As of May 10 (see test_measures); contact facts were never recorded: blank. A1 cancels
    # on May 20 (churned within 90 days), A2 stays.
    assert lines[1] == f"{ids['A1']},2026-05-10,unknown,-0.25,2.0,1.0,0.25,-0.2,0.2,22.0,,,1"
    assert lines[2] == f"{ids['A2']},2026-05-10,unknown,-1.0,0.0,70.0,0.0,0.0,0.0,36.0,,,0"
    # Two rows of one period cannot be validated: null figures and the reason, not an error.
    evaluation = facade.evaluate_workspace_churn_model(principal, start=AS_OF, end=AS_OF)
    assert (evaluation.n, evaluation.positives, evaluation.roc_auc) == (2, 1, None)
    assert evaluation.validation.selected_on.startswith("not enough history")
