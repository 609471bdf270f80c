"""P-ECON-5: the sales motion an account's deal size (ACV) calls for, and the one used.

Recommended: ACV below ``telesales_acv_max`` → telesales / inside sales with self-serve
purchase; above ``field_sales_acv_min`` → field (visit) sales; in between → hybrid. Event
(conference) selling is the most cost-effective motion: it fits every deal from the hybrid
range up (``event_fit``) and is never counted as a mismatch. The motion used is read from the
account's acquisition channel; channels that are not a sales motion (partner, referral) are
"unknown" and not judged.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import TYPE_CHECKING

import numpy as np

from tobloop.kernel.lazy import LazyModule
from tobloop.platform.facade import PlaybookThresholds
from tobloop.revenue.contracts import AccountRevenue
from tobloop.revenue.logic.economics import cents
from tobloop.revenue.logic.engine import day_date
from tobloop.revenue.logic.metrics import Snapshot

if TYPE_CHECKING:
    import pandas as pd  # type: ignore[import-untyped]
else:
    pd = LazyModule("pandas")

MOTION_OF_CHANNEL = {
    "telesales": "telesales",
    "tele sales": "telesales",
    "inside sales": "telesales",
    "inbound": "telesales",
    "self-serve": "telesales",
    "self serve": "telesales",
    "website": "telesales",
    "online": "telesales",
    "电销": "telesales",
    "电话销售": "telesales",
    "线上": "telesales",
    "field": "field",
    "field sales": "field",
    "direct sales": "field",
    "outbound": "field",
    "visit": "field",
    "直销": "field",
    "地推": "field",
    "拜访": "field",
    "event": "event",
    "events": "event",
    "conference": "event",
    "trade show": "event",
    "会议": "event",
    "会销": "event",
    "展会": "event",
    "hybrid": "hybrid",
}
# P-ECON-5 has no number for "how many off-motion accounts are too many": pass at most 10 %.
MISMATCH_MAX = 0.10


def actual_motion(channel: str) -> str:
    return MOTION_OF_CHANNEL.get(channel.strip().lower(), "unknown")


def recommended_motion(acv: Decimal, t: PlaybookThresholds) -> str:
    if acv < t.telesales_acv_max:
        return "telesales"
    if acv > t.field_sales_acv_min:
        return "field"
    return "hybrid"


def is_mismatch(recommended: str, actual: str) -> bool:
    """Field sales for a telesales-sized deal, or telesales for a field-sized deal."""
    return (recommended, actual) in {("telesales", "field"), ("field", "telesales")}


def account_positions(snap: Snapshot, t: PlaybookThresholds) -> list[AccountRevenue]:
    """Every account paying at the as-of date, largest ACV first."""
    cur = snap.current
    rows = np.nonzero(cur > 0)[0]
    rows = rows[np.argsort(-cur[rows], kind="stable")]
    ids = snap.index.ids[rows]
    info = snap.data.accounts.reindex(ids)
    columns = {
        name: (info[name].fillna("").astype(str).tolist() if name in info else [""] * len(ids))
        for name in ("name", "segment", "industry", "region", "channel")
    }
    out: list[AccountRevenue] = []
    for i, r in enumerate(rows):
        mrr = cents(cur[r])
        acv = 12 * mrr
        recommended = recommended_motion(acv, t)
        actual = actual_motion(columns["channel"][i])
        out.append(
            AccountRevenue(
                account_id=int(ids[i]),
                account_name=columns["name"][i],
                segment=columns["segment"][i],
                industry=columns["industry"][i],
                region=columns["region"][i],
                channel=columns["channel"][i],
                mrr=mrr,
                acv=acv,
                first_paid=day_date(int(snap.first_paid[r])),
                recommended_motion=recommended,
                actual_motion=actual,
                mismatch=is_mismatch(recommended, actual),
                event_fit=recommended != "telesales",
            )
        )
    return out


def motion_by_segment(positions: list[AccountRevenue]) -> pd.DataFrame:
    """Per segment: paying accounts, average ACV, motions recommended and used, mismatches."""
    columns = ["segment", "accounts", "avg_acv", "recommended", "used", "mismatches"]
    groups: dict[str, list[AccountRevenue]] = {}
    for p in positions:
        groups.setdefault(p.segment, []).append(p)
    rows = []
    for segment in sorted(groups):
        group = groups[segment]
        rows.append(
            {
                "segment": segment,
                "accounts": len(group),
                "avg_acv": (sum((p.acv for p in group), Decimal(0)) / len(group)).quantize(
                    Decimal("0.01")
                ),
                "recommended": dict(Counter(p.recommended_motion for p in group).most_common()),
                "used": dict(Counter(p.actual_motion for p in group).most_common()),
                "mismatches": sum(1 for p in group if p.mismatch),
            }
        )
    return pd.DataFrame(rows, columns=columns)
