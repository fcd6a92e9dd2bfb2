"""The session's user is read by `accounts.backends.user_by_pk`: the same object an ORM query gives."""

import asyncio

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts.backends import UserBackend, user_by_pk
from accounts.tests.factories import UserFactory
from conftest import verify

pytestmark = pytest.mark.django_db


def test_the_user_read_for_a_session_equals_the_orm_one_field_by_field(customer, company):
    verify(customer, company)
    customer.last_login = timezone.now()
    customer.save()
    orm = get_user_model().objects.get(pk=customer.pk)
    read = user_by_pk(customer.pk)
    for field in get_user_model()._meta.concrete_fields:
        assert getattr(read, field.attname) == getattr(orm, field.attname), field.name
    assert read.last_login.tzinfo is not None and read.is_verified_customer
    assert read.get_session_auth_hash() == orm.get_session_auth_hash()
    read.validate_unique()  # known as a stored row: its own e-mail address is no clash
    read.first_name = "Janina"
    read.save()
    assert get_user_model().objects.get(pk=customer.pk).first_name == "Janina"
    assert get_user_model().objects.count() == 1


def test_unknown_and_inactive_users_get_no_session(db):
    inactive = UserFactory(email="byly@example.com", is_active=False)
    assert user_by_pk(10**9) is None
    assert UserBackend().get_user(10**9) is None
    assert UserBackend().get_user(inactive.pk) is None


# --- Django and django-otp internals the lean pair relies on ----------------------------------------------
# accounts/backends.py and accounts/middleware.py are kept because they make pages faster (docs/BENCHMARKS.md,
# issue 20: the dashboard about 30%). They lean on internals of Django and django-otp; these tests fail when an
# upgrade changes one of them, before a user would notice: they compare what the pages get with what the
# packages alone would give.


def test_a_page_gets_the_session_user_as_a_plain_verified_user_object(customer, company, login_with_otp):
    """The user Django read for the session (accounts/middleware.py takes it where Django keeps it) reaches the
    page as the model object itself, not behind Django's lazy proxy, and verified by its second factor."""
    verify(customer, company)
    response = login_with_otp(customer).get("/dashboard/")
    assert response.status_code == 200
    user = response.wsgi_request.user
    assert type(user) is get_user_model() and user.pk == customer.pk and user.is_verified()


def test_device_ids_are_parsed_as_django_otp_makes_them(customer):
    from django_otp.models import Device
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.backends import device_from_persistent_id

    device = TOTPDevice.objects.create(user=customer, name="default", confirmed=True)
    assert device_from_persistent_id(device.persistent_id) == (TOTPDevice, device.pk)
    assert Device.from_persistent_id(device.persistent_id) == device


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("state", ["none", "valid", "deleted", "unconfirmed", "foreign", "malformed", "legacy path"])
def test_ours_decides_every_session_as_django_otp_does(rf, customer, state, mode):
    """Under WSGI (ours) and ASGI (the package's own async path, calling ours), for every kind of session."""
    from django.contrib.sessions.backends.db import SessionStore
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.middleware import OTPMiddleware as Package
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.middleware import OTPMiddleware

    owner = UserFactory(email="obcy@example.com") if state == "foreign" else customer
    device = TOTPDevice.objects.create(user=owner, name="default", confirmed=state != "unconfirmed")
    persistent_id = {
        "none": None,
        "malformed": "otp_totp.totpdevice/abc",
        "legacy path": f"django_otp.plugins.otp_totp.models.TOTPDevice/{device.pk}",
    }.get(state, device.persistent_id)
    if state == "deleted":
        TOTPDevice.objects.filter(pk=device.pk).delete()

    outcomes = []
    for middleware in (Package, OTPMiddleware):
        request = rf.get("/")
        request.session = SessionStore()
        if persistent_id:
            request.session[DEVICE_ID_SESSION_KEY] = persistent_id
        request.user = get_user_model().objects.get(pk=customer.pk)
        if mode == "sync":
            middleware(lambda r: None)(request)
        else:

            async def get_response(r):
                return None

            asyncio.run(middleware(get_response)(request))
        verified = request.user.is_verified()
        outcomes.append((verified, verified and request.user.otp_device.pk, DEVICE_ID_SESSION_KEY in request.session))
    assert outcomes[0] == outcomes[1], state
    assert outcomes[1][0] is (state in {"valid", "legacy path"})
