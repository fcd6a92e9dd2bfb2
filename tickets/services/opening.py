"""Opening a ticket: by a customer on the portal, or by an engineer taking a call (SPEC §4, §7)."""

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from contracts.models import Contract, ContractLine
from contracts.notation import SerialInput, serial_parse
from core.text import email_canonical, text_one_line
from core.validation import full_clean_held

from ..attachments import safe_name
from ..models import (
    Attachment,
    EventAction,
    Message,
    MessageKind,
    Source,
    Ticket,
    TicketCc,
    TicketEvent,
)
from ..signals import ticket_opened
from .base import (
    CUSTOMERS,
    ENGINEERS,
    _atomic_with_files,
    _message_add,
    _name_of,
    _notify_engineers,
    emails_clean,
    reseller_current,
    ticket_actor_check,
    ticket_customers_notify,
    ticket_event_record,
    ticket_number_next,
    ticket_numbers_next,
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
    if partner_access:
        # The reseller the consent is given to, read under the contract's lock: a reseller change running at
        # the same time either comes first (and this names the new reseller) or withdraws this consent after.
        contract.reseller_id = reseller_current(contract)
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
        number=ticket_number_next(timezone.localtime(now).year),
        company_id=contract.customer_id,
        contract=contract,
        line=line,
        title=text_one_line(title),
        priority=priority,
        source=source,
        reporter=reporter,
        reporter_name=reporter_name,
        reporter_email=reporter_email.lower(),
        language=language,
        partner_access=partner_access,
        partner_company_id=contract.reseller_id if partner_access else None,
        sla_targets=contract.plan.targets_snapshot(),
        created_at=now,
        last_activity_at=now,
    )
    ticket.full_clean()
    ticket.save()
    ticket_opened.send(sender=Ticket, ticket=ticket)
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
    ticket_event_record(ticket=ticket, actor=actor, action=EventAction.CREATED, new=ticket.source)
    context = {"message": message, "attachments": list(message.attachments.all())}
    ticket_customers_notify(ticket=ticket, template="tickets/emails/ticket_created", context=context)
    _notify_engineers(ticket=ticket, template="tickets/emails/ticket_created_engineers", context=context)
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
    try:
        ticket_actor_check(user=author, company_id=line.contract.customer_id, allowed=CUSTOMERS)
    except ValidationError:
        raise ValidationError(_("Choose a device of your company's contract."), code="line_not_yours") from None
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
    ticket_actor_check(user=engineer, allowed=ENGINEERS)
    line = contract_line_for_serial(contract=contract, serial=serial)
    contact_email = contact_email.strip().lower()
    reporter = User.objects.filter(
        email_canonical=email_canonical(contact_email), company_id=contract.customer_id
    ).first()
    with _atomic_with_files() as stored:
        return _ticket_insert(
            line=line,
            priority=priority,
            title=title,
            description=description,
            reporter=reporter,
            reporter_name=text_one_line(contact_name) or contact_email,
            reporter_email=contact_email,
            language=reporter.language if reporter else language,
            files=attachments,
            cc_emails=cc_emails,
            partner_access=partner_access,
            source=Source.PHONE,
            actor=engineer,
            stored=stored,
        )


@dataclass(frozen=True)
class LegacyTicketData:
    """One ticket carried over from the previous portal, as `tickets_legacy_create` takes it."""

    line: ContractLine
    legacy_id: str
    title: str
    priority: str
    status: str
    reporter: User | None
    reporter_name: str
    reporter_email: str
    partner_access: bool
    opened_at: datetime
    last_activity_at: datetime
    body: str
    conversation_file: str  # the old conversation, a PDF already in the storage
    conversation_name: str
    conversation_size: int


@transaction.atomic
def tickets_legacy_create(*, tickets: Sequence[LegacyTicketData]) -> list[Ticket]:
    """Tickets carried over from the previous portal (SPEC §8), the import's variant of opening, all or none:
    each with the number of the year it was opened, its legacy status and dates, and a first message from
    myHEZO with the old conversation attached. No SLA clock starts and no e-mail goes out: the clocks start with
    the ticket's next message, under the plan's targets of that day.

    In bulk, because the cut-over writes thousands: four inserts for the whole batch, and nothing asked twice.
    The objects the caller holds are not looked up again (core.validation); the numbers are the counter's,
    and the import found each legacy id new under its lock. The unique indexes still hold: a clash is an
    IntegrityError, and the batch is rolled back."""
    numbers: dict[int, list[str]] = {}
    for year, count in Counter(timezone.localtime(data.opened_at).year for data in tickets).items():
        numbers[year] = ticket_numbers_next(year, count)
    created = []
    for data in tickets:
        contract = data.line.contract
        ticket = Ticket(
            number=numbers[timezone.localtime(data.opened_at).year].pop(0),
            legacy_id=data.legacy_id,
            company=contract.customer,
            contract=contract,
            line=data.line,
            title=data.title,
            priority=data.priority,
            status=data.status,
            source=Source.LEGACY,
            reporter=data.reporter,
            reporter_name=data.reporter_name or data.reporter_email,
            reporter_email=data.reporter_email,
            partner_access=data.partner_access and contract.reseller_id is not None,
            partner_company=contract.reseller if data.partner_access else None,
            created_at=data.opened_at,
            last_activity_at=data.last_activity_at,
        )
        full_clean_held(ticket, validate_unique=False)
        created.append(ticket)
    Ticket.objects.bulk_create(created)
    messages = []
    for data, ticket in zip(tickets, created, strict=True):
        message = Message(ticket=ticket, kind=MessageKind.REPLY, author_name="myHEZO", by_engineer=True, body=data.body)
        full_clean_held(message)
        messages.append(message)
    Message.objects.bulk_create(messages)
    attachments, events = [], []
    for data, ticket, message in zip(tickets, created, messages, strict=True):
        attachment = Attachment(
            message=message,
            file=data.conversation_file,
            name=safe_name(data.conversation_name),
            size=data.conversation_size,
            content_type="application/pdf",
        )
        full_clean_held(attachment)
        attachments.append(attachment)
        event = TicketEvent(
            ticket=ticket, actor=None, actor_name="import_legacy", action=EventAction.CREATED, new_value=Source.LEGACY
        )
        full_clean_held(event)
        events.append(event)
    Attachment.objects.bulk_create(attachments)
    TicketEvent.objects.bulk_create(events)
    return created
