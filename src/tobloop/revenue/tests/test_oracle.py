"""The production engine agrees with the independent day-by-day oracle on random histories."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from tobloop.revenue.contracts import RevenueMetrics
from tobloop.revenue.logic.metrics import compute_metrics
from tobloop.revenue.tests.histories import random_book
from tobloop.revenue.tests.oracle import Oracle
from tobloop.revenue.tests.pipeline import revenue_data

AS_OF = [date(2021, 3, 10), date(2022, 12, 31), date(2023, 7, 15), date(2024, 2, 29)]
RATIOS = ("nrr_12", "grr_12", "cc", "logo_churn_12", "quick_ratio", "growth_12")
MONTH_FIELDS = (
    "mrr_start",
    "new",
    "reactivation",
    "expansion",
    "contraction",
    "churn",
    "mrr_end",
    "paying_accounts",
)


def cents(value: Any) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    return Decimal(value).quantize(Decimal("0.01"))


def same_ratio(ours: float | None, theirs: Fraction | None) -> bool:
    if ours is None or theirs is None:
        return ours is None and theirs is None
    return ours == pytest.approx(float(theirs), rel=1e-12, abs=1e-12)


def assert_agree(ours: RevenueMetrics, oracle: dict[str, Any]) -> None:
    assert [m.month for m in ours.months] == [m["month"] for m in oracle["months"]]
    for mine, theirs in zip(ours.months, oracle["months"], strict=True):
        for name in MONTH_FIELDS:
            assert getattr(mine, name) == theirs[name], (mine.month, name)
    assert ours.mrr == oracle["mrr"]
    assert ours.arr == oracle["arr"]
    assert ours.paying_accounts == oracle["paying_accounts"]
    assert ours.arpa == oracle["arpa"]
    for name in RATIOS:
        assert same_ratio(getattr(ours, name), oracle[name]), name
    assert ours.ltv == cents(oracle["ltv"])
    if oracle["km_lifetime_years"] is None:
        assert ours.km_lifetime_years is None
    else:
        assert ours.km_lifetime_years == pytest.approx(oracle["km_lifetime_years"], rel=1e-9)
    assert ours.cac == cents(oracle["cac"])
    assert same_ratio(ours.cac_payback_months, oracle["cac_payback_months"])
    theirs = oracle["channels"]
    assert [c.channel for c in ours.channels] == sorted(theirs)
    for c in ours.channels:
        assert c.new_accounts == theirs[c.channel]["new"]
        assert c.spend == cents(theirs[c.channel]["spend"])
        assert c.cac == cents(theirs[c.channel]["cac"])
        assert same_ratio(c.cac_payback_months, theirs[c.channel]["payback"])


@pytest.mark.parametrize("seed", range(40))
def test_engine_agrees_with_oracle_on_random_histories(seed: int) -> None:
    book = random_book(seed, accounts=8, subscriptions=14)
    data = revenue_data(book)
    oracle = Oracle(book["histories"], book["channels"], book["spend"], every_day=seed % 4 == 0)
    for as_of in AS_OF:
        ours = compute_metrics(data, as_of=as_of, gross_margin=Decimal("0.8"))
        assert_agree(ours, oracle.compute(as_of, gross_margin=Decimal("0.8")))


def test_every_day_and_change_days_give_the_same_oracle_answer() -> None:
    book = random_book(7, accounts=5, subscriptions=8)
    slow = Oracle(book["histories"], book["channels"], book["spend"], every_day=True)
    fast = Oracle(book["histories"], book["channels"], book["spend"], every_day=False)
    assert slow.compute(date(2023, 5, 31)) == fast.compute(date(2023, 5, 31))
