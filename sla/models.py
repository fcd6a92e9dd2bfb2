from datetime import datetime, timedelta

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contracts.models import ServiceWindow
from core.deadlines import has_reached, is_past, past, reached

from . import businesstime


class ClockKind(models.TextChoices):
    RESPONSE = "response", _("first response")
    REPLY = "reply", _("next reply")
    DELIVERY = "delivery", _("replacement delivery")
    # HEZO 360 scheduled work (operations.ScheduledWork): 24x7, due at the agreed date (SPEC §6).
    SCHEDULED = "scheduled", _("scheduled work")


class ClockState(models.TextChoices):
    RUNNING = "running", _("running")
    PAUSED = "paused", _("paused")
    STOPPED = "stopped", _("stopped")


class Outcome(models.TextChoices):
    MET = "met", _("met")
    MISSED = "missed", _("missed")
    CANCELLED = "cancelled", _("stopped without an answer")


class SlaClockQuerySet(models.QuerySet):
    def overdue(self, now: datetime):
        """The running clocks overdue at `now`: the database form of `SlaClock.is_overdue`."""
        by_due, by_agreed = SlaClock.past_due_conditions(now)
        return self.filter(by_due | by_agreed, state=ClockState.RUNNING)

    def at_risk(self, now: datetime):
        """The running clocks at risk at `now` and not yet overdue: the database form of `SlaClock.is_at_risk`."""
        by_due, by_agreed = SlaClock.past_due_conditions(now)
        return self.filter(reached("at_risk_at", now), state=ClockState.RUNNING).exclude(by_due).exclude(by_agreed)


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
    # When the running clock has used MYHEZO_SLA_AT_RISK_PERCENT of its target inside its window (SPEC §5); set
    # with due_at (sla.services), so the queue and the scan read it from the database.
    at_risk_at = models.DateTimeField(_("at risk from"), null=True, blank=True)
    at_risk_alerted_at = models.DateTimeField(_("at-risk e-mail sent"), null=True, blank=True)

    objects = SlaClockQuerySet.as_manager()

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
            # The at-risk scan reads only running clocks not yet warned nor alerted, ordered by the at-risk instant.
            models.Index(
                fields=["at_risk_at"],
                condition=models.Q(at_risk_alerted_at__isnull=True, breach_alerted_at__isnull=True, state="running"),
                name="sla_clock_unwarned_risk_idx",
            ),
            # The queue's "at risk" rank and filter: the running clocks by at-risk instant.
            models.Index(fields=["at_risk_at"], condition=models.Q(state="running"), name="sla_clock_running_risk_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} · {self.get_kind_display()}"

    @property
    def target_minutes(self) -> int | None:
        return None if self.target is None else int(self.target.total_seconds() // 60)

    # --- "clock overdue": the one definition (SPEC §5), for pages, the desk, the services and the scan ------
    # A clock is due at its effective due time (a later date agreed with the customer replaces the SLA's) and is
    # overdue only once that time has passed (core.deadlines): due at 10:00 is on time at 10:00:00.

    @property
    def effective_due_at(self) -> datetime | None:
        return self.agreed_due_at or self.due_at

    def is_past_due(self, now: datetime) -> bool:
        """Whether the effective due time had passed at `now`, whatever the state (stopping a clock asks it)."""
        return is_past(self.effective_due_at, now)

    def is_overdue(self, now: datetime) -> bool:
        """A running clock past its effective due time at `now`."""
        return self.state == ClockState.RUNNING and self.is_past_due(now)

    def is_breached(self, now: datetime) -> bool:
        """Missed: stopped late, or still running and overdue at `now`."""
        return self.outcome == Outcome.MISSED or self.is_overdue(now)

    def is_at_risk(self, now: datetime) -> bool:
        """Running, at risk (its at-risk instant reached at `now`) and not yet overdue: the warning's state."""
        return self.state == ClockState.RUNNING and has_reached(self.at_risk_at, now) and not self.is_past_due(now)

    @staticmethod
    def past_due_conditions(now: datetime) -> tuple[models.Q, models.Q]:
        """`is_past_due` as two database conditions whose union it is (by the SLA due time, by the agreed date):
        each one is served by its own partial index, where one OR would read every clock."""
        return models.Q(agreed_due_at__isnull=True) & past("due_at", now), past("agreed_due_at", now)

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
