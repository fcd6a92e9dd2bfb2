"""SLA clocks on tickets (SPEC §5): when they start, pause, resume and stop, and the breach alerts.
The `on_…` functions run inside the ticket services' transactions, as receivers of the ticket signals
(sla/receivers.py); nothing here commits alone."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from contracts.models import ReplacementDelivery, ServiceWindow
from core.outbox import email_queue
from tickets.links import ticket_email_links
from tickets.models import Status

from . import businesstime
from .models import ClockKind, ClockState, Outcome, SlaClock

OPEN_STATES = (ClockState.RUNNING, ClockState.PAUSED)
CONVERSATION = (ClockKind.RESPONSE, ClockKind.REPLY)


def clock_target(*, targets: dict, priority: str, kind: str) -> tuple[str, timedelta | None]:
    """(window, target) of a clock; the target is None for next-business-day delivery."""
    row = targets[priority]
    if kind == ClockKind.RESPONSE:
        return row["window"], timedelta(minutes=row["first_response_minutes"])
    if kind == ClockKind.REPLY:
        return row["window"], timedelta(minutes=row["next_reply_minutes"])
    if row["replacement_delivery"] == ReplacementDelivery.NEXT_BUSINESS_DAY:
        return row["window"], None
    if row["replacement_delivery"] == ReplacementDelivery.HOURS:
        return row["window"], timedelta(hours=row["replacement_hours"])
    raise ValueError(f"no replacement delivery for priority {priority}")


def clock_due(*, targets: dict, priority: str, kind: str, start: datetime) -> datetime:
    """When a clock that starts at `start` is due: the one computation tickets and `sla_due` share."""
    window, target = clock_target(targets=targets, priority=priority, kind=kind)
    if target is None:
        return businesstime.next_business_day_close(start)
    return businesstime.add(start, target, window)


# --- one clock -------------------------------------------------------------------------------------


def _span_close(clock: SlaClock, at: datetime) -> None:
    clock.spans[-1][1] = at.isoformat()
    clock.counted_before += businesstime.counted(clock.running_since, at, clock.window)
    clock.running_since = None


def _due(clock: SlaClock) -> datetime:
    if clock.target is None:
        return businesstime.next_business_day_close(clock.started_at)
    remaining = max(clock.target - clock.counted_before, timedelta(0))
    return businesstime.add(clock.running_since, remaining, clock.window)


def clock_at_risk_at(clock: SlaClock, percent: int | None = None) -> datetime | None:
    """When a running clock has used `percent` (MYHEZO_SLA_AT_RISK_PERCENT) of its target inside its window
    (SPEC §5). A clock with a target counts its spans (`counted_before`, then the running span); a clock whose
    due time is a date (next business day, or a date agreed with the customer) uses that share of the window
    time between its start and that date. None when the clock does not run."""
    if clock.state != ClockState.RUNNING or clock.running_since is None:
        return None
    share = (settings.MYHEZO_SLA_AT_RISK_PERCENT if percent is None else percent) / 100
    if clock.target is not None and clock.agreed_due_at is None:
        remaining = max(clock.target * share - clock.counted_before, timedelta(0))
        return businesstime.add(clock.running_since, remaining, clock.window)
    due = clock.effective_due_at
    if due is None:
        return None
    allowed = businesstime.counted(clock.started_at, due, clock.window) * share
    return max(businesstime.add(clock.started_at, allowed, clock.window), clock.running_since)


def clock_due_set(clock: SlaClock) -> None:
    """Set the running clock's SLA due time and its at-risk instant together (the one place both are computed;
    a caller changing `agreed_due_at` calls it too). Not saved here."""
    clock.due_at = _due(clock) if clock.state == ClockState.RUNNING else None
    clock.at_risk_at = clock_at_risk_at(clock)


def _targets_ensure(ticket) -> None:
    # A ticket carried over from the previous portal has no copied targets and no retroactive clocks; its
    # first clock (from its next message) takes the plan's targets of that moment.
    if not ticket.sla_targets:
        ticket.sla_targets = ticket.contract.plan.targets_snapshot()
        ticket.save(update_fields=["sla_targets"])


def clock_start(*, ticket, kind: str, at: datetime) -> SlaClock:
    _targets_ensure(ticket)
    window, target = clock_target(targets=ticket.sla_targets, priority=ticket.priority, kind=kind)
    clock = SlaClock(
        ticket=ticket,
        kind=kind,
        window=window,
        target=target,
        started_at=at,
        running_since=at,
        spans=[[at.isoformat(), None]],
    )
    clock_due_set(clock)
    clock.full_clean()
    clock.save()
    return clock


def clock_stop(*, clock: SlaClock, at: datetime, answered: bool) -> SlaClock:
    """Stop a clock: met or missed when the customer got their answer; otherwise (closed without one)
    missed if it was already late, else just stopped."""
    late = clock.is_past_due(at)
    if clock.state == ClockState.RUNNING:
        _span_close(clock, at)
    clock.state = ClockState.STOPPED
    clock.stopped_at = at
    clock.at_risk_at = None
    clock.outcome = Outcome.MISSED if late else (Outcome.MET if answered else Outcome.CANCELLED)
    clock.save()
    return clock


def clock_scheduled_start(*, ticket, requested_at: datetime, due_at: datetime) -> SlaClock:
    """The clock of scheduled work (SPEC §6): 24x7 from the request to the agreed date, so that its target is
    that whole stretch and "used so far" reads like any other clock's."""
    clock = SlaClock(
        ticket=ticket,
        kind=ClockKind.SCHEDULED,
        window=ServiceWindow.ALWAYS,
        target=due_at - requested_at,
        started_at=requested_at,
        running_since=requested_at,
        spans=[[requested_at.isoformat(), None]],
        due_at=due_at,
    )
    clock.at_risk_at = clock_at_risk_at(clock)
    clock.full_clean()
    clock.save()
    return clock


def clock_scheduled_move(*, clock: SlaClock, due_at: datetime) -> SlaClock:
    """A new date agreed for scheduled work: the clock is due then, its target stretched or shortened to match.
    A clock already warned or alerted that is now due later may warn and alert again for the new date."""
    clock.target = due_at - clock.started_at
    clock.due_at = due_at
    clock.at_risk_at = clock_at_risk_at(clock)
    now = timezone.now()
    if not clock.is_past_due(now):
        clock.breach_alerted_at = None
    if clock.at_risk_at is not None and clock.at_risk_at > now:
        clock.at_risk_alerted_at = None
    clock.full_clean()
    clock.save()
    return clock


def _clock_pause(clock: SlaClock, at: datetime) -> None:
    _span_close(clock, at)
    clock.state = ClockState.PAUSED
    clock_due_set(clock)
    clock.save()


def _clock_resume(clock: SlaClock, at: datetime) -> None:
    clock.spans.append([at.isoformat(), None])
    clock.running_since = at
    clock.state = ClockState.RUNNING
    clock_due_set(clock)
    clock.save()


def _clock_retarget(clock: SlaClock, targets: dict, priority: str, now: datetime) -> None:
    """A new priority: new window and target, counted again from the clock's original start."""
    clock.window, clock.target = clock_target(targets=targets, priority=priority, kind=clock.kind)
    clock.counted_before = timedelta(0)
    for start, end in clock.spans:
        if end is not None:
            clock.counted_before += businesstime.counted(
                datetime.fromisoformat(start), datetime.fromisoformat(end), clock.window
            )
    if clock.state == ClockState.RUNNING:
        clock_due_set(clock)
    clock.save()


# --- a ticket's clocks, driven by the ticket services ------------------------------------------------


def _open_clocks(ticket, kinds=CONVERSATION):
    return list(ticket.clocks.select_for_update().filter(kind__in=kinds, state__in=OPEN_STATES))


def ticket_sla_refresh(ticket, now: datetime | None = None) -> None:
    """The ticket's denormalised "next due" and "breached" (indexed, for the engineers' list)."""
    now = now or timezone.now()
    clocks = list(ticket.clocks.all())
    running = [c.effective_due_at for c in clocks if c.state == ClockState.RUNNING and c.effective_due_at]
    ticket.sla_next_due_at = min(running) if running else None
    ticket.sla_breached = any(c.is_breached(now) for c in clocks)
    ticket.save(update_fields=["sla_next_due_at", "sla_breached"])


def on_ticket_opened(ticket) -> None:
    clock_start(ticket=ticket, kind=ClockKind.RESPONSE, at=ticket.created_at)
    ticket_sla_refresh(ticket)


def on_engineer_contact(ticket, at: datetime) -> None:
    """A public reply or a logged phone call answers the customer: the response or reply clock stops."""
    for clock in _open_clocks(ticket):
        clock_stop(clock=clock, at=at, answered=True)
    ticket_sla_refresh(ticket)


def on_customer_message(ticket, at: datetime) -> None:
    """Once the first response is given, a customer message starts a reply clock (unless one is open)."""
    if not _open_clocks(ticket):
        clock_start(ticket=ticket, kind=ClockKind.REPLY, at=at)
    ticket_sla_refresh(ticket)


def on_status_changed(ticket, *, old: str, new: str, at: datetime) -> None:
    if new == Status.WAITING:
        for clock in _open_clocks(ticket):
            if clock.state == ClockState.RUNNING:
                _clock_pause(clock, at)
    elif new == Status.CLOSED:
        for clock in _open_clocks(ticket):
            clock_stop(clock=clock, at=at, answered=False)
    elif old == Status.WAITING:
        for clock in _open_clocks(ticket):
            if clock.state == ClockState.PAUSED:
                _clock_resume(clock, at)
    elif old == Status.CLOSED:
        clock_start(ticket=ticket, kind=ClockKind.REPLY, at=at)  # reopening starts the reply clock
    ticket_sla_refresh(ticket)


def on_priority_changed(ticket, now: datetime | None = None) -> None:
    now = now or timezone.now()
    for clock in _open_clocks(ticket):
        _clock_retarget(clock, ticket.sla_targets, ticket.priority, now)
    ticket_sla_refresh(ticket)


# --- breach alerts and at-risk warnings -----------------------------------------------------------


@dataclass(frozen=True)
class ScanResult:
    """What one scan queued, counted in e-mails (a breach e-mail goes to the SLA mailbox and the assignee)."""

    breach_emails: int = 0
    at_risk_emails: int = 0


def sla_scan(now: datetime | None = None, batch: int = 500) -> ScanResult:
    """E-mail each clock that is past due, once, then warn once each clock that is at risk and not yet past due
    (a clock already past due when first scanned gets the breach e-mail only). The conditional UPDATE is the
    guard for both: when two scans race for a clock, PostgreSQL makes the second wait for the first and then
    finds nothing to update."""
    now = now or timezone.now()
    breach_emails = _breach_scan(now, batch)
    return ScanResult(breach_emails=breach_emails, at_risk_emails=_at_risk_scan(now, batch))


def _breach_scan(now: datetime, batch: int) -> int:
    unalerted = (
        SlaClock.objects.filter(breach_alerted_at__isnull=True)
        .exclude(outcome__in=[Outcome.MET, Outcome.CANCELLED])
        .filter(Q(state=ClockState.RUNNING) | Q(outcome=Outcome.MISSED))
        .order_by()
    )
    # Past due as the clock defines it (SlaClock.past_due_conditions): two range reads, each on its own partial
    # index, so a scan that finds nothing due reads nothing (one OR would walk every unalerted clock).
    past_due_by_sla, past_due_by_agreed = SlaClock.past_due_conditions(now)
    by_due = unalerted.filter(past_due_by_sla).values_list("pk", "due_at")
    by_agreed = unalerted.filter(past_due_by_agreed).values_list("pk", "due_at")
    due = [pk for pk, _ in by_due.union(by_agreed).order_by("due_at")[:batch]]
    emails = 0
    for clock_id in due:
        with transaction.atomic():
            if not SlaClock.objects.filter(pk=clock_id, breach_alerted_at__isnull=True).update(breach_alerted_at=now):
                continue
            clock = SlaClock.objects.select_related("ticket__company", "ticket__assignee", "ticket__line").get(
                pk=clock_id
            )
            emails += _breach_email(clock)
            ticket = clock.ticket
            if not ticket.sla_breached:
                ticket.sla_breached = True
                ticket.save(update_fields=["sla_breached"])
    return emails


def _at_risk_scan(now: datetime, batch: int) -> int:
    # SlaClock.objects.at_risk is the rule (reached its at-risk instant, running, not past due); the partial index
    # sla_clock_unwarned_risk_idx holds only the clocks that may still need a warning.
    candidates = SlaClock.objects.at_risk(now).filter(at_risk_alerted_at__isnull=True, breach_alerted_at__isnull=True)
    emails = 0
    for clock_id in candidates.order_by("at_risk_at").values_list("pk", flat=True)[:batch]:
        with transaction.atomic():
            claimed = SlaClock.objects.filter(
                pk=clock_id, at_risk_alerted_at__isnull=True, breach_alerted_at__isnull=True
            ).update(at_risk_alerted_at=now)
            if not claimed:
                continue
            clock = SlaClock.objects.select_related("ticket__company", "ticket__assignee", "ticket__line").get(
                pk=clock_id
            )
            emails += _at_risk_email(clock)
    return emails


def _email_context(clock: SlaClock) -> dict:
    return {"ticket": clock.ticket, "clock": clock, **ticket_email_links(clock.ticket)}


def _breach_email(clock: SlaClock) -> int:
    ticket = clock.ticket
    recipients = [(settings.MYHEZO_SLA_ALERT_EMAIL, settings.MYHEZO_ENGINEERS_LANGUAGE)]
    if ticket.assignee is not None:
        recipients.append((ticket.assignee.email, ticket.assignee.language))
    context = _email_context(clock)
    for address, language in recipients:
        email_queue(to=[address], template="sla/emails/clock_breached", context=context, language=language)
    return len(recipients)


def _at_risk_email(clock: SlaClock) -> int:
    """One warning: to the assignee, else to the SLA mailbox."""
    assignee = clock.ticket.assignee
    if assignee is not None:
        address, language = assignee.email, assignee.language
    else:
        address, language = settings.MYHEZO_SLA_ALERT_EMAIL, settings.MYHEZO_ENGINEERS_LANGUAGE
    email_queue(to=[address], template="sla/emails/clock_at_risk", context=_email_context(clock), language=language)
    return 1
