"""Derived account facts: segment and service tier (P-PROFILE-3), risk flags (P-PROFILE-2).

They are computed from the profile and the workspace's cut-offs, never typed in, and each one
can explain itself in a sentence.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from tobloop.accounts.models import Account, Contact, DecisionRole, Segment, ServiceTier
from tobloop.platform.facade import SIZE_FIELDS, PlaybookThresholds, Principal

SERVICE_TIER_BY_SEGMENT = {
    Segment.SMALL: ServiceTier.ONLINE_PARTNER,
    Segment.MID: ServiceTier.REGIONAL_CSM,
    Segment.LARGE: ServiceTier.DEDICATED_TEAM,
    Segment.UNKNOWN: ServiceTier.UNASSIGNED,
}

RISK_NO_CONTACTS = "no_contacts"
RISK_NO_DECISION_MAKER = "no_decision_maker"


@dataclass(frozen=True)
class SegmentVerdict:
    segment: str
    service_tier: str


def segment_for(headcount: int | None, thresholds: PlaybookThresholds) -> SegmentVerdict:
    """P-PROFILE-3: small < mid_min ≤ mid < large_min ≤ large; no headcount → unknown."""
    if headcount is None:
        segment = Segment.UNKNOWN
    elif headcount < thresholds.mid_min_headcount:
        segment = Segment.SMALL
    elif headcount < thresholds.large_min_headcount:
        segment = Segment.MID
    else:
        segment = Segment.LARGE
    return SegmentVerdict(segment=segment, service_tier=SERVICE_TIER_BY_SEGMENT[segment])


def explain_segment(headcount: int | None, thresholds: PlaybookThresholds) -> str:
    """One sentence saying which cut-off placed the account where it is."""
    verdict = segment_for(headcount, thresholds)
    tier = ServiceTier(verdict.service_tier).label
    lo, hi = thresholds.mid_min_headcount, thresholds.large_min_headcount
    if verdict.segment == Segment.UNKNOWN:
        return _("Headcount is unknown, so no segment or service tier applies (P-PROFILE-3).")
    if verdict.segment == Segment.SMALL:
        text = _("Headcount %(n)s is below %(lo)s: micro/small, served by %(tier)s (P-PROFILE-3).")
    elif verdict.segment == Segment.MID:
        text = _(
            "Headcount %(n)s is at least %(lo)s and below %(hi)s: mid-size, served by "
            "%(tier)s (P-PROFILE-3)."
        )
    else:
        text = _("Headcount %(n)s is at least %(hi)s: large, served by %(tier)s (P-PROFILE-3).")

    def grouped(n: int | None) -> str:
        return number_format(Decimal(n or 0), force_grouping=True)

    return text % {"n": grouped(headcount), "lo": grouped(lo), "hi": grouped(hi), "tier": tier}


def risk_flags_for(contact_roles: Iterable[str]) -> list[str]:
    """P-PROFILE-2: an account with no contacts, or no known decision maker, is a risk."""
    roles = list(contact_roles)
    flags = []
    if not roles:
        flags.append(RISK_NO_CONTACTS)
    if DecisionRole.DECISION_MAKER not in roles:
        flags.append(RISK_NO_DECISION_MAKER)
    return flags


def risk_flag_label(flag: str) -> str:
    labels = {
        RISK_NO_CONTACTS: _("No contacts known"),
        RISK_NO_DECISION_MAKER: _("No known decision maker (P-PROFILE-2)"),
    }
    return labels.get(flag, flag)


def apply_segment(account: Account, thresholds: PlaybookThresholds) -> None:
    verdict = segment_for(account.headcount, thresholds)
    account.segment = verdict.segment
    account.service_tier = verdict.service_tier


def refresh_risk_flags(workspace_id: int, account_ids: Iterable[int]) -> None:
    """Recompute the risk flags of the given accounts from their contacts."""
    ids = list(set(account_ids))
    roles: dict[int, list[str]] = {i: [] for i in ids}
    for account_id, role in (
        Contact.objects.for_workspace(workspace_id)
        .filter(account_id__in=ids)
        .values_list("account_id", "role")
    ):
        roles[account_id].append(role)
    accounts = list(Account.objects.for_workspace(workspace_id).filter(pk__in=ids))
    for account in accounts:
        account.risk_flags = risk_flags_for(roles[account.pk])
    Account.objects.bulk_update(accounts, ["risk_flags"], batch_size=500)


@transaction.atomic
def rederive_segments(workspace_id: int, thresholds: PlaybookThresholds) -> int:
    """Re-derive segment and tier of every account of a workspace with a few UPDATEs."""
    qs = Account.objects.for_workspace(workspace_id)
    lo, hi = thresholds.mid_min_headcount, thresholds.large_min_headcount
    buckets = {
        Segment.UNKNOWN: Q(headcount__isnull=True),
        Segment.SMALL: Q(headcount__lt=lo),
        Segment.MID: Q(headcount__gte=lo, headcount__lt=hi),
        Segment.LARGE: Q(headcount__gte=hi),
    }
    changed = 0
    for segment, condition in buckets.items():
        changed += (
            qs.filter(condition)
            .exclude(segment=segment, service_tier=SERVICE_TIER_BY_SEGMENT[segment])
            .update(segment=segment, service_tier=SERVICE_TIER_BY_SEGMENT[segment])
        )
    return changed


def rederive_on_threshold_change(principal: Principal, changed: frozenset[str]) -> None:
    """Platform hook: a changed size cut-off re-derives every account of the workspace."""
    if changed & SIZE_FIELDS:
        rederive_segments(principal.workspace_id, principal.workspace.thresholds)
