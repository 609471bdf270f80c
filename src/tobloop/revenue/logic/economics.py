"""Unit economics on top of the engine: LTV (simple and Kaplan–Meier), CAC and payback.

Pure functions over numpy arrays and Decimals; lifelines is imported only when the survival
variant is asked for (it takes seconds to import and is not needed by most pages).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from tobloop.revenue.contracts import ChannelEconomics
from tobloop.revenue.logic.engine import I64, Bools

CENT = Decimal("0.01")
DAYS_PER_YEAR = 365.25


def cents(value: int | np.integer) -> Decimal:
    return Decimal(int(value)).scaleb(-2)


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT)


def lifetime_years(
    base_accounts: int, lost_accounts: int, horizon_years: Decimal
) -> Decimal | None:
    """L = min(1 ÷ annual logo churn, horizon); undefined when nobody paid a year ago."""
    if base_accounts == 0:
        return None
    if lost_accounts == 0:
        return horizon_years
    return min(Decimal(base_accounts) / Decimal(lost_accounts), horizon_years)


def ltv(
    mrr_cents: int, paying: int, years: Decimal | None, gross_margin: Decimal
) -> Decimal | None:
    """LTV = ARPA × 12 × gross margin × L, from the unrounded ARPA, rounded to the cent."""
    if paying == 0 or years is None:
        return None
    arpa = Decimal(mrr_cents) / Decimal(100) / Decimal(paying)
    return money(arpa * 12 * gross_margin * years)


def km_lifetime_years(durations: I64, observed: Bools, horizon_years: Decimal) -> float | None:
    """Kaplan–Meier restricted mean lifetime (years) up to the horizon.

    ``durations`` are days from an account's first paid day to the day its revenue stopped
    (``observed``) or to the as-of date (censored). The survival curve is held flat after the
    longest observed lifetime.
    """
    if len(durations) == 0:
        return None
    from lifelines import KaplanMeierFitter
    from lifelines.utils import restricted_mean_survival_time

    years = durations.astype(np.float64) / DAYS_PER_YEAR
    fitter = KaplanMeierFitter().fit(years, event_observed=observed.astype(bool))
    return float(restricted_mean_survival_time(fitter, t=float(horizon_years)))


@dataclass(frozen=True)
class Acquisition:
    """The accounts acquired in the CAC period, with their channels and first-day MRR."""

    channels: list[str]
    first_mrr: I64


def channel_economics(
    *,
    channel: str,
    spend: Decimal,
    first_mrr: list[int],
    gross_margin: Decimal,
) -> ChannelEconomics:
    """CAC = spend ÷ new accounts; payback = CAC ÷ (average first-day MRR × gross margin)."""
    n = len(first_mrr)
    avg = Decimal(sum(first_mrr)) / Decimal(100) / Decimal(n) if n else None
    cac = spend / Decimal(n) if n and spend > 0 else None
    payback = None
    if cac is not None and avg:
        payback = float(cac / (avg * gross_margin))
    return ChannelEconomics(
        channel=channel,
        spend=money(spend),
        new_accounts=n,
        cac=money(cac) if cac is not None else None,
        avg_first_mrr=money(avg) if avg is not None else None,
        cac_payback_months=payback,
    )


def cac_table(
    acquired: Acquisition, spend: Mapping[str, Decimal], gross_margin: Decimal
) -> tuple[ChannelEconomics, list[ChannelEconomics]]:
    """Blended and per-channel CAC; a channel without spend has CAC ``None``."""
    by_channel: dict[str, list[int]] = {}
    for channel, mrr in zip(acquired.channels, acquired.first_mrr.tolist(), strict=True):
        by_channel.setdefault(channel, []).append(int(mrr))
    names = sorted(set(by_channel) | {c for c, v in spend.items() if v})
    rows = [
        channel_economics(
            channel=name,
            spend=spend.get(name, Decimal(0)),
            first_mrr=by_channel.get(name, []),
            gross_margin=gross_margin,
        )
        for name in names
    ]
    blended = channel_economics(
        channel="*",
        spend=sum(spend.values(), Decimal(0)),
        first_mrr=[int(v) for v in acquired.first_mrr.tolist()],
        gross_margin=gross_margin,
    )
    return blended, rows
