from datetime import datetime, timedelta

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contracts.models import ServiceWindow

from . import businesstime


class ClockKind(models.TextChoices):
    RESPONSE = "response", _("first response")
    REPLY = "reply", _("next reply")
    DELIVERY = "delivery", _("replacement delivery")


class ClockState(models.TextChoices):
    RUNNING = "running", _("running")
    PAUSED = "paused", _("paused")
    STOPPED = "stopped", _("stopped")


class Outcome(models.TextChoices):
    MET = "met", _("met")
    MISSED = "missed", _("missed")
    CANCELLED = "cancelled", _("stopped without an answer")


class SlaClock(models.Model):
    """One SLA clock of a ticket (SPEC §5). It runs in spans (a pause ends one); `counted_before` is the
    window time of the spans already closed, so the due instant of a running clock is
    `add(running_since, target - counted_before)`."""

    ticket = models.ForeignKey(
        "tickets.Ticket", verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="clocks"
    )
    kind = models.CharField(_("clock"), max_length=10, choices=ClockKind)
    window = models.CharField(_("service window"), max_length=4, choices=ServiceWindow)
    target = models.DurationField(_("target"), null=True, blank=True, help_text=_("Empty for next-business-day."))
    started_at = models.DateTimeField(_("started"))
    running_since = models.DateTimeField(_("running since"), null=True, blank=True)
    counted_before = models.DurationField(_("counted before this span"), default=timedelta(0))
    # [[start, end], …] in ISO 8601; the last end is null while the clock runs.
    spans = models.JSONField(_("running spans"), default=list)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    agreed_due_at = models.DateTimeField(_("later date agreed with the customer"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=ClockState, default=ClockState.RUNNING)
    stopped_at = models.DateTimeField(_("stopped"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome, blank=True)
    breach_alerted_at = models.DateTimeField(_("breach e-mail sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        ordering = ["started_at", "pk"]
        indexes = [
            # The breach scan reads only clocks that may still need an alert: a small index, ordered by due.
            models.Index(
                fields=["due_at"],
                condition=models.Q(breach_alerted_at__isnull=True) & ~models.Q(outcome__in=["met", "cancelled"]),
                name="sla_clock_unalerted_due_idx",
            ),
            models.Index(
                fields=["agreed_due_at"],
                condition=models.Q(breach_alerted_at__isnull=True, agreed_due_at__isnull=False)
                & ~models.Q(outcome__in=["met", "cancelled"]),
                name="sla_clock_unalerted_agreed_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} · {self.get_kind_display()}"

    @property
    def target_minutes(self) -> int | None:
        return None if self.target is None else int(self.target.total_seconds() // 60)

    @property
    def effective_due_at(self) -> datetime | None:
        return self.agreed_due_at or self.due_at

    def is_breached(self, now: datetime | None = None) -> bool:
        if self.outcome == Outcome.MISSED:
            return True
        due = self.effective_due_at
        return self.state == ClockState.RUNNING and due is not None and due < (now or timezone.now())

    def counted_intervals(self, now: datetime | None = None, limit: int = 50) -> list[tuple[datetime, datetime]]:
        """The stretches of window time this clock has counted (for the engineers' "why is it due then")."""
        now = now or timezone.now()
        found: list[tuple[datetime, datetime]] = []
        for start, end in self.spans:
            since = datetime.fromisoformat(start)
            until = datetime.fromisoformat(end) if end else now
            for interval in businesstime.intervals(since, until, self.window):
                found.append(interval)
                if len(found) >= limit:
                    return found
        return found
