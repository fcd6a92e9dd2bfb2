"""The status of a ticket: one function moves it, checked against ALLOWED_MOVES, with a history row."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User

from ..models import (
    EventAction,
    Status,
    Ticket,
)
from ..signals import ticket_status_changed
from .base import (
    CUSTOMERS,
    ENGINEERS,
    ENGINEERS_OR_CUSTOMERS,
    _name_of,
    _notify_engineers,
    ticket_actor_check,
    ticket_customers_notify,
    ticket_event_record,
    ticket_lock,
    ticket_touch,
)

# The only status moves there are. Reopening is closed → in progress.
ALLOWED_MOVES: dict[str, frozenset[str]] = {
    Status.NEW: frozenset({Status.IN_PROGRESS, Status.WAITING, Status.CLOSED}),
    Status.IN_PROGRESS: frozenset({Status.WAITING, Status.CLOSED}),
    Status.WAITING: frozenset({Status.IN_PROGRESS, Status.CLOSED}),
    Status.CLOSED: frozenset({Status.IN_PROGRESS}),
}


# --- status ------------------------------------------------------------------------------------------


def _status_set(*, ticket: Ticket, actor: User | None, to: str, actor_name: str = "") -> bool:
    """The one place a status changes: checked against ALLOWED_MOVES and written to the history. The
    caller holds the row lock. `actor_name` names an actor without an account (a CC replying by e-mail).
    Returns whether anything changed."""
    old = ticket.status
    if to == old:
        return False
    if to not in ALLOWED_MOVES[old]:
        raise ValidationError(
            _("A ticket cannot go from “%(old)s” to “%(new)s”."),
            code="status_move",
            params={"old": Status(old).label, "new": Status(to).label},
        )
    now = timezone.now()
    ticket_touch(ticket, status=to, closed_at=now if to == Status.CLOSED else None)
    ticket_event_record(ticket=ticket, actor=actor, action=EventAction.STATUS, old=old, new=to, actor_name=actor_name)
    ticket_status_changed.send(sender=Ticket, ticket=ticket, old=old, new=to, at=now)
    return True


@transaction.atomic
def ticket_status_change(*, ticket: Ticket, actor: User, to: str) -> Ticket:
    """An engineer sets the status (SPEC §7); the reporter and CCs are told."""
    ticket_actor_check(user=actor, allowed=ENGINEERS)
    return _status_change_notify(ticket=ticket, actor=actor, to=to)


def _status_change_notify(*, ticket: Ticket, actor: User, to: str) -> Ticket:
    ticket = ticket_lock(ticket)
    old = ticket.status
    if _status_set(ticket=ticket, actor=actor, to=to):
        ticket_customers_notify(
            ticket=ticket,
            template="tickets/emails/ticket_status",
            context={"old_status": Status(old).label, "actor_name": _name_of(actor)},
            exclude=actor.email,
        )
    return ticket


@transaction.atomic
def ticket_close(*, ticket: Ticket, actor: User) -> Ticket:
    """The customer marks the problem solved (or an engineer closes the ticket)."""
    ticket_actor_check(user=actor, company_id=ticket.company_id, allowed=ENGINEERS_OR_CUSTOMERS)
    ticket = ticket_lock(ticket)
    if ticket.status == Status.CLOSED:
        raise ValidationError(_("The ticket is already closed."), code="already_closed")
    return _status_change_notify(ticket=ticket, actor=actor, to=Status.CLOSED)


@transaction.atomic
def ticket_reopen(*, ticket: Ticket, actor: User) -> Ticket:
    """A closed ticket can be reopened at any time (SPEC §4); the engineers are told."""
    ticket_actor_check(user=actor, company_id=ticket.company_id, allowed=CUSTOMERS)
    ticket = ticket_lock(ticket)
    if ticket.status != Status.CLOSED:
        raise ValidationError(_("Only a closed ticket can be reopened."), code="not_closed")
    ticket = _status_change_notify(ticket=ticket, actor=actor, to=Status.IN_PROGRESS)
    _notify_engineers(
        ticket=ticket, template="tickets/emails/ticket_reopened_engineers", context={"actor_name": _name_of(actor)}
    )
    return ticket
