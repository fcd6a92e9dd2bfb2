"""The second-factor check on every request (accounts/middleware.py): a session counts as verified only while the
device it passed with exists, is confirmed and belongs to the user — as django-otp's own middleware decides."""

import pytest
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.tests.factories import UserFactory
from conftest import verify

pytestmark = pytest.mark.django_db


@pytest.fixture
def verified(client, customer, company, login_with_otp):
    verify(customer, company)
    return login_with_otp(customer)


def _session_device(client, persistent_id: str) -> None:
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = persistent_id
    session.save()


def test_a_session_that_passed_the_second_factor_opens_verified_pages(verified):
    assert verified.get("/tickets/").status_code == 200


def test_deleting_the_device_makes_the_session_unverified_at_once(verified, customer):
    TOTPDevice.objects.filter(user=customer).delete()
    response = verified.get("/tickets/")
    assert response.status_code == 302 and "/accounts/" in response["Location"]
    assert DEVICE_ID_SESSION_KEY not in verified.session


def test_an_unconfirmed_device_does_not_verify(verified, customer):
    TOTPDevice.objects.filter(user=customer).update(confirmed=False)
    assert verified.get("/tickets/").status_code == 302


def test_another_users_device_in_the_session_does_not_verify(verified):
    stranger = UserFactory(email="obcy@example.com")
    device = TOTPDevice.objects.create(user=stranger, name="default", confirmed=True)
    _session_device(verified, device.persistent_id)
    assert verified.get("/tickets/").status_code == 302


@pytest.mark.parametrize(
    "persistent_id", ["nonsense", "otp_totp.totpdevice/abc", "auth.user/1", "nope.model/1", "otp_totp.totpdevice/999"]
)
def test_a_malformed_or_unknown_device_id_does_not_verify_and_breaks_nothing(verified, persistent_id):
    _session_device(verified, persistent_id)
    assert verified.get("/tickets/").status_code == 302
    assert DEVICE_ID_SESSION_KEY not in verified.session


def test_the_device_object_is_there_when_a_page_asks_for_it(rf, customer, company, login_with_otp):
    from django.contrib.sessions.backends.db import SessionStore

    from accounts.middleware import OTPMiddleware

    device = TOTPDevice.objects.create(user=customer, name="default", confirmed=True)
    request = rf.get("/")
    request.session = SessionStore()
    request.session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    request.user = customer
    OTPMiddleware(lambda r: None)(request)
    assert request.user.is_verified()
    assert request.user.otp_device.persistent_id == device.persistent_id
    assert isinstance(request.user.otp_device, TOTPDevice)
