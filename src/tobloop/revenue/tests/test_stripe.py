"""Stripe's dashboard "Export subscriptions" CSV (DESIGN.md "Metric definitions")."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from tobloop.accounts import facade as accounts
from tobloop.revenue import facade
from tobloop.revenue.models import Subscription, SubscriptionChange
from tobloop.revenue.tests.test_import import seed_accounts

HEADER = (
    "id,Customer ID,Customer Name,Plan,Product,Quantity,Currency,Interval,Amount,Status,"
    "Created (UTC),Start (UTC),Current Period Start (UTC),Current Period End (UTC),"
    "Trial Start (UTC),Trial End (UTC),Canceled At (UTC),Ended At (UTC),crm_id (metadata)\n"
)
EXPORT = (
    HEADER + "sub_1,cus_A,Acme,price_pro,Pro,5,cny,month,199.00,active,2023-01-01 02:00,"
    "2023-01-01 02:00,2024-01-01 02:00,2024-02-01 02:00,,,,,\n"
    'sub_2,cus_B,Beta,price_ent,Enterprise,1,cny,year,"120,000.00",canceled,2023-02-01 00:00,'
    "2023-02-01 00:00,2024-01-01 00:00,2024-02-01 00:00,,,2023-06-01 09:00,2024-02-01 00:00,\n"
    "sub_3,cus_C,Gamma,price_pro,Pro,2,cny,month,199.00,active,2023-03-01 20:00,"
    "2023-03-01 20:00,2024-01-16 20:00,2024-02-16 20:00,2023-03-01 20:00,2023-03-15 20:00,,,\n"
    "sub_4,cus_D,Delta,price_w,Weekly,1,cny,week,10.00,active,2023-03-01 00:00,"
    "2023-03-01 00:00,,,,,,,\n"
    "sub_5,cus_E,Epsilon,price_pro,Pro,1,cny,month,199.00,incomplete_expired,2023-03-01 00:00,"
    "2023-03-01 00:00,,,,,,,\n"
).encode()


def mrr(principal, day: date) -> Decimal:
    return facade.revenue_metrics(principal, day, survival=False).mrr


def test_stripe_export_becomes_subscription_history(make_workspace):
    owner = make_workspace(timezone="Asia/Shanghai")
    report = facade.import_subscriptions(owner, EXPORT, filename="subs.csv", fmt="stripe")
    assert (report.rows, report.created, report.updated) == (5, 3, 0)
    assert [(r.row, r.column, r.value) for r in report.rejected] == [
        (5, "Interval", "week"),
        (6, "Status", "incomplete_expired"),
    ]
    names = {
        a.external_id: a.name for a in accounts.list_accounts(owner, accounts.AccountFilter()).items
    }
    assert names == {
        "cus_A": "Acme",
        "cus_B": "Beta",
        "cus_C": "Gamma",
    }  # customers became accounts
    assert mrr(owner, date(2023, 1, 31)) == Decimal("995.00")  # 5 × 199
    assert mrr(owner, date(2023, 2, 28)) == Decimal("10995.00")  # + 120,000 ÷ 12
    # Canceled At (June) does not end revenue; Ended At (2024-02-01) does.
    assert mrr(owner, date(2024, 1, 31)) == Decimal("11393.00")
    assert mrr(owner, date(2024, 2, 1)) == Decimal("1393.00")
    # 2023-03-15 20:00 UTC is 2023-03-16 in Shanghai: the trial ends, revenue begins.
    assert mrr(owner, date(2023, 3, 15)) == Decimal("10995.00")
    assert mrr(owner, date(2023, 3, 16)) == Decimal("11393.00")


def test_reimporting_the_same_export_changes_nothing(make_workspace):
    owner = make_workspace()
    facade.import_subscriptions(owner, EXPORT, fmt="stripe")
    changes = SubscriptionChange.objects.for_workspace(owner.workspace_id).count()
    again = facade.import_subscriptions(owner, EXPORT, fmt="stripe")
    assert (again.created, again.updated) == (0, 0)
    assert SubscriptionChange.objects.for_workspace(owner.workspace_id).count() == changes
    assert Subscription.objects.for_workspace(owner.workspace_id).count() == 3


def test_a_metadata_column_can_name_the_account(make_workspace):
    owner = make_workspace()
    seed_accounts(owner, ("CRM-1", "field"))
    export = (
        HEADER + "sub_9,cus_Z,Zeta,price_pro,Pro,1,usd,month,100.00,active,2023-01-01 00:00,"
        "2023-01-01 00:00,,,,,,,CRM-1\n"
    ).encode()
    mapping = {"crm_id (metadata)": "account_external_id"}
    report = facade.import_subscriptions(owner, export, fmt="stripe", mapping=mapping)
    assert report.rejected[0].column == "Currency" and "fx_rate" in report.rejected[0].reason
    converted = export.replace(
        b"Ended At (UTC),crm_id (metadata)", b"Ended At (UTC),crm_id (metadata),rate"
    )
    converted = converted.replace(b",CRM-1\n", b",CRM-1,7.1\n")
    report = facade.import_subscriptions(
        owner, converted, fmt="stripe", mapping={**mapping, "rate": "fx_rate"}
    )
    assert report.rejected == [] and report.created == 1
    sub = Subscription.objects.for_workspace(owner.workspace_id).get(external_id="sub_9")
    assert sub.account.external_id == "CRM-1" and sub.currency == "USD"
    assert mrr(owner, date(2023, 1, 31)) == Decimal("710.00")


def test_a_file_that_is_not_a_stripe_export_is_refused(make_workspace):
    import pytest

    from tobloop.kernel.errors import InvalidInput

    owner = make_workspace()
    with pytest.raises(InvalidInput, match="not a Stripe subscriptions export"):
        facade.import_subscriptions(owner, b"a,b\n1,2\n", fmt="stripe")
