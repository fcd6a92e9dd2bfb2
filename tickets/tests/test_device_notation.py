"""A ticket's device is shown in the serial notation of its line (the count: contracts.models.lines_per_serial;
the form: contracts.notation.serial_display), the same on the ticket page (annotated), in the list rows (one
mapping per page) and on a ticket read without the annotation."""

import pytest

from contracts.services import contract_line_add
from tickets.models import Ticket
from tickets.selectors import ticket_for_user, ticket_rows, tickets_for_user
from tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db

SHARED, ALONE = "FG100FTK20001234", "FG60FTK20005678"


@pytest.mark.parametrize("second_line", [False, True])
def test_every_read_of_a_ticket_shows_the_same_device(cast, contract, other_contract, second_line):
    if second_line:  # the same device on another company's contract: the notation counts the whole system
        contract_line_add(contract=other_contract, serial_raw=SHARED.lower(), model="again")
    shared = make_ticket(author=cast["customer"], contract=contract)  # on the first line: SHARED
    alone = make_ticket(author=cast["customer"], line=contract.lines.get(serial=ALONE))
    expected = {shared.number: f"(H1)-{SHARED}" if second_line else f"(H)-{SHARED}", alone.number: f"(H)-{ALONE}"}

    user = cast["customer"]
    assert {t.number: ticket_for_user(user, t.number).device for t in (shared, alone)} == expected
    assert {row.number: row.device for row in ticket_rows(tickets_for_user(user))} == expected
    assert {t.number: t.device for t in Ticket.objects.select_related("line")} == expected
