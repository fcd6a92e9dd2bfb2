"""Onboarding as one guided path (SPEC §3, issue 18 item 2): the step indicator, the authenticator app's setup
page with a secret that survives reloads and a text code field, backup codes issued and shown once at enrolment,
and every step reached out of order sending the user to the step they are on."""

import re
from base64 import b32decode

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AuthEvent
from accounts.otp_hashed.models import BackupCode
from accounts.services import backup_codes_generate
from accounts.tests.helpers import backup_step, password_step, reauthenticate
from contracts.tests.factories import make_contract
from core.models import OutboxEmail

pytestmark = pytest.mark.django_db

SETUP = "/accounts/two-factor/setup/"
CODES = "/accounts/two-factor/setup/complete/"
VERIFY = "/accounts/verify/"


def code_for(secret_b32: str) -> str:
    return f"{totp(b32decode(secret_b32), step=30, t0=0, digits=6):06d}"


def secret_on(page) -> str:
    return re.search(r'otpauth://totp/[^"]*secret=([A-Z2-7]+)', page.content.decode()).group(1)


def confirm(client, code: str):
    return client.post(SETUP, {"setup_view-current_step": "generator", "generator-token": code})


def current_step(page) -> str:
    return re.search(r'aria-current="step">.*?class="step-name">([^<]+)<', page.content.decode(), re.S).group(1)


@pytest.fixture
def newcomer(client, customer):
    """Just activated: logged in with the password, no second factor yet."""
    client.force_login(customer)
    return customer


def test_the_secret_stays_the_same_across_reloads_until_the_app_is_confirmed(client, newcomer):
    secrets = {secret_on(client.get(SETUP)) for _ in range(3)}
    assert len(secrets) == 1
    [secret] = secrets
    # A page from before the welcome step was dropped posts that step: the same secret again, no error.
    assert secret_on(client.post(SETUP, {"setup_view-current_step": "welcome"})) == secret

    assert confirm(client, code_for(secret))["Location"] == CODES
    device = TOTPDevice.objects.get(user=newcomer)
    assert b32decode(secret) == device.bin_key


def test_the_code_field_is_a_text_field_named_after_the_app(client, newcomer):
    newcomer.language = "en"
    newcomer.save()
    html = client.get(SETUP).content.decode()
    field = re.search(r'<input[^>]*name="generator-token"[^>]*>', html).group(0)
    assert 'type="text"' in field and 'inputmode="numeric"' in field and 'autocomplete="one-time-code"' in field
    assert "Code from the authenticator app" in html
    for stale in ("Token", "Two-Factor", "Account Security"):
        assert stale not in html
    assert current_step(client.get(SETUP)) == "Authenticator app"


def test_a_code_with_a_space_is_accepted_and_a_wrong_one_says_what_to_do(client, newcomer):
    secret = secret_on(client.get(SETUP))
    wrong = confirm(client, "12345")
    assert "Wpisz 6 cyfr" in wrong.content.decode()
    code = code_for(secret)
    assert confirm(client, f"{code[:3]} {code[3:]}").status_code == 302


def test_polish_pages_use_one_name_for_the_second_factor(client, newcomer):
    html = client.get(SETUP).content.decode()
    assert "aplikację uwierzytelniającą" in html and "Kod z aplikacji uwierzytelniającej" in html
    for stale in ("Token", "Ochrona Konta", "włączyłeś", "dwuskładnik"):
        assert stale not in html


def test_backup_codes_are_issued_at_enrolment_and_shown_once_then_verification_is_next(client, newcomer):
    confirm(client, code_for(secret_on(client.get(SETUP))))
    assert BackupCode.objects.filter(device__user=newcomer).count() == 10
    assert AuthEvent.objects.filter(user=newcomer, kind=AuthEvent.Kind.BACKUP_CODES_GENERATED).count() == 1
    # One e-mail about the new app; the codes issued with it need no second one.
    assert [e.template for e in OutboxEmail.objects.all() if e.to == [newcomer.email]] == [
        "accounts/emails/factor_added"
    ]

    page = client.get(CODES)
    html = page.content.decode()
    codes = re.findall(r"<li><code>([0-9a-z-]+)</code></li>", html)
    assert len(codes) == 10
    assert current_step(page) == "Kody zapasowe"
    assert f'href="{VERIFY}"' in html  # the next step

    # Shown once: the page now sends the user on to the step they are on, and nothing of the codes is left.
    again = client.get(CODES)
    assert again.status_code == 302 and again["Location"] == VERIFY
    assert not any(code in str(dict(client.session)) for code in codes)

    # And a code works at the next login.
    client.post("/accounts/logout/")
    password_step(client, newcomer.email)
    assert backup_step(client, codes[0]).status_code == 302


def test_a_user_who_kept_backup_codes_keeps_them_when_replacing_the_app(client, customer, login_with_otp, company):
    backup_codes_generate(user=customer)
    login_with_otp(customer)
    before = set(BackupCode.objects.filter(device__user=customer).values_list("digest", flat=True))
    reauthenticate(client)
    response = confirm(client, code_for(secret_on(client.get(SETUP))))
    assert response["Location"] == "/accounts/two-factor/"
    assert set(BackupCode.objects.filter(device__user=customer).values_list("digest", flat=True)) == before
    assert client.get(CODES)["Location"] == VERIFY  # no codes waiting: the step the user is on


def test_verification_before_the_authenticator_sends_to_the_authenticator(client, newcomer):
    response = client.get(VERIFY)
    assert response.status_code == 302 and response["Location"].startswith(SETUP)


def test_verification_before_the_backup_codes_were_shown_sends_to_the_backup_codes(client, newcomer):
    confirm(client, code_for(secret_on(client.get(SETUP))))
    assert client.get(VERIFY)["Location"] == CODES
    assert client.get(SETUP)["Location"] == CODES  # not a second app either
    assert client.get(CODES).status_code == 200
    page = client.get(VERIFY)
    assert page.status_code == 200 and current_step(page) == "Weryfikacja umowy"


def test_registration_while_logged_in_sends_to_the_step_the_user_is_on(client, newcomer, company):
    assert client.get("/accounts/register/")["Location"] == SETUP
    confirm(client, code_for(secret_on(client.get(SETUP))))
    assert client.get("/accounts/register/")["Location"] == CODES
    client.get(CODES)
    assert client.get("/accounts/register/")["Location"] == VERIFY
    make_contract(customer=company, number="B200002", serials=("A30-2406-00417",))
    client.post(VERIFY, {"contract_number": "B200002", "serial": "A30-2406-00417"})
    assert client.get("/accounts/register/")["Location"] == "/dashboard/"
    assert client.get(CODES)["Location"] == "/dashboard/"
    assert client.get(VERIFY)["Location"] == "/dashboard/"


def test_the_first_steps_show_where_the_newcomer_is():
    anonymous = Client(headers={"accept-language": "en"})
    assert current_step(anonymous.get("/accounts/register/")) == "Account"
    assert current_step(anonymous.get("/accounts/register/done/")) == "E-mail confirmed"


def test_the_login_code_fields_are_named_after_what_they_ask_for(client, customer, login_with_otp):
    TOTPDevice.objects.create(user=customer, name="default", confirmed=True)
    html = password_step(client, customer.email).content.decode()
    field = re.search(r'<input[^>]*name="token-otp_token"[^>]*>', html).group(0)
    assert 'type="text"' in field and 'inputmode="numeric"' in field and 'autocomplete="one-time-code"' in field
    assert "Kod z aplikacji uwierzytelniającej" in html and "Token" not in html


def test_an_engineer_sets_up_the_app_without_the_customers_steps(client, engineer):
    client.force_login(engineer)
    page = client.get(SETUP)
    assert page.status_code == 200 and "onboarding-steps" not in page.content.decode()
    confirm(client, code_for(secret_on(page)))
    codes = client.get(CODES).content.decode()
    assert "onboarding-steps" not in codes and 'href="/dashboard/"' in codes
