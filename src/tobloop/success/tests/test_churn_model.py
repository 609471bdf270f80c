"""Churn evaluation on hand-made tables whose answer is known in advance."""

from __future__ import annotations

import numpy as np
import pytest

from tobloop.kernel.errors import InvalidInput
from tobloop.success.facade import evaluate_churn_csv
from tobloop.success.logic.churn_model import split_out_of_time

pytestmark = pytest.mark.django_db(databases=[])


def csv_bytes(header: list[str], rows: list[list[object]]) -> bytes:
    lines = [",".join(header)] + [",".join("" if v is None else str(v) for v in r) for r in rows]
    return ("\n".join(lines) + "\n").encode()


def test_perfectly_separable_table_scores_one_with_kfold() -> None:
    # given: churned accounts all have low usage (0-19), retained ones high usage (100-139)
    rows = [
        [f"a{i}", i if i < 20 else i + 80, "yes" if i < 20 else "no", "pro" if i % 2 else "basic"]
        for i in range(60)
    ]
    raw = csv_bytes(["id", "usage", "churned", "plan"], rows)
    # when
    result = evaluate_churn_csv(raw, label="churned", id_column="id")
    # then
    assert result.roc_auc == 1.0 and result.pr_auc == 1.0
    assert result.n == 60 and result.positives == 20
    assert result.validation.method == "stratified_kfold" and result.validation.folds == 5
    assert {c.model for c in result.validation.candidates} == {
        "logistic_regression",
        "gradient_boosted_trees",
    }
    assert sum(b.count for b in result.calibration) == 60
    assert len(result.calibration) == 10
    assert all(k in result.explanation for k in ("roc_auc", "pr_auc", "calibration", "validation"))


def test_label_independent_of_features_scores_about_one_half() -> None:
    rng = np.random.default_rng(7)
    n = 3000
    rows = [
        [round(float(rng.normal()), 3), rng.choice(["a", "b", "c"]), int(rng.random() < 0.3)]
        for _ in range(n)
    ]
    result = evaluate_churn_csv(csv_bytes(["x", "kind", "churn"], rows), label="churn")
    assert result.roc_auc is not None and abs(result.roc_auc - 0.5) < 0.05
    assert result.pr_auc is not None and abs(result.pr_auc - result.positives / n) < 0.05


def test_out_of_time_never_fits_on_later_rows() -> None:
    # given: up to month 6 churners have x > 0; from month 7 on the relation is reversed.
    # A model that saw any later row would rank the test period well; one fitted only on the
    # earlier months must rank it backwards (ROC AUC near 0).
    rng = np.random.default_rng(3)
    rows = []
    for month in range(1, 9):
        for _ in range(150):
            x = float(rng.normal())
            churn = (x > 0) if month <= 6 else (x < 0)
            rows.append([f"2024-{month:02d}", round(x, 4), "true" if churn else "false"])
    raw = csv_bytes(["month", "x", "churn"], rows)
    # when
    result = evaluate_churn_csv(raw, label="churn", time="month")
    # then
    v = result.validation
    assert v.method == "out_of_time"
    assert v.train_periods is not None and v.test_periods is not None
    assert (v.train_periods.first, v.train_periods.last) == ("2024-01", "2024-06")
    assert (v.test_periods.first, v.test_periods.last) == ("2024-07", "2024-08")
    assert v.test_rows == 300
    assert result.roc_auc is not None and result.roc_auc < 0.1


def test_split_orders_periods_by_value_not_text() -> None:
    periods = ["10", "9", "2", "1", "10", "3"]
    split = split_out_of_time(periods, [float(p) for p in periods])
    # five periods: the earliest ceil(0.75 * 5) = 4 are fitted on, the last is tested
    assert split.train_periods == ["1", "2", "3", "9"] and split.test_periods == ["10"]
    assert max(float(periods[i]) for i in split.train) < min(float(periods[i]) for i in split.test)


def test_text_columns_blanks_and_label_spellings_are_accepted() -> None:
    # given: every "basic" account churns, "pro" and blank-plan accounts stay; labels are
    # spelled every accepted way and seat counts have blanks
    yes, no = ["Yes", "TRUE", "1", "yes"], ["no", "0", "false", "No", "FALSE"]
    rows = []
    for i in range(90):
        plan = ["basic", "pro", ""][i % 3]
        seats = "" if i % 7 == 0 else i % 13
        rows.append([plan, seats, yes[i % 4] if plan == "basic" else no[i % 5]])
    # when
    result = evaluate_churn_csv(csv_bytes(["plan", "seats", "churned"], rows), label="churned")
    # then
    assert result.n == 90 and result.positives == 30
    assert result.roc_auc == 1.0


def test_a_bad_label_names_its_row_and_value() -> None:
    raw = csv_bytes(["x", "churn"], [[1, "yes"], [2, "maybe"], [3, "no"], [4, ""]])
    with pytest.raises(InvalidInput) as caught:
        evaluate_churn_csv(raw, label="churn")
    assert caught.value.code == "invalid_label"
    assert "row 3" in caught.value.message and "'maybe'" in caught.value.message
    assert [d.loc[0] for d in caught.value.details] == [3, 5]


def test_missing_columns_empty_files_and_single_classes_are_clear_errors() -> None:
    raw = csv_bytes(["x", "churn"], [[i, "no"] for i in range(10)])
    with pytest.raises(InvalidInput) as caught:
        evaluate_churn_csv(raw, label="churned")
    assert caught.value.code == "unknown_column" and "churn" in caught.value.message
    with pytest.raises(InvalidInput) as caught:
        evaluate_churn_csv(raw, label="churn")
    assert caught.value.code == "single_class"
    with pytest.raises(InvalidInput) as caught:
        evaluate_churn_csv(b"", label="churn")
    assert caught.value.code == "unreadable_file"
    with pytest.raises(InvalidInput) as caught:
        evaluate_churn_csv(b"x,churn\n", label="churn")
    assert caught.value.code == "no_rows"
    one = csv_bytes(["x", "churn"], [[i, "yes" if i == 0 else "no"] for i in range(10)])
    with pytest.raises(InvalidInput) as caught:
        evaluate_churn_csv(one, label="churn")
    assert caught.value.code == "too_few_rows"


def test_results_are_repeatable_and_drivers_name_the_cause() -> None:
    rng = np.random.default_rng(11)
    rows = []
    for i in range(200):
        days = int(rng.integers(0, 60))
        rows.append([f"c{i}", days, rng.choice(["north", "south"]), int(days > 30)])
    raw = csv_bytes(["id", "days_idle", "region", "churn"], rows)
    first = evaluate_churn_csv(raw, label="churn", id_column="id", drivers=True)
    second = evaluate_churn_csv(raw, label="churn", id_column="id", drivers=True)
    assert first == second
    riskiest = first.drivers[0]
    assert riskiest.probability >= first.drivers[-1].probability
    assert riskiest.drivers[0].column == "days_idle"
    assert "days_idle" in riskiest.drivers[0].text and "raises" in riskiest.drivers[0].text


def test_gb18030_tab_separated_files_are_read() -> None:
    rows = [
        [f"客户{i}", i % 10, "是" if False else ("yes" if i % 10 < 4 else "no")] for i in range(40)
    ]
    text = "\n".join(["名称\t使用天数\t流失"] + ["\t".join(map(str, r)) for r in rows])
    result = evaluate_churn_csv(text.encode("gb18030"), label="流失", id_column="名称")
    assert result.roc_auc == 1.0


def test_a_test_period_of_one_class_gives_null_scores_not_an_error() -> None:
    # given: churn happens in the first three months only; month 4 (the test period) has none
    rows = [[f"2025-0{m}", i, "yes" if m < 4 and i % 3 == 0 else "no"] for m in range(1, 5)
            for i in range(30)]  # fmt: skip
    # when
    result = evaluate_churn_csv(
        csv_bytes(["month", "x", "churn"], rows), label="churn", time="month"
    )
    # then
    assert result.validation.test_periods is not None
    assert result.validation.test_periods.first == "2025-04"
    assert result.validation.test_positives == 0
    assert result.roc_auc is None and result.pr_auc is None
    assert result.explanation["roc_auc"].startswith("Undefined")


def test_blank_periods_and_too_few_periods_are_refused() -> None:
    blank = csv_bytes(["month", "x", "churn"], [["2025-01", 1, "yes"], ["", 2, "no"]])
    with pytest.raises(InvalidInput) as caught:
        evaluate_churn_csv(blank, label="churn", time="month")
    assert caught.value.code == "invalid_time" and "row 3" in caught.value.message
    one = csv_bytes(["month", "x", "churn"], [["2025-01", i, i % 2] for i in range(10)])
    with pytest.raises(InvalidInput) as caught:
        evaluate_churn_csv(one, label="churn", time="month")
    assert caught.value.code == "too_few_periods"
