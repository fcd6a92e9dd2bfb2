"""Changes of the second factor need the password within the last 10 minutes (ASVS 5.0 V7.5.1)."""

from datetime import timedelta
from urllib.parse import quote

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AuthEvent
from accounts.otp_hashed.models import BackupCode
from accounts.tests.helpers import full_login, reauthenticate

pytestmark = pytest.mark.django_db

REAUTH = "/accounts/reauthenticate/"
CHANGES = [
    ("get", "/accounts/two-factor/setup/", {}),  # a new authenticator app
    ("post", "/accounts/two-factor/disable/", {"understand": "on"}),
    ("post", "/accounts/two-factor/backup-tokens/", {}),
]


@pytest.mark.parametrize(("method", "url", "data"), CHANGES)
def test_a_second_factor_change_without_a_recent_password_goes_to_the_password_page(
    client, customer, login_with_otp, method, url, data
):
    login_with_otp(customer)  # passed the second factor, but this session never typed the password
    response = getattr(client, method)(url, data)
    assert response.status_code == 302
    assert response["Location"] == f"{REAUTH}?next={quote(url, safe='')}"
    assert TOTPDevice.objects.filter(user=customer).count() == 1
    assert not BackupCode.objects.exists()


@pytest.mark.parametrize(("method", "url", "data"), CHANGES)
def test_after_the_password_the_change_goes_ahead(client, customer, login_with_otp, method, url, data):
    login_with_otp(customer)
    response = client.post(f"{REAUTH}?next={quote(url)}", {"password": "correct-horse-battery-staple"})
    assert response.status_code == 302 and response["Location"] == url
    assert getattr(client, method)(url, data).status_code in (200, 302)
    assert not getattr(client, method)(url, data).get("Location", "").startswith(REAUTH)


def test_logging_in_with_the_password_counts_and_the_window_closes_after_10_minutes(client, customer):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        assert full_login(client, customer).status_code == 302
        clock.shift(timedelta(minutes=9))
        assert client.post("/accounts/two-factor/backup-tokens/").status_code == 200
        clock.shift(timedelta(minutes=2))
        response = client.post("/accounts/two-factor/backup-tokens/")
        assert response.status_code == 302 and response["Location"].startswith(REAUTH)
        assert reauthenticate(client).status_code == 302
        assert client.post("/accounts/two-factor/backup-tokens/").status_code == 200


def test_a_wrong_password_is_refused_logged_and_counts_towards_the_login_throttle(
    client, customer, login_with_otp, settings
):
    settings.MYHEZO_LOGIN_RATE_PER_ACCOUNT_AND_IP = "3/15m"
    login_with_otp(customer)
    for _ in range(3):
        response = reauthenticate(client, "wrong-password-123")
        assert response.status_code == 200 and 'id="id_password_error"' in response.content.decode()
    assert reauthenticate(client).status_code == 429  # the right password, too late
    assert AuthEvent.objects.filter(user=customer, kind=AuthEvent.Kind.LOGIN_FAILED).count() == 3
    assert AuthEvent.objects.filter(user=customer, kind=AuthEvent.Kind.LOCKED_OUT).count() == 1
    # The login form from this place is locked for this account too.
    response = client.post(
        "/accounts/login/",
        {"login_view-current_step": "auth", "auth-username": customer.email, "auth-password": "x"},
    )
    assert response.status_code == 429


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x"])
def test_the_password_page_never_returns_to_another_site(client, customer, login_with_otp, next_url):
    login_with_otp(customer)
    response = client.post(f"{REAUTH}?next={quote(next_url)}", {"password": "correct-horse-battery-staple"})
    assert response.status_code == 302 and response["Location"] == "/accounts/settings/"


def test_the_password_page_needs_a_session_that_passed_the_second_factor(client, customer):
    TOTPDevice.objects.create(user=customer, name="default", confirmed=True)
    client.force_login(customer)
    assert client.get(REAUTH).status_code == 302
    assert Client().get(REAUTH).status_code == 302


def test_a_new_authenticator_app_replaces_the_old_one(client, customer, login_with_otp):
    import re
    from base64 import b32decode

    from django_otp.oath import totp

    login_with_otp(customer)
    old = TOTPDevice.objects.get(user=customer)
    reauthenticate(client)
    assert client.get("/accounts/two-factor/setup/").status_code == 200
    page = client.post("/accounts/two-factor/setup/", {"setup_view-current_step": "welcome"}).content.decode()
    secret = re.search(r'otpauth://totp/[^"]*secret=([A-Z2-7]+)', page).group(1)
    code = f"{totp(b32decode(secret), step=30, t0=0, digits=6):06d}"
    response = client.post(
        "/accounts/two-factor/setup/", {"setup_view-current_step": "generator", "generator-token": code}
    )
    assert response.status_code == 302
    [new] = TOTPDevice.objects.filter(user=customer)
    assert new.pk != old.pk and new.bin_key == b32decode(secret)
    assert client.get("/dashboard/").status_code == 200
