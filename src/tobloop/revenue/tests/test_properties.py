"""Properties that must hold on any history (hypothesis): the bridge identity, exactly."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tobloop.revenue.logic.metrics import Snapshot, cohort_table, compute_metrics
from tobloop.revenue.tests.oracle import Oracle
from tobloop.revenue.tests.pipeline import revenue_data
from tobloop.revenue.tests.test_oracle import assert_agree

FIRST = date(2022, 1, 1)
prices = st.sampled_from([Decimal(p) for p in ("0", "9.99", "100", "333.33", "1200", "5000")])
intervals = st.sampled_from([1, 3, 6, 12, 24, 36])
discounts = st.sampled_from([Decimal("0"), Decimal("0.1"), Decimal("0.333"), Decimal("1")])


def _blank(day: date, event: str) -> dict[str, Any]:
    return {
        "date": day,
        "event": event,
        "quantity": None,
        "unit_price": None,
        "fx_rate": None,
        "interval_months": None,
        "discount": None,
        "discount_end": None,
        "plan": None,
    }


@st.composite
def history(draw: st.DrawFn, n: int) -> dict[str, Any]:
    day = FIRST + timedelta(days=draw(st.integers(0, 900)))
    start = _blank(day, "start")
    start.update(
        quantity=draw(st.integers(0, 50)),
        unit_price=draw(prices),
        interval_months=draw(intervals),
        discount=draw(st.none() | discounts),
    )
    if start["discount"] is not None and draw(st.booleans()):
        start["discount_end"] = day + timedelta(days=draw(st.integers(1, 500)))
    records, active = [start], True
    for _ in range(draw(st.integers(0, 6))):
        day = day + timedelta(days=draw(st.integers(1, 240)))
        if not active:
            records.append(_blank(day, "reactivate"))
            active = True
            continue
        if draw(st.integers(0, 3)) == 0:
            records.append(_blank(day, "cancel"))
            active = False
            continue
        r = _blank(day, "change")
        r["quantity"] = draw(st.none() | st.integers(0, 80))
        r["unit_price"] = draw(st.none() | prices)
        r["interval_months"] = draw(st.none() | intervals)
        if draw(st.booleans()):
            r["discount"] = draw(discounts)
            if draw(st.booleans()):
                r["discount_end"] = day + timedelta(days=draw(st.integers(1, 300)))
        records.append(r)
    account = f"A{draw(st.integers(0, 5))}"
    return {"id": f"S{n}", "account": account, "records": records}


@st.composite
def books(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(st.integers(1, 10))
    return {"histories": [draw(history(i)) for i in range(n)], "channels": {}, "spend": []}


as_of_dates = st.dates(min_value=date(2022, 2, 1), max_value=date(2026, 12, 31))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(book=books(), as_of=as_of_dates)
def test_bridge_identity_holds_exactly_every_month(book: dict[str, Any], as_of: date) -> None:
    m = compute_metrics(revenue_data(book), as_of=as_of, survival=False)
    previous_end = Decimal(0)
    for r in m.months:
        assert r.mrr_start == previous_end
        assert r.mrr_end == (
            r.mrr_start + r.new + r.reactivation + r.expansion - r.contraction - r.churn
        )
        assert min(r.new, r.reactivation, r.expansion, r.contraction, r.churn) >= 0
        previous_end = r.mrr_end
    assert previous_end == m.mrr
    assert m.arr == 12 * m.mrr
    if m.nrr_12 is not None:
        assert m.grr_12 is not None and 0 <= m.grr_12 <= 1 and m.grr_12 <= m.nrr_12 + 1e-12


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(book=books(), as_of=as_of_dates)
def test_engine_agrees_with_the_oracle_on_generated_histories(
    book: dict[str, Any], as_of: date
) -> None:
    ours = compute_metrics(revenue_data(book), as_of=as_of, survival=True)
    oracle = Oracle(book["histories"], {}, [], every_day=False).compute(as_of)
    assert_agree(ours, oracle)


@settings(max_examples=100, deadline=None)
@given(book=books(), as_of=as_of_dates)
def test_cohorts_add_up_to_the_month_end_mrr(book: dict[str, Any], as_of: date) -> None:
    data = revenue_data(book)
    snap = Snapshot(data, as_of)
    c = cohort_table(snap)
    m = compute_metrics(data, as_of=as_of, survival=False, snapshot=snap)
    by_month = {r.month: r.mrr_end for r in m.months}
    labels = list(by_month)
    for j, label in enumerate(labels):
        assert _cohort_sum(c, labels, j) == by_month[label]


def _cohort_sum(c: Any, labels: list[str], j: int) -> Decimal:
    total = Decimal(0)
    for i, start in enumerate(c.months):
        k = j - labels.index(start)
        if 0 <= k < len(c.mrr[i]):
            total += c.mrr[i][k]
    return total
