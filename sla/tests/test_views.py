"""The clocks where people see them: the customer's ticket page, the engineers' list and ticket page."""

from datetime import datetime

import pytest
import time_machine

from sla.businesstime import WARSAW
from sla.services import sla_scan
from tickets import services
from tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db


def at(*args) -> datetime:
    return datetime(*args, tzinfo=WARSAW)


def test_customer_sees_the_running_clock_due_time_then_met(cast, contract, login_with_otp):
    with time_machine.travel(at(2026, 12, 18, 16, 30), tick=False) as traveller:
        client = login_with_otp(cast["customer"])  # inside the travel: sessions expire
        ticket = make_ticket(author=cast["customer"], contract=contract, priority="non_critical")
        page = " ".join(client.get(f"/tickets/{ticket.number}/").content.decode().split())
        assert "Pierwsza reakcja:" in page and "termin: 21 gru 2026, 09:30" in page
        traveller.move_to(at(2026, 12, 21, 9, 10))
        client = login_with_otp(cast["customer"])  # a weekend later: the idle session has ended
        services.ticket_engineer_reply(ticket=ticket, engineer=cast["engineer"], body="Dzień dobry")
        page = " ".join(client.get(f"/tickets/{ticket.number}/").content.decode().split())
        assert "dotrzymany" in page and "termin:" not in page


def test_engineers_filter_breached_and_due_within_the_hour_and_see_why_a_clock_is_due(
    cast, contract, other_contract, login_with_otp
):
    with time_machine.travel(at(2026, 12, 18, 16, 30), tick=False) as traveller:
        desk = login_with_otp(cast["engineer"])
        friday = make_ticket(author=cast["customer"], contract=contract, priority="non_critical", title="Piątkowe")
        traveller.move_to(at(2026, 12, 21, 9, 0))
        monday = make_ticket(author=cast["other"], contract=other_contract, priority="critical", title="Poniedziałkowe")
        traveller.move_to(at(2026, 12, 21, 9, 40))  # Friday's is 10 min late, Monday's due at 10:00
        sla_scan()
        desk = login_with_otp(cast["engineer"])  # a weekend later: the idle session has ended

        def listed(query):
            page = desk.get(f"/admin/tickets/ticket/{query}").content.decode()
            return [t.number for t in (friday, monday) if t.number in page]

        assert listed("?sla=breached") == [friday.number]
        assert listed("?sla=due_1h") == [monday.number]
        assert listed("?o=9") == [friday.number, monday.number]  # sorted by next due
        page = " ".join(desk.get(f"/admin/tickets/ticket/{friday.pk}/change/").content.decode().split())
        assert "przekroczone" in page
        assert "Pt, 18 gru 2026, 16:30 – 17:00" in page and "Pon, 21 gru 2026, 09:00 – 09:40" in page
