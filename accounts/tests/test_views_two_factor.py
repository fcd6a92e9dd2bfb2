import re
from base64 import b32decode
from binascii import hexlify

import pytest
from django.contrib.auth import SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db


def code_for(secret_b32: str, *, offset: int = 0) -> str:
    key = b32decode(secret_b32)
    return f"{totp(key, step=30, t0=0, digits=6, drift=offset):06d}"


def enrol(client) -> str:
    """Walk the setup wizard as a person would and return the secret shown in text."""
    page = client.get("/accounts/two-factor/setup/")
    assert page.status_code == 200
    page = client.post("/accounts/two-factor/setup/", {"setup_view-current_step": "welcome"})
    html = page.content.decode()
    secret = re.search(r'otpauth://totp/[^"]*secret=([A-Z2-7]+)', html).group(1)
    assert secret in html.replace(f"secret={secret}", "")  # also shown as text to type in
    assert 'src="/accounts/two-factor/qrcode/"' in html
    response = client.post(
        "/accounts/two-factor/setup/",
        {"setup_view-current_step": "generator", "generator-token": code_for(secret)},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    return secret


def log_in(client, email, code_or_backup: str, *, step: str = "token"):
    response = client.post(
        "/accounts/login/",
        {"login_view-current_step": "auth", "auth-username": email, "auth-password": DEFAULT_PASSWORD},
    )
    assert response.status_code == 200
    if step == "backup":
        client.post("/accounts/login/", {"wizard_goto_step": "backup"})
        return client.post(
            "/accounts/login/", {"login_view-current_step": "backup", "backup-otp_token": code_or_backup}
        )
    return client.post("/accounts/login/", {"login_view-current_step": "token", "token-otp_token": code_or_backup})


def test_enrolment_then_login_with_password_and_totp(client, customer):
    client.force_login(customer)
    secret = enrol(client)
    device = TOTPDevice.objects.get(user=customer)
    assert device.confirmed and hexlify(b32decode(secret)).decode() == device.key
    assert client.get("/dashboard/").status_code == 200  # this session passed the factor at enrolment

    client.post("/accounts/logout/")
    response = log_in(client, "ANNA@kowalski.example", code_for(secret, offset=1))
    assert response.status_code == 302
    assert client.get("/dashboard/").status_code == 200


def test_a_wrong_code_is_refused_and_the_session_stays_unverified(client, customer):
    client.force_login(customer)
    secret = enrol(client)
    client.post("/accounts/logout/")
    wrong = f"{(int(code_for(secret)) + 1) % 1_000_000:06d}"
    response = log_in(client, customer.email, wrong)
    assert response.status_code == 200
    assert client.get("/dashboard/").status_code == 302


def test_backup_codes_are_offered_and_each_works_once(client, customer):
    client.force_login(customer)
    enrol(client)
    client.post("/accounts/reauthenticate/", {"password": DEFAULT_PASSWORD})  # a change of the second factor
    page = client.post("/accounts/two-factor/backup-tokens/").content.decode()
    codes = re.findall(r"<li><code>([0-9a-z-]+)</code></li>", page)
    assert len(codes) == 10
    code = codes[0]
    client.post("/accounts/logout/")
    assert log_in(client, customer.email, code, step="backup").status_code == 302
    client.post("/accounts/logout/")
    assert log_in(client, customer.email, code, step="backup").status_code == 200


def test_password_alone_does_not_open_the_dashboard_of_an_enrolled_user(client, customer):
    TOTPDevice.objects.create(user=customer, name="default", confirmed=True)
    client.force_login(customer)
    response = client.get("/dashboard/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def password_step(client, email, password):
    return client.post(
        "/accounts/login/",
        {"login_view-current_step": "auth", "auth-username": email, "auth-password": password},
    )


def test_password_attempts_are_throttled_per_login_then_cool_off(client, customer, settings):
    import time_machine
    from django.utils import timezone

    settings.MYHEZO_LOGIN_RATE_PER_ACCOUNT = "3/m"
    for _ in range(3):
        assert password_step(client, customer.email, "wrong-password-123").status_code == 200
    response = password_step(client, customer.email.upper(), DEFAULT_PASSWORD)
    assert response.status_code == 429
    assert "Zbyt wiele prób logowania" in response.content.decode()
    assert not client.session.get(SESSION_KEY)
    # Another login from the same place is not affected.
    assert password_step(client, "someone@example.com", "x").status_code == 200
    with time_machine.travel(timezone.now() + timezone.timedelta(minutes=2)):
        response = password_step(client, customer.email, DEFAULT_PASSWORD)
    assert response.status_code == 302  # no device yet: logged in, sent to enrolment


def test_password_attempts_are_throttled_per_ip(client, customer, settings):
    settings.MYHEZO_LOGIN_RATE_PER_IP = "2/h"
    assert password_step(client, "a@example.com", "x").status_code == 200
    assert password_step(client, "b@example.com", "x").status_code == 200
    assert password_step(client, customer.email, DEFAULT_PASSWORD).status_code == 429


@pytest.mark.parametrize(
    ("next_url", "lands_on"),
    [("/contracts/", "/contracts/"), ("https://evil.example/", "/dashboard/"), ("//evil.example/x", "/dashboard/")],
)
def test_login_returns_to_the_page_asked_for_but_never_to_another_site(client, customer, next_url, lands_on):
    device = TOTPDevice.objects.create(user=customer, name="default", confirmed=True)
    login_url = f"/accounts/login/?next={next_url}"
    form = client.get(login_url).content.decode()
    assert 'name="next" value=""' not in form  # an empty field would override the query string
    client.post(
        login_url,
        {"login_view-current_step": "auth", "auth-username": customer.email, "auth-password": DEFAULT_PASSWORD},
    )
    code = f"{totp(device.bin_key, step=30, t0=0, digits=6):06d}"
    response = client.post(login_url, {"login_view-current_step": "token", "token-otp_token": code})
    assert response.status_code == 302 and response["Location"] == lands_on


def test_a_session_that_passed_only_the_password_cannot_enrol_a_device_of_its_own(client, customer):
    """Enrolling a new device ends with a verified session: if a password-only session could post the wizard,
    it would skip the code of the device the user already has."""
    TOTPDevice.objects.create(user=customer, name="default", confirmed=True)
    client.force_login(customer)
    for response in (
        client.get("/accounts/two-factor/setup/"),
        client.post("/accounts/two-factor/setup/", {"setup_view-current_step": "welcome"}),
        client.post("/accounts/two-factor/setup/", {"setup_view-current_step": "generator", "generator-token": "1"}),
    ):
        assert response.status_code == 302
        assert response["Location"] == "/accounts/login/?next=/accounts/two-factor/setup/"
        assert b"otpauth://" not in response.content
    assert TOTPDevice.objects.filter(user=customer).count() == 1
    assert client.get("/dashboard/").status_code == 302
