from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from contracts.tests.factories import make_contract

pytestmark = pytest.mark.django_db


@pytest.fixture
def contracts(company, reseller, other_company):
    make_contract(
        customer=company, number="A100001", reseller=reseller, serials=("FG100FTK20001234", "FG60FTK21009876")
    )
    make_contract(customer=company, number="B200002", plan_name="HEZO+", serials=("A30-2406-00417", "FG100FTK20001234"))
    make_contract(
        customer=company,
        number="E500005",
        plan_name="HEZO+",
        serials=("OLD-1",),
        ends_on=date(2024, 12, 31),
        starts_on=date(2022, 1, 1),
    )
    make_contract(customer=other_company, number="C300003", plan_name="HEZO+", serials=("MVC-640-000123",))


def verified(user, company, role=Role.CUSTOMER):
    user.company, user.role, user.verified_at = company, role, timezone.now()
    user.save()
    return user


def test_customer_sees_all_company_contracts_with_lines_in_new_notation(
    client, customer, company, contracts, login_with_otp, django_assert_num_queries
):
    login_with_otp(verified(customer, company))
    # user with the OTP device check, contracts, lines with serial counts, plan allowances, allowance uses
    # (session: cache)
    with django_assert_num_queries(5):
        page = client.get("/contracts/").content.decode()
    for text in [
        "A100001",
        "B200002",
        "E500005",
        "(H1)-FG100FTK20001234",
        "(H2)-FG100FTK20001234",
        "(H)-FG60FTK21009876",
        "(H)-A30-2406-00417",
        "Arkanet Sp. z o.o.",
        "wygasła",
        "HEZO 360",
    ]:
        assert text in page, text
    assert "C300003" not in page and "MVC-640" not in page


def test_contract_page_query_count_does_not_grow_with_contracts(
    client, customer, company, contracts, login_with_otp, django_assert_num_queries
):
    for n in range(10):
        make_contract(customer=company, number=f"F6000{n:02d}", serials=(f"FG-{n}-A", f"FG-{n}-B"))
    login_with_otp(verified(customer, company))
    with django_assert_num_queries(5):
        client.get("/contracts/")


def test_dashboard_lists_active_contracts_with_new_ticket_buttons(
    client, colleague, company, contracts, login_with_otp
):
    login_with_otp(verified(colleague, company))
    page = client.get("/dashboard/").content.decode()
    assert "A100001" in page and "B200002" in page and "E500005" not in page
    assert page.count("Nowe zgłoszenie") == 2
    assert 'href="/tickets/new/?contract=B200002"' in page


def test_other_companys_customer_sees_only_their_own(client, other_customer, other_company, contracts, login_with_otp):
    login_with_otp(verified(other_customer, other_company))
    page = client.get("/contracts/").content.decode()
    assert "C300003" in page and "A100001" not in page and "FG100FTK20001234" not in page


def test_partner_sees_no_contract_data(client, partner, reseller, contracts, login_with_otp):
    login_with_otp(verified(partner, reseller, Role.PARTNER))
    assert client.get("/contracts/").status_code == 404
    page = client.get("/dashboard/").content.decode()
    assert "Zgłoszenia udostępnione Tobie" in page
    assert "A100001" not in page and "FG100FTK20001234" not in page


def test_unverified_user_is_sent_to_verification(client, customer, contracts, login_with_otp):
    login_with_otp(customer)
    response = client.get("/contracts/")
    assert response.status_code == 302 and response["Location"] == "/accounts/verify/"
    page = client.get("/dashboard/").content.decode()
    assert 'href="/accounts/verify/"' in page and "A100001" not in page


def test_contracts_page_needs_the_second_factor(client, customer, company, contracts):
    client.force_login(verified(customer, company))
    assert client.get("/contracts/").status_code == 302


def test_dashboard_needs_login(client):
    response = client.get(reverse("portal:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_dashboard_needs_the_second_factor(client, customer):
    client.force_login(customer)  # password only, no device yet: enrol first
    response = client.get(reverse("portal:dashboard"))
    assert response["Location"].startswith("/accounts/two-factor/setup/?next=")
