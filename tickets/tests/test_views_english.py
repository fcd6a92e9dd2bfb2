"""An English-speaking customer gets the ticket pages and e-mails in English (SPEC §10)."""

import pytest

from core.models import OutboxEmail

from .factories import make_ticket

pytestmark = pytest.mark.django_db


def test_ticket_pages_and_confirmation_in_english(cast, contract, login_with_otp):
    customer = cast["customer"]
    customer.language = "en"
    customer.save()
    client = login_with_otp(customer)
    form = client.get("/tickets/new/").content.decode()
    assert "Critical: the device does not work or cannot be reached." in form
    assert "Let Arkanet Sp. z o.o., the reseller that sold the contract, see this ticket" in form

    ticket = make_ticket(author=customer, contract=contract, priority="critical")
    page = " ".join(client.get(f"/tickets/{ticket.number}/").content.decode().split())
    for text in (
        "Problem solved: close the ticket",
        "First response:</strong> due by",
        "CC addresses",
        "Escalate the ticket",
    ):
        assert text in page
    listing = client.get("/tickets/").content.decode()
    assert "critical" in listing and "Last activity" in listing

    [confirmation] = OutboxEmail.objects.filter(to=[customer.email])
    assert confirmation.language == "en"
    assert confirmation.subject.startswith(f"[{ticket.number}] Ticket opened:")
