"""The ticket page is drawn once per fingerprint of what it shows (tickets.selectors.ticket_page_version,
tickets/migrations/0008) and then served as drawn. These tests hold it to its promise: any change to anything
the page shows — by a service, the admin or a plain UPDATE — changes the fingerprint, time passing a due date
does too, nothing a reader does not see does, and a page drawn for one reader never reaches another with
that reader's forms, language or rights."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from accounts.models import User
from contracts.models import Company, ContractLine, ServicePlan
from contracts.tests.factories import make_contract
from operations.models import Replacement
from sla.models import SlaClock
from tickets import services
from tickets.models import Attachment, Message, PartnerReadLog, Ticket, TicketCc
from tickets.selectors import ticket_page_version

from .factories import make_ticket, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(cast, contract):
    ticket = make_ticket(
        author=cast["customer"], contract=contract, priority="critical", partner_access=True, attachments=[upload()]
    )
    services.ticket_cc_add(ticket=ticket, actor=cast["customer"], email="kopia@example.com")
    services.partner_read_record(ticket_id=ticket.pk, user=cast["partner"])
    Replacement.objects.create(ticket=ticket, approved_at=timezone.now(), return_due_at=timezone.now() + timedelta(9))
    return ticket


def fingerprint(user: User, ticket: Ticket, now=None) -> bytes:
    return ticket_page_version(user, ticket.number, now=now or timezone.now()).fingerprint


# Each a plain UPDATE of one column of one row the page shows: no service, no signal, nothing to invalidate.
CHANGES = {
    "ticket title": lambda t: Ticket.objects.filter(pk=t.pk).update(title="Inny tytuł"),
    "ticket status": lambda t: Ticket.objects.filter(pk=t.pk).update(status="waiting"),
    "contract's end": lambda t: type(t.contract).objects.filter(pk=t.contract_id).update(ends_on="2031-01-01"),
    "plan name": lambda t: ServicePlan.objects.filter(pk=t.contract.plan_id).update(name="HEZO 360+"),
    "reseller's name": lambda t: Company.objects.filter(pk=t.contract.reseller_id).update(name="Arkanet S.A."),
    "device model": lambda t: ContractLine.objects.filter(pk=t.line_id).update(model="FortiGate 100F"),
    "a second line with the serial": lambda t: make_contract(
        customer=t.company, number="B200002", serials=(t.line.serial,)
    ),
    "message text": lambda t: Message.objects.filter(ticket=t).update(body="Zmieniona treść"),
    "message author": lambda t: Message.objects.filter(ticket=t).update(author_name="Użytkownik usunięty"),
    "file name": lambda t: Attachment.objects.filter(message__ticket=t).update(name="inny.conf"),
    "SLA clock due": lambda t: SlaClock.objects.filter(ticket=t).update(due_at=timezone.now() + timedelta(days=3)),
    "replacement shipment": lambda t: Replacement.objects.filter(ticket=t).update(tracking_number="DPD123"),
    "CC address": lambda t: TicketCc.objects.filter(ticket=t).update(email="inna@example.com"),
    "CC removed": lambda t: TicketCc.objects.filter(ticket=t).delete(),
}
CUSTOMER_ONLY_CHANGES = {
    "partner read again": lambda t: PartnerReadLog.objects.filter(ticket=t).update(read_count=2),
    "reader's name": lambda t: User.objects.filter(role="partner").update(last_name="Wiśniewski"),
    "reader's company": lambda t: Company.objects.filter(users__role="partner").update(name="Arkanet 2"),
}


@pytest.mark.parametrize("change", [*CHANGES, *CUSTOMER_ONLY_CHANGES])
def test_any_change_to_what_the_customer_sees_changes_the_fingerprint(cast, ticket, change):
    before = fingerprint(cast["customer"], ticket)
    assert fingerprint(cast["customer"], ticket) == before  # nothing changed: the same
    {**CHANGES, **CUSTOMER_ONLY_CHANGES}[change](ticket)
    assert fingerprint(cast["customer"], ticket) != before


@pytest.mark.parametrize("change", CHANGES)
def test_any_change_to_what_the_partner_sees_changes_the_fingerprint(cast, ticket, change):
    before = fingerprint(cast["partner"], ticket)
    CHANGES[change](ticket)
    assert fingerprint(cast["partner"], ticket) != before


def test_what_a_reader_does_not_see_leaves_their_page_as_drawn(cast, ticket):
    customer, partner = fingerprint(cast["customer"], ticket), fingerprint(cast["partner"], ticket)
    services.ticket_engineer_reply(ticket=ticket, engineer=cast["engineer"], body="Notatka", internal=True)
    assert (fingerprint(cast["customer"], ticket), fingerprint(cast["partner"], ticket)) == (customer, partner)
    # The partner's own reads are shown to the customer only.
    services.partner_read_record(ticket_id=ticket.pk, user=cast["partner"])
    assert fingerprint(cast["partner"], ticket) == partner
    assert fingerprint(cast["customer"], ticket) != customer


def test_a_due_time_passing_changes_the_fingerprint_and_the_page_says_overdue(cast, ticket, login_with_otp):
    cast["customer"].language = "en"
    cast["customer"].save()
    due = SlaClock.objects.get(ticket=ticket, state="running").effective_due_at
    with time_machine.travel(due - timedelta(minutes=1), tick=False):
        before = fingerprint(cast["customer"], ticket)
        client = login_with_otp(cast["customer"], with_client=Client())
        page = client.get(f"/tickets/{ticket.number}/").content.decode()
        assert "due by" in page and "overdue since" not in page
    with time_machine.travel(due + timedelta(minutes=1), tick=False):
        assert fingerprint(cast["customer"], ticket) != before
        client = login_with_otp(cast["customer"], with_client=Client())
        page = client.get(f"/tickets/{ticket.number}/").content.decode()
        assert "overdue since" in page and "due by" not in page


def test_a_return_deadline_passing_changes_the_fingerprint(cast, ticket):
    deadline = Replacement.objects.get(ticket=ticket).return_due_at
    assert fingerprint(cast["customer"], ticket, deadline - timedelta(seconds=1)) != fingerprint(
        cast["customer"], ticket, deadline + timedelta(seconds=1)
    )


def test_every_change_made_through_the_portal_is_on_the_next_view(cast, ticket, login_with_otp):
    client = login_with_otp(cast["customer"])
    url = f"/tickets/{ticket.number}/"
    assert "Odpowiedź inżyniera" not in client.get(url).content.decode()
    services.ticket_engineer_reply(ticket=ticket, engineer=cast["engineer"], body="Odpowiedź inżyniera")
    assert "Odpowiedź inżyniera" in client.get(url).content.decode()
    services.ticket_cc_add(ticket=ticket, actor=cast["colleague"], email="druga@example.com")
    assert "druga@example.com" in client.get(url).content.decode()
    services.ticket_close(ticket=ticket, actor=cast["colleague"])
    assert f'action="{url}reopen/"' in client.get(url).content.decode()


def test_a_page_drawn_for_a_customer_never_reaches_a_partner_or_another_company(cast, ticket, login_with_otp):
    url = f"/tickets/{ticket.number}/"
    customer_page = login_with_otp(cast["customer"], with_client=Client()).get(url).content.decode()
    assert 'action="/tickets/' + ticket.number + '/reply/"' in customer_page
    assert "kopia@example.com" in customer_page

    partner_page = login_with_otp(cast["partner"], with_client=Client()).get(url).content.decode()
    assert "/reply/" not in partner_page and "kopia@example.com" not in partner_page
    assert login_with_otp(cast["other"], with_client=Client()).get(url).status_code == 404


def test_each_reader_gets_their_own_language_and_a_working_csrf_field(cast, ticket, login_with_otp):
    url = f"/tickets/{ticket.number}/"
    login_with_otp(cast["customer"], with_client=Client()).get(url)  # drawn in Polish for the customer
    cast["colleague"].language = "en"
    cast["colleague"].save()
    colleague = login_with_otp(cast["colleague"], with_client=Client(enforce_csrf_checks=True))
    page = colleague.get(url).content.decode()
    assert "Dialog" in page and "Reply" in page and "Odpowiedz" not in page
    assert "<!--csrf-->" not in page
    reply_form = page[page.index(f'action="{url}reply/"') :]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', reply_form).group(1)
    response = colleague.post(f"{url}reply/", {"body": "Od kolegi", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert Message.objects.filter(ticket=ticket, body="Od kolegi").exists()
