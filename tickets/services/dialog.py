"""The dialog: customers' messages, engineers' public replies and internal notes, phone contacts."""

from collections.abc import Sequence

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import User

from ..models import (
    Attachment,
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
        return _customer_message(
            ticket=ticket,
            author=author,
            name=_name_of(author),
            email=author.email,
            body=body,
            files=attachments,
            stored=stored,
        )


def _customer_message(
    *, ticket: Ticket, author: User | None, name: str, email: str, body: str, files, stored: list[str]
) -> Message:
    """What a customer's message does, on the portal or by e-mail: the message with its files, the ticket back to
    the engineers, the next-reply clock (signal), e-mails to the others. The caller holds the row lock."""
    message = _message_add(
        ticket=ticket,
        kind=MessageKind.REPLY,
        author=author,
        author_name=name,
        by_engineer=False,
        body=body,
        files=files,
        stored=stored,
    )
    if ticket.status == Status.WAITING:
        _status_set(ticket=ticket, actor=author, to=Status.IN_PROGRESS)
    ticket_customer_message.send(sender=Ticket, ticket=ticket, at=message.created_at)
    ticket_touch(ticket)
    context = {"message": message, "attachments": list(message.attachments.all())}
    ticket_customers_notify(ticket=ticket, template="tickets/emails/ticket_message", context=context, exclude=email)
    _notify_engineers(ticket=ticket, template="tickets/emails/ticket_reply_engineers", context=context)
    return message


def ticket_reply_by_email(
    *,
    ticket: Ticket,
    author: User | None,
    name: str,
    email: str,
    body: str,
    attachments: Sequence[UploadedFile] = (),
    original: UploadedFile | None = None,
) -> Message:
    """A customer's answer to a ticket e-mail (SPEC §9), from a sender the receiver (`inbound`) has found
    authorised: the reporter or a colleague (`author`, a verified user of the ticket's company), or one of the
    ticket's CC addresses (`author` None). It does what a portal reply does, and a closed ticket is reopened
    first (SPEC §4). `original`, the e-mail as received, is kept on an internal note: engineers only."""
    if author is not None:
        ticket_actor_check(user=author, company_id=ticket.company_id, allowed=CUSTOMERS)
    with _atomic_with_files() as stored:
        ticket = ticket_lock(ticket)
        if ticket.status == Status.CLOSED:
            _status_set(ticket=ticket, actor=author, to=Status.IN_PROGRESS, actor_name=name)
            _notify_engineers(
                ticket=ticket, template="tickets/emails/ticket_reopened_engineers", context={"actor_name": name}
            )
        message = _customer_message(
            ticket=ticket, author=author, name=name, email=email, body=body, files=attachments, stored=stored
        )
        if original is not None:
            _original_keep(ticket=ticket, original=original, name=name, stored=stored)
        return message


def ticket_note_by_email(
    *, ticket: Ticket, engineer: User, body: str, attachments: Sequence[UploadedFile] = (), original=None
) -> Message:
    """An engineer's answer to a ticket e-mail: an internal note, never a public reply (SPEC §9)."""
    with transaction.atomic():
        message = ticket_engineer_reply(
            ticket=ticket, engineer=engineer, body=body, internal=True, attachments=attachments
        )
        if original is not None:
            with _atomic_with_files() as stored:
                _original_keep(ticket=ticket, original=original, name=_name_of(engineer), stored=stored)
        return message


def _original_keep(*, ticket: Ticket, original: UploadedFile, name: str, stored: list[str]) -> Message:
    """The e-mail as received, as an `.eml` file on an internal note: engineers see exactly what came in, customers
    and partners never (notes are not public). Not through the attachment allowlist: nobody uploaded it."""
    with translation.override(settings.MYHEZO_ENGINEERS_LANGUAGE):
        body = _("The original e-mail from %(name)s.") % {"name": name}
    note = _message_add(
        ticket=ticket, kind=MessageKind.NOTE, author=None, author_name=name, by_engineer=False, body=body, stored=stored
    )
    attachment = Attachment(message=note, name=original.name, size=original.size, content_type="message/rfc822")
    attachment.file.save(original.name, original, save=False)
    stored.append(attachment.file.name)
    attachment.full_clean()
    attachment.save()
    return note


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
