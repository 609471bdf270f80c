"""Plans, subscriptions with their dated history, the MRR ledger and acquisition spend.

A subscription's history is a list of dated change records (start, change, cancel,
reactivate). The MRR ledger (``RevenueSegment``) is derived from that history by
``logic.terms.fold_history`` whenever the history changes, so that metrics read flat,
integer-valued segments instead of replaying histories.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from tobloop.kernel.tenancy import WorkspaceManager


class ChangeEvent(models.TextChoices):
    START = "start", _("Start")
    CHANGE = "change", _("Change")
    CANCEL = "cancel", _("Cancel")
    REACTIVATE = "reactivate", _("Reactivate")


class Source(models.TextChoices):
    CSV = "csv", _("CSV import")
    STRIPE = "stripe", _("Stripe export")
    API = "api", _("API")


class Plan(models.Model):
    """A price-list entry; subscriptions may name one and inherit its price and interval."""

    workspace = models.ForeignKey(
        "platform.Workspace", on_delete=models.CASCADE, related_name="revenue_plans"
    )
    external_id = models.CharField(_("external id"), max_length=120)
    name = models.CharField(_("name"), max_length=200)
    interval_months = models.PositiveSmallIntegerField(_("billing interval (months)"), default=1)
    unit_price = models.DecimalField(
        _("unit price per interval"), max_digits=16, decimal_places=4, null=True, blank=True
    )
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WorkspaceManager["Plan"]()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "external_id"], name="uniq_plan_external_id"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Subscription(models.Model):
    """One contract of one account; its terms over time live in ``changes``."""

    workspace = models.ForeignKey(
        "platform.Workspace", on_delete=models.CASCADE, related_name="subscriptions"
    )
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="subscriptions"
    )
    external_id = models.CharField(_("external id"), max_length=120)
    currency = models.CharField(_("currency"), max_length=3)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.CSV)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WorkspaceManager["Subscription"]()

    class Meta:
        ordering = ["external_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "external_id"], name="uniq_subscription_external_id"
            )
        ]
        indexes = [models.Index(fields=["workspace", "account"])]

    def __str__(self) -> str:
        return self.external_id


class SubscriptionChange(models.Model):
    """A dated record of a subscription's history; empty fields keep their earlier value.

    ``fx_rate`` converts the subscription currency into the workspace currency (workspace
    units per subscription unit). ``discount`` is a share (0.2 = 20 % off); when a record sets
    it, ``discount_end`` (exclusive, optional) sets when it stops.
    """

    workspace = models.ForeignKey(
        "platform.Workspace", on_delete=models.CASCADE, related_name="subscription_changes"
    )
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="changes")
    effective = models.DateField(_("effective date"))
    event = models.CharField(_("event"), max_length=10, choices=ChangeEvent.choices)
    plan = models.ForeignKey(Plan, null=True, blank=True, on_delete=models.SET_NULL)
    quantity = models.PositiveIntegerField(_("quantity"), null=True, blank=True)
    unit_price = models.DecimalField(
        _("unit price per interval"), max_digits=16, decimal_places=4, null=True, blank=True
    )
    fx_rate = models.DecimalField(
        _("exchange rate to the workspace currency"),
        max_digits=18,
        decimal_places=8,
        null=True,
        blank=True,
    )
    interval_months = models.PositiveSmallIntegerField(
        _("billing interval (months)"), null=True, blank=True
    )
    discount = models.DecimalField(
        _("recurring discount"), max_digits=7, decimal_places=6, null=True, blank=True
    )
    discount_end = models.DateField(_("discount ends"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WorkspaceManager["SubscriptionChange"]()

    class Meta:
        ordering = ["subscription_id", "effective", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "effective", "event"], name="uniq_change_per_day_event"
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.effective}"


class RevenueSegment(models.Model):
    """The MRR ledger: a subscription earns ``mrr_cents`` every day in [start, end).

    Derived from the subscription's history, never written by hand. MRR is kept in integer
    minor units (cents) of the workspace currency so that sums and differences are exact;
    ``end`` is null while the segment is open.
    """

    workspace = models.ForeignKey(
        "platform.Workspace", on_delete=models.CASCADE, related_name="revenue_segments"
    )
    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="segments"
    )
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="revenue_segments"
    )
    plan = models.ForeignKey(Plan, null=True, blank=True, on_delete=models.SET_NULL)
    start = models.DateField()
    end = models.DateField(null=True, blank=True)
    mrr_cents = models.BigIntegerField()

    objects = WorkspaceManager["RevenueSegment"]()

    class Meta:
        ordering = ["subscription_id", "start"]
        indexes = [models.Index(fields=["workspace", "account"])]

    def __str__(self) -> str:
        return f"{self.subscription_id} {self.start}–{self.end or ''}: {self.mrr_cents}"


class AcquisitionSpend(models.Model):
    """What one acquisition channel cost in one calendar month (P-ECON-8)."""

    workspace = models.ForeignKey(
        "platform.Workspace", on_delete=models.CASCADE, related_name="acquisition_spend"
    )
    channel = models.CharField(_("acquisition channel"), max_length=80)
    month = models.DateField(_("month"), help_text=_("First day of the month"))
    amount = models.DecimalField(
        _("amount in the workspace currency"), max_digits=16, decimal_places=2
    )
    source_currency = models.CharField(_("currency of the source"), max_length=3, blank=True)
    source_amount = models.DecimalField(
        _("amount in the source currency"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WorkspaceManager["AcquisitionSpend"]()

    class Meta:
        ordering = ["month", "channel"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "channel", "month"], name="uniq_spend_channel_month"
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.month:%Y-%m}: {self.amount}"
