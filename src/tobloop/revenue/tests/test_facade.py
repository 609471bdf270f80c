"""The Python surface: DataFrames and dataclasses from the facade."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from tobloop.revenue import facade
from tobloop.revenue.tests.test_api import HISTORY
from tobloop.revenue.tests.test_import import seed_accounts


def test_frames_for_scripts(make_workspace):
    owner = make_workspace()
    seed_accounts(owner, ("A1", "field"), ("A2", "telesales"), ("A3", "inbound"))
    assert not facade.import_subscriptions(owner, HISTORY).rejected
    a1 = facade.list_subscriptions(owner).items[0].account_id

    daily = facade.account_daily_mrr(owner, a1, date(2023, 10, 30), date(2023, 11, 2))
    assert list(daily) == [
        Decimal("1000.00"),
        Decimal("1000.00"),
        Decimal("1500.00"),
        Decimal("1500.00"),
    ]
    assert str(daily.index[0].date()) == "2023-10-30"

    table = facade.account_mrr_table(owner, date(2023, 12, 31))
    assert list(table.columns)[:2] == ["2023-01", "2023-02"]
    assert table.loc[a1, "2023-11"] == Decimal("1500.00")
    assert table.sum(axis=0)["2023-12"] == Decimal("6500.00")
    assert facade.account_month_end_mrr(owner, a1)[0] == ("2023-01", Decimal("1000.00"))

    months = facade.months_table(owner, date(2023, 12, 31))
    assert months.loc["2023-09", "churn"] == Decimal("1000.00")
    assert int(months.loc["2023-12", "paying_accounts"]) == 2

    motion = facade.sales_motion_by_segment(owner, date(2023, 12, 31))
    assert list(motion["segment"]) == ["small"]
    assert int(motion.loc[0, "mismatches"]) == 1  # A3: ACV 60,000 sold through inbound

    check = facade.playbook_check(owner, date(2024, 1, 31))
    assert check.rules[0].rule == "P-ECON-1"
    assert isinstance(check.rules[0].value, Decimal)
    assert check.milestones.next == 100
