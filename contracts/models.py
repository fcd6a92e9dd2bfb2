from collections import Counter
from datetime import date

from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .nip import nip_display, validate_canonical_nip
from .notation import CONTRACT_NUMBER_RE, serial_display


class Company(models.Model):
    """A customer or reseller, identified by its canonical NIP (SPEC §2)."""

    nip = models.CharField(_("NIP"), max_length=10, unique=True, validators=[validate_canonical_nip])
    name = models.CharField(_("name"), max_length=255)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.nip_display})"

    @property
    def nip_display(self) -> str:
        return nip_display(self.nip)


class Priority(models.TextChoices):
    CRITICAL = "critical", _("critical")
    NON_CRITICAL = "non_critical", _("non-critical")
    QUESTION = "question", _("question")


class ServiceWindow(models.TextChoices):
    ALWAYS = "24x7", _("24x7 (all the time)")
    BUSINESS_HOURS = "8x5", _("8x5 (Mon–Fri 9:00–17:00, except public holidays)")


class ReplacementDelivery(models.TextChoices):
    NONE = "none", _("no replacement")
    NEXT_BUSINESS_DAY = "nbd", _("next business day")
    HOURS = "hours", _("hours in the service window")


class ServicePlan(models.Model):
    """A support plan sold with contracts (HEZO+, HEZO 360); its SLA targets are data (SPEC §5)."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    description = models.TextField(_("description"), blank=True)
    # Copied onto each replacement when it is approved (SPEC §6): the reminder tells the customer who pays.
    hezo_pays_return_shipping = models.BooleanField(
        _("HEZO pays the return shipping"),
        default=False,
        help_text=_("A faulty unit goes back on HEZO's prepaid waybill; otherwise the customer pays the shipping."),
    )

    class Meta:
        verbose_name = _("service plan")
        verbose_name_plural = _("service plans")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def targets_snapshot(self) -> dict:
        """The plan's targets per priority, as copied onto a ticket when it is opened (SPEC §5: a ticket
        keeps the targets of the day it was opened)."""
        return {
            target.priority: {
                "window": target.window,
                "first_response_minutes": target.first_response_minutes,
                "next_reply_minutes": target.next_reply_minutes,
                "replacement_delivery": target.replacement_delivery,
                "replacement_hours": target.replacement_hours,
            }
            for target in self.targets.all()
        }


class SlaTarget(models.Model):
    """The targets of one plan for one ticket priority: one row of the SPEC §5 table."""

    plan = models.ForeignKey(ServicePlan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="targets")
    priority = models.CharField(_("priority"), max_length=12, choices=Priority)
    window = models.CharField(_("service window"), max_length=4, choices=ServiceWindow)
    first_response_minutes = models.PositiveIntegerField(_("first response (minutes)"))
    next_reply_minutes = models.PositiveIntegerField(_("next reply (minutes)"))
    replacement_delivery = models.CharField(
        _("replacement delivery"), max_length=5, choices=ReplacementDelivery, default=ReplacementDelivery.NONE
    )
    replacement_hours = models.PositiveSmallIntegerField(
        _("replacement delivery (hours)"), null=True, blank=True, help_text=_("Only for delivery in hours.")
    )

    class Meta:
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")
        constraints = [
            models.UniqueConstraint(fields=["plan", "priority"], name="contracts_slatarget_plan_priority_unique"),
            models.CheckConstraint(
                condition=models.Q(replacement_delivery="hours", replacement_hours__gt=0)
                | (~models.Q(replacement_delivery="hours") & models.Q(replacement_hours__isnull=True)),
                name="contracts_slatarget_hours_only_for_hours",
                violation_error_message=_("Give the delivery hours only, and always, for delivery in hours."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan} · {self.get_priority_display()}"


class Contract(models.Model):
    """A support contract of one customer company, optionally sold by a reseller (SPEC §2)."""

    number = models.CharField(
        _("number"),
        max_length=7,
        unique=True,
        validators=[
            RegexValidator(
                f"^{CONTRACT_NUMBER_RE.pattern}$", _("One letter followed by six digits, for example A123456.")
            )
        ],
    )
    customer = models.ForeignKey(
        Company, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="contracts"
    )
    reseller = models.ForeignKey(
        Company,
        verbose_name=_("reseller"),
        on_delete=models.PROTECT,
        related_name="resold_contracts",
        null=True,
        blank=True,
    )
    plan = models.ForeignKey(ServicePlan, verbose_name=_("plan"), on_delete=models.PROTECT, related_name="contracts")
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["number"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="contracts_contract_term_order",
                violation_error_message=_("The contract cannot end before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def is_active(self, today: date | None = None) -> bool:
        """Active while today (Europe/Warsaw) is within the term, both ends included."""
        today = today or timezone.localdate()
        return self.starts_on <= today <= self.ends_on


class SerialRegistry(models.Model):
    """Every canonical serial seen, with the last service index given to one of its lines: indexes are
    never reused, even if a line is deleted."""

    serial = models.CharField(_("serial number"), max_length=100, unique=True)
    last_index = models.PositiveIntegerField(_("last service index"), default=0)

    class Meta:
        verbose_name = _("serial number")
        verbose_name_plural = _("serial numbers")

    def __str__(self) -> str:
        return self.serial


# --- the serial notation's line count: the one definition (SPEC §2) -------------------------------------------
# A line is `(H)-SERIAL` when its canonical serial has one line in the whole system and `(Hn)-SERIAL` when it has
# several (`notation.serial_display`). What counts is `lines_per_serial`; the three forms below only read it the
# way their callers need: a subquery per row, an annotation of lines, a mapping for a page of plain values.


def lines_per_serial() -> models.QuerySet:
    """(serial, n): how many contract lines each canonical serial has, on every contract. Narrow it by serial."""
    return ContractLine.objects.order_by().values("serial").annotate(n=models.Count("pk"))


def serial_line_count(serial: models.Expression) -> models.Subquery:
    """`lines_per_serial` of the serial `serial` refers to (an `OuterRef`), as a subquery: the notation of many
    lines (or of their tickets) without a query per line."""
    return models.Subquery(lines_per_serial().filter(serial=serial).values("n"))


class ContractLineQuerySet(models.QuerySet):
    def with_serial_line_count(self):
        """Annotate `serial_line_count` (`lines_per_serial` of each line's serial), which `notation` reads."""
        return self.annotate(serial_line_count=serial_line_count(models.OuterRef("serial")))

    def serial_line_counts(self, serials) -> Counter[str]:
        """`lines_per_serial` of these canonical serials in one query (0 for a serial with no line), counted in
        the whole system whatever this queryset is filtered by."""
        if not serials:
            return Counter()
        return Counter(dict(lines_per_serial().filter(serial__in=serials).values_list("serial", "n")))


class ContractLine(models.Model):
    """One service on one device or licence of a contract."""

    contract = models.ForeignKey(Contract, verbose_name=_("contract"), on_delete=models.PROTECT, related_name="lines")
    serial_raw = models.CharField(_("serial number as given"), max_length=100)
    serial = models.CharField(_("serial number"), max_length=100, db_index=True, editable=False)
    service_index = models.PositiveIntegerField(_("service index"), editable=False)
    model = models.CharField(_("model or description"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ContractLineQuerySet.as_manager()

    class Meta:
        verbose_name = _("contract line")
        verbose_name_plural = _("contract lines")
        ordering = ["contract", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["serial", "service_index"], name="contracts_line_serial_index_unique"),
        ]

    def __str__(self) -> str:
        return self.notation

    @property
    def notation(self) -> str:
        """`(H)-…` or `(Hn)-…`; needs `with_serial_line_count()` to avoid a query."""
        count = getattr(self, "serial_line_count", None)
        if count is None:
            count = ContractLine.objects.serial_line_counts([self.serial])[self.serial]
        return serial_display(self.serial, self.service_index, count)
