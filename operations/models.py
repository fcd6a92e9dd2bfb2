"""Service operations (SPEC §6): hardware replacements (RMA) and the HEZO 360 allowances per contract year."""

from datetime import datetime
from urllib.parse import quote

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contracts.models import Contract, ServicePlan
from core.deadlines import is_past, past


class ReplacementQuerySet(models.QuerySet):
    def return_overdue(self, now: datetime):
        """The replacements whose faulty unit is overdue at `now`: the database form of
        `Replacement.is_return_overdue`."""
        return self.filter(Replacement.return_overdue_condition(now))

    def return_not_overdue(self, now: datetime):
        return self.exclude(Replacement.return_overdue_condition(now))


# Public tracking pages of the carriers replacements go with (the first word of `carrier`, any case).
TRACKING_URLS = {
    "dhl": "https://www.dhl.com/pl-pl/home/tracking/tracking-express.html?tracking-id={}",
    "dpd": "https://tracktrace.dpd.com.pl/parcelDetails?p1={}",
    "inpost": "https://inpost.pl/sledzenie-przesylek?number={}",
    "ups": "https://www.ups.com/track?tracknum={}",
    "gls": "https://gls-group.com/PL/pl/sledzenie-paczek?match={}",
    "fedex": "https://www.fedex.com/fedextrack/?trknbr={}",
}


class Replacement(models.Model):
    """A replacement unit approved for a ticket's faulty device, and the faulty unit's way back."""

    ticket = models.ForeignKey(
        "tickets.Ticket", verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="replacements"
    )
    approved_at = models.DateTimeField(_("approved"))
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The delivery clock this approval started; its outcome is the SLA of this replacement.
    delivery_clock = models.OneToOneField(
        "sla.SlaClock",
        verbose_name=_("delivery clock"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replacement",
    )
    replacement_serial = models.CharField(_("serial number of the replacement"), max_length=100, blank=True)
    carrier = models.CharField(_("carrier"), max_length=100, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=100, blank=True)
    shipped_at = models.DateTimeField(_("shipped"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    return_due_at = models.DateTimeField(_("faulty unit due back"), null=True, blank=True)
    returned_at = models.DateTimeField(_("faulty unit returned"), null=True, blank=True)
    reminder_sent_at = models.DateTimeField(_("return reminder sent"), null=True, blank=True)
    overdue_flagged_at = models.DateTimeField(_("return overdue since"), null=True, blank=True)
    # Copied from the plan at approval: a later change of the plan does not change what was promised.
    hezo_pays_return_shipping = models.BooleanField(_("HEZO pays the return shipping"), default=False)

    objects = ReplacementQuerySet.as_manager()

    class Meta:
        verbose_name = _("replacement (RMA)")
        verbose_name_plural = _("replacements (RMA)")
        ordering = ["-approved_at", "-pk"]
        indexes = [
            # The hourly reminder job reads only replacements whose faulty unit has not come back yet.
            models.Index(
                fields=["return_due_at"],
                condition=models.Q(returned_at__isnull=True, return_due_at__isnull=False),
                name="operations_rma_return_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"RMA {self.pk} · {self.ticket.number}"

    # --- "return overdue": the one definition (SPEC §6), for pages, the admin and the hourly flag -----------
    # The faulty unit is overdue once its return deadline has passed (core.deadlines) and it has not come back:
    # due back at 10:00 is on time at 10:00:00 and overdue from the first instant after.

    def is_return_overdue(self, now: datetime) -> bool:
        return self.returned_at is None and is_past(self.return_due_at, now)

    @property
    def tracking_url(self) -> str:
        """The carrier's public tracking page for this shipment, for the carriers HEZO ships with; "" otherwise."""
        words = self.carrier.strip().lower().split()
        pattern = TRACKING_URLS.get(words[0]) if words else None
        if pattern is None or not self.tracking_number.strip():
            return ""
        return pattern.format(quote(self.tracking_number.strip(), safe=""))

    @staticmethod
    def return_overdue_condition(now: datetime) -> models.Q:
        return models.Q(returned_at__isnull=True) & past("return_due_at", now)


class AllowanceKind(models.TextChoices):
    CONFIG_CHANGE = "config_change", _("remote configuration change")
    CONFIG_REVIEW = "config_review", _("configuration and log review")
    FIRMWARE_UPGRADE = "firmware_upgrade", _("firmware upgrade")


class PlanAllowance(models.Model):
    """How many uses of one kind a plan includes per contract year (SPEC §6). Data, editable in admin."""

    plan = models.ForeignKey(ServicePlan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="allowances")
    kind = models.CharField(_("kind"), max_length=20, choices=AllowanceKind)
    per_year = models.PositiveSmallIntegerField(_("per contract year"))

    class Meta:
        verbose_name = _("plan allowance")
        verbose_name_plural = _("plan allowances")
        ordering = ["plan", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "kind"], name="operations_planallowance_plan_kind_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.plan} · {self.get_kind_display()} · {self.per_year}"


class AllowanceUse(models.Model):
    """One use of an allowance, recorded by an engineer against a ticket of the contract."""

    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.PROTECT, related_name="allowance_uses"
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="allowance_uses"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=AllowanceKind)
    used_at = models.DateTimeField(_("used"), default=timezone.now)
    engineer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("engineer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("allowance use")
        verbose_name_plural = _("allowance uses")
        ordering = ["-used_at", "-pk"]
        indexes = [
            models.Index(fields=["contract", "kind", "used_at"], name="operations_use_contract_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.contract} · {self.get_kind_display()} · {self.used_at:%Y-%m-%d}"


class ScheduledWorkKind(models.TextChoices):
    REMOTE_CHANGE = "remote_change", _("remote configuration change")
    ONSITE_INSTALL = "onsite_install", _("on-site installation")


class PlanScheduledWork(models.Model):
    """Within how many calendar days of the request a plan carries out one kind of scheduled work (SPEC §6:
    HEZO 360, a remote change within 7, an on-site installation within 14). Data, editable in admin."""

    plan = models.ForeignKey(
        ServicePlan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="scheduled_work_limits"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ScheduledWorkKind)
    days = models.PositiveSmallIntegerField(_("within calendar days of the request"))

    class Meta:
        verbose_name = _("plan scheduled work")
        verbose_name_plural = _("plan scheduled work")
        ordering = ["plan", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "kind"], name="operations_planscheduledwork_plan_kind_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.plan} · {self.get_kind_display()} · {self.days}"


class ScheduledWork(models.Model):
    """A remote configuration change or an on-site installation agreed on a ticket (SPEC §6), watched by its
    SLA clock of kind "scheduled": started at the request, due at the agreed date, stopped when it is done."""

    ticket = models.ForeignKey(
        "tickets.Ticket", verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="scheduled_works"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ScheduledWorkKind)
    requested_at = models.DateTimeField(_("requested"))
    agreed_for = models.DateTimeField(_("carried out by"))
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    engineer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("engineer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    clock = models.OneToOneField(
        "sla.SlaClock",
        verbose_name=_("SLA clock"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="scheduled_work",
    )
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        verbose_name = _("scheduled work")
        verbose_name_plural = _("scheduled work")
        ordering = ["requested_at", "pk"]

    def __str__(self) -> str:
        return f"{self.ticket.number} · {self.get_kind_display()}"
