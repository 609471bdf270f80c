"""The revenue module's public surface: other modules import only this.

Functions take the acting ``Principal`` and return frozen dataclasses from ``contracts`` or,
for tables, pandas DataFrames. Money is Decimal in the workspace currency.
"""

from tobloop.revenue.contracts import (
    AccountMovement,
    AccountRevenue,
    ChangeView,
    ChannelEconomics,
    CohortTable,
    Milestone,
    Milestones,
    MonthRow,
    PlanView,
    PlaybookCheck,
    RevenueMetrics,
    RuleResult,
    SegmentView,
    SpendView,
    SubscriptionView,
)
from tobloop.revenue.logic.account_terms import SubscriptionTerms, subscription_terms
from tobloop.revenue.logic.dataset import CUTS, RevenueFilter
from tobloop.revenue.logic.importing import import_subscriptions
from tobloop.revenue.logic.reports import (
    account_daily_mrr,
    account_month_end_mrr,
    account_mrr_table,
    account_revenue,
    cohort_table,
    month_movements,
    months_table,
    playbook_check,
    revenue_metrics,
    sales_motion_by_segment,
)
from tobloop.revenue.logic.spend import import_spend, list_spend, record_spend
from tobloop.revenue.logic.subscriptions import (
    get_subscription,
    list_plans,
    list_subscriptions,
    record_subscription_change,
)
from tobloop.revenue.schemas import SpendRow, SubscriptionRow

__all__ = [
    "CUTS",
    "AccountMovement",
    "AccountRevenue",
    "ChangeView",
    "ChannelEconomics",
    "CohortTable",
    "Milestone",
    "Milestones",
    "MonthRow",
    "PlanView",
    "PlaybookCheck",
    "RevenueFilter",
    "RevenueMetrics",
    "RuleResult",
    "SegmentView",
    "SpendRow",
    "SpendView",
    "SubscriptionRow",
    "SubscriptionTerms",
    "SubscriptionView",
    "account_daily_mrr",
    "account_month_end_mrr",
    "account_mrr_table",
    "account_revenue",
    "cohort_table",
    "get_subscription",
    "import_spend",
    "import_subscriptions",
    "list_plans",
    "list_spend",
    "list_subscriptions",
    "month_movements",
    "months_table",
    "playbook_check",
    "record_spend",
    "record_subscription_change",
    "revenue_metrics",
    "sales_motion_by_segment",
    "subscription_terms",
]
