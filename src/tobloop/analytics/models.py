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


class SavedInsight(models.Model):
    """A builder query kept under a name: kind plus the query JSON the REST API takes."""

    class Kind(models.TextChoices):
        FUNNEL = "funnel", _("Funnel")
        RETENTION = "retention", _("Retention")
        PATHS = "paths", _("Paths")
        TRENDS = "trends", _("Trends")
        ACTIVE = "active", _("Active users")

    workspace = models.ForeignKey(
        "platform.Workspace", on_delete=models.CASCADE, related_name="saved_insights"
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    query = models.JSONField(_("query"), default=dict)
    description = models.TextField(_("description"), blank=True)
    owner = models.CharField(_("owner"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = WorkspaceManager["SavedInsight"]()

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["workspace", "kind"])]

    def __str__(self) -> str:
        return self.name


class Dashboard(models.Model):
    """Saved insights shown together, in the order of their items."""

    workspace = models.ForeignKey(
        "platform.Workspace", on_delete=models.CASCADE, related_name="dashboards"
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    owner = models.CharField(_("owner"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = WorkspaceManager["Dashboard"]()

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class DashboardItem(models.Model):
    """One insight's place on a dashboard."""

    workspace = models.ForeignKey(
        "platform.Workspace", on_delete=models.CASCADE, related_name="dashboard_items"
    )
    dashboard = models.ForeignKey(Dashboard, on_delete=models.CASCADE, related_name="items")
    insight = models.ForeignKey(SavedInsight, on_delete=models.CASCADE, related_name="placements")
    position = models.PositiveIntegerField(_("position"), default=0)

    objects = WorkspaceManager["DashboardItem"]()

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["dashboard", "insight"], name="uniq_dashboard_insight")
        ]

    def __str__(self) -> str:
        return f"{self.dashboard_id}#{self.position}: {self.insight_id}"


class AarrrSettings(models.Model):
    """The workspace's AARRR mapping (P-DATA-2, P-DATA-4): events, targets and owners."""

    workspace = models.OneToOneField(
        "platform.Workspace", on_delete=models.CASCADE, related_name="aarrr_settings"
    )
    # {"acquisition": {"event": "...", "target": 0.5, "owner": "..."}, ...} — see logic/aarrr.py
    stages = models.JSONField(_("stages"), default=dict)
    invite_sent_event = models.CharField(_("invite sent event"), max_length=200, blank=True)
    invite_accepted_event = models.CharField(_("invite accepted event"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = WorkspaceManager["AarrrSettings"]()

    def __str__(self) -> str:
        return f"AARRR settings of workspace {self.workspace_id}"
