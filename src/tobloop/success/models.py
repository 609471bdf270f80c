"""Health profiles (how an account's health is judged) and the daily verdicts they produce."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from tobloop.kernel.tenancy import WorkspaceManager


class ProfileKind(models.TextChoices):
    CODE = "code", _("Health code (yes/no flags)")
    SCORE = "score", _("Weighted score (measures and weights)")


class HealthColor(models.TextChoices):
    RED = "red", _("Red")
    YELLOW = "yellow", _("Yellow")
    GREEN = "green", _("Green")


class HealthProfile(models.Model):
    """A health model for the accounts of one segment and/or lifecycle stage (blank = any).

    For the "code" kind (P-REQ-4) ``rules`` is a list of yes/no flags, validated by
    ``logic.health_rules.HealthRuleIn``; any red flag gives red, else any yellow gives yellow.
    For the "score" kind ``measures`` holds the weighted measures (``logic.health_score``) and
    ``bands`` the score from which an account is green or yellow.
    """

    workspace = models.ForeignKey(
        "platform.Workspace", on_delete=models.CASCADE, related_name="health_profiles"
    )
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(
        _("kind"), max_length=12, choices=ProfileKind.choices, default=ProfileKind.CODE
    )
    segment = models.CharField(_("segment"), max_length=10, blank=True)
    lifecycle_stage = models.CharField(_("lifecycle stage"), max_length=12, blank=True)
    rules = models.JSONField(_("rules"), default=list, blank=True)
    measures = models.JSONField(_("measures"), default=list, blank=True)
    bands = models.JSONField(_("colour bands"), default=dict, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WorkspaceManager["HealthProfile"]()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="uniq_health_profile_name")
        ]

    def __str__(self) -> str:
        return self.name


class HealthVerdict(models.Model):
    """One account's health on one day; scoring again on the same day replaces it."""

    workspace = models.ForeignKey(
        "platform.Workspace", on_delete=models.CASCADE, related_name="health_verdicts"
    )
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="health_verdicts"
    )
    profile = models.ForeignKey(
        HealthProfile, null=True, on_delete=models.SET_NULL, related_name="verdicts"
    )
    profile_name = models.CharField(max_length=120)
    day = models.DateField()
    color = models.CharField(max_length=6, choices=HealthColor.choices)
    flags = models.JSONField(default=list, blank=True)
    computed_at = models.DateTimeField()
    # The colour (and weighted score) the profile computed; ``color``/``score`` are what
    # applies after a CSM override (equal to the computed ones when there is none).
    computed_color = models.CharField(max_length=6, choices=HealthColor.choices, blank=True)
    score = models.FloatField(null=True, blank=True)
    computed_score = models.FloatField(null=True, blank=True)
    measures = models.JSONField(default=list, blank=True)
    override = models.JSONField(null=True, blank=True)
    changes = models.JSONField(default=list, blank=True)
    reason = models.TextField(blank=True)
    # Contact facts as they were when scored (a replay of a past day reads these, not today's).
    facts = models.JSONField(default=dict, blank=True)

    objects = WorkspaceManager["HealthVerdict"]()

    class Meta:
        ordering = ["account_id", "-day"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "account", "day"], name="uniq_health_verdict_day"
            )
        ]
        indexes = [models.Index(fields=["workspace", "day", "color"])]

    def __str__(self) -> str:
        return f"{self.account_id} {self.day} {self.color}"


class HealthOverride(models.Model):
    """A CSM's manual verdict on an account, applied to its health until ``until`` (included)."""

    workspace = models.ForeignKey(
        "platform.Workspace", on_delete=models.CASCADE, related_name="health_overrides"
    )
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="health_overrides"
    )
    color = models.CharField(_("colour"), max_length=6, choices=HealthColor.choices)
    score = models.FloatField(_("score"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=500)
    until = models.DateField(_("applies until"))
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)
    cleared_at = models.DateTimeField(null=True, blank=True)
    cleared_by = models.CharField(max_length=150, blank=True)

    objects = WorkspaceManager["HealthOverride"]()

    class Meta:
        ordering = ["account_id", "-created_at", "-id"]
        indexes = [models.Index(fields=["workspace", "account", "until"])]

    def __str__(self) -> str:
        return f"{self.account_id} {self.color} until {self.until}"


class ChurnModelRun(models.Model):
    """One training of the workspace's churn risk model (P-DATA-6): its out-of-time figures,
    the features it used and the fitted, calibrated model (pickled by the server only)."""

    workspace = models.ForeignKey(
        "platform.Workspace", on_delete=models.CASCADE, related_name="churn_model_runs"
    )
    trained_at = models.DateTimeField()
    trained_by = models.CharField(max_length=150)
    status = models.CharField(max_length=12)  # "trained", "too_little" or "failed" (metrics null)
    reason = models.TextField(blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    features = models.JSONField(default=list, blank=True)
    model = models.BinaryField(null=True, blank=True)
    pooled = models.BooleanField(default=False)
    pooled_rows = models.PositiveIntegerField(default=0)
    pooled_workspaces = models.PositiveIntegerField(default=0)
    scored_on = models.DateField(null=True, blank=True)

    objects = WorkspaceManager["ChurnModelRun"]()

    class Meta:
        ordering = ["-trained_at", "-id"]
        indexes = [models.Index(fields=["workspace", "trained_at"])]

    def __str__(self) -> str:
        return f"{self.workspace_id} {self.trained_at:%Y-%m-%d %H:%M} {self.status}"


class ChurnRiskScore(models.Model):
    """An account's calibrated churn probability and top drivers under one model run."""

    workspace = models.ForeignKey(
        "platform.Workspace", on_delete=models.CASCADE, related_name="churn_risk_scores"
    )
    run = models.ForeignKey(ChurnModelRun, on_delete=models.CASCADE, related_name="scores")
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="churn_risk_scores"
    )
    probability = models.FloatField()
    drivers = models.JSONField(default=list, blank=True)

    objects = WorkspaceManager["ChurnRiskScore"]()

    class Meta:
        ordering = ["-probability", "account_id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "account"], name="uniq_churn_risk_score")
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.probability:.2f}"


class ChurnPooling(models.Model):
    """The workspace's opt-in to pooled churn training; every change is also audited."""

    workspace = models.OneToOneField(
        "platform.Workspace", on_delete=models.CASCADE, related_name="churn_pooling"
    )
    enabled = models.BooleanField(default=False)
    changed_by = models.CharField(max_length=150)
    changed_at = models.DateTimeField()

    objects = WorkspaceManager["ChurnPooling"]()

    def __str__(self) -> str:
        return f"{self.workspace_id} pooling {'on' if self.enabled else 'off'}"
