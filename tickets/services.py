"""Every change to a ticket (SPEC §4, §7, §9). Each function is one transaction: the change, its
history row and its e-mails (through the outbox) all happen, or none of them."""

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from contracts.models import Contract, ContractLine, Priority
from contracts.notation import SerialInput, serial_parse
from core.services import email_queue

from .attachments import attachments_check
from .models import (
    Attachment,
    EventAction,
    Message,
    MessageKind,
    Source,
    Status,
    Ticket,
    TicketCc,
    TicketEvent,
)

# The only status moves there are. Reopening is closed → in progress.
ALLOWED_MOVES: dict[str, frozenset[str]] = {
    Status.NEW: frozenset({Status.IN_PROGRESS, Status.WAITING, Status.CLOSED}),
    Status.IN_PROGRESS: frozenset({Status.WAITING, Status.CLOSED}),
    Status.WAITING: frozenset({Status.IN_PROGRESS, Status.CLOSED}),
    Status.CLOSED: frozenset({Status.IN_PROGRESS}),
}


# --- helpers -------------------------------------------------------------------------------------------


def _name_of(user: User | None) -> str:
    if user is None:
        return "—"
    return user.get_full_name() or user.email


def _locked(ticket: Ticket) -> Ticket:
    """The ticket row, locked for the rest of the transaction, so concurrent changes queue up."""
    return Ticket.objects.select_for_update(of=("self",)).select_related("contract", "line").get(pk=ticket.pk)


def _event(*, ticket: Ticket, actor: User | None, action: str, old: str = "", new: str = "") -> TicketEvent:
    event = TicketEvent(
        ticket=ticket, actor=actor, actor_name=_name_of(actor), action=action, old_value=old[:300], new_value=new[:300]
    )
    event.full_clean()
    event.save()
    return event


def _touch(ticket: Ticket, **fields) -> None:
    fields["last_activity_at"] = timezone.now()
    for name, value in fields.items():
        setattr(ticket, name, value)
    ticket.full_clean()
    ticket.save(update_fields=list(fields))


def _next_number(year: int) -> str:
    # One upsert that takes the row lock: concurrent openings queue for the counter and never share a
    # number. PostgreSQL and SQLite (3.35+) both speak ON CONFLICT … RETURNING.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO tickets_ticketnumbercounter (year, last) VALUES (%s, 1) "
            "ON CONFLICT (year) DO UPDATE SET last = tickets_ticketnumbercounter.last + 1 RETURNING last",
            [year],
        )
        (last,) = cursor.fetchone()
    return f"HZ-{year}-{last:06d}"


def emails_clean(raw: Iterable[str], *, exclude: Iterable[str] = ()) -> list[str]:
    """Lower-cased, de-duplicated, each one a valid address (which also rules out CR/LF and commas)."""
    excluded = {e.lower() for e in exclude}
    emails: list[str] = []
    for value in raw:
        email = value.strip().lower()
        if not email:
            continue
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationError(
                _("“%(email)s” is not a valid e-mail address."), code="cc_invalid", params={"email": value.strip()}
            ) from None
        if email not in excluded and email not in emails:
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


def _links(ticket: Ticket) -> dict[str, str]:
    base = settings.MYHEZO_BASE_URL
    return {
        "ticket_url": base + reverse("tickets:detail", args=[ticket.number]),
        "admin_url": base + reverse("admin:tickets_ticket_change", args=[ticket.pk]),
    }


def _customer_recipients(ticket: Ticket, *, exclude: str = "") -> list[tuple[str, str]]:
    """(address, language) of the reporter and every CC, without the person who caused the e-mail. A CC
    address that belongs to a portal user gets that user's language, any other the ticket's."""
    addresses = emails_clean([ticket.reporter_email, *ticket.ccs.values_list("email", flat=True)], exclude=[exclude])
    languages = dict(User.objects.filter(email__in=addresses).values_list("email", "language"))
    return [(address, languages.get(address) or ticket.language) for address in addresses]


def _notify_customers(*, ticket: Ticket, template: str, context: dict, exclude: str = "") -> None:
    # One e-mail per address: each in its reader's language, and no CC learns the others' addresses.
    for address, language in _customer_recipients(ticket, exclude=exclude):
        email_queue(
            to=[address],
            template=template,
            context={"ticket": ticket, **_links(ticket), **context},
            language=language,
        )


def _notify_engineers(*, ticket: Ticket, template: str, context: dict, reply_to: str = "") -> None:
    email_queue(
        to=[settings.MYHEZO_ENGINEERS_EMAIL],
        template=template,
        context={"ticket": ticket, **_links(ticket), **context},
        language=settings.MYHEZO_ENGINEERS_LANGUAGE,
        reply_to=[reply_to] if reply_to else None,
    )


# --- opening -----------------------------------------------------------------------------------------


def _ticket_insert(
    *,
    line: ContractLine,
    priority: str,
    title: str,
    description: str,
    reporter: User | None,
    reporter_name: str,
    reporter_email: str,
    language: str,
    files: Sequence[UploadedFile],
    cc_emails: Iterable[str],
    partner_access: bool,
    source: str,
    actor: User,
    stored: list[str],
) -> Ticket:
    contract = line.contract
    if not contract.is_active():
        raise ValidationError(
            _("Contract %(number)s is not active: tickets can only be opened on an active contract."),
            code="contract_inactive",
            params={"number": contract.number},
        )
    if partner_access and contract.reseller_id is None:
        raise ValidationError(
            _("Contract %(number)s was not sold by a reseller, so there is nobody to share the ticket with."),
            code="no_reseller",
            params={"number": contract.number},
        )
    ccs = emails_clean(cc_emails, exclude=[reporter_email])
    if len(ccs) > settings.MYHEZO_TICKET_MAX_CCS:
        raise ValidationError(
            _("Add at most %(limit)d CC addresses."), code="cc_count", params={"limit": settings.MYHEZO_TICKET_MAX_CCS}
        )
    now = timezone.now()
    ticket = Ticket(
        number=_next_number(timezone.localtime(now).year),
        company_id=contract.customer_id,
        contract=contract,
        line=line,
        title=" ".join(title.split()),
        priority=priority,
        source=source,
        reporter=reporter,
        reporter_name=reporter_name,
        reporter_email=reporter_email.lower(),
        language=language,
        partner_access=partner_access,
        created_at=now,
        last_activity_at=now,
    )
    ticket.full_clean()
    ticket.save()
    message = _message_add(
        ticket=ticket,
        kind=MessageKind.REPLY,
        author=reporter,
        author_name=reporter_name,
        by_engineer=False,
        body=description,
        files=files,
        stored=stored,
    )
    for email in ccs:
        TicketCc.objects.create(ticket=ticket, email=email)
    _event(ticket=ticket, actor=actor, action=EventAction.CREATED, new=ticket.get_source_display())
    context = {"message": message, "attachments": list(message.attachments.all())}
    _notify_customers(ticket=ticket, template="tickets/emails/ticket_created", context=context)
    _notify_engineers(
        ticket=ticket, template="tickets/emails/ticket_created_engineers", context=context, reply_to=reporter_email
    )
    return ticket


def ticket_create(
    *,
    line: ContractLine,
    author: User,
    priority: str,
    title: str,
    description: str,
    attachments: Sequence[UploadedFile] = (),
    cc_emails: Iterable[str] = (),
    partner_access: bool = False,
) -> Ticket:
    """A verified customer opens a ticket on a device line of an active contract of their company."""
    if not author.is_verified_customer or line.contract.customer_id != author.company_id:
        raise ValidationError(_("Choose a device of your company's contract."), code="line_not_yours")
    with _atomic_with_files() as stored:
        return _ticket_insert(
            line=line,
            priority=priority,
            title=title,
            description=description,
            reporter=author,
            reporter_name=_name_of(author),
            reporter_email=author.email,
            language=author.language,
            files=attachments,
            cc_emails=cc_emails,
            partner_access=partner_access,
            source=Source.PORTAL,
            actor=author,
            stored=stored,
        )


def contract_line_for_serial(*, contract: Contract, serial: str) -> ContractLine:
    """The line of this contract with this serial, typed in any notation; refused when the serial is not
    on the contract (SPEC §7 phone intake)."""
    parsed: SerialInput = serial_parse(serial)
    lines = ContractLine.objects.filter(contract=contract, serial=parsed.serial).select_related("contract")
    if parsed.index is not None:
        lines = lines.filter(service_index=parsed.index)
    line = lines.order_by("service_index").first()
    if line is None:
        raise ValidationError(
            _("Serial number %(serial)s is not on contract %(number)s."),
            code="serial_not_on_contract",
            params={"serial": serial.strip(), "number": contract.number},
        )
    return line


def ticket_create_by_phone(
    *,
    contract: Contract,
    serial: str,
    engineer: User,
    contact_name: str,
    contact_email: str,
    priority: str,
    title: str,
    description: str,
    language: str = "pl",
    attachments: Sequence[UploadedFile] = (),
    cc_emails: Iterable[str] = (),
    partner_access: bool = False,
) -> Ticket:
    """An engineer takes a call and opens the ticket on behalf of the customer's contact person. The
    contact is linked to their portal account when they have one in that company."""
    _require_engineer(engineer)
    line = contract_line_for_serial(contract=contract, serial=serial)
    contact_email = contact_email.strip().lower()
    reporter = User.objects.filter(email=contact_email, company_id=contract.customer_id).first()
    with _atomic_with_files() as stored:
        return _ticket_insert(
            line=line,
            priority=priority,
            title=title,
            description=description,
            reporter=reporter,
            reporter_name=" ".join(contact_name.split()) or contact_email,
            reporter_email=contact_email,
            language=reporter.language if reporter else language,
            files=attachments,
            cc_emails=cc_emails,
            partner_access=partner_access,
            source=Source.PHONE,
            actor=engineer,
            stored=stored,
        )


# --- status ------------------------------------------------------------------------------------------


def _status_set(*, ticket: Ticket, actor: User, to: str) -> bool:
    """The one place a status changes: checked against ALLOWED_MOVES and written to the history. The
    caller holds the row lock. Returns whether anything changed."""
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
    _touch(ticket, status=to, closed_at=now if to == Status.CLOSED else None)
    _event(ticket=ticket, actor=actor, action=EventAction.STATUS, old=old, new=to)
    return True


@transaction.atomic
def ticket_status_change(*, ticket: Ticket, actor: User, to: str) -> Ticket:
    """An engineer sets the status (SPEC §7); the reporter and CCs are told."""
    _require_engineer(actor)
    return _status_change_notify(ticket=ticket, actor=actor, to=to)


def _status_change_notify(*, ticket: Ticket, actor: User, to: str) -> Ticket:
    ticket = _locked(ticket)
    old = ticket.status
    if _status_set(ticket=ticket, actor=actor, to=to):
        _notify_customers(
            ticket=ticket,
            template="tickets/emails/ticket_status",
            context={"old_status": Status(old).label, "actor_name": _name_of(actor)},
            exclude=actor.email,
        )
    return ticket


def _require_customer_of(ticket: Ticket, user: User) -> None:
    if not user.is_verified_customer or user.company_id != ticket.company_id:
        raise ValidationError(_("Only your company's users can change this ticket."), code="not_customer")


def _require_engineer(user: User) -> None:
    if not user.is_staff:
        raise ValidationError(_("Only HEZO engineers can do this."), code="not_engineer")


@transaction.atomic
def ticket_close(*, ticket: Ticket, actor: User) -> Ticket:
    """The customer marks the problem solved (or an engineer closes the ticket)."""
    if not actor.is_staff:
        _require_customer_of(ticket, actor)
    ticket = _locked(ticket)
    if ticket.status == Status.CLOSED:
        raise ValidationError(_("The ticket is already closed."), code="already_closed")
    return _status_change_notify(ticket=ticket, actor=actor, to=Status.CLOSED)


@transaction.atomic
def ticket_reopen(*, ticket: Ticket, actor: User) -> Ticket:
    """A closed ticket can be reopened at any time (SPEC §4); the engineers are told."""
    _require_customer_of(ticket, actor)
    ticket = _locked(ticket)
    if ticket.status != Status.CLOSED:
        raise ValidationError(_("Only a closed ticket can be reopened."), code="not_closed")
    ticket = _status_change_notify(ticket=ticket, actor=actor, to=Status.IN_PROGRESS)
    _notify_engineers(
        ticket=ticket, template="tickets/emails/ticket_reopened_engineers", context={"actor_name": _name_of(actor)}
    )
    return ticket


# --- the dialog --------------------------------------------------------------------------------------


def ticket_reply(*, ticket: Ticket, author: User, body: str, attachments: Sequence[UploadedFile] = ()) -> Message:
    """A customer writes in the dialog. A ticket waiting for the customer goes back to the engineers."""
    _require_customer_of(ticket, author)
    with _atomic_with_files() as stored:
        ticket = _locked(ticket)
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
        _touch(ticket)
        context = {"message": message, "attachments": list(message.attachments.all())}
        _notify_customers(
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
    _require_engineer(engineer)
    with _atomic_with_files() as stored:
        ticket = _locked(ticket)
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
        _touch(ticket)
        _notify_customers(
            ticket=ticket,
            template="tickets/emails/ticket_message",
            context={"message": message, "attachments": list(message.attachments.all())},
        )
        return message


@transaction.atomic
def ticket_phone_contact_log(*, ticket: Ticket, engineer: User, body: str) -> Message:
    """A phone call with the customer, logged for the engineers (it counts as a reply for the SLA)."""
    _require_engineer(engineer)
    ticket = _locked(ticket)
    message = _message_add(
        ticket=ticket,
        kind=MessageKind.PHONE,
        author=engineer,
        author_name=_name_of(engineer),
        by_engineer=True,
        body=body,
        stored=[],
    )
    _event(ticket=ticket, actor=engineer, action=EventAction.PHONE_CONTACT)
    _touch(ticket)
    return message


# --- the rest of the ticket page ---------------------------------------------------------------------


@transaction.atomic
def ticket_cc_add(*, ticket: Ticket, actor: User, email: str) -> TicketCc:
    if not actor.is_staff:
        _require_customer_of(ticket, actor)
    ticket = _locked(ticket)
    cleaned = emails_clean([email])
    if not cleaned:
        raise ValidationError(_("Enter an e-mail address."), code="cc_empty")
    if ticket.ccs.filter(email=cleaned[0]).exists() or cleaned[0] == ticket.reporter_email:
        raise ValidationError(
            _("%(email)s already gets this ticket's messages."), code="cc_duplicate", params={"email": cleaned[0]}
        )
    if ticket.ccs.count() >= settings.MYHEZO_TICKET_MAX_CCS:
        raise ValidationError(
            _("Add at most %(limit)d CC addresses."), code="cc_count", params={"limit": settings.MYHEZO_TICKET_MAX_CCS}
        )
    cc = TicketCc.objects.create(ticket=ticket, email=cleaned[0])
    _event(ticket=ticket, actor=actor, action=EventAction.CC_ADDED, new=cc.email)
    return cc


@transaction.atomic
def ticket_cc_remove(*, ticket: Ticket, actor: User, email: str) -> None:
    if not actor.is_staff:
        _require_customer_of(ticket, actor)
    ticket = _locked(ticket)
    deleted, _rows = ticket.ccs.filter(email=email.strip().lower()).delete()
    if not deleted:
        raise ValidationError(_("%(email)s is not a CC of this ticket."), code="cc_missing", params={"email": email})
    _event(ticket=ticket, actor=actor, action=EventAction.CC_REMOVED, old=email.strip().lower())


@transaction.atomic
def ticket_partner_access_set(*, ticket: Ticket, actor: User, allowed: bool) -> Ticket:
    """The customer lets the reseller read the ticket, or takes that back (effective at once)."""
    _require_customer_of(ticket, actor)
    ticket = _locked(ticket)
    if allowed and ticket.contract.reseller_id is None:
        raise ValidationError(
            _("Contract %(number)s was not sold by a reseller, so there is nobody to share the ticket with."),
            code="no_reseller",
            params={"number": ticket.contract.number},
        )
    if ticket.partner_access != allowed:
        old = ticket.partner_access
        _touch(ticket, partner_access=allowed)
        _event(ticket=ticket, actor=actor, action=EventAction.PARTNER_ACCESS, old=str(old), new=str(allowed))
    return ticket


@transaction.atomic
def ticket_escalate(*, ticket: Ticket, actor: User, reason: str) -> Ticket:
    """The customer escalates an open ticket: it is flagged and the escalation mailbox is told."""
    _require_customer_of(ticket, actor)
    ticket = _locked(ticket)
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Say why the ticket needs escalating."), code="reason_missing")
    if ticket.status == Status.CLOSED:
        raise ValidationError(_("A closed ticket cannot be escalated. Reopen it first."), code="closed")
    _touch(ticket, escalated_at=timezone.now(), escalation_reason=reason)
    _event(ticket=ticket, actor=actor, action=EventAction.ESCALATED, new=reason)
    email_queue(
        to=[settings.MYHEZO_ESCALATION_EMAIL],
        template="tickets/emails/ticket_escalated",
        context={"ticket": ticket, **_links(ticket), "reason": reason, "actor_name": _name_of(actor)},
        language=settings.MYHEZO_ENGINEERS_LANGUAGE,
        reply_to=[actor.email],
    )
    return ticket


@transaction.atomic
def ticket_assign(*, ticket: Ticket, actor: User, assignee: User | None) -> Ticket:
    _require_engineer(actor)
    if assignee is not None:
        _require_engineer(assignee)
    ticket = _locked(ticket)
    if ticket.assignee_id != (assignee.pk if assignee else None):
        old = _name_of(ticket.assignee) if ticket.assignee_id else ""
        _touch(ticket, assignee=assignee)
        _event(ticket=ticket, actor=actor, action=EventAction.ASSIGNEE, old=old, new=_name_of(assignee))
    return ticket


@transaction.atomic
def ticket_priority_change(*, ticket: Ticket, actor: User, priority: str) -> Ticket:
    _require_engineer(actor)
    if priority not in Priority.values:
        raise ValidationError(_("Choose a priority."), code="priority")
    ticket = _locked(ticket)
    if ticket.priority != priority:
        old = ticket.priority
        _touch(ticket, priority=priority)
        _event(ticket=ticket, actor=actor, action=EventAction.PRIORITY, old=old, new=priority)
    return ticket
