"""Admin takes what the portal takes (issue 17 finding "admin inputs are less tolerant"): a serial in (H)/(Hn)
notation, a NIP with PL, spaces or dashes, a contract number in lower case, in searches and in forms."""

import pytest

from contracts.models import Company, Contract, ServicePlan
from contracts.notation import search_term_alternatives
from contracts.tests.factories import make_contract
from operations.services import replacement_approve
from tickets.tests.factories import make_ticket

from .test_admin import admin_client  # noqa: F401  (the superuser engineer's client)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("term", "alternatives"),
    [
        ("(H1)-FG100FTK20001234", ["FG100FTK20001234"]),
        (" ( h ) - fg100ftk20001234 ", ["FG100FTK20001234"]),
        ("PL5260250274", ["5260250274"]),
        ("526-025-02-74", ["5260250274"]),
        ("PL 951-235-98-49", ["9512359849"]),
        ("c300010", ["C300010"]),
        ("5260250274", []),  # already canonical
        ("526-025-02-75", []),  # not a NIP: its check digit is wrong
        ("VPN", []),
    ],
)
def test_search_terms_are_read_in_the_portals_notations(term, alternatives):
    assert search_term_alternatives(term) == alternatives


def test_ticket_and_rma_searches_find_serials_in_notation_and_nips_in_any_form(admin_client, cast, contract):  # noqa: F811
    ticket = make_ticket(author=cast["customer"], contract=contract, priority="critical")
    replacement_approve(ticket=ticket, engineer=cast["engineer"])
    serial = ticket.line.serial
    nip = ticket.company.nip
    for term in (f"(H)-{serial}", f"(H1)-{serial.lower()}", f"PL{nip}", f"{nip[:3]}-{nip[3:6]}-{nip[6:8]}-{nip[8:]}"):
        tickets = admin_client.get("/admin/tickets/ticket/", {"q": term}).content.decode()
        assert ticket.number in tickets, term
    for term in (f"(H)-{serial}", f"(H1)-{serial}"):
        replacements = admin_client.get("/admin/operations/replacement/", {"q": term}).content.decode()
        assert ticket.number in replacements, term
    assert ticket.number not in admin_client.get("/admin/tickets/ticket/", {"q": "(H)-FG999"}).content.decode()


def test_company_and_contract_forms_take_the_usual_spellings(admin_client, company):  # noqa: F811
    response = admin_client.post("/admin/contracts/company/add/", {"nip": "PL 951-235-98-49", "name": "Żółta Łódź"})
    assert response.status_code == 302, response.content.decode()[:1500]
    other = Company.objects.get(nip="9512359849")
    response = admin_client.post("/admin/contracts/company/add/", {"nip": "PL 951-235-98-48", "name": "Zła"})
    assert response.status_code == 200 and "cyfra kontrolna się nie zgadza" in response.content.decode()
    plan = ServicePlan.objects.get(name="HEZO+")
    data = {
        "number": "c300010",
        "customer": other.pk,
        "reseller": "",
        "plan": plan.pk,
        "starts_on": "2026-01-01",
        "ends_on": "2027-12-31",
        "lines-TOTAL_FORMS": "0",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
    }
    response = admin_client.post("/admin/contracts/contract/add/", data)
    assert response.status_code == 302, response.content.decode()[:1500]
    assert Contract.objects.filter(number="C300010", customer=other).exists()
    make_contract(customer=company, number="D400004")
