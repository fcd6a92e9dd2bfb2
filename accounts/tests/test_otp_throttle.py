"""django-otp's back-off on wrong second-factor codes, capped at 15 minutes and logged (issue 14, item 6).

Before the cap, each wrong code doubled the wait without a practical limit (20 wrong codes: six days), so
someone who knew the password could lock the real user's authenticator for days.
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AuthEvent
from accounts.otp_hashed.models import BackupCodeDevice
from accounts.services import backup_codes_set
from accounts.tests.helpers import backup_step, password_step, token_step, totp_code
from accounts.throttle import otp_failure_count_max

pytestmark = pytest.mark.django_db

Kind = AuthEvent.Kind
CAP = timedelta(minutes=15)
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def wrong_code(device) -> str:
    return f"{(int(totp_code(device)) + 1) % 10**6:06d}"


def wait_of(device) -> timedelta:
    """How long django-otp makes the next try wait, by its own verify_is_allowed()."""
    device.refresh_from_db()
    allowed, extra = device.verify_is_allowed()
    assert not allowed
    return extra["locked_until"] - device.throttling_failure_timestamp


def test_after_many_wrong_codes_the_wait_is_at_most_15_minutes_and_every_code_is_logged(customer):
    device = TOTPDevice.objects.create(user=customer, name="default", confirmed=True)
    waits = []
    with time_machine.travel(START, tick=False) as clock:
        for _ in range(20):
            client = Client()  # a fresh login each time: the wizard forgets the password after 10 minutes
            assert password_step(client, customer.email).status_code == 200
            assert token_step(client, wrong_code(device)).status_code == 200
            waits.append(wait_of(device).total_seconds())
            clock.shift(CAP)  # the longest wait there may be: every wrong code above was checked
        # Doubling from 1 s up to 2^9 = 512 s, the last doubling within 15 minutes, and no further.
        assert waits == [1, 2, 4, 8, 16, 32, 64, 128, 256] + [512] * 11
        client = Client()
        assert password_step(client, customer.email).status_code == 200
        assert token_step(client, totp_code(device)).status_code == 302  # the real user is in after 15 min
    assert AuthEvent.objects.filter(kind=Kind.OTP_FAILED, user=customer).count() == 20
    assert not AuthEvent.objects.filter(kind=Kind.OTP_THROTTLED).exists()


def test_each_try_during_the_wait_is_refused_logged_and_told_when_to_come_back(customer, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 60  # waits of 1, 2, 4, 8, then 15 minutes
    device = TOTPDevice.objects.create(user=customer, name="default", confirmed=True)
    client = Client(REMOTE_ADDR="198.51.100.7", HTTP_ACCEPT_LANGUAGE="en")
    with time_machine.travel(START, tick=False):
        password_step(client, customer.email)
        token_step(client, wrong_code(device))
        first = token_step(client, totp_code(device))  # even the right code waits
        second = token_step(client, totp_code(device))
    for response in (first, second):
        assert response.status_code == 200
        # 09:01 UTC is 10:01 in Warsaw, the portal's time zone.
        assert "Too many wrong codes. Wait until 10:01:00, then try again." in response.content.decode()
    events = AuthEvent.objects.filter(kind=Kind.OTP_THROTTLED, user=customer)
    assert [(e.detail, e.ip) for e in events] == [
        ("authenticator app: 1 wrong codes, wait until 09:01:00 UTC", "198.51.100.7")
    ] * 2
    assert AuthEvent.objects.filter(kind=Kind.OTP_FAILED, user=customer).count() == 1


def test_the_wait_is_said_in_polish(customer):
    device = TOTPDevice.objects.create(user=customer, name="default", confirmed=True)
    client = Client(HTTP_ACCEPT_LANGUAGE="pl")
    with time_machine.travel(START, tick=False):
        password_step(client, customer.email)
        token_step(client, wrong_code(device))
        response = token_step(client, totp_code(device))
    assert "Zbyt wiele błędnych kodów. Poczekaj do 10:00:01 i spróbuj ponownie." in response.content.decode()


def test_backup_codes_are_capped_the_same_way(customer, settings):
    TOTPDevice.objects.create(user=customer, name="default", confirmed=True)
    backup_codes_set(user=customer, codes=["demo1111"])
    device = BackupCodeDevice.objects.get(user=customer)
    with time_machine.travel(START, tick=False) as clock:
        for _ in range(15):
            client = Client()
            password_step(client, customer.email)
            backup_step(client, "wrong-code")
            assert wait_of(device) <= CAP
            clock.shift(CAP)
        assert device.throttling_failure_count == 10
        client = Client()
        password_step(client, customer.email)
        assert backup_step(client, "demo1111").status_code == 302


@pytest.mark.parametrize("factor", [1, 60, 0.5])
def test_django_otp_still_waits_factor_times_two_to_the_failures_minus_one(customer, settings, factor):
    """The cap rests on django-otp's formula (ThrottlingMixin.verify_is_allowed): this fails if it changes."""
    settings.OTP_TOTP_THROTTLE_FACTOR = factor
    device = TOTPDevice.objects.create(user=customer, name="default", confirmed=True)
    now = timezone.now()
    for failures in range(1, otp_failure_count_max(factor) + 1):
        device.throttling_failure_count, device.throttling_failure_timestamp = failures, now
        allowed, extra = device.verify_is_allowed()
        assert not allowed
        assert extra["locked_until"] - now == timedelta(seconds=factor * 2 ** (failures - 1))
        assert extra["locked_until"] - now <= CAP
    # One more failure would wait longer than the cap, so the stored count stops there.
    assert timedelta(seconds=factor * 2 ** otp_failure_count_max(factor)) > CAP
    device.throttling_failure_count = 1000
    device.save()
    device.refresh_from_db()
    assert device.throttling_failure_count == otp_failure_count_max(factor)
    assert wait_of(device) <= CAP
