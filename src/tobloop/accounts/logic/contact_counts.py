"""Contacts per account and decision-chain role in one grouped query (P-PROFILE-2), for callers
that judge many accounts at once (the success module's health measures)."""

from __future__ import annotations

from django.db.models import Count

from tobloop.accounts.models import Contact
from tobloop.platform.facade import Principal, require


def contact_role_counts(principal: Principal) -> dict[int, dict[str, int]]:
    """{account id: {role: number of contacts}} for every account that has contacts."""
    require(principal.scopes, "accounts", "read")
    out: dict[int, dict[str, int]] = {}
    rows = (
        Contact.objects.for_workspace(principal.workspace_id)
        .values_list("account_id", "role")
        .annotate(n=Count("id"))
        .order_by()
    )
    for account_id, role, n in rows:
        out.setdefault(account_id, {})[role] = n
    return out
