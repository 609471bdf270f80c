"""The account page's usage panel (``accounts.facade.register_account_panel``, key "usage")."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from tobloop.accounts import facade as accounts
from tobloop.analytics.logic.account_usage import account_usage
from tobloop.platform.facade import Principal
from tobloop.platform.web import member_view


@member_view("analytics", "read")
def account_usage_panel(request: HttpRequest, principal: Principal, pk: int) -> HttpResponse:
    """An HTML fragment: active users vs seats, key features, trend, last activity."""
    account = accounts.get_account(principal, pk)  # 404 for another workspace's account
    usage = account_usage(principal, account.id, account.external_id)
    chart: dict[str, Any] = {
        "weeks": [end.isoformat() for end, _n in usage.weeks],
        "users": [n for _end, n in usage.weeks],
        "baseline": usage.baseline_weekly,
        "labels": {
            "users": _("Weekly active users"),
            "baseline": _("Baseline (12 weeks before)"),
        },
    }
    context = {
        "account": account,
        "usage": usage,
        "chart": chart,
        "chart_id": f"usage-chart-{account.id}",
        "trend_percent": None if usage.trend is None else round(usage.trend * 100),
    }
    return render(request, "analytics/_account_usage.html", context)
