"""What every ticket change shares: the row lock, the history row, the dialog entry with its files,
and the e-mails to the customer's side and to the engineers (always through the outbox)."""

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from contracts.models import Contract
from core.outbox import email_queue
from core.text import email_address_validate, email_canonical
from core.validation import full_clean_held

from ..attachments import attachments_check
from ..links import ticket_email_links
from ..mailthread import ticket_mail_headers, ticket_reply_address
from ..models import (
    Attachment,
    Message,
    Ticket,
    TicketEvent,
)

# --- helpers -------------------------------------------------------------------------------------------


def _name_of(user: User | None) -> str:
    if user is None:
        return "—"
    return user.get_full_name() or user.email


def ticket_lock(ticket: Ticket) -> Ticket:
    """The ticket row, locked for the rest of the transaction, so concurrent changes queue up."""
    return Ticket.objects.select_for_update(of=("self",)).select_related("contract", "line").get(pk=ticket.pk)


def reseller_current(contract: Contract) -> int | None:
    """The contract's reseller as stored now, its row locked for the rest of the transaction: what a consent
    given in this transaction names (a reseller change locks the same row first, `contracts.services`)."""
    return Contract.objects.select_for_update().filter(pk=contract.pk).values_list("reseller_id", flat=True).get()


def ticket_event_record(
    *,
    ticket: Ticket,
    actor: User | None,
    action: str,
    old: str = "",
    new: str = "",
    data: dict | None = None,
    actor_name: str = "",
) -> TicketEvent:
    """One row of the ticket's history: an action code with its old and new values and `data` — codes, ids,
    "true"/"false", ISO 8601 instants, never a sentence — drawn in the reader's language by `tickets.history`.
    `actor_name` names an actor that is not a user (the importer)."""
    event = TicketEvent(
        ticket=ticket,
        actor=actor,
        actor_name=actor_name or _name_of(actor),
        action=action,
        old_value=old[:300],
        new_value=new[:300],
        data=data or {},
    )
    full_clean_held(event)
    event.save()
    return event


def ticket_touch(ticket: Ticket, **fields) -> None:
    """Save the changed fields (validated) and mark the ticket as active now: the list's "last activity"."""
    fields["last_activity_at"] = timezone.now()
    for name, value in fields.items():
        setattr(ticket, name, value)
    ticket.full_clean()
    ticket.save(update_fields=list(fields))


def ticket_number_next(year: int) -> str:
    """The next ticket number of `year` (HZ-2026-000123), never given twice."""
    return ticket_numbers_next(year, 1)[0]


def ticket_numbers_next(year: int, count: int) -> list[str]:
    """The next `count` ticket numbers of `year`, in order, never given twice."""
    # One upsert that takes the row lock: concurrent openings queue for the counter and never share a
    # number. PostgreSQL and SQLite (3.35+) both speak ON CONFLICT … RETURNING.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO tickets_ticketnumbercounter (year, last) VALUES (%s, %s) "
            "ON CONFLICT (year) DO UPDATE SET last = tickets_ticketnumbercounter.last + %s RETURNING last",
            [year, count, count],
        )
        (last,) = cursor.fetchone()
    return [f"HZ-{year}-{number:06d}" for number in range(last - count + 1, last + 1)]


def emails_clean(raw: Iterable[str], *, exclude: Iterable[str] = ()) -> list[str]:
    """Addresses typed for a ticket (CC): lower-cased, each a valid address (core/text.py: which also rules out
    CR/LF, commas, invisible characters, look-alike letters and anything over 254 characters), one per identity
    (canonical form), without those of `exclude`."""
    excluded = {email_canonical(e) for e in exclude}
    seen: set[str] = set()
    emails: list[str] = []
    for value in raw:
        email = value.strip().lower()
        if not email:
            continue
        try:
            email_address_validate(email)
        except ValidationError as error:
            if error.code == "lookalike":
                raise ValidationError(
                    _(
                        "“%(email)s” contains letters that look like other letters (for example a dotless “ı” "
                        "instead of “i”). Type the address again using the letters of its real spelling."
                    ),
                    code="cc_lookalike",
                    params={"email": value.strip()},
                ) from None
            raise ValidationError(
                _("“%(email)s” is not a valid e-mail address."), code="cc_invalid", params={"email": value.strip()}
            ) from None
        canonical = email_canonical(email)
        if canonical not in excluded and canonical not in seen:
            seen.add(canonical)
            emails.append(email)
    return emails


@contextmanager
def _atomic_with_files() -> Iterator[list[str]]:
    """A transaction that also owns the files stored during it: when it fails, they are deleted, so no
    upload outlives a change that did not happen."""
    stored: list[str] = []
    try:
        with transaction.atomic():
            yield stored
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise


def _message_add(
    *,
    ticket: Ticket,
    kind: str,
    author: User | None,
    author_name: str,
    by_engineer: bool,
    body: str,
    files: Sequence[UploadedFile] = (),
    stored: list[str],
) -> Message:
    checked = attachments_check(files)
    message = Message(
        ticket=ticket, kind=kind, author=author, author_name=author_name, by_engineer=by_engineer, body=body.strip()
    )
    message.full_clean()
    message.save()
    for item in checked:
        attachment = Attachment(message=message, name=item.name, size=item.size, content_type=item.content_type)
        # Through the storage API, so a shared store can replace the local disk.
        attachment.file.save(item.name, item.file, save=False)
        stored.append(attachment.file.name)
        attachment.full_clean()
        attachment.save()
    return message


# --- e-mail ------------------------------------------------------------------------------------------


def _customer_recipients(ticket: Ticket, *, exclude: str = "") -> list[tuple[str, str]]:
    """(address, language) of the reporter and every CC, without the person who caused the e-mail. A CC
    address that belongs to a portal user gets that user's language, any other the ticket's."""
    # Stored addresses were checked when they were typed: here only one e-mail per identity (canonical form).
    excluded = email_canonical(exclude) if exclude else None
    addresses: dict[str, str] = {}
    for address in [ticket.reporter_email, *ticket.ccs.values_list("email", flat=True)]:
        canonical = email_canonical(address)
        if address.strip() and canonical != excluded:
            addresses.setdefault(canonical, address.strip().lower())
    languages = dict(User.objects.filter(email_canonical__in=addresses).values_list("email_canonical", "language"))
    return [(address, languages.get(canonical) or ticket.language) for canonical, address in addresses.items()]


def ticket_customers_notify(*, ticket: Ticket, template: str, context: dict, exclude: str = "") -> None:
    """E-mail the ticket's customer side (reporter and CCs, without `exclude`) through the outbox, with the
    ticket and its links in the context. One e-mail per address: each in its reader's language, and no CC learns
    the others' addresses. Each answers to the ticket's reply address and threads with the ticket's others."""
    for address, language in _customer_recipients(ticket, exclude=exclude):
        email_queue(
            to=[address],
            template=template,
            context={"ticket": ticket, **ticket_email_links(ticket), "reply_by_email": True, **context},
            language=language,
            **ticket_email_reply_path(ticket),
        )


def ticket_email_reply_path(ticket: Ticket) -> dict:
    """`reply_to` and `headers` of every e-mail about the ticket (SPEC §9): its reply address and threading.
    An engineer answering a notification by e-mail reaches the ticket too (as an internal note), never the
    customer directly."""
    return {"reply_to": [ticket_reply_address(ticket.number)], "headers": ticket_mail_headers(ticket.number)}


def _notify_engineers(*, ticket: Ticket, template: str, context: dict) -> None:
    email_queue(
        to=[settings.MYHEZO_ENGINEERS_EMAIL],
        template=template,
        context={"ticket": ticket, **ticket_email_links(ticket), "reply_by_email": True, **context},
        language=settings.MYHEZO_ENGINEERS_LANGUAGE,
        **ticket_email_reply_path(ticket),
    )


class Acting(StrEnum):
    """The two capacities in which someone changes a ticket."""

    ENGINEER = "engineer"  # a HEZO engineer (staff), on any ticket
    CUSTOMER = "customer"  # a verified customer user of the ticket's company


ENGINEERS = frozenset({Acting.ENGINEER})
CUSTOMERS = frozenset({Acting.CUSTOMER})
ENGINEERS_OR_CUSTOMERS = ENGINEERS | CUSTOMERS


def ticket_actor_check(*, user: User, allowed: frozenset[Acting], company_id: int | None = None) -> Acting:
    """Who may act on a ticket: the one guard every ticket service (and operations') calls before it changes
    anything. `company_id` is the ticket's company (for a new ticket, its contract's customer). Partners,
    other companies' users and anyone unverified never act. Returns the capacity the user acts in."""
    if Acting.ENGINEER in allowed and user.is_staff:
        return Acting.ENGINEER
    if (
        Acting.CUSTOMER in allowed
        and company_id is not None
        and user.is_verified_customer
        and user.company_id == company_id
    ):
        return Acting.CUSTOMER
    if allowed == ENGINEERS:
        raise ValidationError(_("Only HEZO engineers can do this."), code="not_engineer")
    raise ValidationError(_("Only your company's users can change this ticket."), code="not_customer")
