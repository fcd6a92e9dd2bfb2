"""Issue 20: an engineer account is never a company user. Engineers read internal notes in the back office; a
company user reads the portal. Admin refuses to put the two on one account, verification refuses engineers,
and an engineer who was given a company anyway (old data, a change by hand) gets nothing of that company in
the portal, while the portal never shows an internal note to anybody (tests/test_pages_by_construction.py)."""

import pytest
from django.test import Client

from accounts.models import User
from accounts.services import VerificationFailed, user_verify
from accounts.tests.factories import UserFactory
from accounts.tests.helpers import admin_change_data
from contracts.notation import serial_parse
from tickets import services
from tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(company):
    return UserFactory(email="serwis@myhezo.example", is_staff=True, nip=company.nip)


def _error_codes(response) -> list[str]:
    return [error.code for error in response.context["adminform"].form.non_field_errors().as_data()]


def test_admin_refuses_a_company_on_an_engineer_and_staff_on_a_company_user(cast, company, login_with_otp):
    boss = login_with_otp(UserFactory(email="szef@myhezo.example", is_staff=True, is_superuser=True))
    engineer, customer = cast["engineer"], cast["customer"]

    response = boss.post(
        f"/admin/accounts/user/{engineer.pk}/change/", admin_change_data(engineer, company=company.pk, role="customer")
    )
    assert response.status_code == 200
    assert _error_codes(response) == ["staff_with_company"]
    assert "Konto inżyniera nie może należeć do firmy klienta" in response.content.decode()  # the admin is in Polish
    assert User.objects.get(pk=engineer.pk).company_id is None

    response = boss.post(f"/admin/accounts/user/{customer.pk}/change/", admin_change_data(customer, is_staff="on"))
    assert response.status_code == 200 and _error_codes(response) == ["staff_with_company"]
    assert not User.objects.get(pk=customer.pk).is_staff


def test_an_engineer_cannot_verify_into_a_company(staff, contract, login_with_otp):
    with pytest.raises(VerificationFailed):
        user_verify(user=staff, contract_number=contract.number, serial=serial_parse("FG100FTK20001234"))
    client = login_with_otp(staff)
    response = client.post("/accounts/verify/", {"contract_number": contract.number, "serial": "FG100FTK20001234"})
    assert response.status_code == 302 and response["Location"] == "/dashboard/"
    assert User.objects.get(pk=staff.pk).company_id is None
    assert "/admin/" in client.get("/dashboard/").content.decode()


def test_an_engineer_given_a_company_anyway_sees_none_of_it_in_the_portal(staff, cast, contract, login_with_otp):
    ticket = make_ticket(author=cast["customer"], contract=contract, title="Awaria klastra HA")
    services.ticket_engineer_reply(
        ticket=ticket, engineer=cast["engineer"], body="NOTATKA: stary firmware", internal=True
    )
    User.objects.filter(pk=staff.pk).update(company=cast["customer"].company, role="customer")
    client = login_with_otp(User.objects.get(pk=staff.pk), with_client=Client())

    for url in ("/tickets/", f"/tickets/{ticket.number}/", "/contracts/"):
        response = client.get(url, follow=True)
        page = response.content.decode()
        assert ticket.number not in page and "NOTATKA" not in page and contract.number not in page, url
    # The customer's own page is the same as ever, without the note.
    page = login_with_otp(cast["customer"], with_client=Client()).get(f"/tickets/{ticket.number}/").content.decode()
    assert "Awaria klastra HA" in page and "NOTATKA" not in page
