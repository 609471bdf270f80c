"""The JSON documents of ``tobloop metrics`` / ``tobloop check`` and their REST twins.

DESIGN.md "Scriptable interfaces": money is a decimal string in the workspace currency
(``"1234.50"``), ratios are plain numbers (``0.953``), undefined values are ``null``, dates
ISO 8601 and months ``"YYYY-MM"``. Field names are the contract; more may be added.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tobloop.revenue.contracts import (
    ChannelEconomics,
    CohortTable,
    MonthRow,
    PlaybookCheck,
    RevenueMetrics,
    RuleResult,
)

RATIO_DIGITS = 4
MONTH_DIGITS = 2


def money(value: Decimal | None) -> str | None:
    return None if value is None else str(value.quantize(Decimal("0.01")))


def ratio(value: float | None, digits: int = RATIO_DIGITS) -> float | None:
    return None if value is None else round(float(value), digits)


def month_doc(r: MonthRow) -> dict[str, Any]:
    return {
        "month": r.month,
        "mrr_start": money(r.mrr_start),
        "new": money(r.new),
        "reactivation": money(r.reactivation),
        "expansion": money(r.expansion),
        "contraction": money(r.contraction),
        "churn": money(r.churn),
        "mrr_end": money(r.mrr_end),
        "paying_accounts": r.paying_accounts,
        "new_accounts": r.new_accounts,
        "reactivated_accounts": r.reactivated_accounts,
        "expanded_accounts": r.expanded_accounts,
        "contracted_accounts": r.contracted_accounts,
        "churned_accounts": r.churned_accounts,
        "nrr_12": ratio(r.nrr_12),
        "grr_12": ratio(r.grr_12),
    }


def channel_doc(c: ChannelEconomics) -> dict[str, Any]:
    return {
        "channel": c.channel,
        "spend": money(c.spend),
        "new_accounts": c.new_accounts,
        "cac": money(c.cac),
        "avg_first_mrr": money(c.avg_first_mrr),
        "cac_payback_months": ratio(c.cac_payback_months, MONTH_DIGITS),
    }


def metrics_doc(m: RevenueMetrics) -> dict[str, Any]:
    return {
        "as_of": m.as_of.isoformat(),
        "currency": m.currency,
        "mrr": money(m.mrr),
        "arr": money(m.arr),
        "paying_accounts": m.paying_accounts,
        "arpa": money(m.arpa),
        "nrr_12": ratio(m.nrr_12),
        "grr_12": ratio(m.grr_12),
        "cc": ratio(m.cc),
        "gross_churn_12": ratio(m.gross_churn_12),
        "logo_churn_12": ratio(m.logo_churn_12),
        "quick_ratio": ratio(m.quick_ratio),
        "ltv": money(m.ltv),
        "ltv_km": money(m.ltv_km),
        "lifetime_years": ratio(m.lifetime_years, MONTH_DIGITS),
        "km_lifetime_years": ratio(m.km_lifetime_years, MONTH_DIGITS),
        "cac": money(m.cac),
        "cac_payback_months": ratio(m.cac_payback_months, MONTH_DIGITS),
        "growth_12": ratio(m.growth_12),
        "cac_period": {"from": m.cac_period[0], "to": m.cac_period[1]} if m.cac_period else None,
        "channels": [channel_doc(c) for c in m.channels],
        "months": [month_doc(r) for r in m.months],
    }


def _value(value: Decimal | float | None) -> str | float | None:
    if isinstance(value, Decimal):
        return money(value)
    return ratio(value)


def rule_doc(r: RuleResult) -> dict[str, Any]:
    return {
        "rule": r.rule,
        "title": r.title,
        "value": _value(r.value),
        "threshold": _value(r.threshold),
        "threshold_max": _value(r.threshold_max),
        "verdict": r.verdict,
        "explanation": r.explanation,
        "accounts": r.accounts,
        "link": r.link,
    }


def check_doc(c: PlaybookCheck) -> dict[str, Any]:
    return {
        "as_of": c.as_of.isoformat(),
        "rules": [rule_doc(r) for r in c.rules],
        "milestones": {
            "paying_accounts": c.milestones.paying_accounts,
            "reached": c.milestones.reached,
            "next": c.milestones.next,
            "items": [
                {
                    "count": i.count,
                    "meaning": i.meaning,
                    "reached": i.reached,
                    "reached_in": i.reached_in,
                }
                for i in c.milestones.items
            ],
        },
    }


def cohorts_doc(c: CohortTable) -> dict[str, Any]:
    return {
        "cohorts": [
            {
                "cohort": month,
                "size": c.size[i],
                "start_mrr": money(c.start_mrr[i]),
                "mrr": [money(v) for v in c.mrr[i]],
                "logos": c.logos[i],
                "mrr_retention": [ratio(v) for v in c.mrr_retention[i]],
                "logo_retention": [ratio(v) for v in c.logo_retention[i]],
            }
            for i, month in enumerate(c.months)
        ]
    }
