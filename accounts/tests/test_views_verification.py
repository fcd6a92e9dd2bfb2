import time
import uuid

import pytest
import time_machine
from django.test import Client

from accounts.models import Role, User
from conftest import skip_or_fail
from contracts.tests.factories import make_contract

pytestmark = pytest.mark.django_db

# The cast uses Polish, their preferred language (it wins over the browser's).
ONE_MESSAGE = "Nie udało się zweryfikować konta na podstawie tych danych."


@pytest.fixture
def contracts(company, reseller, other_company):
    a = make_contract(
        customer=company, number="A100001", reseller=reseller, serials=("FG100FTK20001234", "FG60FTK21009876")
    )
    b = make_contract(
        customer=company, number="B200002", plan_name="HEZO+", serials=("A30-2406-00417", "FG100FTK20001234")
    )
    other = make_contract(customer=other_company, number="C300003", plan_name="HEZO+", serials=("MVC-640-000123",))
    return a, b, other


def verify(client, contract_number, serial, **headers):
    return client.post(
        "/accounts/verify/",
        {"contract_number": contract_number, "serial": serial},
        headers={"accept-language": "en", **headers},
    )


def test_customer_verifies_with_contract_and_old_notation_serial(client, customer, contracts, login_with_otp):
    login_with_otp(customer)
    response = verify(client, " b200002 ", "a30-2406-00417")
    assert response.status_code == 302 and response["Location"] == "/dashboard/"
    customer.refresh_from_db()
    assert (customer.company.nip, customer.role) == ("5260250274", Role.CUSTOMER)
    assert customer.verified_at is not None
    assert client.get("/accounts/verify/").status_code == 302  # verifies once


@pytest.mark.parametrize(
    ("number", "serial"),
    [
        ("C300003", "MVC-640-000123"),  # a real pair, but another company's contract (wrong NIP)
        ("A999999", "FG100FTK20001234"),  # no such contract
        ("A100001", "A30-2406-00417"),  # serial from another contract
        ("B200002", "(H1)-FG100FTK20001234"),  # the line on B200002 is (H2)
    ],
)
def test_every_mismatch_gets_the_same_message_and_changes_nothing(
    client, customer, contracts, login_with_otp, number, serial
):
    login_with_otp(customer)
    response = verify(client, number, serial)
    assert response.status_code == 200
    assert ONE_MESSAGE in response.content.decode()
    customer.refresh_from_db()
    assert customer.company is None and customer.role == ""


@pytest.mark.parametrize("serial", ["(H2)-FG100FTK20001234", " (h2) - fg100ftk20001234 ", "FG100FTK20001234"])
def test_explicit_index_must_match_but_any_notation_is_accepted(client, customer, contracts, login_with_otp, serial):
    login_with_otp(customer)
    assert verify(client, "B200002", serial).status_code == 302


def test_partner_verifies_with_the_reseller_nip(client, partner, contracts, login_with_otp):
    login_with_otp(partner)
    assert verify(client, "A100001", "(H)-FG60FTK21009876").status_code == 302
    partner.refresh_from_db()
    assert (partner.company.nip, partner.role) == ("7740001454", Role.PARTNER)


def test_partner_cannot_verify_on_a_contract_it_did_not_sell(client, partner, contracts, login_with_otp):
    login_with_otp(partner)
    assert ONE_MESSAGE in verify(client, "B200002", "A30-2406-00417").content.decode()


def test_malformed_contract_number_gets_a_field_error(client, customer, contracts, login_with_otp):
    login_with_otp(customer)
    page = verify(client, "12345", "FG1").content.decode()
    assert 'id="id_contract_number_error"' in page and ONE_MESSAGE not in page


def test_verification_needs_the_second_factor(client, customer, contracts):
    client.force_login(customer)
    response = verify(client, "B200002", "A30-2406-00417")
    assert response.status_code == 302
    assert User.objects.get(pk=customer.pk).company is None


def test_attempts_are_throttled_per_account(client, customer, contracts, login_with_otp):
    login_with_otp(customer)
    for _ in range(5):
        assert verify(client, "A999999", "X").status_code == 200
    response = verify(client, "B200002", "A30-2406-00417")  # right this time, but too late
    assert response.status_code == 429
    assert "Zbyt wiele prób" in response.content.decode()
    assert User.objects.get(pk=customer.pk).company is None


def test_attempts_are_throttled_per_ip_across_accounts(contracts, login_with_otp, settings):
    from accounts.tests.factories import UserFactory

    settings.MYHEZO_VERIFY_RATE_PER_IP = "3/h"
    statuses = []
    for n in range(4):
        user = UserFactory(email=f"probe{n}@example.com", nip="5260250274")
        client = login_with_otp(user, with_client=Client())
        statuses.append(verify(client, "A999999", "X").status_code)
    assert statuses == [200, 200, 200, 429]


@pytest.mark.real_cache
def test_throttle_counts_live_in_redis_when_configured(customer, contracts, login_with_otp, settings):
    if not settings.REDIS_URL:
        skip_or_fail("needs REDIS_URL, as .ci/run sets it")
    settings.CACHES = {**settings.CACHES, "default": {**settings.CACHES["default"], "KEY_PREFIX": uuid.uuid4().hex}}
    client = login_with_otp(customer)
    # Frozen: django-ratelimit counts in fixed windows, and six attempts straddling a window's end would start
    # counting again (a flaky run, not a throttle that forgets).
    with time_machine.travel(time.time(), tick=False):
        codes = [verify(client, "A999999", "X").status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]
