"""The seeded Telco-style table behind the figures in docs/success.md."""

from __future__ import annotations

import pytest

from tobloop.success.facade import evaluate_churn_csv
from tobloop.success.sample_churn import churn_rate, telco_style_csv

pytestmark = pytest.mark.django_db(databases=[])


def test_same_seed_same_table_and_blanks_like_the_public_sample() -> None:
    text = telco_style_csv(500, seed=5)
    assert text == telco_style_csv(500, seed=5) != telco_style_csv(500, seed=6)
    lines = text.splitlines()
    assert lines[0].startswith("customerID,signup_quarter,") and lines[0].endswith(",Churn")
    assert len(lines) == 501
    assert any(",,Yes" in line or ",,No" in line for line in lines[1:])  # blank TotalCharges
    assert 0.15 < churn_rate(text) < 0.35


def test_the_models_learn_it_out_of_time() -> None:
    raw = telco_style_csv(2000, seed=2026).encode()
    result = evaluate_churn_csv(raw, label="Churn", id_column="customerID", time="signup_quarter")
    assert result.validation.method == "out_of_time"
    assert result.roc_auc is not None and 0.75 < result.roc_auc < 0.92
    assert result.pr_auc is not None and result.pr_auc > result.validation.test_positives / (
        result.validation.test_rows
    )
