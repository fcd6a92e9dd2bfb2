"""A ticket's SLA breached has one definition (tickets/models.py: Ticket.is_sla_breached and its database form
TicketQuerySet.sla_breached): a clock was missed, or the earliest running one is past due. The desk's list
column and its "breached" filter read it, and agree at the boundary: due at 10:00 is not breached at 10:00."""

import re
from datetime import datetime, timedelta

import pytest
import time_machine

from sla.businesstime import WARSAW
from tickets.models import Ticket
from tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db

OPENED = datetime(2026, 11, 9, 9, 0, tzinfo=WARSAW)  # HEZO 360 critical: first response within 1 h, 24x7
DUE = OPENED + timedelta(hours=1)
JUST_AFTER = DUE + timedelta(microseconds=1)


def test_breached_strictly_after_the_next_due_time_or_once_flagged(cast, contract):
    with time_machine.travel(OPENED, tick=False):
        ticket = make_ticket(author=cast["customer"], contract=contract, priority="critical")
    assert ticket.sla_next_due_at == DUE and not ticket.sla_breached
    assert [ticket.is_sla_breached(now) for now in (DUE, JUST_AFTER)] == [False, True]
    assert not Ticket.objects.sla_breached(DUE).exists()
    assert list(Ticket.objects.sla_breached(JUST_AFTER)) == [ticket]

    Ticket.objects.filter(pk=ticket.pk).update(sla_breached=True, sla_next_due_at=None)  # a clock was missed
    ticket.refresh_from_db()
    assert ticket.is_sla_breached(OPENED) and list(Ticket.objects.sla_breached(OPENED)) == [ticket]


def test_the_desk_list_column_and_filter_agree(cast, contract, login_with_otp):
    with time_machine.travel(OPENED, tick=False):
        ticket = make_ticket(author=cast["customer"], contract=contract, priority="critical")
    for now, breached in ((DUE, False), (DUE + timedelta(seconds=1), True)):
        with time_machine.travel(now, tick=False):
            desk = login_with_otp(cast["engineer"])
            row = desk.get("/admin/tickets/ticket/").content.decode()
            filtered = desk.get("/admin/tickets/ticket/?sla=breached").content.decode()
        cell = re.search(r'<td class="field-is_breached">(.*?)</td>', row)
        assert cell is not None and ("icon-alert.svg" in cell.group(1)) is breached, now
        assert (ticket.number in filtered) is breached, now
