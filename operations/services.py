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
from sla.services import clock_at_risk_at, clock_start, clock_stop, ticket_sla_refresh
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

from .models import AllowanceKind, AllowanceUse, PlanAllowance, Replacement
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
        new=_("Replacement %(id)s approved, delivery due %(due)s.")
        % {"id": replacement.pk, "due": datetime_display(clock.due_at)},
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
    changes: list[str] = []
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
        agreed_label = _("agreed delivery date")  # outside the f-string, so that makemessages finds it
        changes.append(f"{agreed_label}: {datetime_display(agreed_delivery_at)}")

    texts = {"carrier": carrier, "tracking_number": tracking_number, "replacement_serial": replacement_serial}
    instants = {"shipped_at": shipped_at, "delivered_at": delivered_at, "returned_at": returned_at}
    for name, value in texts.items():
        value = value.strip()
        if getattr(replacement, name) != value:
            setattr(replacement, name, value)
            changes.append(f"{field(name).verbose_name}: {value or '—'}")
    for name, value in instants.items():
        if getattr(replacement, name) != value:
            setattr(replacement, name, value)
            changes.append(f"{field(name).verbose_name}: {datetime_display(value)}")

    if delivered_at is not None and replacement.return_due_at is None:
        replacement.return_due_at = return_due(delivered_at)
        if clock is not None and clock.state != ClockState.STOPPED:
            clock_stop(clock=clock, at=delivered_at, answered=True)
            clock_label = _("delivery clock")
            changes.append(f"{clock_label}: {clock.get_outcome_display()}")
    if not changes:
        return replacement
    replacement.full_clean()
    replacement.save()
    ticket_event_record(
        ticket=ticket,
        actor=engineer,
        action=EventAction.REPLACEMENT,
        old=_("Replacement %(id)s") % {"id": replacement.pk},
        new="; ".join(changes),
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
    """Flag, once, every replacement whose faulty unit is past its return deadline (one UPDATE, so
    concurrent runs cannot flag twice or move the time a flag was raised)."""
    now = now or timezone.now()
    unflagged = Replacement.objects.return_overdue(now).filter(overdue_flagged_at__isnull=True)
    return unflagged.update(overdue_flagged_at=now)


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
        new=f"{label} ({used + 1}/{allowance.per_year})",
    )
    return use
