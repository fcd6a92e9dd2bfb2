"""The dashboard shows what needs the customer (issue 18 item 4): the company's open tickets, those waiting for
their answer first, with status, priority and the next due time, and how many there are per status."""

import re

import pytest
import time_machine
from django.test import Client

from tickets import services
from tickets.models import Source, Ticket
from tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db


def _open_numbers(html: str) -> list[str]:
    return re.findall(r'data-testid="open-(HZ-[0-9-]+)"', html)


def test_open_tickets_waiting_for_the_customer_come_first_then_by_due_time(cast, contract, login_with_otp):
    customer, engineer = cast["customer"], cast["engineer"]
    with time_machine.travel("2026-12-07 09:00 +01:00", tick=False) as traveller:
        question = make_ticket(author=customer, contract=contract, priority="question", title="Pytanie o licencję")
        traveller.shift(60)
        critical = make_ticket(author=cast["colleague"], contract=contract, priority="critical", title="Brak VPN")
        waiting = make_ticket(author=customer, contract=contract, title="Proszę o logi")
        services.ticket_status_change(ticket=waiting, actor=engineer, to="waiting")
        closed = make_ticket(author=customer, contract=contract, title="Zamknięte")
        services.ticket_close(ticket=closed, actor=customer)
        Ticket.objects.filter(pk=question.pk).update(source=Source.LEGACY)
        make_ticket(author=cast["other"], contract=_other_contract(cast))
        html = login_with_otp(customer, with_client=Client()).get("/dashboard/").content.decode()
    assert _open_numbers(html) == [waiting.number, critical.number, question.number]
    assert 'data-testid="count-new">Nowe: 2<' in html and 'data-testid="count-waiting">Oczekuje na klienta: 1<' in html
    assert "Czekamy na Twoją odpowiedź." in html
    assert "przeniesione z poprzedniego portalu" in html
    assert closed.number not in html


def test_a_partner_and_a_company_without_tickets_see_no_ticket_list(cast, contract, login_with_otp):
    make_ticket(author=cast["customer"], contract=contract, partner_access=True)
    partner_page = login_with_otp(cast["partner"], with_client=Client()).get("/dashboard/").content.decode()
    assert _open_numbers(partner_page) == []
    other_page = login_with_otp(cast["other"], with_client=Client()).get("/dashboard/").content.decode()
    assert _open_numbers(other_page) == [] and "Twoja firma nie ma otwartych zgłoszeń." in other_page


def _other_contract(cast):
    from contracts.tests.factories import make_contract

    return make_contract(customer=cast["other"].company, number="B200002")
