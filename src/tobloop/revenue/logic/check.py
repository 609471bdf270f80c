"""The playbook check: P-ECON-1 … P-ECON-6 with value, threshold, verdict and explanation,
and the customer-count milestones of P-REQ-3.

Verdicts: ``fail`` past the limit; ``warn`` within ``warn_margin`` (a share of the limit) of
it; ``pass`` otherwise; ``unknown`` when the value is undefined (too little history, no
spend). Each explanation names the figures behind it, and ``accounts`` lists the accounts
that drive it (at most ``DRIVERS``).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import numpy as np
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from tobloop.platform.facade import PlaybookThresholds
from tobloop.revenue.contracts import (
    AccountRevenue,
    ChannelEconomics,
    Milestone,
    Milestones,
    RevenueMetrics,
    RuleResult,
)
from tobloop.revenue.logic.metrics import Snapshot, acquisition_mask
from tobloop.revenue.logic.motion import MISMATCH_MAX

DRIVERS = 50
SEGMENT_WORDS = {
    "small": gettext_lazy("small"),
    "mid": gettext_lazy("mid-size"),
    "large": gettext_lazy("large"),
    "unknown": gettext_lazy("unknown-size"),
}
Link = Callable[[list[int]], str | None]


def verdict_upper(value: float | Decimal | None, limit: Decimal, margin: Decimal) -> str:
    if value is None:
        return "unknown"
    v = Decimal(str(value))
    if v > limit:
        return "fail"
    return "warn" if v > limit - abs(limit) * margin else "pass"


def verdict_lower(value: float | Decimal | None, limit: Decimal, margin: Decimal) -> str:
    if value is None:
        return "unknown"
    v = Decimal(str(value))
    if v < limit:
        return "fail"
    return "warn" if v < limit * (1 + margin) else "pass"


def money(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def pct(value: float | Decimal | None) -> str:
    return "—" if value is None else f"{float(value):.1%}"


def _side(verdict: str, above: bool) -> str:
    """Where the value sits against the limit: ``above`` is True for upper limits."""
    if above:
        return _("above") if verdict == "fail" else _("within")
    return _("below") if verdict == "fail" else _("above")


def rule_ltv(m: RevenueMetrics, t: PlaybookThresholds, lost: list[int], link: Link) -> RuleResult:
    verdict = verdict_lower(m.ltv, t.ltv_min, t.warn_margin)
    if m.ltv is None:
        text = _("LTV is unknown: nobody was paying twelve months ago, so there is no churn rate.")
    else:
        text = _(
            "LTV is %(ltv)s, %(side)s the %(limit)s minimum of P-ECON-1: ARPA %(arpa)s × 12 × "
            "gross margin %(gm)s × lifetime %(years).1f years (annual logo churn %(churn)s)."
        ) % {
            "ltv": money(m.ltv),
            "side": _side(verdict, above=False),
            "limit": money(t.ltv_min),
            "arpa": money(m.arpa),
            "gm": pct(t.gross_margin),
            "years": m.lifetime_years or 0,
            "churn": pct(m.logo_churn_12),
        }
    return RuleResult(
        rule="P-ECON-1",
        title=_("Lifetime value (LTV)"),
        value=m.ltv,
        threshold=t.ltv_min.quantize(Decimal("0.01")),
        verdict=verdict,
        explanation=text,
        accounts=lost[:DRIVERS],
        link=link(lost[:DRIVERS]),
    )


def loss_drivers(snap: Snapshot) -> tuple[list[int], str]:
    """Accounts that lost revenue over 12 months; the (segment, industry) group losing most."""
    base, cur = snap.pair[:, 0], snap.pair[:, 1]
    loss = np.where(base > 0, np.maximum(base - cur, 0), 0)
    rows = np.nonzero(loss > 0)[0]
    if not len(rows):
        return [], ""
    ids = snap.index.ids[rows]
    info = snap.data.accounts.reindex(ids)
    seg = info["segment"].fillna("").astype(str).tolist() if "segment" in info else [""] * len(ids)
    ind = (
        info["industry"].fillna("").astype(str).tolist() if "industry" in info else [""] * len(ids)
    )
    groups: dict[tuple[str, str], list[int]] = {}
    for i in range(len(rows)):
        groups.setdefault((seg[i], ind[i]), []).append(i)
    total = int(loss[rows].sum())
    (segment, industry), members = max(groups.items(), key=lambda kv: int(loss[rows[kv[1]]].sum()))
    share = int(loss[rows[members]].sum()) / total
    where = industry or _("no industry")
    text = ngettext(
        "%(share)s of the loss comes from %(n)d %(segment)s account in %(industry)s",
        "%(share)s of the loss comes from %(n)d %(segment)s accounts in %(industry)s",
        len(members),
    ) % {
        "share": pct(share),
        "n": len(members),
        "segment": SEGMENT_WORDS.get(segment, segment) if segment else _("unknown-size"),
        "industry": where,
    }
    inside = set(members)
    order = sorted(range(len(rows)), key=lambda i: (i not in inside, -int(loss[rows[i]])))
    return [int(ids[i]) for i in order], text


def rule_cc(m: RevenueMetrics, t: PlaybookThresholds, snap: Snapshot, link: Link) -> RuleResult:
    verdict = verdict_upper(m.cc, t.cc_max, t.warn_margin)
    drivers, where = loss_drivers(snap)
    if m.cc is None:
        text = _("CC is unknown: nobody was paying twelve months ago.")
    elif m.cc <= 0:
        text = _(
            "CC is %(cc)s: expansion of the remaining customers outweighs what churned "
            "(NRR %(nrr)s), the ideal of P-ECON-2."
        ) % {"cc": pct(m.cc), "nrr": pct(m.nrr_12)}
    else:
        text = _("CC is %(cc)s, %(side)s the %(limit)s limit of P-ECON-2") % {
            "cc": pct(m.cc),
            "side": _side(verdict, above=True),
            "limit": pct(t.cc_max),
        }
        text += "; " + where + "." if where else "."
    return RuleResult(
        rule="P-ECON-2",
        title=_("Annual revenue churn (CC)"),
        value=m.cc,
        threshold=float(t.cc_max),
        verdict=verdict,
        explanation=text,
        accounts=drivers[:DRIVERS],
        link=link(drivers[:DRIVERS]),
    )


def _worst(channels: list[ChannelEconomics], key: str) -> ChannelEconomics | None:
    rated = [c for c in channels if getattr(c, key) is not None]
    return max(rated, key=lambda c: getattr(c, key)) if rated else None


def new_accounts_of(snap: Snapshot, channel: str | None) -> list[int]:
    rows = np.nonzero(acquisition_mask(snap))[0]
    ids = snap.index.ids[rows]
    if channel is None:
        return [int(i) for i in ids]
    names = snap.channels_of(ids)
    return [int(i) for i, c in zip(ids, names, strict=True) if c == channel]


def rule_cac_ltv(
    m: RevenueMetrics, t: PlaybookThresholds, snap: Snapshot, link: Link
) -> RuleResult:
    ratio = float(m.cac / m.ltv) if m.cac is not None and m.ltv else None
    verdict = verdict_upper(ratio, t.cac_ltv_max_ratio, t.warn_margin)
    worst = _worst(m.channels, "cac")
    if ratio is None:
        text = _("CAC ÷ LTV is unknown: %(why)s.") % {
            "why": _("no acquisition spend or no new accounts in the last 12 months")
            if m.cac is None
            else _("LTV is unknown")
        }
    else:
        text = _(
            "CAC %(cac)s is %(ratio)s of LTV %(ltv)s, %(side)s the %(limit)s limit of P-ECON-3"
        ) % {
            "cac": money(m.cac),
            "ratio": pct(ratio),
            "ltv": money(m.ltv),
            "side": _side(verdict, above=True),
            "limit": pct(t.cac_ltv_max_ratio),
        }
        if worst is not None:
            text += _("; the costliest channel is %(channel)s (CAC %(cac)s)") % {
                "channel": worst.channel or _("no channel"),
                "cac": money(worst.cac),
            }
        text += "."
    drivers = new_accounts_of(snap, worst.channel if worst else None)[:DRIVERS]
    return RuleResult(
        rule="P-ECON-3",
        title=_("CAC below a third of LTV"),
        value=ratio,
        threshold=float(t.cac_ltv_max_ratio),
        verdict=verdict,
        explanation=text,
        accounts=drivers,
        link=link(drivers),
    )


def rule_payback(
    m: RevenueMetrics, t: PlaybookThresholds, snap: Snapshot, link: Link
) -> RuleResult:
    verdict = verdict_upper(m.cac_payback_months, t.cac_payback_max_months, t.warn_margin)
    worst = _worst(m.channels, "cac_payback_months")
    if m.cac_payback_months is None:
        text = _(
            "CAC payback is unknown: no acquisition spend or no new accounts in the last 12 months."
        )
    else:
        text = _("CAC is paid back in %(months).1f months, %(side)s the %(limit)s of P-ECON-4") % {
            "months": m.cac_payback_months,
            "side": _side(verdict, above=True),
            "limit": _("%(n)s-month limit") % {"n": f"{t.cac_payback_max_months:g}"},
        }
        if worst is not None:
            text += _("; slowest channel: %(channel)s (%(months).1f months)") % {
                "channel": worst.channel or _("no channel"),
                "months": worst.cac_payback_months,
            }
        text += "."
    drivers = new_accounts_of(snap, worst.channel if worst else None)[:DRIVERS]
    return RuleResult(
        rule="P-ECON-4",
        title=_("CAC payback"),
        value=m.cac_payback_months,
        threshold=float(t.cac_payback_max_months),
        verdict=verdict,
        explanation=text,
        accounts=drivers,
        link=link(drivers),
    )


def rule_motion(positions: list[AccountRevenue], t: PlaybookThresholds, link: Link) -> RuleResult:
    judged = [p for p in positions if p.actual_motion not in ("unknown",)]
    bad = [p for p in judged if p.mismatch]
    share = len(bad) / len(judged) if judged else None
    verdict = verdict_upper(share, Decimal(str(MISMATCH_MAX)), t.warn_margin)
    if share is None:
        text = _("No paying account has a channel that names a sales motion.")
    else:
        small = sum(1 for p in bad if p.recommended_motion == "telesales")
        text = _(
            "%(bad)d of %(n)d paying accounts (%(share)s) are sold through a motion that does not "
            "fit their ACV (P-ECON-5): %(small)d field-sold below %(low)s, %(large)d telesold "
            "above %(high)s."
        ) % {
            "bad": len(bad),
            "n": len(judged),
            "share": pct(share),
            "small": small,
            "low": money(t.telesales_acv_max),
            "large": len(bad) - small,
            "high": money(t.field_sales_acv_min),
        }
    ids = [p.account_id for p in bad][:DRIVERS]
    return RuleResult(
        rule="P-ECON-5",
        title=_("Sales motion follows deal size"),
        value=share,
        threshold=MISMATCH_MAX,
        verdict=verdict,
        explanation=text,
        accounts=ids,
        link=link(ids),
    )


def growth_verdict(g: float | None, t: PlaybookThresholds) -> str:
    """Pass inside the good pace; warn just below it or above it; fail well below it."""
    if g is None:
        return "unknown"
    v = Decimal(str(g))
    if v > t.growth_good_max:
        return "warn"
    if v >= t.growth_good_min:
        return "pass"
    return "warn" if v >= t.growth_good_min * (1 - t.warn_margin) else "fail"


def rule_growth(m: RevenueMetrics, t: PlaybookThresholds, snap: Snapshot, link: Link) -> RuleResult:
    g = m.growth_12
    verdict = growth_verdict(g, t)
    last12 = m.months[-12:]
    gain = sum((r.new + r.reactivation + r.expansion for r in last12), Decimal(0))
    loss = sum((r.contraction + r.churn for r in last12), Decimal(0))
    if g is None:
        text = _("Growth is unknown: there was no revenue twelve months ago.")
    else:
        text = _(
            "ARR grew %(g).2f× in 12 months (from %(then)s to %(now)s); P-ECON-6 calls "
            "%(lo)s–%(hi)s× a good pace. New business, reactivation and expansion added %(gain)s "
            "MRR, contraction and churn took %(loss)s."
        ) % {
            "g": g,
            "then": money(12 * m.mrr_12_months_ago),
            "now": money(m.arr),
            "lo": f"{t.growth_good_min:g}",
            "hi": f"{t.growth_good_max:g}",
            "gain": money(gain),
            "loss": money(loss),
        }
    base, cur = snap.pair[:, 0], snap.pair[:, 1]
    delta = cur - base
    rows = np.argsort(-np.abs(delta), kind="stable")[:DRIVERS]
    ids = [int(snap.index.ids[r]) for r in rows if delta[r] != 0]
    return RuleResult(
        rule="P-ECON-6",
        title=_("Growth pace"),
        value=g,
        threshold=float(t.growth_good_min),
        threshold_max=float(t.growth_good_max),
        verdict=verdict,
        explanation=text,
        accounts=ids,
        link=link(ids),
    )


MILESTONES = (
    (1, gettext_lazy("the product has value")),
    (100, gettext_lazy("it is a product, not a project")),
    (1000, gettext_lazy("delivery and service scale")),
    (10000, gettext_lazy("a platform")),
)


def milestones(m: RevenueMetrics) -> Milestones:
    """P-REQ-3, by paying accounts at month ends (the as-of date for the last month)."""
    items = []
    for count, meaning in MILESTONES:
        month = next((r.month for r in m.months if r.paying_accounts >= count), None)
        items.append(
            Milestone(
                count=count,
                meaning=str(meaning),
                reached=m.paying_accounts >= count or month is not None,
                reached_in=month,
            )
        )
    reached = [i.count for i in items if i.reached]
    upcoming = [i.count for i in items if not i.reached]
    return Milestones(
        paying_accounts=m.paying_accounts,
        reached=reached,
        next=upcoming[0] if upcoming else None,
        items=items,
    )


def lost_accounts(snap: Snapshot) -> list[int]:
    """Accounts paying 12 months ago and not now, largest lost MRR first."""
    base, cur = snap.pair[:, 0], snap.pair[:, 1]
    rows = np.nonzero((base > 0) & (cur == 0))[0]
    rows = rows[np.argsort(-base[rows], kind="stable")]
    return [int(snap.index.ids[r]) for r in rows]


def playbook_rules(
    m: RevenueMetrics,
    snap: Snapshot,
    positions: list[AccountRevenue],
    t: PlaybookThresholds,
    link: Link,
) -> list[RuleResult]:
    return [
        rule_ltv(m, t, lost_accounts(snap), link),
        rule_cc(m, t, snap, link),
        rule_cac_ltv(m, t, snap, link),
        rule_payback(m, t, snap, link),
        rule_motion(positions, t, link),
        rule_growth(m, t, snap, link),
    ]
