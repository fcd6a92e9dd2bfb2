"""The SLA clocks follow the ticket (tickets/signals.py): each receiver runs inside the ticket service's
transaction, so a clock change and the ticket change it belongs to happen together or not at all."""

from django.dispatch import receiver

from tickets import signals
from tickets.models import Ticket

from . import services


@receiver(signals.ticket_opened, sender=Ticket, dispatch_uid="sla.ticket_opened")
def ticket_opened(sender, *, ticket, **kwargs) -> None:
    services.on_ticket_opened(ticket)


@receiver(signals.ticket_customer_message, sender=Ticket, dispatch_uid="sla.ticket_customer_message")
def ticket_customer_message(sender, *, ticket, at, **kwargs) -> None:
    services.on_customer_message(ticket, at=at)


@receiver(signals.ticket_engineer_contact, sender=Ticket, dispatch_uid="sla.ticket_engineer_contact")
def ticket_engineer_contact(sender, *, ticket, at, **kwargs) -> None:
    services.on_engineer_contact(ticket, at=at)


@receiver(signals.ticket_status_changed, sender=Ticket, dispatch_uid="sla.ticket_status_changed")
def ticket_status_changed(sender, *, ticket, old, new, at, **kwargs) -> None:
    services.on_status_changed(ticket, old=old, new=new, at=at)


@receiver(signals.ticket_priority_changed, sender=Ticket, dispatch_uid="sla.ticket_priority_changed")
def ticket_priority_changed(sender, *, ticket, **kwargs) -> None:
    services.on_priority_changed(ticket)
