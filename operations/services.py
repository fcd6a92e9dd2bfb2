"""Service operations (SPEC §6): replacements (RMA) with their delivery clock and return reminders, and
the uses of the HEZO 360 allowances. Every function is one transaction with its ticket history row."""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from contracts.models import Contract, ReplacementDelivery
from core.dates import date_display, datetime_display
from core.outbox import email_queue
from sla.businesstime import WARSAW
from sla.models import ClockKind, ClockState
from sla.services import (
    clock_at_risk_at,
    clock_scheduled_move,
    clock_scheduled_start,
    clock_start,
    clock_stop,
    ticket_sla_refresh,
)
from tickets.links import ticket_email_links
from tickets.models import EventAction, Status, Ticket
from tickets.services.base import (
    ENGINEERS,
    ticket_actor_check,
    ticket_customers_notify,
    ticket_event_record,
    ticket_lock,
    ticket_touch,
)

from . import history
from .models import (
    AllowanceKind,
    AllowanceUse,
    PlanAllowance,
    PlanScheduledWork,
    Replacement,
    ScheduledWork,
    ScheduledWorkKind,
)
from .years import ContractYear, contract_year

RETURN_DAYS = 7  # calendar days from delivery to return the faulty unit (SPEC §6)
REMINDER_DAYS_BEFORE = 2


def _calendar_days_after(instant: datetime, days: int) -> datetime:
    # Calendar days in Warsaw: the same wall-clock time `days` later, whatever DST did in between.
    return (instant.astimezone(WARSAW) + timedelta(days=days)).astimezone(WARSAW)


def return_due(delivered_at: datetime) -> datetime:
    return _calendar_days_after(delivered_at, RETURN_DAYS)


def reminder_due(return_due_at: datetime) -> datetime:
    return _calendar_days_after(return_due_at, -REMINDER_DAYS_BEFORE)


# --- replacements ------------------------------------------------------------------------------------


@transaction.atomic
def replacement_approve(
    *, ticket: Ticket, engineer: User, replacement_serial: str = "", carrier: str = "", tracking_number: str = ""
) -> Replacement:
    """The engineer confirms the fault and approves a replacement: the delivery clock starts now."""
    ticket_actor_check(user=engineer, allowed=ENGINEERS)
    ticket = ticket_lock(ticket)
    if ticket.status == Status.CLOSED:
        raise ValidationError(_("A closed ticket cannot get a replacement. Reopen it first."), code="closed")
    target = ticket.sla_targets.get(ticket.priority) or {}
    if target.get("replacement_delivery", ReplacementDelivery.NONE) == ReplacementDelivery.NONE:
        raise ValidationError(
            _(
                "The plan includes no hardware replacement for tickets of priority “%(priority)s”. If the device is "
                "faulty, change the priority first."
            ),
            code="no_delivery",
            params={"priority": ticket.get_priority_display()},
        )
    # One replacement on its way at a time: a second click must not start a second clock.
    pending = ticket.replacements.filter(delivered_at__isnull=True).first()
    if pending is not None:
        raise ValidationError(
            _("Replacement %(id)s of this ticket has not been delivered yet. Update it instead."),
            code="pending",
            params={"id": pending.pk},
        )
    now = timezone.now()
    clock = clock_start(ticket=ticket, kind=ClockKind.DELIVERY, at=now)
    replacement = Replacement(
        ticket=ticket,
        approved_at=now,
        approved_by=engineer,
        delivery_clock=clock,
        replacement_serial=replacement_serial.strip(),
        carrier=carrier.strip(),
        tracking_number=tracking_number.strip(),
        hezo_pays_return_shipping=ticket.contract.plan.hezo_pays_return_shipping,
    )
    replacement.full_clean()
    replacement.save()
    ticket_event_record(
        ticket=ticket,
        actor=engineer,
        action=EventAction.REPLACEMENT,
        new=history.APPROVED,
        data={
            "replacement": replacement.pk,
            "due": clock.due_at.isoformat() if clock.due_at else None,
            "hezo_pays_return": replacement.hezo_pays_return_shipping,
        },
    )
    ticket_touch(ticket)
    ticket_sla_refresh(ticket)
    _replacement_notify(ticket, replacement, "replacement_approved")
    return replacement


def _replacement_notify(ticket: Ticket, replacement: Replacement, name: str) -> None:
    # The reporter and every CC, each in their language, through the outbox (SPEC §6).
    ticket_customers_notify(
        ticket=ticket,
        template=f"operations/emails/{name}",
        context={"replacement": replacement},
    )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _check_instant(value: datetime | None, label: str, now: datetime) -> None:
    if value is not None and value > now:
        raise ValidationError(
            _("The time “%(field)s” cannot be in the future."), code="future", params={"field": label}
        )


@transaction.atomic
def replacement_update(
    *,
    replacement: Replacement,
    engineer: User,
    carrier: str,
    tracking_number: str,
    replacement_serial: str,
    shipped_at: datetime | None,
    delivered_at: datetime | None,
    returned_at: datetime | None,
    agreed_delivery_at: datetime | None,
) -> Replacement:
    """The engineer records the shipment, the delivery (which stops the delivery clock and sets the return
    deadline), the faulty unit's return, or a later delivery date agreed with the customer."""
    ticket_actor_check(user=engineer, allowed=ENGINEERS)
    ticket = ticket_lock(replacement.ticket)
    replacement = (
        Replacement.objects.select_for_update(of=("self",)).select_related("delivery_clock").get(pk=replacement.pk)
    )
    clock = replacement.delivery_clock
    now = timezone.now()
    field = Replacement._meta.get_field
    for value, name in ((shipped_at, "shipped_at"), (delivered_at, "delivered_at"), (returned_at, "returned_at")):
        _check_instant(value, str(field(name).verbose_name), now)

    if replacement.delivered_at is not None and delivered_at != replacement.delivered_at:
        raise ValidationError(
            _("The delivery was recorded as %(when)s and stopped the SLA clock; it cannot be changed."),
            code="delivered_fixed",
            params={"when": datetime_display(replacement.delivered_at)},
        )
    if delivered_at is not None:
        if shipped_at is None:
            raise ValidationError(_("Enter when the replacement was shipped."), code="not_shipped")
        if delivered_at < shipped_at:
            raise ValidationError(
                _("The replacement cannot be delivered before it was shipped."), code="delivered_before_shipped"
            )
        if delivered_at < replacement.approved_at:
            raise ValidationError(
                _("The replacement cannot be delivered before it was approved (%(when)s)."),
                code="delivered_before_approved",
                params={"when": datetime_display(replacement.approved_at)},
            )
    if returned_at is not None:
        if delivered_at is None:
            raise ValidationError(
                _("Record the delivery of the replacement before the return of the faulty unit."),
                code="not_delivered",
            )
        if returned_at < delivered_at:
            raise ValidationError(
                _("The faulty unit cannot be returned before the replacement was delivered."),
                code="returned_before_delivered",
            )

    newly_shipped = replacement.shipped_at is None and shipped_at is not None
    newly_delivered = replacement.delivered_at is None and delivered_at is not None
    # Field name → new value (text, or an ISO 8601 instant), drawn in the reader's language by operations.history.
    changes: dict[str, str | None] = {}
    if clock is not None and agreed_delivery_at != clock.agreed_due_at:
        if clock.state == ClockState.STOPPED:
            raise ValidationError(
                _("The replacement has been delivered: a delivery date can no longer be agreed."),
                code="agreed_after_delivery",
            )
        if agreed_delivery_at is not None and clock.due_at is not None and agreed_delivery_at <= clock.due_at:
            raise ValidationError(
                _("A date agreed with the customer must be later than the SLA due time %(due)s."),
                code="agreed_too_early",
                params={"due": datetime_display(clock.due_at)},
            )
        clock.agreed_due_at = agreed_delivery_at
        clock.at_risk_at = clock_at_risk_at(clock)  # the warning moves with the agreed date
        clock.full_clean()
        clock.save(update_fields=["agreed_due_at", "at_risk_at"])
        changes["agreed_delivery_at"] = _iso(agreed_delivery_at)

    texts = {"carrier": carrier, "tracking_number": tracking_number, "replacement_serial": replacement_serial}
    instants = {"shipped_at": shipped_at, "delivered_at": delivered_at, "returned_at": returned_at}
    for name, value in texts.items():
        value = value.strip()
        if getattr(replacement, name) != value:
            setattr(replacement, name, value)
            changes[name] = value
    for name, value in instants.items():
        if getattr(replacement, name) != value:
            setattr(replacement, name, value)
            changes[name] = _iso(value)

    if delivered_at is not None and replacement.return_due_at is None:
        replacement.return_due_at = return_due(delivered_at)
        changes["return_due_at"] = _iso(replacement.return_due_at)
        if clock is not None and clock.state != ClockState.STOPPED:
            clock_stop(clock=clock, at=delivered_at, answered=True)
            changes["delivery_outcome"] = clock.outcome
    if not changes:
        return replacement
    replacement.full_clean()
    replacement.save()
    ticket_event_record(
        ticket=ticket,
        actor=engineer,
        action=EventAction.REPLACEMENT,
        new=history.UPDATED,
        data={
            "replacement": replacement.pk,
            "changes": changes,
            # What the timeline's shipment line links to, whichever of the two this change touched.
            "carrier": replacement.carrier,
            "tracking_number": replacement.tracking_number,
        },
    )
    ticket_touch(ticket)
    ticket_sla_refresh(ticket)
    # Delivered at once (shipped and delivered in one save): the delivery e-mail alone says it all.
    if newly_delivered:
        _replacement_notify(ticket, replacement, "replacement_delivered")
    elif newly_shipped:
        _replacement_notify(ticket, replacement, "replacement_shipped")
    return replacement


# --- the faulty unit's way back ------------------------------------------------------------------------


def replacement_reminders_send(now: datetime | None = None, batch: int = 500) -> int:
    """E-mail the reporter, once, 2 days before the faulty unit is due back. The conditional UPDATE is the
    guard: when two runs race for a replacement, the second finds nothing to update and sends nothing."""
    now = now or timezone.now()
    # 2 calendar days may be 47 or 49 hours across a DST change: select an hour wider, then decide exactly.
    candidates = (
        Replacement.objects.filter(
            reminder_sent_at__isnull=True,
            returned_at__isnull=True,
            return_due_at__gt=now,
            return_due_at__lte=now + timedelta(days=REMINDER_DAYS_BEFORE, hours=1),
        )
        .order_by("return_due_at")
        .values_list("pk", "return_due_at")[:batch]
    )
    sent = 0
    for replacement_id, return_due_at in list(candidates):
        if reminder_due(return_due_at) > now:
            continue
        with transaction.atomic():
            if not Replacement.objects.filter(pk=replacement_id, reminder_sent_at__isnull=True).update(
                reminder_sent_at=now
            ):
                continue
            replacement = Replacement.objects.select_related(
                "ticket__contract__plan", "ticket__line", "ticket__reporter"
            ).get(pk=replacement_id)
            ticket = replacement.ticket
            # The reporter's current preference if they have an account, else the ticket's language.
            language = (ticket.reporter.language if ticket.reporter else "") or ticket.language
            email_queue(
                to=[ticket.reporter_email],
                template="operations/emails/return_reminder",
                context={"ticket": ticket, "replacement": replacement, **ticket_email_links(ticket)},
                language=language,
            )
            sent += 1
    return sent


def replacement_overdue_flag(now: datetime | None = None) -> int:
    """Flag, once, every replacement whose faulty unit is past its return deadline, with a history row (a
    conditional UPDATE each, so concurrent runs cannot flag twice or move the time a flag was raised)."""
    now = now or timezone.now()
    unflagged = Replacement.objects.return_overdue(now).filter(overdue_flagged_at__isnull=True)
    flagged = 0
    for replacement_id, ticket_id, due in list(unflagged.values_list("pk", "ticket_id", "return_due_at")):
        with transaction.atomic():
            # The conditional UPDATE is the guard: a concurrent run finds nothing to flag and records nothing.
            if not Replacement.objects.filter(pk=replacement_id, overdue_flagged_at__isnull=True).update(
                overdue_flagged_at=now
            ):
                continue
            # The customer's timeline says the unit is overdue (SPEC §4); nobody acted, HEZO's system noticed.
            ticket_event_record(
                ticket=Ticket.objects.get(pk=ticket_id),
                actor=None,
                actor_name="HEZO",
                action=EventAction.REPLACEMENT,
                new=history.RETURN_OVERDUE,
                data={"replacement": replacement_id, "due": _iso(due)},
            )
            flagged += 1
    return flagged


# --- allowances ----------------------------------------------------------------------------------------


def allowance_used(*, contract: Contract, kind: str, year: ContractYear) -> int:
    start, end = year.bounds()
    return AllowanceUse.objects.filter(contract=contract, kind=kind, used_at__gte=start, used_at__lt=end).count()


@transaction.atomic
def allowance_use_record(*, ticket: Ticket, kind: str, engineer: User, note: str = "") -> AllowanceUse:
    """An engineer records one use of the contract's allowance (SPEC §6); past the allowance it is refused."""
    ticket_actor_check(user=engineer, allowed=ENGINEERS)
    if kind not in AllowanceKind.values:
        raise ValidationError(_("Choose what was done."), code="kind")
    label = AllowanceKind(kind).label
    # The contract row lock makes concurrent recordings queue, so two engineers cannot both take the last use.
    contract = Contract.objects.select_for_update(of=("self",)).select_related("plan").get(pk=ticket.contract_id)
    allowance = PlanAllowance.objects.filter(plan_id=contract.plan_id, kind=kind).first()
    if allowance is None:
        raise ValidationError(
            _("The %(plan)s plan of contract %(number)s includes no “%(kind)s”."),
            code="kind_not_in_plan",
            params={"plan": contract.plan.name, "number": contract.number, "kind": label},
        )
    now = timezone.now()
    today = timezone.localdate(now)
    if today > contract.ends_on:
        raise ValidationError(
            _("Contract %(number)s ended on %(date)s: its allowances can no longer be used."),
            code="contract_ended",
            params={"number": contract.number, "date": date_display(contract.ends_on)},
        )
    year = contract_year(contract.starts_on, today)
    used = allowance_used(contract=contract, kind=kind, year=year)
    if used >= allowance.per_year:
        raise ValidationError(
            _(
                "The allowance of “%(kind)s” is used up: %(used)d of %(allowance)d in the contract year "
                "%(start)s – %(end)s of contract %(number)s."
            ),
            code="allowance_used_up",
            params={
                "kind": label,
                "used": used,
                "allowance": allowance.per_year,
                "start": date_display(year.first_day),
                "end": date_display(year.last_day),
                "number": contract.number,
            },
        )
    use = AllowanceUse(contract=contract, ticket=ticket, kind=kind, used_at=now, engineer=engineer, note=note.strip())
    use.full_clean()
    use.save()
    ticket_event_record(
        ticket=ticket,
        actor=engineer,
        action=EventAction.ALLOWANCE,
        new=kind,
        data={"used": used + 1, "per_year": allowance.per_year},
    )
    return use


# --- HEZO 360 scheduled work ------------------------------------------------------------------------------


def scheduled_work_limit(*, requested_at: datetime, days: int) -> datetime:
    """The latest date work requested at `requested_at` may be agreed for: `days` calendar days later, the same
    wall-clock time in Warsaw (SPEC §6). Agreed exactly then is in time; a minute later is not."""
    return _calendar_days_after(requested_at, days)


def _scheduled_work_days(ticket: Ticket, kind: str) -> int:
    label = ScheduledWorkKind(kind).label
    contract = ticket.contract
    limit = PlanScheduledWork.objects.filter(plan_id=contract.plan_id, kind=kind).first()
    if limit is None:
        raise ValidationError(
            _(
                "The %(plan)s plan of contract %(number)s includes no scheduled “%(kind)s”: only HEZO 360 "
                "contracts have it."
            ),
            code="kind_not_in_plan",
            params={"plan": contract.plan.name, "number": contract.number, "kind": label},
        )
    return limit.days


def _agreed_check(*, kind: str, requested_at: datetime, agreed_for: datetime, days: int) -> None:
    latest = scheduled_work_limit(requested_at=requested_at, days=days)
    if agreed_for > latest:
        raise ValidationError(
            _(
                "“%(kind)s” requested on %(requested)s is carried out within %(days)d days under the plan: agree a "
                "date no later than %(latest)s."
            ),
            code="too_late",
            params={
                "kind": ScheduledWorkKind(kind).label,
                "requested": datetime_display(requested_at),
                "days": days,
                "latest": datetime_display(latest),
            },
        )
    if agreed_for <= requested_at:
        raise ValidationError(
            _("The agreed date must be after the request (%(requested)s)."),
            code="before_request",
            params={"requested": datetime_display(requested_at)},
        )


@transaction.atomic
def scheduled_work_agree(
    *, ticket: Ticket, engineer: User, kind: str, agreed_for: datetime, requested_at: datetime | None = None
) -> ScheduledWork:
    """The engineer records scheduled work agreed with the customer (SPEC §6, HEZO 360): when it was requested
    (by default now) and the date it is carried out by, no later than the plan's limit. Its clock starts."""
    ticket_actor_check(user=engineer, allowed=ENGINEERS)
    ticket = ticket_lock(ticket)
    if ticket.status == Status.CLOSED:
        raise ValidationError(_("A closed ticket cannot get scheduled work. Reopen it first."), code="closed")
    if kind not in ScheduledWorkKind.values:
        raise ValidationError(_("Choose the kind of work."), code="kind")
    days = _scheduled_work_days(ticket, kind)
    now = timezone.now()
    requested_at = requested_at or now
    _check_instant(requested_at, str(ScheduledWork._meta.get_field("requested_at").verbose_name), now)
    _agreed_check(kind=kind, requested_at=requested_at, agreed_for=agreed_for, days=days)
    clock = clock_scheduled_start(ticket=ticket, requested_at=requested_at, due_at=agreed_for)
    work = ScheduledWork(
        ticket=ticket,
        kind=kind,
        requested_at=requested_at,
        agreed_for=agreed_for,
        engineer=engineer,
        clock=clock,
        created_at=now,
    )
    work.full_clean()
    work.save()
    ticket_event_record(
        ticket=ticket,
        actor=engineer,
        action=EventAction.SCHEDULED,
        new=history.SCHEDULED_AGREED,
        data={"kind": kind, "agreed_for": _iso(agreed_for), "requested_at": _iso(requested_at)},
    )
    ticket_touch(ticket)
    ticket_sla_refresh(ticket)
    _scheduled_work_notify(ticket, work)
    return work


def _scheduled_work_lock(scheduled_work: ScheduledWork) -> tuple[Ticket, ScheduledWork]:
    ticket = ticket_lock(scheduled_work.ticket)
    work = ScheduledWork.objects.select_for_update(of=("self",)).select_related("clock").get(pk=scheduled_work.pk)
    if work.done_at is not None:
        raise ValidationError(
            _("This work was recorded as done on %(when)s; it cannot be changed."),
            code="done",
            params={"when": datetime_display(work.done_at)},
        )
    return ticket, work


@transaction.atomic
def scheduled_work_date_change(*, scheduled_work: ScheduledWork, engineer: User, agreed_for: datetime) -> ScheduledWork:
    """A new date agreed with the customer, within the same limit from the original request; the history keeps
    the old and the new date."""
    ticket_actor_check(user=engineer, allowed=ENGINEERS)
    ticket, work = _scheduled_work_lock(scheduled_work)
    if agreed_for == work.agreed_for:
        return work
    days = _scheduled_work_days(ticket, work.kind)
    _agreed_check(kind=work.kind, requested_at=work.requested_at, agreed_for=agreed_for, days=days)
    old = work.agreed_for
    work.agreed_for = agreed_for
    work.full_clean()
    work.save(update_fields=["agreed_for"])
    if work.clock is not None:
        clock_scheduled_move(clock=work.clock, due_at=agreed_for)
    ticket_event_record(
        ticket=ticket,
        actor=engineer,
        action=EventAction.SCHEDULED,
        new=history.SCHEDULED_DATE_CHANGED,
        data={"kind": work.kind, "old": _iso(old), "agreed_for": _iso(agreed_for)},
    )
    ticket_touch(ticket)
    ticket_sla_refresh(ticket)
    _scheduled_work_notify(ticket, work)
    return work


@transaction.atomic
def scheduled_work_done(
    *, scheduled_work: ScheduledWork, engineer: User, done_at: datetime | None = None
) -> ScheduledWork:
    """The work is carried out (by default now): its clock stops, met if by the agreed date, else missed."""
    ticket_actor_check(user=engineer, allowed=ENGINEERS)
    ticket, work = _scheduled_work_lock(scheduled_work)
    now = timezone.now()
    done_at = done_at or now
    _check_instant(done_at, str(ScheduledWork._meta.get_field("done_at").verbose_name), now)
    if done_at < work.requested_at:
        raise ValidationError(
            _("The work cannot be done before it was requested (%(when)s)."),
            code="done_before_request",
            params={"when": datetime_display(work.requested_at)},
        )
    work.done_at = done_at
    work.full_clean()
    work.save(update_fields=["done_at"])
    outcome = ""
    if work.clock is not None:
        clock = clock_stop(clock=work.clock, at=done_at, answered=True)
        outcome = clock.outcome
    ticket_event_record(
        ticket=ticket,
        actor=engineer,
        action=EventAction.SCHEDULED,
        new=history.SCHEDULED_DONE,
        data={"kind": work.kind, "agreed_for": _iso(work.agreed_for), "done_at": _iso(done_at), "outcome": outcome},
    )
    ticket_touch(ticket)
    ticket_sla_refresh(ticket)
    return work


def _scheduled_work_notify(ticket: Ticket, work: ScheduledWork) -> None:
    # The reporter and every CC, each in their language, through the outbox: the date they can count on.
    ticket_customers_notify(ticket=ticket, template="operations/emails/scheduled_work_agreed", context={"work": work})
