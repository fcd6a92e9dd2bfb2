"""The partner's side: the consented tickets of contracts their company resold, read-only."""

import pytest

from tickets import services

from .factories import make_ticket, upload

pytestmark = pytest.mark.django_db


def test_partner_lists_and_reads_only_consented_tickets_and_loses_them_at_withdrawal(
    cast, contract, other_contract, login_with_otp
):
    shared = make_ticket(author=cast["customer"], contract=contract, title="Udostępnione", partner_access=True)
    private = make_ticket(author=cast["customer"], contract=contract, title="Poufne")
    elsewhere = make_ticket(author=cast["other"], contract=other_contract, title="Inny klient", partner_access=True)
    services.ticket_engineer_reply(ticket=shared, engineer=cast["engineer"], body="Notatka", internal=True)
    services.ticket_engineer_reply(ticket=shared, engineer=cast["engineer"], body="Odpowiedź", attachments=[upload()])
    client = login_with_otp(cast["partner"])

    listing = client.get("/tickets/").content.decode()
    assert shared.number in listing and elsewhere.number in listing  # both resold by this partner, both shared
    assert private.number not in listing
    assert "Nowe zgłoszenie" not in listing

    page = client.get(f"/tickets/{shared.number}/").content.decode()
    assert "Odpowiedź" in page and "Notatka" not in page
    assert 'name="body"' not in page and "/close/" not in page and "/cc/" not in page  # reads only
    assert "fortigate.conf" in page

    services.ticket_partner_access_set(ticket=shared, actor=cast["customer"], allowed=False)
    assert client.get(f"/tickets/{shared.number}/").status_code == 404
    assert shared.number not in client.get("/tickets/").content.decode()
