"""The rest of the ticket page: CC addresses, the reseller's access, escalation, assignee, priority."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from contracts.models import Contract, Priority
from core.outbox import email_queue
from core.text import email_canonical
from core.validation import full_clean_held

from ..links import ticket_email_links
from ..models import (
    EventAction,
    Status,
    Ticket,
    TicketCc,
    TicketEvent,
)
from ..signals import ticket_priority_changed
from .base import (
    CUSTOMERS,
    ENGINEERS,
    ENGINEERS_OR_CUSTOMERS,
    _name_of,
    emails_clean,
    reseller_current,
    ticket_actor_check,
    ticket_email_reply_path,
    ticket_event_record,
    ticket_lock,
    ticket_touch,
)

# --- the rest of the ticket page ---------------------------------------------------------------------


@transaction.atomic
def ticket_cc_add(*, ticket: Ticket, actor: User, email: str) -> TicketCc:
    ticket_actor_check(user=actor, company_id=ticket.company_id, allowed=ENGINEERS_OR_CUSTOMERS)
    ticket = ticket_lock(ticket)
    cleaned = emails_clean([email])
    if not cleaned:
        raise ValidationError(_("Enter an e-mail address."), code="cc_empty")
    # One identity per address: `Anna@Kowalski.example` is the reporter `anna@kowalski.example` (core/text.py).
    already = {email_canonical(a) for a in [ticket.reporter_email, *ticket.ccs.values_list("email", flat=True)]}
    if email_canonical(cleaned[0]) in already:
        raise ValidationError(
            _("%(email)s already gets this ticket's messages."), code="cc_duplicate", params={"email": cleaned[0]}
        )
    if ticket.ccs.count() >= settings.MYHEZO_TICKET_MAX_CCS:
        raise ValidationError(
            _("Add at most %(limit)d CC addresses."), code="cc_count", params={"limit": settings.MYHEZO_TICKET_MAX_CCS}
        )
    cc = TicketCc.objects.create(ticket=ticket, email=cleaned[0])
    ticket_event_record(ticket=ticket, actor=actor, action=EventAction.CC_ADDED, new=cc.email)
    return cc


@transaction.atomic
def ticket_cc_remove(*, ticket: Ticket, actor: User, email: str) -> None:
    ticket_actor_check(user=actor, company_id=ticket.company_id, allowed=ENGINEERS_OR_CUSTOMERS)
    ticket = ticket_lock(ticket)
    deleted, _rows = ticket.ccs.filter(email=email.strip().lower()).delete()
    if not deleted:
        raise ValidationError(_("%(email)s is not a CC of this ticket."), code="cc_missing", params={"email": email})
    ticket_event_record(ticket=ticket, actor=actor, action=EventAction.CC_REMOVED, old=email.strip().lower())


@transaction.atomic
def ticket_partner_access_set(*, ticket: Ticket, actor: User, allowed: bool) -> Ticket:
    """The customer lets the contract's reseller read the ticket, or takes that back (effective at once). The
    access names the reseller it is given to (`Ticket.partner_company`): the contract's reseller now."""
    ticket_actor_check(user=actor, company_id=ticket.company_id, allowed=CUSTOMERS)
    ticket = ticket_lock(ticket)
    reseller_id = reseller_current(ticket.contract) if allowed else None
    if allowed and reseller_id is None:
        raise ValidationError(
            _("Contract %(number)s was not sold by a reseller, so there is nobody to share the ticket with."),
            code="no_reseller",
            params={"number": ticket.contract.number},
        )
    if ticket.partner_access != allowed or ticket.partner_company_id != reseller_id:
        old = ticket.partner_access
        ticket_touch(ticket, partner_access=allowed, partner_company_id=reseller_id)
        ticket_event_record(
            ticket=ticket,
            actor=actor,
            action=EventAction.PARTNER_ACCESS,
            old=str(old).lower(),
            new=str(allowed).lower(),
        )
    return ticket


@transaction.atomic
def tickets_partner_access_withdraw(*, contract: Contract, changed_by: User | None, changed_by_name: str = "") -> int:
    """The contract's reseller changed (`contracts.signals.contract_reseller_changed`, tickets/receivers.py): every
    access its customer granted on it ends, because it was granted to the former reseller (SPEC §4). Each
    ticket gets a history row (the company the access named → the new reseller); the customer can grant it
    again, to the new reseller. Not a ticket change anyone asks for, so no guard and no "last activity": the
    contract change that causes it was already allowed (admin's permission, or the operator's import).
    Returns how many tickets lost the access."""
    tickets = list(
        Ticket.objects.select_for_update(of=("self",))
        .filter(contract=contract)
        .filter(Q(partner_access=True) | Q(partner_company__isnull=False))
        .select_related("partner_company")
        .order_by("pk")
    )
    if not tickets:
        return 0
    new_reseller = contract.reseller.name if contract.reseller_id else ""
    Ticket.objects.filter(pk__in=[ticket.pk for ticket in tickets]).update(partner_access=False, partner_company=None)
    events = []
    for ticket in tickets:
        event = TicketEvent(
            ticket=ticket,
            actor=changed_by,
            actor_name=(changed_by_name or _name_of(changed_by))[:300],
            action=EventAction.RESELLER_CHANGED,
            old_value=(ticket.partner_company.name if ticket.partner_company else "")[:300],
            new_value=new_reseller[:300],
        )
        full_clean_held(event)  # the ticket and the actor are rows this transaction already holds
        events.append(event)
    TicketEvent.objects.bulk_create(events)
    return len(tickets)


@transaction.atomic
def ticket_escalate(*, ticket: Ticket, actor: User, reason: str) -> Ticket:
    """The customer escalates an open ticket: it is flagged and the escalation mailbox is told."""
    ticket_actor_check(user=actor, company_id=ticket.company_id, allowed=CUSTOMERS)
    ticket = ticket_lock(ticket)
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Say why the ticket needs escalating."), code="reason_missing")
    if ticket.status == Status.CLOSED:
        raise ValidationError(_("A closed ticket cannot be escalated. Reopen it first."), code="closed")
    ticket_touch(ticket, escalated_at=timezone.now(), escalation_reason=reason)
    ticket_event_record(ticket=ticket, actor=actor, action=EventAction.ESCALATED, new=reason)
    email_queue(
        to=[settings.MYHEZO_ESCALATION_EMAIL],
        template="tickets/emails/ticket_escalated",
        context={"ticket": ticket, **ticket_email_links(ticket), "reason": reason, "actor_name": _name_of(actor)},
        language=settings.MYHEZO_ENGINEERS_LANGUAGE,
        **ticket_email_reply_path(ticket),
    )
    return ticket


@transaction.atomic
def ticket_assign(*, ticket: Ticket, actor: User, assignee: User | None) -> Ticket:
    ticket_actor_check(user=actor, allowed=ENGINEERS)
    if assignee is not None:
        ticket_actor_check(user=assignee, allowed=ENGINEERS)
    ticket = ticket_lock(ticket)
    if ticket.assignee_id != (assignee.pk if assignee else None):
        old = _name_of(ticket.assignee) if ticket.assignee_id else ""
        ticket_touch(ticket, assignee=assignee)
        ticket_event_record(ticket=ticket, actor=actor, action=EventAction.ASSIGNEE, old=old, new=_name_of(assignee))
    return ticket


@transaction.atomic
def ticket_priority_change(*, ticket: Ticket, actor: User, priority: str) -> Ticket:
    ticket_actor_check(user=actor, allowed=ENGINEERS)
    if priority not in Priority.values:
        raise ValidationError(_("Choose a priority."), code="priority")
    ticket = ticket_lock(ticket)
    if ticket.priority != priority:
        old = ticket.priority
        ticket_touch(ticket, priority=priority)
        ticket_priority_changed.send(sender=Ticket, ticket=ticket)
        ticket_event_record(ticket=ticket, actor=actor, action=EventAction.PRIORITY, old=old, new=priority)
    return ticket
