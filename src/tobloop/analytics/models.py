"""The people behind product events: identified users, their traits, account and contact.

Events themselves live in the event store (DuckDB or ClickHouse), not in this database.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from tobloop.kernel.tenancy import WorkspaceManager


class EventUser(models.Model):
    """A user of the customer's product, as ``identify`` and ``group`` calls describe them."""

    workspace = models.ForeignKey(
        "platform.Workspace", on_delete=models.CASCADE, related_name="event_users"
    )
    distinct_id = models.CharField(_("user id"), max_length=255)
    email = models.CharField(_("email"), max_length=254, blank=True)
    traits = models.JSONField(_("traits"), default=dict, blank=True)
    # The latest group call (or context.groupId of an identify): an account external id.
    account_external_id = models.CharField(_("account"), max_length=120, blank=True)
    # The accounts module's Contact with the same e-mail, when there is one.
    contact_id = models.BigIntegerField(_("contact"), null=True, blank=True)
    first_seen = models.DateTimeField(_("first seen"))
    last_seen = models.DateTimeField(_("last seen"))

    objects = WorkspaceManager["EventUser"]()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "distinct_id"], name="uniq_event_user_distinct_id"
            )
        ]
        indexes = [models.Index(fields=["workspace", "email"])]

    def __str__(self) -> str:
        return self.distinct_id
