import re
import uuid
from datetime import datetime
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Concat, Upper
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from contracts.models import Company, Contract, ContractLine, Priority
from contracts.notation import serial_display
from core.deadlines import is_past, past

from .links import ticket_desk_url, ticket_url


def choice_label(choices: type[models.TextChoices], value: str) -> str:
    """The label of a stored code in the active language, or the code itself if it is unknown."""
    return str(choices(value).label) if value in choices.values else value


class Status(models.TextChoices):
    NEW = "new", _("new")
    IN_PROGRESS = "in_progress", _("in progress")
    WAITING = "waiting", _("waiting for customer")
    CLOSED = "closed", _("closed")


class Source(models.TextChoices):
    PORTAL = "portal", _("portal")
    PHONE = "phone", _("phone")
    LEGACY = "legacy", _("previous portal")


class TicketNumberCounter(models.Model):
    """The last ticket number given in a year. Incremented by one atomic upsert, so concurrent openings
    never share a number; a rolled-back opening leaves a gap, which is allowed."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("ticket number counter")
        verbose_name_plural = _("ticket number counters")

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class TicketQuerySet(models.QuerySet):
    def shared_with(self, company_id: int | None):
        """The tickets a partner of `company_id` may read (SPEC §4), the one partner rule: the customer granted
        access to that company, and it is still the contract's reseller."""
        if company_id is None:
            return self.none()
        return self.filter(partner_access=True, partner_company_id=company_id, contract__reseller_id=company_id)

    def sla_breached(self, now: datetime):
        """The tickets whose SLA is breached at `now`: the database form of `Ticket.is_sla_breached`."""
        return self.filter(models.Q(sla_breached=True) | past("sla_next_due_at", now))


class Ticket(models.Model):
    """A support request about one device line of a contract (SPEC §4)."""

    number = models.CharField(_("number"), max_length=20, unique=True, editable=False)
    # The customer company that owns the ticket; copied from the contract so access checks need no join.
    company = models.ForeignKey(Company, verbose_name=_("company"), on_delete=models.PROTECT, related_name="tickets")
    contract = models.ForeignKey(Contract, verbose_name=_("contract"), on_delete=models.PROTECT, related_name="tickets")
    line = models.ForeignKey(ContractLine, verbose_name=_("device"), on_delete=models.PROTECT, related_name="tickets")
    # Longer than the form allows: subjects carried over from the previous portal are kept whole.
    title = models.CharField(_("title"), max_length=500)
    priority = models.CharField(_("priority"), max_length=12, choices=Priority)
    status = models.CharField(_("status"), max_length=12, choices=Status, default=Status.NEW)
    source = models.CharField(_("source"), max_length=10, choices=Source, default=Source.PORTAL)
    # The previous portal's id of a carried-over ticket: the legacy import is idempotent on it.
    legacy_id = models.CharField(_("previous portal's id"), max_length=100, null=True, blank=True, unique=True)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reporter"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reported_tickets",
    )
    # Kept as given, so the ticket still says who reported it if the account goes away.
    reporter_name = models.CharField(_("reporter's name"), max_length=300)
    reporter_email = models.EmailField(_("reporter's e-mail address"))
    language = models.CharField(_("language of e-mails"), max_length=2, default="pl")
    partner_access = models.BooleanField(_("reseller may see the ticket"), default=False)
    # The reseller company the customer granted that access to (SPEC §4): set with `partner_access`, cleared with
    # it. A partner reads the ticket only while it is also the contract's current reseller
    # (`TicketQuerySet.shared_with`), and a change of the contract's reseller withdraws the access
    # (tickets/receivers.py).
    partner_company = models.ForeignKey(
        Company,
        verbose_name=_("access granted to"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="shared_tickets",
        editable=False,
    )
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    escalation_reason = models.TextField(_("reason for escalation"), blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tickets",
        limit_choices_to={"is_staff": True},
    )
    # The plan's SLA targets for every priority, copied when the ticket is opened: editing the plan later
    # does not move this ticket's clocks, and a priority change finds its new targets here.
    sla_targets = models.JSONField(_("SLA targets"), default=dict, blank=True, editable=False)
    sla_next_due_at = models.DateTimeField(_("next SLA due"), null=True, blank=True, editable=False)
    sla_breached = models.BooleanField(_("SLA breached"), default=False, editable=False)
    created_at = models.DateTimeField(_("opened"), default=timezone.now)
    last_activity_at = models.DateTimeField(_("last activity"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # What the list's search looks in (number and title, upper case), kept by the database: a search then
    # compares stored text instead of upper-casing every title it reads, and the indexes below carry it.
    search_key = models.GeneratedField(
        expression=Upper(Concat("number", models.Value(" "), "title")),
        output_field=models.CharField(max_length=521),
        db_persist=True,
        verbose_name=_("search key"),
    )

    objects = TicketQuerySet.as_manager()

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-last_activity_at"]
        indexes = [
            # A company's tickets by activity; with what the search reads, so a search of a large company
            # reads only the index (PostgreSQL; other databases ignore `include`).
            models.Index(
                fields=["company", "-last_activity_at"],
                include=["search_key", "line"],
                name="tickets_company_activity_idx",
            ),
            models.Index(fields=["contract", "partner_access"], name="tickets_contract_partner_idx"),
            models.Index(fields=["status", "-last_activity_at"], name="tickets_status_activity_idx"),
            # The engineers' default view: open tickets, newest activity first.
            models.Index(
                fields=["-last_activity_at"], condition=~models.Q(status="closed"), name="tickets_open_activity_idx"
            ),
            # A customer's open tickets (the list's "open" filter): without it PostgreSQL intersects the
            # company's tickets with every open ticket of every company.
            models.Index(
                fields=["company", "-last_activity_at"],
                include=["search_key", "line"],
                condition=~models.Q(status="closed"),
                name="tickets_company_open_idx",
            ),
            models.Index(
                fields=["sla_next_due_at"],
                condition=models.Q(sla_next_due_at__isnull=False),
                name="tickets_sla_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    # Not `get_absolute_url`: that would open the admin's "view on site" redirect (/admin/r/…) from the desk to
    # a portal page engineers cannot read; the access matrix expects a 404 there.
    def get_portal_url(self) -> str:
        return ticket_url(self.number)

    def get_desk_url(self) -> str:
        return ticket_desk_url(self.pk)

    @property
    def shared_with_company(self) -> Company | None:
        """The reseller company that may read the ticket now (the model form of `TicketQuerySet.shared_with`),
        else None. Load it with `contract` and `partner_company` (as `ticket_for_user` does)."""
        if self.partner_access and self.partner_company_id and self.partner_company_id == self.contract.reseller_id:
            return self.partner_company
        return None

    @property
    def is_open(self) -> bool:
        return self.status != Status.CLOSED

    def is_sla_breached(self, now: datetime) -> bool:
        """A clock of the ticket was missed (the flag the SLA services and the breach scan keep), or the earliest
        running clock is overdue at `now` (`sla_next_due_at`, the same rule as `SlaClock.is_overdue`) though the
        scan has not flagged it yet."""
        return self.sla_breached or is_past(self.sla_next_due_at, now)

    # Django's generated get_FOO_display rebuilds a dict of the choices on every call; pages and e-mails call
    # these a lot. Same result: the label in the active language, or the stored code if it is unknown.
    def get_status_display(self) -> str:
        return choice_label(Status, self.status)

    def get_priority_display(self) -> str:
        return choice_label(Priority, self.priority)

    @property
    def device(self) -> str:
        """The device line in the new notation; `ticket_for_user` annotates the count it needs."""
        count = getattr(self, "line_serial_count", None)
        if count is None:
            return self.line.notation
        return serial_display(self.line.serial, self.line.service_index, count)


class TicketCc(models.Model):
    """An extra address that gets every public message of the ticket."""

    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="ccs")
    email = models.EmailField(_("e-mail address"))
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        verbose_name = _("CC address")
        verbose_name_plural = _("CC addresses")
        ordering = ["email"]
        constraints = [models.UniqueConstraint(fields=["ticket", "email"], name="tickets_cc_unique")]

    def __str__(self) -> str:
        return self.email


class MessageKind(models.TextChoices):
    REPLY = "reply", _("message")
    NOTE = "note", _("internal note")
    PHONE = "phone", _("phone contact")


# Only these reach customers, partners and CC addresses, on a page or by e-mail.
PUBLIC_KINDS = (MessageKind.REPLY,)


class Message(models.Model):
    """One entry of a ticket's dialog. Internal notes and phone-contact logs are for engineers only."""

    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(_("kind"), max_length=10, choices=MessageKind, default=MessageKind.REPLY)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.SET_NULL, null=True, blank=True
    )
    author_name = models.CharField(_("author's name"), max_length=300)
    by_engineer = models.BooleanField(_("written by HEZO"), default=False)
    body = models.TextField(_("text"), max_length=20000)
    created_at = models.DateTimeField(_("written"), default=timezone.now)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["ticket", "-created_at"], name="tickets_message_ticket_idx")]

    def __str__(self) -> str:
        return f"{self.ticket.number} · {self.get_kind_display()} · {self.author_name}"


def attachment_upload_to(instance: "Attachment", filename: str) -> str:
    # The stored name is random: nothing the uploader typed reaches the file system.
    suffix = PurePath(instance.name).suffix.lower()[:10]
    return f"tickets/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class Attachment(models.Model):
    message = models.ForeignKey(
        Message, verbose_name=_("message"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=attachment_upload_to, max_length=200)
    name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    content_type = models.CharField(_("content type"), max_length=100)
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


class EventAction(models.TextChoices):
    CREATED = "created", _("opened")
    STATUS = "status", _("status")
    PRIORITY = "priority", _("priority")
    ASSIGNEE = "assignee", _("assignee")
    CC_ADDED = "cc_added", _("CC address added")
    CC_REMOVED = "cc_removed", _("CC address removed")
    PARTNER_ACCESS = "partner_access", _("reseller access")
    # The contract's reseller changed: the access granted to the former one ended (old: its name, new: the new
    # reseller's name or nothing).
    RESELLER_CHANGED = "reseller_changed", _("reseller changed: access withdrawn")
    ESCALATED = "escalated", _("escalated")
    PHONE_CONTACT = "phone_contact", _("phone contact")
    REPLACEMENT = "replacement", _("replacement (RMA)")
    ALLOWANCE = "allowance", _("allowance use")
    # HEZO 360 scheduled work (operations): old/new are "<kind> <agreed ISO>", "done <ISO>" (codes, not words).
    SCHEDULED = "scheduled", _("scheduled work")


class TicketEvent(models.Model):
    """The history of a ticket: who changed what, from what to what, as codes and values (never sentences):
    `tickets.history` draws it in the reader's language, on the desk and on the customer's timeline."""

    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("who"), on_delete=models.SET_NULL, null=True, blank=True
    )
    actor_name = models.CharField(_("who"), max_length=300)
    action = models.CharField(_("what"), max_length=20, choices=EventAction)
    old_value = models.CharField(_("before"), max_length=300, blank=True)
    new_value = models.CharField(_("after"), max_length=300, blank=True)
    # What a before/after pair cannot hold: ids, ISO 8601 instants, codes (e.g. a replacement's shipment).
    data = models.JSONField(_("values"), default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("history entry")
        verbose_name_plural = _("history")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.old_value} → {self.new_value}"


class PartnerReadLog(models.Model):
    """Which partner user read which consented ticket, shown to the customer on that ticket (GDPR: the
    customer sees who at the reseller looked at their data). One row per ticket and reader, updated by one
    upsert per page view or download (`tickets.services.partner_read_record`): it does not grow with reads."""

    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="partner_reads")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("partner user"), on_delete=models.CASCADE, related_name="+"
    )
    first_read_at = models.DateTimeField(_("first read"))
    last_read_at = models.DateTimeField(_("last read"))
    read_count = models.PositiveIntegerField(_("times read"), default=1)

    class Meta:
        verbose_name = _("partner's read")
        verbose_name_plural = _("partners' reads")
        ordering = ["-last_read_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["ticket", "user"], name="tickets_partner_read_unique")]

    def __str__(self) -> str:
        return f"{self.ticket_id} · {self.user_id} · {self.read_count}"

    @property
    def reader_name(self) -> str:
        """The reader's name as the customer sees it: the person's name, else their address."""
        return self.user.get_full_name()


# The placeholders a canned reply may use, each with what it is replaced by (`tickets.selectors.canned_reply_text`).
CANNED_PLACEHOLDERS = {
    "ticket": _("the ticket's number"),
    "customer": _("the reporter's name"),
    "contract": _("the contract's number"),
    "device": _("the device's serial number in the (H)/(Hn) notation"),
}
CANNED_PLACEHOLDER_RE = re.compile(r"\{([^{}\s]*)\}")


def canned_placeholders_help() -> str:
    return _("Placeholders: %(list)s. Anything else in braces is refused.") % {
        "list": ", ".join(f"{{{name}}} – {label}" for name, label in CANNED_PLACEHOLDERS.items())
    }


class CannedReply(models.Model):
    """A ready answer kept as a Polish and English pair (SPEC §7): an engineer inserts it into the reply to the
    customer in the customer's language, placeholders filled, and edits it before sending."""

    title = models.CharField(_("title"), max_length=200)
    text_pl = models.TextField(_("text in Polish"), help_text=lazy(canned_placeholders_help, str)())
    text_en = models.TextField(_("text in English"), help_text=lazy(canned_placeholders_help, str)())
    active = models.BooleanField(_("active"), default=True, help_text=_("Only active replies are offered on tickets."))
    ordering = models.PositiveIntegerField(_("order"), default=0, help_text=_("Lower numbers come first."))

    class Meta:
        ordering = ["ordering", "title", "pk"]
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        errors = {}
        for field in ("text_pl", "text_en"):
            used = set(CANNED_PLACEHOLDER_RE.findall(getattr(self, field)))
            unknown = sorted(used - CANNED_PLACEHOLDERS.keys())
            if unknown:
                errors[field] = ValidationError(
                    _("Unknown placeholder %(unknown)s: use only %(known)s."),
                    code="canned_placeholder",
                    params={
                        "unknown": ", ".join(f"{{{name}}}" for name in unknown),
                        "known": ", ".join(f"{{{name}}}" for name in CANNED_PLACEHOLDERS),
                    },
                )
        if errors:
            raise ValidationError(errors)

    def text(self, language: str) -> str:
        """The text in `language` ("pl" or "en"); Polish for anything else."""
        return self.text_en if language == "en" else self.text_pl
