"""The dialog: customers' messages, engineers' public replies and internal notes, phone contacts."""

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User

from ..models import (
    EventAction,
    Message,
    MessageKind,
    Status,
    Ticket,
)
from ..signals import ticket_customer_message, ticket_engineer_contact
from .base import (
    CUSTOMERS,
    ENGINEERS,
    _atomic_with_files,
    _message_add,
    _name_of,
    _notify_engineers,
    ticket_actor_check,
    ticket_customers_notify,
    ticket_event_record,
    ticket_lock,
    ticket_touch,
)
from .status import _status_set

# --- the dialog --------------------------------------------------------------------------------------


def ticket_reply(*, ticket: Ticket, author: User, body: str, attachments: Sequence[UploadedFile] = ()) -> Message:
    """A customer writes in the dialog. A ticket waiting for the customer goes back to the engineers."""
    ticket_actor_check(user=author, company_id=ticket.company_id, allowed=CUSTOMERS)
    with _atomic_with_files() as stored:
        ticket = ticket_lock(ticket)
        if ticket.status == Status.CLOSED:
            raise ValidationError(_("The ticket is closed. Reopen it to write again."), code="closed")
        message = _message_add(
            ticket=ticket,
            kind=MessageKind.REPLY,
            author=author,
            author_name=_name_of(author),
            by_engineer=False,
            body=body,
            files=attachments,
            stored=stored,
        )
        if ticket.status == Status.WAITING:
            _status_set(ticket=ticket, actor=author, to=Status.IN_PROGRESS)
        ticket_customer_message.send(sender=Ticket, ticket=ticket, at=message.created_at)
        ticket_touch(ticket)
        context = {"message": message, "attachments": list(message.attachments.all())}
        ticket_customers_notify(
            ticket=ticket, template="tickets/emails/ticket_message", context=context, exclude=author.email
        )
        _notify_engineers(
            ticket=ticket, template="tickets/emails/ticket_reply_engineers", context=context, reply_to=author.email
        )
        return message


def ticket_engineer_reply(
    *,
    ticket: Ticket,
    engineer: User,
    body: str,
    internal: bool = False,
    attachments: Sequence[UploadedFile] = (),
) -> Message:
    """An engineer's public reply (mailed to the reporter and every CC) or internal note (mailed to
    nobody, never shown outside the back office)."""
    ticket_actor_check(user=engineer, allowed=ENGINEERS)
    with _atomic_with_files() as stored:
        ticket = ticket_lock(ticket)
        message = _message_add(
            ticket=ticket,
            kind=MessageKind.NOTE if internal else MessageKind.REPLY,
            author=engineer,
            author_name=_name_of(engineer),
            by_engineer=True,
            body=body,
            files=attachments,
            stored=stored,
        )
        if internal:
            return message
        if ticket.status == Status.NEW:
            _status_set(ticket=ticket, actor=engineer, to=Status.IN_PROGRESS)
        ticket_engineer_contact.send(sender=Ticket, ticket=ticket, at=message.created_at)
        ticket_touch(ticket)
        ticket_customers_notify(
            ticket=ticket,
            template="tickets/emails/ticket_message",
            context={"message": message, "attachments": list(message.attachments.all())},
        )
        return message


@transaction.atomic
def ticket_phone_contact_log(*, ticket: Ticket, engineer: User, body: str) -> Message:
    """A phone call with the customer, logged for the engineers (it counts as a reply for the SLA)."""
    ticket_actor_check(user=engineer, allowed=ENGINEERS)
    ticket = ticket_lock(ticket)
    message = _message_add(
        ticket=ticket,
        kind=MessageKind.PHONE,
        author=engineer,
        author_name=_name_of(engineer),
        by_engineer=True,
        body=body,
        stored=[],
    )
    ticket_event_record(ticket=ticket, actor=engineer, action=EventAction.PHONE_CONTACT)
    ticket_engineer_contact.send(sender=Ticket, ticket=ticket, at=message.created_at)
    ticket_touch(ticket)
    return message
