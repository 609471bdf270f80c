"""The demo workspace's AARRR mapping (P-DATA-2, P-DATA-4, P-DATA-5): the onboarding and
invitation events of ``demo.events`` mapped to the five stages, with targets and owners."""

from __future__ import annotations

from tobloop.analytics import facade as analytics
from tobloop.platform.facade import Principal

DEMO_AARRR = {
    # about 30 new accounts start a month in the default demo
    "acquisition": {"event": "Signed Up", "target": 30, "owner": "Marketing · 市场部"},
    "activation": {"event": "First Report Created", "target": 0.7, "owner": "Product · 产品部"},
    "retention": {
        "event": "Dashboard Viewed",
        "target": 0.9,
        "owner": "Customer success · 客户成功",
    },
    "revenue": {"target": 0.8, "owner": "Sales · 销售部"},
    "referral": {"event": "Invite Sent", "target": 0.5, "owner": "Growth · 增长"},
    "invite_sent_event": "Invite Sent",
    "invite_accepted_event": "Invite Accepted",
}


def configure_demo_aarrr(principal: Principal) -> None:
    analytics.save_aarrr_config(principal, analytics.AarrrConfig.model_validate(DEMO_AARRR))
