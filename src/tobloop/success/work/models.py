"""Customer-success work: playbooks by service tier, the tasks they open, notes, NPS/CSAT
answers, outgoing webhooks with their delivery log, and e-mail templates (P-CS-1 … P-CS-3)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tobloop.kernel.tenancy import WorkspaceManager


class Trigger(models.TextChoices):
    HEALTH_RED = "health_red", _("Health turned red")
    HEALTH_DROP = "health_drop", _("Health dropped")
    USAGE_DROP = "usage_drop", _("Usage dropped against baseline")
    RENEWAL_DUE = "renewal_due", _("Renewal coming up")
    ONBOARDING = "onboarding", _("New account onboarding")
    LOW_SEAT_UTILIZATION = "low_seat_utilization", _("Seat utilization low")
    DECISION_MAKER_LEFT = "decision_maker_left", _("Decision maker left")


class TaskKind(models.TextChoices):
    RISK = "risk", _("Risk")
    OPPORTUNITY = "opportunity", _("Opportunity")
    ONBOARDING = "onboarding", _("Onboarding")
    RENEWAL = "renewal", _("Renewal")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class Outcome(models.TextChoices):
    RESOLVED = "resolved", _("Resolved")
    SAVED = "saved", _("Saved (risk averted)")
    EXPANDED = "expanded", _("Expanded")
    RENEWED = "renewed", _("Renewed")
    NO_ACTION = "no_action", _("No action needed")
    CHURNED = "churned", _("Churned")
    AUTOMATED = "automated", _("Handled automatically")


class Playbook(models.Model):
    """A trigger with its parameters and what each service tier gets when it fires.

    ``actions`` maps a service tier (``online_partner``, ``regional_csm``, ``dedicated_team``,
    ``unassigned``) to its action settings; see ``logic.playbooks.DEFAULT_ACTIONS``.
    """

    workspace = models.ForeignKey(
        "platform.Workspace", on_delete=models.CASCADE, related_name="success_playbooks"
    )
    key = models.SlugField(_("key"), max_length=60)
    name = models.CharField(_("name"), max_length=160)
    trigger = models.CharField(_("trigger"), max_length=24, choices=Trigger.choices)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    task_kind = models.CharField(_("task kind"), max_length=12, choices=TaskKind.choices)
    actions = models.JSONField(_("actions by tier"), default=dict, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WorkspaceManager["Playbook"]()

    class Meta:
        ordering = ["key"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "key"], name="uniq_success_playbook_key")
        ]

    def __str__(self) -> str:
        return self.name


class Task(models.Model):
    """A task or call to action (CTA) on one account, opened by a playbook or by hand.

    At most one *open* task per (account, trigger): a partial unique index enforces it, so two
    concurrent runs cannot both open one. ``occurrence`` names the instance of the trigger (the
    day health turned red, the renewal date, …) so that a closed task is not reopened for the
    same occurrence.
    """

    workspace = models.ForeignKey(
        "platform.Workspace", on_delete=models.CASCADE, related_name="success_tasks"
    )
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="success_tasks"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=TaskKind.choices)
    title = models.CharField(_("title"), max_length=200)
    reason = models.TextField(_("why"), blank=True)
    trigger = models.CharField(_("trigger key"), max_length=80, blank=True)
    occurrence = models.CharField(_("occurrence"), max_length=40, blank=True)
    playbook = models.ForeignKey(
        Playbook, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    service_tier = models.CharField(_("service tier"), max_length=20, blank=True)
    owner = models.CharField(_("owner"), max_length=150, blank=True)
    team = models.CharField(_("team"), max_length=160, blank=True)
    due = models.DateField(_("due date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True)
    outcome_note = models.TextField(_("outcome note"), blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    escalation_path = models.JSONField(_("escalation path"), default=list, blank=True)
    actions = models.JSONField(_("actions taken"), default=list, blank=True)
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = WorkspaceManager["Task"]()

    class Meta:
        ordering = ["due", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "account", "trigger"],
                condition=Q(status="open") & ~Q(trigger=""),
                name="uniq_open_task_per_trigger",
            )
        ]
        indexes = [
            models.Index(fields=["workspace", "status", "due"]),
            models.Index(fields=["workspace", "account", "trigger", "occurrence"]),
        ]

    def __str__(self) -> str:
        return self.title


class Sentiment(models.TextChoices):
    POSITIVE = "positive", _("Positive")
    NEUTRAL = "neutral", _("Neutral")
    NEGATIVE = "negative", _("Negative")


class Note(models.Model):
    """A note on an account; the CSM may tag how the relationship feels (CSM sentiment)."""

    workspace = models.ForeignKey(
        "platform.Workspace", on_delete=models.CASCADE, related_name="success_notes"
    )
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="success_notes"
    )
    author = models.CharField(_("author"), max_length=150)
    body = models.TextField(_("note"))
    sentiment = models.CharField(
        _("CSM sentiment"), max_length=8, choices=Sentiment.choices, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = WorkspaceManager["Note"]()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.body[:60]


class SurveyKind(models.TextChoices):
    NPS = "nps", _("NPS (0–10)")
    CSAT = "csat", _("CSAT (1–5)")


class NpsResponse(models.Model):
    """One survey answer: NPS (0–10, "how likely to recommend") or CSAT (1–5)."""

    workspace = models.ForeignKey(
        "platform.Workspace", on_delete=models.CASCADE, related_name="nps_responses"
    )
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="nps_responses"
    )
    external_id = models.CharField(_("external id"), max_length=120, blank=True)
    kind = models.CharField(_("kind"), max_length=4, choices=SurveyKind.choices)
    score = models.PositiveSmallIntegerField(_("score"))
    email = models.CharField(_("e-mail"), max_length=254, blank=True)
    contact_name = models.CharField(_("contact"), max_length=200, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    answered_at = models.DateTimeField(_("answered at"))
    source = models.CharField(max_length=10, default="api")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = WorkspaceManager["NpsResponse"]()

    class Meta:
        ordering = ["-answered_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "external_id"],
                condition=~Q(external_id=""),
                name="uniq_nps_external_id",
            )
        ]
        indexes = [models.Index(fields=["workspace", "account", "answered_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.score}"


class PlaybookFiring(models.Model):
    """One playbook fired for one account and occurrence: what was done and why (the log)."""

    workspace = models.ForeignKey(
        "platform.Workspace", on_delete=models.CASCADE, related_name="playbook_firings"
    )
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="playbook_firings"
    )
    playbook_key = models.CharField(max_length=60)
    occurrence = models.CharField(max_length=40)
    service_tier = models.CharField(max_length=20, blank=True)
    reason = models.TextField()
    actions = models.JSONField(default=list, blank=True)
    task = models.ForeignKey(Task, null=True, blank=True, on_delete=models.SET_NULL)
    fired_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = WorkspaceManager["PlaybookFiring"]()

    class Meta:
        ordering = ["-fired_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "account", "playbook_key", "occurrence"],
                name="uniq_playbook_firing",
            )
        ]

    def __str__(self) -> str:
        return f"{self.playbook_key} {self.occurrence}"


class KnownDecisionMaker(models.Model):
    """Decision makers seen at the last playbook run, to notice one that left."""

    workspace = models.ForeignKey(
        "platform.Workspace", on_delete=models.CASCADE, related_name="known_decision_makers"
    )
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    contact_id = models.BigIntegerField()
    name = models.CharField(max_length=200, blank=True)

    objects = WorkspaceManager["KnownDecisionMaker"]()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "account", "contact_id"], name="uniq_known_decision_maker"
            )
        ]

    def __str__(self) -> str:
        return self.name


class EmailTemplate(models.Model):
    """Subject and body with ``{account}``, ``{contact}``, ``{reason}`` and ``{workspace}``."""

    workspace = models.ForeignKey(
        "platform.Workspace", on_delete=models.CASCADE, related_name="email_templates"
    )
    key = models.SlugField(_("key"), max_length=60)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"))
    updated_at = models.DateTimeField(auto_now=True)

    objects = WorkspaceManager["EmailTemplate"]()

    class Meta:
        ordering = ["key"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "key"], name="uniq_email_template_key")
        ]

    def __str__(self) -> str:
        return self.key


class WebhookEndpoint(models.Model):
    workspace = models.ForeignKey(
        "platform.Workspace", on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(_("signing secret"), max_length=120)
    events = models.JSONField(_("event types"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = WorkspaceManager["WebhookEndpoint"]()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class WebhookDelivery(models.Model):
    """One event for one endpoint: the exact body signed, attempts and the last error."""

    workspace = models.ForeignKey(
        "platform.Workspace", on_delete=models.CASCADE, related_name="webhook_deliveries"
    )
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=60)
    body = models.TextField()
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = WorkspaceManager["WebhookDelivery"]()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id}"
