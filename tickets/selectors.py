"""Reads of tickets, with the access rule inside (SPEC §4): a customer user sees their company's tickets;
a partner user sees the tickets whose customer granted access to their company while it is still the contract's
reseller (`TicketQuerySet.shared_with`); anybody else sees none. Any other ticket is a 404, never a 403, so
nobody learns that a number exists."""

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db.models import Case, Count, F, OuterRef, Prefetch, Q, QuerySet, Value, When
from django.db.models.functions import Upper
from django.http import Http404

from accounts.models import User
from contracts.models import Contract, ContractLine, Priority, serial_line_count
from contracts.notation import serial_display, serial_parse
from core.names import person_name

from .links import ticket_url
from .models import (
    CANNED_PLACEHOLDER_RE,
    PUBLIC_KINDS,
    Attachment,
    CannedReply,
    Message,
    PartnerReadLog,
    Source,
    Status,
    Ticket,
    choice_label,
)


def tickets_with_line_notation(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    # The `(H)` / `(Hn)` notation needs how many lines share the serial: one subquery, not a query a row.
    return tickets.annotate(line_serial_count=serial_line_count(OuterRef("line__serial")))


@dataclass(frozen=True, slots=True)
class TicketAccess:
    """What a user may read of tickets, as plain values: a customer ("customer") the tickets of the company
    `company_id`; a partner ("partner") the consented tickets of the contracts that company resold; anybody else
    ("") none. Every ticket query of a user is built from this alone (`tickets_for_access`): the one home of the
    access rule for lists."""

    kind: str
    company_id: int | None = None


def ticket_access(user: User) -> TicketAccess:
    if user.is_authenticated and user.is_verified_customer:
        return TicketAccess("customer", user.company_id)
    if user.is_authenticated and user.is_verified_partner:
        return TicketAccess("partner", user.company_id)
    return TicketAccess("")


def tickets_for_access(access: TicketAccess) -> QuerySet[Ticket]:
    """The tickets `access` may read, as a plain queryset (filter, count and page it, then load rows). A pure
    function of `access`: no time, no settings, no other input."""
    if access.kind == "customer":
        return Ticket.objects.filter(company_id=access.company_id)
    if access.kind == "partner":
        return Ticket.objects.shared_with(access.company_id)
    return Ticket.objects.none()


def tickets_for_user(user: User) -> QuerySet[Ticket]:
    """The tickets the user may read, as a plain queryset (filter, count and page it, then load rows)."""
    return tickets_for_access(ticket_access(user))


class _TicketLinkAndLabels:
    """What every list of ticket values shows beside the values: the ticket's address and the translated
    priority and status (the dataclasses below have `number`, `priority` and `status`)."""

    __slots__ = ()

    @property
    def url(self) -> str:
        return ticket_url(self.number)

    @property
    def priority_label(self) -> str:
        return choice_label(Priority, self.priority)

    @property
    def status_label(self) -> str:
        return choice_label(Status, self.status)


@dataclass(frozen=True, slots=True)
class TicketRow(_TicketLinkAndLabels):
    """What a ticket list shows of one ticket: read with one query of plain values, no model objects."""

    number: str
    title: str
    priority: str
    status: str
    escalated: bool
    last_activity_at: datetime
    contract_number: str
    plan_name: str
    device: str
    company_name: str = ""  # the customer company whose ticket it is (a partner's list shows it)


# A list's order (newest activity first) and what a list row shows of a ticket.
TICKET_LIST_ORDER = ("-last_activity_at", "-pk")
_ROW_FIELDS = (
    "number",
    "title",
    "priority",
    "status",
    "escalated_at",
    "last_activity_at",
    "contract__number",
    "contract__plan__name",
    "line__serial",
    "line__service_index",
    "company__name",
)


def ticket_rows(tickets: QuerySet[Ticket]) -> list[TicketRow]:
    """Rows for a page of `tickets` (already sliced): two queries, whatever the page size."""
    values = list(tickets.values(*_ROW_FIELDS))
    serial_counts = ContractLine.objects.serial_line_counts({row["line__serial"] for row in values})
    return [
        TicketRow(
            number=row["number"],
            title=row["title"],
            priority=row["priority"],
            status=row["status"],
            escalated=row["escalated_at"] is not None,
            last_activity_at=row["last_activity_at"],
            contract_number=row["contract__number"],
            plan_name=row["contract__plan__name"],
            device=serial_display(row["line__serial"], row["line__service_index"], serial_counts[row["line__serial"]]),
            company_name=row["company__name"],
        )
        for row in values
    ]


@dataclass(frozen=True, slots=True)
class OpenTicket(_TicketLinkAndLabels):
    """An open ticket as the dashboard lists it: plain values."""

    number: str
    title: str
    status: str
    priority: str
    next_due_at: datetime | None
    carried_over: bool


@dataclass(frozen=True, slots=True)
class OpenTickets:
    """The open tickets a user may read: how many per status (in the statuses' order) and the first few."""

    counts: tuple[tuple[str, str, int], ...]  # (status, label, count)
    rows: tuple[OpenTicket, ...]

    @property
    def total(self) -> int:
        return sum(count for _status, _label, count in self.counts)


def tickets_open_for_user(user: User, *, limit: int = 10) -> OpenTickets:
    """The dashboard's open tickets (SPEC §4): those waiting for the customer's answer first, then by the next SLA
    due time, then by last activity. Two queries, whatever the number of tickets."""
    open_tickets = tickets_for_user(user).exclude(status=Status.CLOSED)
    per_status = dict(open_tickets.order_by().values_list("status").annotate(count=Count("pk")))
    counts = tuple((status, label, per_status[status]) for status, label in Status.choices if per_status.get(status))
    rows = (
        open_tickets.annotate(waiting_first=Case(When(status=Status.WAITING, then=Value(0)), default=Value(1)))
        .order_by("waiting_first", F("sla_next_due_at").asc(nulls_last=True), *TICKET_LIST_ORDER)
        .values_list("number", "title", "status", "priority", "sla_next_due_at", "source")[:limit]
    )
    return OpenTickets(
        counts=counts,
        rows=tuple(
            OpenTicket(number, title, status, priority, due, source == Source.LEGACY)
            for number, title, status, priority, due, source in rows
        ),
    )


def ticket_contract_numbers(access: TicketAccess) -> QuerySet[Contract]:
    """The contracts a ticket list can be filtered by (from the contracts, not the tickets), as (number,
    customer company id, customer company name) rows: a partner's list also filters by customer, from the same
    query."""
    if access.kind == "customer":
        contracts = Contract.objects.filter(customer_id=access.company_id)
    elif access.kind == "partner":
        shared = Ticket.objects.shared_with(access.company_id).order_by().values("contract_id")
        contracts = Contract.objects.filter(reseller_id=access.company_id, pk__in=shared)
    else:
        return Contract.objects.none()
    return contracts.order_by("number").values_list("number", "customer_id", "customer__name")


def ticket_customer_choices(contracts: list[tuple[str, int, str]]) -> list[tuple[int, str]]:
    """The customer companies of `ticket_contract_numbers` rows, by name, each once."""
    return sorted({(row[1], row[2]) for row in contracts}, key=lambda item: (item[1], item[0]))


@dataclass(frozen=True, slots=True)
class TicketFilters:
    """A ticket list's filters, as typed values: status ("open" or a status), priority, contract number and
    a search text (number, title or serial in any notation); for a partner, the customer company (its id)."""

    status: str = ""
    priority: str = ""
    contract: str = ""
    q: str = ""
    customer: int | None = None


def tickets_filtered(tickets: QuerySet[Ticket], filters: TicketFilters) -> QuerySet[Ticket]:
    if filters.status == "open":
        tickets = tickets.exclude(status=Status.CLOSED)
    elif filters.status:
        tickets = tickets.filter(status=filters.status)
    if filters.priority:
        tickets = tickets.filter(priority=filters.priority)
    if filters.contract:
        tickets = tickets.filter(contract__number=filters.contract)
    if filters.customer is not None:
        tickets = tickets.filter(company_id=filters.customer)
    return tickets_search(tickets, query=filters.q)


def tickets_search(tickets: QuerySet[Ticket], *, query: str) -> QuerySet[Ticket]:
    """Number, title or serial (typed in any notation); case-insensitive."""
    query = query.strip()
    if not query:
        return tickets
    # Number or title: `search_key` holds both in upper case; the typed text is upper-cased by the database
    # the same way, and its % and _ are taken literally.
    condition = Q(search_key__contains=Upper(Value(query)))
    parsed = None
    # Every device serial has digits: a word such as "firmware" is not looked up as one.
    if any(character.isdigit() for character in query):
        try:
            parsed = serial_parse(query)
        except ValidationError:
            parsed = None
    if parsed is not None:
        # A subquery rather than a join: every condition then stays on the ticket table and its indexes.
        lines = ContractLine.objects.filter(serial=parsed.serial)
        if parsed.index is not None:
            lines = lines.filter(service_index=parsed.index)
        condition |= Q(line_id__in=lines.values("pk"))
    return tickets.filter(condition)


def ticket_for_user(user: User, number: str) -> Ticket:
    """The ticket if the user may read it, else 404."""
    # Numbers are unique: no ORDER BY (the model's default would sort the one row).
    tickets = tickets_for_user(user).filter(number=number.strip().upper()).order_by()
    tickets = tickets_with_line_notation(tickets).select_related(
        "company", "contract__plan", "contract__reseller", "line", "partner_company"
    )
    for ticket in tickets[:1]:
        return ticket
    raise Http404


def ticket_for_customer(user: User, number: str) -> Ticket:
    """The ticket if the user may change it (a customer of its company; partners only read), else 404."""
    if not user.is_authenticated or not user.is_verified_customer:
        raise Http404
    return ticket_for_user(user, number)


@dataclass(frozen=True, slots=True)
class DialogMessage:
    """One message as a ticket page shows it: plain values (files as (id, name, size)), hashable."""

    pk: int
    author_name: str
    by_engineer: bool
    created_at: datetime
    body: str
    files: tuple[tuple[int, str, int], ...]


def dialog_public(ticket: Ticket) -> list[DialogMessage]:
    """The dialog as the portal shows it, newest first, in one query (a row per message and file): public
    messages only, whoever reads it — internal notes and phone logs live in the back office alone (SPEC §4)."""
    messages = ticket.messages.filter(kind__in=PUBLIC_KINDS).order_by("-created_at", "-pk", "attachments__pk")
    rows = messages.values_list(
        "pk",
        "author_name",
        "by_engineer",
        "created_at",
        "body",
        "attachments__pk",
        "attachments__name",
        "attachments__size",
    )
    dialog: dict[int, tuple[tuple, list[tuple[int, str, int]]]] = {}
    for *message, file_pk, name, size in rows:
        files = dialog.setdefault(message[0], (message, []))[1]
        if file_pk is not None:
            files.append((file_pk, name, size))
    return [DialogMessage(*message, files=tuple(files)) for message, files in dialog.values()]


def attachment_for_user(user: User, number: str, attachment_id: int) -> Attachment:
    """A file of a public message of a ticket the user may read, else 404."""
    ticket = ticket_for_user(user, number)
    attachment = (
        Attachment.objects.filter(pk=attachment_id, message__ticket=ticket, message__kind__in=PUBLIC_KINDS)
        .select_related("message")
        .first()
    )
    if attachment is None:
        raise Http404
    return attachment


def partner_reads_for_user(user: User, ticket: Ticket) -> list[PartnerReadLog]:
    """Who at the reseller read the ticket, latest first: only for a customer of the ticket's company (the
    partner itself and anybody else get nothing). One query, none for a contract sold without a reseller."""
    if not user.is_authenticated or not user.is_verified_customer or user.company_id != ticket.company_id:
        return []
    if ticket.contract.reseller_id is None:  # nobody to read it: no query
        return []
    return list(ticket.partner_reads.select_related("user__company").order_by("-last_read_at", "-pk"))


def ticket_data_for_export(user: User) -> dict:
    """The user's own data on tickets, for "download my data": the tickets they reported (their title and
    facts, nothing of the dialog written by others), every message they wrote (with the ticket's number
    only: a colleague's ticket shows no more than that), and, for a partner user, which tickets they read."""
    reported = (
        tickets_with_line_notation(Ticket.objects.filter(reporter=user))
        .order_by("created_at", "pk")
        .values(
            "number",
            "title",
            "status",
            "priority",
            "created_at",
            "closed_at",
            "contract__number",
            "line__serial",
            "line__service_index",
            "line_serial_count",
            "reporter_name",
            "reporter_email",
            "partner_access",
            "partner_company__name",
        )
    )
    messages = (
        Message.objects.filter(author=user)
        .select_related("ticket")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("pk")))
        .order_by("created_at", "pk")
    )
    reads = PartnerReadLog.objects.filter(user=user).select_related("ticket").order_by("first_read_at", "pk")
    return {
        "tickets_reported": [
            {
                "number": row["number"],
                "title": row["title"],
                "status": row["status"],
                "priority": row["priority"],
                "opened_at": row["created_at"],
                "closed_at": row["closed_at"],
                "contract": row["contract__number"],
                # As on every page (SPEC §2): (H)-SERIAL, or (Hn)-SERIAL when the serial has several lines.
                "device": serial_display(row["line__serial"], row["line__service_index"], row["line_serial_count"]),
                "reporter_name": row["reporter_name"],
                "reporter_email": row["reporter_email"],
                "reseller_may_see": row["partner_access"],
                "shared_with": row["partner_company__name"],
            }
            for row in reported
        ],
        "messages_written": [
            {
                "ticket": message.ticket.number,
                "kind": message.kind,
                "written_at": message.created_at,
                "author_name": message.author_name,
                "text": message.body,
                "attachments": [{"name": a.name, "size": a.size} for a in message.attachments.all()],
            }
            for message in messages
        ],
        "tickets_read_as_partner": [
            {
                "ticket": read.ticket.number,
                "first_read_at": read.first_read_at,
                "last_read_at": read.last_read_at,
                "times": read.read_count,
            }
            for read in reads
        ],
    }


# --- the engineers' desk ---------------------------------------------------------------------------------


def desk_other_open_tickets(ticket: Ticket) -> list[Ticket]:
    """The company's other open tickets, the one due soonest first (the desk's side column)."""
    return list(
        Ticket.objects.filter(company_id=ticket.company_id)
        .exclude(status=Status.CLOSED)
        .exclude(pk=ticket.pk)
        .only("pk", "number", "title", "priority", "status", "sla_next_due_at")
        .order_by(F("sla_next_due_at").asc(nulls_last=True), "-pk")
    )


def desk_contract_lines(ticket: Ticket) -> list[ContractLine]:
    """The ticket's contract's lines, their serials in the (H)/(Hn) notation without a query per line."""
    return list(ContractLine.objects.with_serial_line_count().filter(contract_id=ticket.contract_id).order_by("pk"))


def customer_language(ticket: Ticket) -> str:
    """The language the customer reads: the reporter's preferred one, else the ticket's (a phone-intake caller)."""
    reporter = ticket.reporter
    return reporter.language if reporter is not None and reporter.is_active else ticket.language


def canned_replies_active() -> list[CannedReply]:
    return list(CannedReply.objects.filter(active=True).only("pk", "title"))


def canned_reply_text(*, canned: CannedReply, ticket: Ticket) -> str:
    """The canned reply in the customer's language, its placeholders filled for `ticket`."""
    values = {
        "ticket": ticket.number,
        "customer": person_name(ticket.reporter_name),
        "contract": ticket.contract.number,
        "device": ticket.device,
    }
    return CANNED_PLACEHOLDER_RE.sub(
        lambda match: values.get(match.group(1), match.group(0)), canned.text(customer_language(ticket))
    )


def canned_reply_for_ticket(*, canned_id: str, ticket: Ticket) -> str | None:
    """The text of the active canned reply `canned_id` (as typed in a URL) for `ticket`, or None."""
    if not canned_id.isascii() or not canned_id.isdigit():
        return None
    canned = CannedReply.objects.filter(pk=int(canned_id), active=True).first()
    return None if canned is None else canned_reply_text(canned=canned, ticket=ticket)
