"""The partner's side: the consented tickets of contracts their company resold, read-only."""

import re

import pytest

from accounts.tests.factories import UserFactory
from conftest import verify
from contracts.tests.factories import CompanyFactory, make_contract
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


ROW_CUSTOMER = re.compile(r'data-testid="row-customer">([^<]*)<')


@pytest.mark.parametrize(
    ("language", "column", "intro"),
    [
        (
            "pl",
            '<th scope="col">Klient</th>',
            "Tu widzisz zgłoszenia, które klienci udostępnili swojemu odsprzedawcy, firmie Arkanet Sp. z o.o.",
        ),
        (
            "en",
            '<th scope="col">Customer</th>',
            "Here you see the tickets that customers shared with Arkanet Sp. z o.o., their reseller.",
        ),
    ],
)
def test_partner_sees_whose_ticket_it_is_and_filters_by_customer(
    cast, contract, other_contract, login_with_otp, language, column, intro
):
    """Issue 18 item 7: the partner's list has the customer company (a column and a filter), the ticket page
    names it, and the dashboard says whose tickets they are (not "as a partner of <their own company>")."""
    partner = cast["partner"]
    partner.language = language
    partner.save()
    ours = make_ticket(author=cast["customer"], contract=contract, title="VPN", partner_access=True)
    theirs = make_ticket(author=cast["other"], contract=other_contract, title="Licencja", partner_access=True)
    client = login_with_otp(partner)

    listing = client.get("/tickets/").content.decode()
    assert column in listing
    assert sorted(ROW_CUSTOMER.findall(listing)) == ["Kowalski Systemy Sp. z o.o.", "Żółta Łódź S.A."]
    other_company = cast["other"].company
    assert f'<option value="{other_company.pk}">Żółta Łódź S.A.</option>' in listing

    filtered = client.get(f"/tickets/?customer={other_company.pk}").content.decode()
    assert theirs.number in filtered and ours.number not in filtered
    assert ROW_CUSTOMER.findall(filtered) == ["Żółta Łódź S.A."]
    # A company that is not among the partner's customers finds nothing, never another partner's tickets.
    stranger_company = CompanyFactory(name="Obca Firma")
    stranger = make_contract(customer=stranger_company, reseller=CompanyFactory(name="Inny Partner"), number="Z900009")
    stranger_user = verify(UserFactory(email="jan@obca.example"), stranger_company)
    hidden = make_ticket(author=stranger_user, contract=stranger, title="Cudze", partner_access=True)
    nothing = client.get(f"/tickets/?customer={stranger.customer_id}").content.decode()
    assert hidden.number not in nothing and ours.number not in nothing and theirs.number not in nothing

    page = client.get(f"/tickets/{theirs.number}/").content.decode()
    assert 'data-testid="customer">Żółta Łódź S.A.</dd>' in page

    dashboard = " ".join(client.get("/dashboard/").content.decode().split())
    assert intro in dashboard
    assert "As a partner of" not in dashboard and "Jako partner" not in dashboard


def test_customer_list_and_page_have_no_customer_column_or_filter(cast, contract, login_with_otp):
    ticket = make_ticket(author=cast["customer"], contract=contract, partner_access=True)
    client = login_with_otp(cast["customer"])
    listing = client.get("/tickets/").content.decode()
    assert 'data-testid="row-customer"' not in listing and 'name="customer"' not in listing
    assert 'data-testid="customer"' not in client.get(f"/tickets/{ticket.number}/").content.decode()
