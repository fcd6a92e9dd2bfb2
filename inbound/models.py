from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Outcome(models.TextChoices):
    """What the receiver did with an inbound e-mail."""

    REPLY = "reply", _("added as the sender's message")
    NOTE = "note", _("added as an engineer's internal note")
    AUTOMATIC = "automatic", _("ignored: automatic mail, bounce or list")
    OWN = "own", _("ignored: our own e-mail")
    UNMATCHED = "unmatched", _("refused: no ticket found")
    UNAUTHORISED = "unauthorised", _("refused: sender not allowed on the ticket")
    INVALID = "invalid", _("refused: the message cannot be added")
    TOO_LARGE = "too_large", _("refused: too large")


class InboundMessage(models.Model):
    """One inbound e-mail, recorded in the same transaction as its effects: its key (the Message-ID, or a hash
    of the bytes when it has none) is unique, so a message read twice (a receiver killed half-way, two
    receivers at once) has its effects once."""

    key = models.CharField(_("Message-ID or hash"), max_length=300, unique=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    sender = models.CharField(_("sender"), max_length=254, blank=True)
    sender_canonical = models.CharField(_("sender (canonical)"), max_length=254, blank=True, db_index=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    ticket = models.ForeignKey(
        "tickets.Ticket", verbose_name=_("ticket"), on_delete=models.SET_NULL, null=True, blank=True
    )
    message = models.ForeignKey(
        "tickets.Message", verbose_name=_("message"), on_delete=models.SET_NULL, null=True, blank=True
    )
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome)
    detail = models.CharField(_("detail"), max_length=500, blank=True)
    answered = models.BooleanField(_("answered"), default=False)

    class Meta:
        verbose_name = _("inbound e-mail")
        verbose_name_plural = _("inbound e-mails")
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.sender or '—'}: {self.get_outcome_display()}"
