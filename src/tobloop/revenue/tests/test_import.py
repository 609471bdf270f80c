"""Importing subscription histories and spend: the accounts import contract, for revenue."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tobloop.accounts import facade as accounts
from tobloop.kernel.errors import InvalidInput, PermissionDenied
from tobloop.revenue import facade
from tobloop.revenue.models import RevenueSegment, Subscription, SubscriptionChange
from tobloop.revenue.tests.histories import random_book
from tobloop.revenue.tests.oracle import Oracle
from tobloop.revenue.tests.test_oracle import assert_agree


def seed_accounts(principal, *ids_and_channels: tuple[str, str]) -> None:
    lines = ["external_id,name,acquisition_channel,headcount"]
    lines += [f"{ext},Company {ext},{channel},50" for ext, channel in ids_and_channels]
    report = accounts.import_accounts(principal, "\n".join(lines).encode())
    assert not report.rejected


def mrr_at(principal, day: date) -> Decimal:
    return facade.revenue_metrics(principal, day, survival=False).mrr


def test_valid_rows_are_kept_and_bad_rows_reported(make_workspace):
    owner = make_workspace()
    seed_accounts(owner, ("A1", "field"), ("A2", "telesales"))
    csv = (
        b"subscription_id,account_external_id,date,event,quantity,unit_price,interval\n"
        b"S1,A1,2024-01-10,start,10,100,month\n"
        b"S2,A2,2024-02-01,start,1,12000,year\n"
        b"S3,NOPE,2024-02-01,start,1,100,month\n"
        b"S4,A2,2024-13-01,start,1,100,month\n"
        b"S5,A2,2024-02-01,start,lots,100,month\n"
        b"S6,A2,2024-02-01,start,1,100,fortnight\n"
        b"S7,A2,1815-06-18,start,1,100,month\n"
        b"S1,,2024-03-01,change,12,,\n"
        b"S1,,2024-03-01,change,13,,\n"
    )
    report = facade.import_subscriptions(owner, csv, filename="subs.csv")
    assert report.rows == 9 and report.created == 3
    bad = {(r.row, r.column, r.value) for r in report.rejected}
    assert bad == {
        (4, "account_external_id", "NOPE"),
        (5, "date", "2024-13-01"),
        (6, "quantity", "lots"),
        (7, "interval", "fortnight"),
        (8, "date", "1815-06-18"),
        (10, "date", "2024-03-01"),
    }
    assert all(r.reason for r in report.rejected)
    assert mrr_at(owner, date(2024, 2, 29)) == Decimal("2000.00")  # 10 × 100 + 12000 ÷ 12
    assert mrr_at(owner, date(2024, 3, 31)) == Decimal("2200.00")


def test_reimport_updates_and_never_duplicates(make_workspace):
    owner = make_workspace()
    seed_accounts(owner, ("A1", "field"))
    csv = (
        b"subscription_id,account_external_id,date,quantity,unit_price,end_date\n"
        b"S1,A1,2024-01-01,2,50,2024-06-15\n"
    )
    first = facade.import_subscriptions(owner, csv)
    assert (first.created, first.updated, first.rejected) == (1, 0, [])
    again = facade.import_subscriptions(owner, csv)
    assert (again.created, again.updated) == (0, 0)
    assert SubscriptionChange.objects.for_workspace(owner.workspace_id).count() == 2
    changed = csv.replace(b",2,50,", b",3,50,")
    third = facade.import_subscriptions(owner, changed)
    assert (third.created, third.updated) == (0, 1)
    assert Subscription.objects.for_workspace(owner.workspace_id).count() == 1
    assert mrr_at(owner, date(2024, 3, 1)) == Decimal("150.00")
    assert mrr_at(owner, date(2024, 6, 15)) == Decimal("0.00")


def test_histories_that_cannot_happen_are_rejected_row_by_row(make_workspace):
    owner = make_workspace()
    seed_accounts(owner, ("A1", ""))
    csv = (
        b"subscription_id,account_external_id,date,event,quantity,unit_price\n"
        b"S1,A1,2024-01-01,start,1,100\n"
        b"S1,,2024-02-01,cancel,,\n"
        b"S1,,2024-03-01,change,5,\n"
        b"S2,A1,2024-01-01,change,1,100\n"
        b"S3,A1,2024-01-01,start,1,\n"
    )
    report = facade.import_subscriptions(owner, csv)
    assert {r.row for r in report.rejected} == {4, 5, 6}
    reasons = " ".join(r.reason for r in report.rejected)
    assert "reactivate" in reasons and "begins with a start" in reasons and "unit price" in reasons
    assert report.created == 2


def test_foreign_currency_is_rejected_unless_converted(make_workspace):
    owner = make_workspace(currency="CNY")
    seed_accounts(owner, ("A1", ""))
    csv = (
        b"subscription_id,account_external_id,date,unit_price,currency,fx_rate\n"
        b"S1,A1,2024-01-01,100,USD,\n"
        b"S2,A1,2024-01-01,100,USD,7.2\n"
        b"S3,A1,2024-01-01,100,cny,\n"
    )
    report = facade.import_subscriptions(owner, csv)
    assert [(r.row, r.column, r.value) for r in report.rejected] == [(2, "currency", "USD")]
    assert "CNY" in report.rejected[0].reason and "fx_rate" in report.rejected[0].reason
    assert mrr_at(owner, date(2024, 1, 31)) == Decimal("820.00")  # 100 × 7.2 + 100
    later = b"subscription_id,date,event,quantity,currency\nS2,2024-02-01,change,2,EUR\n"
    report = facade.import_subscriptions(owner, later)
    assert report.rejected[0].column == "currency" and "one currency" in report.rejected[0].reason


def test_unreadable_files_and_mappings_change_nothing(make_workspace):
    owner = make_workspace()
    with pytest.raises(InvalidInput):
        facade.import_subscriptions(owner, b"\x00\x01binary")
    with pytest.raises(InvalidInput, match="date"):
        facade.import_subscriptions(owner, b"subscription_id,account_external_id\nS1,A1\n")
    mapped = b"Contract,Customer,Effective,Seats,Price\nS1,A1,2024-01-01,2,10\n"
    seed_accounts(owner, ("A1", ""))
    report = facade.import_subscriptions(
        owner,
        mapped,
        mapping={
            "Contract": "subscription_id",
            "Customer": "account_external_id",
            "Effective": "date",
            "Seats": "quantity",
            "Price": "unit_price",
        },
    )
    assert report.created == 1 and not report.rejected
    with pytest.raises(InvalidInput, match="unknown field"):
        facade.import_subscriptions(owner, mapped, mapping={"Contract": "nonsense"})


def test_import_needs_revenue_write(make_workspace, add_member):
    owner = make_workspace(slug="acme")
    viewer = add_member("acme", "viewer-user", "viewer")
    with pytest.raises(PermissionDenied):
        facade.import_subscriptions(viewer, b"subscription_id,date\n")
    with pytest.raises(PermissionDenied):
        facade.import_spend(viewer, b"channel,month,amount\n")
    assert owner.can("revenue", "write")


def test_spend_import_is_idempotent_and_converts_currency(make_workspace):
    owner = make_workspace()
    csv = (
        b"channel,month,amount,currency,fx_rate\n"
        b"field,2024-01,50000,,\n"
        b"event,2024-01,1000,USD,7\n"
        b"event,2024-02,1000,USD,\n"
        b"field,2024-01,1,,\n"
        b"inbound,jan,5,,\n"
        b"inbound,2024-03,-5,,\n"
    )
    report = facade.import_spend(owner, csv, filename="spend.csv")
    assert report.created == 2
    assert [(r.row, r.column) for r in report.rejected] == [
        (4, "currency"),
        (5, "month"),
        (6, "month"),
        (7, "amount"),
    ]
    assert {(s.channel, s.month, s.amount) for s in facade.list_spend(owner)} == {
        ("field", "2024-01", Decimal("50000.00")),
        ("event", "2024-01", Decimal("7000.00")),
    }
    again = facade.import_spend(owner, csv)
    assert (again.created, again.updated) == (0, 0)


def test_imported_book_agrees_with_the_oracle(make_workspace):
    """The whole path — CSV, validation, storage, ledger, engine — against the oracle."""
    owner = make_workspace()
    book = random_book(11, accounts=10, subscriptions=25)
    seed_accounts(owner, *[(a, book["channels"][a]) for a in sorted(book["channels"])])
    lines = [
        "subscription_id,account_external_id,date,event,plan,quantity,unit_price,fx_rate,"
        "interval,discount,discount_end"
    ]
    for h in book["histories"]:
        for r in h["records"]:
            cells = [h["id"], h["account"], r["date"].isoformat(), r["event"], r["plan"] or ""]
            cells += [
                "" if r[k] is None else str(r[k])
                for k in ("quantity", "unit_price", "fx_rate", "interval_months", "discount")
            ]
            cells.append(r["discount_end"].isoformat() if r["discount_end"] else "")
            lines.append(",".join(cells))
    report = facade.import_subscriptions(owner, ("\n".join(lines) + "\n").encode())
    assert report.rejected == [] and report.created == len(lines) - 1
    spend = ["channel,month,amount"] + [f"{c},{m},{a}" for c, m, a in book["spend"] if c]
    assert not facade.import_spend(owner, "\n".join(spend).encode()).rejected
    oracle = Oracle(book["histories"], book["channels"], book["spend"], every_day=False)
    for as_of in (date(2022, 6, 30), date(2024, 1, 15)):
        ours = facade.revenue_metrics(owner, as_of)
        assert_agree(ours, oracle.compute(as_of))
    assert RevenueSegment.objects.for_workspace(owner.workspace_id).exists()
