"""The ticket list is drawn once per version of the page (tickets.selectors.ticket_list_version: the count,
every value of the page's rows and the filter's contract options) and query, then served as drawn. Any
change to what the page shows changes the version, whoever made it and however."""

import pytest
from django.test import Client

from contracts.models import Contract, ContractLine, ServicePlan
from contracts.tests.factories import make_contract
from tickets.models import Ticket
from tickets.selectors import TicketFilters, _list_version_query, ticket_access, ticket_list_version

from .factories import make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def tickets(cast, contract):
    return [make_ticket(author=cast["customer"], contract=contract, title=f"Zgłoszenie {i}") for i in range(3)]


def version(user, offset=0, limit=25, **filters):
    return ticket_list_version(user, filters=TicketFilters(**filters), offset=offset, limit=limit)


CHANGES = {
    "title": lambda t: Ticket.objects.filter(pk=t.pk).update(title="Inny tytuł"),
    "status": lambda t: Ticket.objects.filter(pk=t.pk).update(status="waiting"),
    "priority": lambda t: Ticket.objects.filter(pk=t.pk).update(priority="critical"),
    "escalation": lambda t: Ticket.objects.filter(pk=t.pk).update(escalated_at=t.created_at),
    "last activity": lambda t: Ticket.objects.filter(pk=t.pk).update(last_activity_at=t.created_at.replace(year=2020)),
    "contract number": lambda t: Contract.objects.filter(pk=t.contract_id).update(number="A100009"),
    "plan name": lambda t: ServicePlan.objects.filter(pk=t.contract.plan_id).update(name="HEZO 360+"),
    "serial": lambda t: ContractLine.objects.filter(pk=t.line_id).update(serial="FG100FTK29999999"),
    "service index": lambda t: ContractLine.objects.filter(pk=t.line_id).update(service_index=2),
    "another line with the serial": lambda t: make_contract(
        customer=t.company, number="B200002", serials=(t.line.serial,)
    ),
    "a new contract to filter by": lambda t: make_contract(customer=t.company, number="C300003", serials=("FGX1",)),
    "one ticket more": lambda t: make_ticket(author=t.reporter, contract=t.contract),
}


@pytest.mark.parametrize("change", CHANGES)
def test_any_change_to_what_the_list_shows_changes_its_version(cast, tickets, change):
    ticket = tickets[0]
    before = version(cast["customer"])
    assert version(cast["customer"]) == before
    CHANGES[change](ticket)
    assert version(cast["customer"]) != before


def test_a_change_off_the_page_leaves_the_page_as_drawn(cast, tickets):
    # Newest activity first: with two a page, the first ticket opened is alone on page 2.
    first_page = version(cast["customer"], limit=2)
    Ticket.objects.filter(pk=tickets[0].pk).update(title="Poza stroną")
    assert version(cast["customer"], limit=2) == first_page
    assert version(cast["customer"], offset=2, limit=2).count == 3


def test_lists_are_drawn_per_reader_kind_language_and_query(cast, tickets, contract, login_with_otp):
    Ticket.objects.update(partner_access=True)
    customer = login_with_otp(cast["customer"], with_client=Client()).get("/tickets/").content.decode()
    assert "/tickets/new/" in customer
    partner = login_with_otp(cast["partner"], with_client=Client()).get("/tickets/").content.decode()
    assert "/tickets/new/" not in partner and "Zgłoszenie 1" in partner
    cast["colleague"].language = "en"
    cast["colleague"].save()
    colleague = login_with_otp(cast["colleague"], with_client=Client())
    assert "New ticket" in colleague.get("/tickets/").content.decode()
    searched = colleague.get("/tickets/?q=Zg%C5%82oszenie+1").content.decode()
    assert "Zgłoszenie 1" in searched and "Zgłoszenie 2" not in searched
    assert (
        login_with_otp(cast["other"], with_client=Client()).get("/tickets/").content.decode().count("Zgłoszenie") == 0
    )


def test_a_page_past_the_last_shows_the_last(cast, tickets, login_with_otp, settings):
    settings.MYHEZO_TICKETS_PER_PAGE = 2
    client = login_with_otp(cast["customer"])
    for page in ("99", "0", "x"):
        response = client.get(f"/tickets/?page={page}")
        assert response.status_code == 200
    assert "Zgłoszenie 0" in client.get("/tickets/?page=99").content.decode()  # the oldest, alone on page 2
    assert "Zgłoszenie 2" in client.get("/tickets/?page=x").content.decode()  # not a number: page 1


def test_the_version_query_is_built_from_the_access_and_filters_alone(cast, tickets):
    """It is remembered per (access, filters, page): rebuilding it gives the same SQL and values, and a
    colleague (same access) runs the same query as the customer, a partner or another company another."""
    filters = TicketFilters(status="open", q="Zgłoszenie")
    customer, colleague = ticket_access(cast["customer"]), ticket_access(cast["colleague"])
    assert customer == colleague
    assert _list_version_query(customer, filters, 0, 25) == _list_version_query.__wrapped__(colleague, filters, 0, 25)
    assert _list_version_query(ticket_access(cast["other"]), filters, 0, 25) != _list_version_query(
        customer, filters, 0, 25
    )
    assert _list_version_query(ticket_access(cast["engineer"]), filters, 0, 25) is None  # no tickets to list
    assert version(cast["customer"], q="Zgłoszenie 1").count == 1
    assert version(cast["partner"]).count == 0  # nothing shared yet
