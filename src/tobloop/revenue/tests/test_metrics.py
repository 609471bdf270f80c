"""Hand-computed cases for every metric of docs/metrics.md, edge cases included."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from tobloop.revenue.logic.engine import months_back
from tobloop.revenue.logic.metrics import Snapshot, account_movements, cohort_table, compute_metrics
from tobloop.revenue.logic.terms import ChangeRecord, HistoryError, fold_history, subscription_mrr
from tobloop.revenue.tests.pipeline import revenue_data

D = Decimal


def rec(day: str, event: str = "start", **fields: Any) -> dict[str, Any]:
    base = dict.fromkeys(
        ("quantity", "unit_price", "fx_rate", "interval_months", "discount", "discount_end", "plan")
    )
    base.update(fields)
    for key in ("unit_price", "fx_rate", "discount"):
        if isinstance(base[key], str | int):
            base[key] = D(str(base[key]))
    if isinstance(base["discount_end"], str):
        base["discount_end"] = date.fromisoformat(base["discount_end"])
    return {"date": date.fromisoformat(day), "event": event, **base}


def book(*subs: tuple[str, list[dict[str, Any]]], channels=None, spend=()) -> Any:
    histories = [{"id": f"S{i}", "account": a, "records": r} for i, (a, r) in enumerate(subs)]
    return revenue_data({"histories": histories, "channels": channels or {}, "spend": list(spend)})


def metrics(data: Any, as_of: str, **kw: Any) -> Any:
    return compute_metrics(data, as_of=date.fromisoformat(as_of), **kw)


def month(m: Any, label: str) -> Any:
    return next(r for r in m.months if r.month == label)


# Subscription MRR ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quantity", "price", "interval", "discount", "fx", "expected"),
    [
        (10, "100", 1, "0.2", "1", "800.00"),  # seats × price × (1 − discount)
        (1, "12000", 12, "0", "1", "1000.00"),  # annual: price ÷ 12
        (3, "300", 3, "0", "1", "300.00"),  # quarterly
        (1, "48000", 24, "0", "1", "2000.00"),  # multi-year in months
        (1, "1000", 12, "0", "1", "83.33"),  # rounded half-up to the cent
        (1, "0.25", 2, "0", "1", "0.13"),  # 0.125 → 0.13 (half-up, not half-even)
        (2, "100", 1, "0", "7.2", "1440.00"),  # converted with the exchange rate
        (5, "0", 1, "0", "1", "0.00"),  # free / trial: no MRR
    ],
)
def test_subscription_mrr(quantity, price, interval, discount, fx, expected):
    got = subscription_mrr(
        quantity=quantity,
        unit_price=D(price),
        interval_months=interval,
        discount=D(discount),
        fx_rate=D(fx),
    )
    assert got == D(expected)


def test_annual_plan_earns_a_twelfth_every_month():
    data = book(("A", [rec("2024-01-15", unit_price=12000, interval_months=12)]))
    m = metrics(data, "2024-06-30")
    assert m.mrr == D("1000.00") and m.arr == D("12000.00")
    assert [r.mrr_end for r in m.months] == [D("1000.00")] * 6
    assert month(m, "2024-01").new == D("1000.00")


# Movements --------------------------------------------------------------------------------


def test_bridge_movements_of_each_kind():
    data = book(
        (
            "A",
            [
                rec("2024-01-10", quantity=10, unit_price=100),
                rec("2024-02-05", "change", quantity=15),
            ],
        ),
        ("B", [rec("2024-01-02", unit_price=400), rec("2024-02-20", "change", unit_price=250)]),
        ("C", [rec("2024-01-31", unit_price=300), rec("2024-02-29", "cancel")]),
        ("D", [rec("2024-02-01", unit_price=50)]),
    )
    m = metrics(data, "2024-02-29")
    jan, feb = month(m, "2024-01"), month(m, "2024-02")
    assert (jan.mrr_start, jan.new, jan.mrr_end) == (D(0), D("1700.00"), D("1700.00"))
    assert jan.paying_accounts == 3 and jan.new_accounts == 3
    assert feb.mrr_start == D("1700.00")
    assert feb.new == D("50.00")  # D
    assert feb.expansion == D("500.00")  # A: 1000 → 1500
    assert feb.contraction == D("150.00")  # B: 400 → 250
    assert feb.churn == D("300.00")  # C cancelled on the last day of February
    assert feb.reactivation == D(0)
    assert feb.mrr_end == D("1800.00")
    assert feb.mrr_end == (
        feb.mrr_start + feb.new + feb.reactivation + feb.expansion - feb.contraction - feb.churn
    )


def test_same_month_start_and_cancel_leaves_no_movement_but_counts_as_paid_before():
    data = book(
        (
            "A",
            [
                rec("2024-01-05", unit_price=100),
                rec("2024-01-20", "cancel"),
                rec("2024-03-10", "reactivate"),
            ],
        ),
    )
    m = metrics(data, "2024-03-31")
    jan = month(m, "2024-01")
    assert (jan.new, jan.churn, jan.mrr_end) == (D(0), D(0), D(0))
    assert metrics(data, "2024-01-10").mrr == D("100.00")  # paying mid-month
    assert month(m, "2024-03").reactivation == D("100.00")  # it paid in January
    assert month(m, "2024-03").new == D(0)


def test_same_day_start_and_cancel_earns_nothing():
    data = book(("A", [rec("2024-01-05", unit_price=100), rec("2024-01-05", "cancel")]))
    m = metrics(data, "2024-03-31")
    assert m.months == [] and m.mrr == D(0) and m.paying_accounts == 0
    assert m.nrr_12 is None and m.ltv is None and m.quick_ratio is None


def test_discount_ending_shows_as_expansion():
    data = book(
        ("A", [rec("2024-01-01", unit_price=1000, discount="0.5", discount_end="2024-03-01")])
    )
    m = metrics(data, "2024-03-31")
    assert [r.mrr_end for r in m.months] == [D("500.00"), D("500.00"), D("1000.00")]
    assert month(m, "2024-03").expansion == D("500.00")


def test_reactivation_after_churn():
    data = book(
        (
            "A",
            [
                rec("2024-01-15", unit_price=200),
                rec("2024-04-01", "cancel"),
                rec("2024-06-10", "reactivate", quantity=2),
            ],
        ),
    )
    m = metrics(data, "2024-06-30")
    assert month(m, "2024-03").mrr_end == D("200.00")  # active on 31 March
    assert month(m, "2024-04").churn == D("200.00")
    assert month(m, "2024-06").reactivation == D("400.00")
    assert m.quick_ratio == pytest.approx(600 / 200)  # (200 new + 400 reactivation) ÷ 200 churn


def test_a_second_subscription_of_a_paying_account_is_expansion_not_new():
    data = book(
        ("A", [rec("2024-01-01", unit_price=100)]),
        ("A", [rec("2024-02-10", unit_price=50)]),
    )
    feb = month(metrics(data, "2024-02-29"), "2024-02")
    assert (feb.new, feb.expansion) == (D(0), D("50.00"))


def test_as_of_mid_month_closes_the_last_month_at_the_as_of_date():
    data = book(("A", [rec("2024-01-01", unit_price=100), rec("2024-03-20", "cancel")]))
    m = metrics(data, "2024-03-15")
    assert m.months[-1].month == "2024-03" and m.months[-1].mrr_end == D("100.00")
    assert metrics(data, "2024-03-31").months[-1].churn == D("100.00")


def test_twelve_months_before_keeps_month_ends():
    assert months_back(date(2024, 2, 29), 12) == date(2023, 2, 28)
    assert months_back(date(2023, 2, 28), 12) == date(2022, 2, 28)
    assert months_back(date(2025, 2, 28), 12) == date(2024, 2, 29)  # a month end
    assert months_back(date(2024, 3, 30), 12) == date(2023, 3, 30)
    assert months_back(date(2024, 5, 31), 3) == date(2024, 2, 29)


# Retention and churn ------------------------------------------------------------------------


def retention_book() -> Any:
    return book(
        ("A", [rec("2023-01-01", unit_price=1000), rec("2023-09-01", "change", unit_price=1200)]),
        ("B", [rec("2023-01-01", unit_price=1000), rec("2023-11-01", "cancel")]),
        ("C", [rec("2023-01-01", unit_price=500), rec("2023-05-01", "change", unit_price=400)]),
        ("D", [rec("2023-06-01", unit_price=700)]),
    )


def test_nrr_grr_cc_and_logo_churn():
    m = metrics(retention_book(), "2024-01-31")  # a year after 2023-01-31
    assert m.nrr_12 == pytest.approx(1600 / 2500)  # A 1200 + B 0 + C 400 over 2500
    assert m.grr_12 == pytest.approx(1400 / 2500)  # min: 1000 + 0 + 400
    assert m.cc == pytest.approx(1 - 1600 / 2500)
    assert m.gross_churn_12 == pytest.approx(1 - 1400 / 2500)
    assert m.logo_churn_12 == pytest.approx(1 / 3)  # B of A, B, C; D was not paying then
    assert m.growth_12 == pytest.approx(2300 / 2500)


def test_arpa_acv_and_simple_ltv():
    m = metrics(retention_book(), "2024-01-31", gross_margin=D("0.75"))
    assert m.paying_accounts == 3 and m.mrr == D("2300.00")
    assert m.arpa == D("766.67")
    assert m.lifetime_years == pytest.approx(3.0)  # 1 ÷ (1/3)
    assert m.ltv == D("20700.00")  # 2300/3 × 12 × 0.75 × 3


def test_zero_churn_caps_ltv_at_the_horizon():
    data = book(("A", [rec("2022-01-01", unit_price=1000)]))
    m = metrics(data, "2024-01-31", horizon_years=D(10))
    assert m.logo_churn_12 == 0.0 and m.lifetime_years == 10.0
    assert m.ltv == D("120000.00")
    assert m.cc == pytest.approx(0.0) and m.nrr_12 == pytest.approx(1.0)


def test_negative_cc_when_expansion_outweighs_churn():
    data = book(
        ("A", [rec("2023-01-01", unit_price=1000), rec("2023-06-01", "change", unit_price=2000)]),
        ("B", [rec("2023-01-01", unit_price=500), rec("2023-06-01", "cancel")]),
    )
    m = metrics(data, "2024-01-31")
    assert m.nrr_12 == pytest.approx(2000 / 1500) and m.cc == pytest.approx(1 - 2000 / 1500)
    assert m.cc < 0 and m.grr_12 == pytest.approx(1000 / 1500)


def test_kaplan_meier_lifetime_matches_a_hand_computed_curve():
    # lifetimes (days): A 365 churned, B 730 churned, C still paying after 1095 days, D churned
    # at 365. S(1y) = 1 − 2/4 = 0.5; S(2y) = 0.5 × (1 − 1/2) = 0.25; C is censored at 3y.
    # Restricted mean to 10 years = 1 × 1 + 0.5 × 1 + 0.25 × 8 = 3.5 (days ÷ 365.25 per year).
    y = 365.25
    data = book(
        ("A", [rec("2021-01-01", unit_price=100), rec("2022-01-01", "cancel")]),
        ("B", [rec("2021-01-01", unit_price=100), rec("2023-01-01", "cancel")]),
        ("C", [rec("2021-01-01", unit_price=100)]),
        ("D", [rec("2021-01-01", unit_price=100), rec("2022-01-01", "cancel")]),
    )
    m = metrics(data, "2023-12-31")
    t1, t2, t3 = 365 / y, 730 / y, 1095 / y
    expected = t1 * 1 + (t2 - t1) * 0.5 + (10 - t2) * 0.25
    assert t3 < 10
    assert m.km_lifetime_years == pytest.approx(expected, rel=1e-9)
    assert m.ltv_km == (D("100") * 12 * D(repr(m.km_lifetime_years))).quantize(D("0.01"))


# CAC and payback ----------------------------------------------------------------------------


def cac_book(spend: list[tuple[str, str, Decimal]]) -> Any:
    return book(
        ("F1", [rec("2024-02-10", unit_price=1000)]),
        ("F2", [rec("2024-05-01", unit_price=3000)]),
        ("T1", [rec("2024-03-01", unit_price=100), rec("2024-03-15", "change", unit_price=900)]),
        ("OLD", [rec("2022-01-01", unit_price=500)]),  # first paid before the CAC period
        ("R1", [rec("2024-04-01", unit_price=200)]),
        channels={
            "F1": "field",
            "F2": "field",
            "T1": "telesales",
            "OLD": "field",
            "R1": "referral",
        },
        spend=spend,
    )


def test_cac_and_payback_per_channel_and_blended():
    spend = [
        ("field", "2024-01", D("10000")),
        ("field", "2024-06", D("14000")),
        ("field", "2022-12", D("99999")),  # outside the 12 months ending June 2024
        ("telesales", "2024-03", D("500")),
        ("event", "2024-04", D("3000")),  # spend, but nobody came from events
    ]
    m = metrics(cac_book(spend), "2024-06-30", gross_margin=D("0.5"))
    by = {c.channel: c for c in m.channels}
    assert set(by) == {"event", "field", "referral", "telesales"}
    assert (by["field"].spend, by["field"].new_accounts) == (D("24000.00"), 2)
    assert by["field"].cac == D("12000.00")
    assert by["field"].avg_first_mrr == D("2000.00")
    assert by["field"].cac_payback_months == pytest.approx(12000 / (2000 * 0.5))
    assert by["telesales"].avg_first_mrr == D("100.00")  # MRR on the first paid day
    assert by["telesales"].cac_payback_months == pytest.approx(500 / (100 * 0.5))
    assert by["event"].cac is None and by["event"].new_accounts == 0  # undefined, no error
    assert by["referral"].cac is None and by["referral"].spend == D("0.00")  # no spend
    assert m.cac == D("6875.00")  # 27500 ÷ 4 new accounts (F1, F2, T1, R1)
    assert m.cac_payback_months == pytest.approx(6875 / ((1000 + 3000 + 100 + 200) / 4 * 0.5))
    assert m.cac_period == ("2023-07", "2024-06")


def test_no_spend_at_all_leaves_cac_undefined():
    m = metrics(cac_book([]), "2024-06-30")
    assert m.cac is None and m.cac_payback_months is None
    assert all(c.cac is None for c in m.channels)


# Cohorts and drill-down --------------------------------------------------------------------


def test_cohorts_by_start_month():
    data = book(
        ("A", [rec("2024-01-03", unit_price=100), rec("2024-03-01", "change", unit_price=150)]),
        ("B", [rec("2024-01-20", unit_price=300), rec("2024-02-10", "cancel")]),
        ("C", [rec("2024-02-01", unit_price=50)]),
        ("D", [rec("2024-01-08", unit_price=80), rec("2024-01-25", "cancel")]),
    )
    c = cohort_table(Snapshot(data, date(2024, 3, 31)))
    assert c.months == ["2024-01", "2024-02"]
    assert c.size == [3, 1]  # D started and left in January: in the cohort, not paying at its end
    assert c.start_mrr == [D("400.00"), D("50.00")]
    assert c.mrr[0] == [D("400.00"), D("100.00"), D("150.00")]
    assert c.mrr_retention[0] == pytest.approx([1.0, 0.25, 0.375])
    assert c.logos[0] == [2, 1, 1]
    assert c.logo_retention[0] == pytest.approx([2 / 3, 1 / 3, 1 / 3])
    assert c.mrr[1] == [D("50.00"), D("50.00")]


def test_drill_down_lists_the_accounts_behind_a_bar():
    data = book(
        ("A", [rec("2024-01-10", unit_price=100), rec("2024-02-05", "change", unit_price=300)]),
        ("B", [rec("2024-01-02", unit_price=400), rec("2024-02-20", "cancel")]),
        ("C", [rec("2024-02-01", unit_price=50)]),
    )
    snap = Snapshot(data, date(2024, 2, 29))
    moves = account_movements(snap, "2024-02")
    assert [(m.account_name, m.kind, m.amount) for m in moves] == [
        ("C", "new", D("50.00")),
        ("A", "expansion", D("200.00")),
        ("B", "churn", D("400.00")),
    ]
    assert [m.account_name for m in account_movements(snap, "2024-02", "churn")] == ["B"]
    assert account_movements(snap, "1999-01") == []


# History rules ------------------------------------------------------------------------------


def test_history_must_be_possible():
    start = ChangeRecord(date(2024, 1, 1), "start", unit_price=D(1))
    with pytest.raises(HistoryError, match="begins with a start"):
        fold_history([ChangeRecord(date(2024, 1, 1), "change", quantity=2)])
    with pytest.raises(HistoryError, match="already started"):
        fold_history([start, ChangeRecord(date(2024, 2, 1), "start", unit_price=D(1))])
    with pytest.raises(HistoryError, match="reactivate it first"):
        fold_history(
            [
                start,
                ChangeRecord(date(2024, 2, 1), "cancel"),
                ChangeRecord(date(2024, 3, 1), "change", quantity=3),
            ]
        )
    with pytest.raises(HistoryError, match="cannot be reactivated"):
        fold_history([start, ChangeRecord(date(2024, 2, 1), "reactivate")])
    with pytest.raises(HistoryError, match="discount must end after"):
        fold_history(
            [
                ChangeRecord(
                    date(2024, 1, 1),
                    "start",
                    unit_price=D(1),
                    discount=D("0.1"),
                    discount_end=date(2024, 1, 1),
                )
            ]
        )


def test_same_day_cancel_and_reactivate_is_continuous():
    segments = fold_history(
        [
            ChangeRecord(date(2024, 1, 1), "start", unit_price=D(10)),
            ChangeRecord(date(2024, 2, 1), "cancel"),
            ChangeRecord(date(2024, 2, 1), "reactivate", quantity=2),
        ]
    )
    assert [(s.start, s.end, s.mrr_cents) for s in segments] == [
        (date(2024, 1, 1), date(2024, 2, 1), 1000),
        (date(2024, 2, 1), None, 2000),
    ]
