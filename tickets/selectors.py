"""Reads of tickets, with the access rule inside (SPEC §4): a customer user sees their company's tickets;
a partner user sees the consented tickets of contracts their company resold; anybody else sees none. Any
other ticket is a 404, never a 403, so nobody learns that a number exists."""

from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404

from accounts.models import User
from contracts.models import ContractLine
from contracts.notation import serial_parse

from .models import PUBLIC_KINDS, Attachment, Message, Ticket


def tickets_with_line_notation(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    # The `(H)` / `(Hn)` notation needs how many lines share the serial: one subquery, not a query a row.
    same_serial = (
        ContractLine.objects.with_serial_line_count().filter(pk=OuterRef("line_id")).values("serial_line_count")
    )
    return tickets.annotate(line_serial_count=Subquery(same_serial))


def tickets_for_user(user: User) -> QuerySet[Ticket]:
    if not user.is_authenticated:
        return Ticket.objects.none()
    if user.is_verified_customer:
        tickets = Ticket.objects.filter(company_id=user.company_id)
    elif user.is_verified_partner:
        tickets = Ticket.objects.filter(contract__reseller_id=user.company_id, partner_access=True)
    else:
        return Ticket.objects.none()
    return tickets_with_line_notation(tickets.select_related("contract__plan", "contract__reseller", "line", "company"))


def tickets_search(tickets: QuerySet[Ticket], *, query: str) -> QuerySet[Ticket]:
    """Number, title or serial (typed in any notation); case-insensitive."""
    query = query.strip()
    if not query:
        return tickets
    condition = Q(number__icontains=query) | Q(title__icontains=query)
    try:
        parsed = serial_parse(query)
    except ValidationError:
        parsed = None
    if parsed is not None:
        serial = Q(line__serial=parsed.serial)
        if parsed.index is not None:
            serial &= Q(line__service_index=parsed.index)
        condition |= serial
    return tickets.filter(condition)


def ticket_for_user(user: User, number: str) -> Ticket:
    """The ticket if the user may read it, else 404."""
    ticket = tickets_for_user(user).filter(number=number.strip().upper()).first()
    if ticket is None:
        raise Http404
    return ticket


def ticket_for_customer(user: User, number: str) -> Ticket:
    """The ticket if the user may change it (a customer of its company; partners only read), else 404."""
    if not user.is_authenticated or not user.is_verified_customer:
        raise Http404
    return ticket_for_user(user, number)


def messages_for_user(user: User, ticket: Ticket) -> QuerySet[Message]:
    """The dialog, newest first. Outside the back office only public messages exist."""
    messages = ticket.messages.prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("pk")))
    if not user.is_staff:
        messages = messages.filter(kind__in=PUBLIC_KINDS)
    return messages.order_by("-created_at", "-pk")


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
