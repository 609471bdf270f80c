"""Customer companies (accounts) and their contacts with decision-chain roles."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tobloop.kernel.tenancy import WorkspaceManager


class Segment(models.TextChoices):
    """P-PROFILE-3 size segments."""

    SMALL = "small", _("Micro / small")
    MID = "mid", _("Mid-size")
    LARGE = "large", _("Large")
    UNKNOWN = "unknown", _("Unknown size")


class ServiceTier(models.TextChoices):
    """P-PROFILE-3 / P-CS-3 service model per segment."""

    ONLINE_PARTNER = "online_partner", _("Partners + online service")
    REGIONAL_CSM = "regional_csm", _("Regional dedicated CSM")
    DEDICATED_TEAM = "dedicated_team", _("Dedicated team")
    UNASSIGNED = "unassigned", _("Unassigned")


class LifecycleStage(models.TextChoices):
    PROSPECT = "prospect", _("Prospect")
    TRIAL = "trial", _("Trial")
    ONBOARDING = "onboarding", _("Onboarding")
    ACTIVE = "active", _("Active")
    AT_RISK = "at_risk", _("At risk")
    CHURNED = "churned", _("Churned")


class RevenueBand(models.TextChoices):
    UNDER_10M = "lt_10m", _("Under 10M")
    FROM_10M = "10m_100m", _("10M–100M")
    FROM_100M = "100m_1b", _("100M–1B")
    OVER_1B = "gt_1b", _("Over 1B")


class DecisionRole(models.TextChoices):
    """P-PROFILE-2 roles in the decision chain."""

    DECISION_MAKER = "decision_maker", _("Decision maker")
    BUYER = "buyer", _("Buyer / procurement")
    IT_GATE = "it_gate", _("IT / technical gate")
    CHAMPION = "champion", _("Champion")
    INFLUENCER = "influencer", _("Key influencer")
    END_USER = "end_user", _("End user")


class Account(models.Model):
    workspace = models.ForeignKey(
        "platform.Workspace", on_delete=models.CASCADE, related_name="accounts"
    )
    external_id = models.CharField(_("external id"), max_length=120, null=True, blank=True)
    name = models.CharField(_("name"), max_length=200)
    domain = models.CharField(_("domain"), max_length=200, blank=True)
    industry = models.CharField(_("industry"), max_length=80, blank=True)
    headcount = models.PositiveIntegerField(_("headcount"), null=True, blank=True)
    salary_level = models.DecimalField(
        _("salary level"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Typical annual salary of the account's staff, in the workspace currency"),
    )
    region = models.CharField(_("region"), max_length=80, blank=True)
    revenue_band = models.CharField(
        _("annual revenue band"), max_length=10, choices=RevenueBand.choices, blank=True
    )
    has_it_department = models.BooleanField(_("has own IT department"), null=True, blank=True)
    lifecycle_stage = models.CharField(
        _("lifecycle stage"),
        max_length=12,
        choices=LifecycleStage.choices,
        default=LifecycleStage.ACTIVE,
    )
    csm_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_accounts",
        verbose_name=_("CSM owner"),
    )
    acquisition_channel = models.CharField(_("acquisition channel"), max_length=80, blank=True)
    is_reference = models.BooleanField(_("reference customer"), default=False)
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    # Derived (P-PROFILE-3, P-PROFILE-2): never typed in, recomputed by logic.derivation.
    segment = models.CharField(max_length=10, choices=Segment.choices, default=Segment.UNKNOWN)
    service_tier = models.CharField(
        max_length=20, choices=ServiceTier.choices, default=ServiceTier.UNASSIGNED
    )
    risk_flags = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WorkspaceManager["Account"]()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "external_id"], name="uniq_account_external_id"
            )
        ]
        indexes = [
            models.Index(fields=["workspace", "name"]),
            models.Index(fields=["workspace", "segment"]),
            models.Index(fields=["workspace", "industry"]),
            models.Index(fields=["workspace", "region"]),
        ]

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    workspace = models.ForeignKey(
        "platform.Workspace", on_delete=models.CASCADE, related_name="contacts"
    )
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="contacts")
    external_id = models.CharField(_("external id"), max_length=120, null=True, blank=True)
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    title = models.CharField(_("title"), max_length=120, blank=True)
    role = models.CharField(
        _("decision-chain role"),
        max_length=20,
        choices=DecisionRole.choices,
        default=DecisionRole.END_USER,
    )
    is_primary = models.BooleanField(_("primary contact"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WorkspaceManager["Contact"]()

    class Meta:
        ordering = ["account_id", "-is_primary", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "external_id"], name="uniq_contact_external_id"
            )
        ]
        indexes = [models.Index(fields=["workspace", "email"])]

    def __str__(self) -> str:
        return self.name
