"""The session's user is read by `accounts.backends.user_by_pk`: the same object an ORM query gives."""

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
    assert read._state.adding is False and read.get_session_auth_hash() == orm.get_session_auth_hash()


def test_unknown_and_inactive_users_get_no_session(db):
    inactive = UserFactory(email="byly@example.com", is_active=False)
    assert user_by_pk(10**9) is None
    assert UserBackend().get_user(10**9) is None
    assert UserBackend().get_user(inactive.pk) is None


# --- The private Django and django-otp hooks the lean pair relies on ---------------------------------------
# accounts/backends.py and accounts/middleware.py are kept because they make pages faster (docs/BENCHMARKS.md,
# issue 20: the dashboard about 30%). They lean on internals of Django and django-otp; these tests fail when an
# upgrade changes one of them, before a user would notice.


def test_django_keeps_the_user_it_read_on_the_request(rf, customer):
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.middleware import get_user
    from django.contrib.sessions.backends.db import SessionStore

    request = rf.get("/")
    request.session = SessionStore()
    request.session.update(
        {
            SESSION_KEY: str(customer.pk),
            BACKEND_SESSION_KEY: "accounts.backends.UserBackend",
            HASH_SESSION_KEY: customer.get_session_auth_hash(),
        }
    )
    user = get_user(request)
    assert user.pk == customer.pk and request._cached_user is user  # accounts/middleware.py reads it there


def test_django_otp_middleware_still_has_the_methods_ours_overrides_with_the_same_arguments():
    import inspect

    from django_otp.middleware import OTPMiddleware as Package

    from accounts.middleware import OTPMiddleware

    assert issubclass(OTPMiddleware, Package)
    assert list(inspect.signature(Package._verify_user_sync).parameters) == ["self", "request", "user"]
    assert list(inspect.signature(Package._init_user_fields).parameters) == ["user"]
    assert inspect.iscoroutinefunction(Package.__acall__)
    assert "_is_async" in inspect.getsource(Package.__init__)


def test_device_ids_are_parsed_as_django_otp_makes_them(customer):
    from django_otp.models import Device
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.backends import device_from_persistent_id

    device = TOTPDevice.objects.create(user=customer, name="default", confirmed=True)
    assert device_from_persistent_id(device.persistent_id) == (TOTPDevice, device.pk)
    assert Device.from_persistent_id(device.persistent_id) == device


@pytest.mark.parametrize("state", ["none", "valid", "deleted", "unconfirmed", "foreign", "malformed", "legacy path"])
def test_ours_decides_every_session_as_django_otp_does(rf, customer, state):
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
        middleware(lambda r: None)(request)
        verified = request.user.is_verified()
        outcomes.append((verified, verified and request.user.otp_device.pk, DEVICE_ID_SESSION_KEY in request.session))
    assert outcomes[0] == outcomes[1], state
    assert outcomes[1][0] is (state in {"valid", "legacy path"})
