"""The ticket URL has one home (tickets/links.py): the portal page, the desk page, and both as absolute links in
every e-mail about a ticket, whichever app sends it."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from operations.services import replacement_approve, replacement_reminders_send, replacement_update
from operations.tests.factories import update_fields
from sla.businesstime import WARSAW
from sla.services import sla_scan
from tickets.links import ticket_desk_url, ticket_email_links, ticket_url
from tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db

BASE = "https://myhezo.example"


def test_the_portal_and_desk_addresses_are_the_url_patterns(cast, contract):
    ticket = make_ticket(author=cast["customer"], contract=contract)
    assert ticket.get_portal_url() == ticket_url(ticket.number) == f"/tickets/{ticket.number}/"
    assert ticket_url(ticket.number) == reverse("tickets:detail", args=[ticket.number])
    assert ticket.get_desk_url() == ticket_desk_url(ticket.pk) == f"/admin/tickets/ticket/{ticket.pk}/change/"
    assert ticket_desk_url(ticket.pk) == reverse("admin:tickets_ticket_change", args=[ticket.pk])


def test_email_links_are_absolute_on_the_configured_base(cast, contract, settings):
    settings.MYHEZO_BASE_URL = BASE
    ticket = make_ticket(author=cast["customer"], contract=contract)
    assert ticket_email_links(ticket) == {
        "ticket_url": f"{BASE}/tickets/{ticket.number}/",
        "admin_url": f"{BASE}/admin/tickets/ticket/{ticket.pk}/change/",
    }


def test_every_app_mails_the_same_links(cast, contract, settings, outbox):
    settings.MYHEZO_BASE_URL = BASE
    at = datetime(2026, 11, 2, 8, 0, tzinfo=WARSAW)
    with time_machine.travel(at, tick=False) as traveller:
        outbox.mark()
        ticket = make_ticket(author=cast["customer"], contract=contract, priority="critical")
        opened = outbox.all()  # tickets: the confirmation and the engineers' notice
        replacement = replacement_approve(ticket=ticket, engineer=cast["engineer"])
        traveller.move_to(at + timedelta(hours=2))
        replacement_update(
            replacement=replacement,
            engineer=cast["engineer"],
            **update_fields(replacement, shipped_at=at + timedelta(hours=1), delivered_at=at + timedelta(hours=2)),
        )
    links = ticket_email_links(ticket)
    assert any(links["ticket_url"] in email.body_text for email in opened)
    assert any(links["admin_url"] in email.body_text for email in opened)
    outbox.mark()
    assert (
        sla_scan(now=at + timedelta(days=1)).breach_emails >= 1
    )  # sla: the breach alert (the first response never came)
    assert all(links["admin_url"] in email.body_text for email in outbox.all())
    outbox.mark()
    assert replacement_reminders_send(now=at + timedelta(days=5, hours=2)) == 1  # operations: the return reminder
    [reminder] = outbox.all()
    assert links["ticket_url"] in reminder.body_text
