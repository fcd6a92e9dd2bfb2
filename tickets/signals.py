"""What happens to a ticket, for the apps above `tickets` that keep their own state about it (README
"Layers"). Today the SLA clocks listen (sla/receivers.py). Each signal is sent by a ticket service inside its
transaction, after the ticket row is saved: a receiver that raises undoes the whole change."""

from django.dispatch import Signal

# ticket
ticket_opened = Signal()
# ticket, at: a message from the customer's side
ticket_customer_message = Signal()
# ticket, at: a public reply or a logged phone call answered the customer
ticket_engineer_contact = Signal()
# ticket, old, new, at
ticket_status_changed = Signal()
# ticket
ticket_priority_changed = Signal()
