"""Every form that asks for the current password counts it like a login (issue 14, finding 5: the e-mail-change
and password-change forms checked it without the login throttle and without a log entry, so a stolen session
could test passwords there). The forms are found in accounts/forms.py by their "current-password" field, so a
new one is covered or this file fails."""

import ast
import inspect
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django import forms
from django.test import Client
from django.utils import timezone

import accounts
from accounts import forms as account_forms
from accounts.models import AuthEvent, User
from accounts.tests.factories import DEFAULT_PASSWORD
from accounts.tests.helpers import password_step
from core.models import OutboxEmail

pytestmark = pytest.mark.django_db

WRONG = "wrong-password-123"
NEW = "Inne-Dobre-Haslo-2026"
THROTTLED_PL = "Zbyt wiele prób logowania."  # the login page's message, start
WRONG_PL = "Hasło jest nieprawidłowe."


@dataclass(frozen=True)
class Page:
    url: str
    field: str  # the current-password field
    other: dict  # the rest of a valid POST
    purpose: str  # the detail of its "login failed" entries


PAGES = {
    "ReauthenticationForm": Page("/accounts/reauthenticate/", "password", {}, "re-authentication"),
    "EmailChangeForm": Page(
        "/accounts/settings/email/", "password", {"new_email": "anna@new.example"}, "e-mail change"
    ),
    "PasswordChangeForm": Page(
        "/accounts/settings/password/",
        "old_password",
        {"new_password1": NEW, "new_password2": NEW},
        "password change",
    ),
    "AccountDeleteForm": Page("/accounts/settings/delete/", "password", {"confirm": "on"}, "account deletion"),
}


def asks_for_the_current_password(form_class) -> bool:
    return any(
        isinstance(field.widget, forms.PasswordInput) and field.widget.attrs.get("autocomplete") == "current-password"
        for field in form_class.base_fields.values()
    )


def password_forms() -> dict[str, type]:
    return {
        name: value
        for name, value in vars(account_forms).items()
        if inspect.isclass(value) and issubclass(value, forms.BaseForm) and asks_for_the_current_password(value)
    }


def test_every_form_that_asks_for_the_current_password_is_tried_here():
    found = password_forms()
    assert set(found) == set(PAGES), "a form with a current-password field: add its page to PAGES"
    for form_class in found.values():
        assert issubclass(form_class, account_forms.CurrentPasswordCheckMixin), form_class


def test_no_other_code_in_accounts_checks_a_password():
    """The one check is accounts.throttle.password_check; the login goes through Django's authenticate() in its
    form (outside accounts), whose failures accounts/signals.py counts. The backup-code hasher is not a password."""
    root = Path(accounts.__file__).parent
    calls = []
    for path in root.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
                if name in ("check_password", "authenticate"):
                    calls.append(f"{path.relative_to(root)}:{name}")
    assert sorted(calls) == ["otp_hashed/codes.py:check_password", "throttle.py:check_password"]


def post(client, page: Page, password: str):
    return client.post(page.url, {page.field: password, **page.other})


def snapshot(user) -> tuple:
    user = User.objects.get(pk=user.pk)
    return user.email, user.password, user.is_active, user.first_name


def nothing_done(client, user, before: tuple) -> bool:
    """No change to the account, no e-mail queued, no recent password (the second-factor pages still ask)."""
    reauth_asked = client.post("/accounts/two-factor/backup-tokens/").get("Location", "").startswith("/accounts/reauth")
    return snapshot(user) == before and not OutboxEmail.objects.exists() and reauth_asked


def failures(user, purpose: str) -> int:
    return AuthEvent.objects.filter(user=user, kind=AuthEvent.Kind.LOGIN_FAILED, detail=purpose).count()


@pytest.mark.parametrize("name", PAGES)
def test_wrong_passwords_on_the_form_lock_the_login_too_until_it_cools_off(
    name, client, customer, login_with_otp, settings
):
    settings.MYHEZO_LOGIN_RATE_PER_ACCOUNT_AND_IP = "3/15m"
    page = PAGES[name]
    login_with_otp(customer)
    before = snapshot(customer)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(3):
            response = post(client, page, WRONG)
            assert response.status_code in (200, 400)
            assert WRONG_PL in response.content.decode()
        assert failures(customer, page.purpose) == 3  # each wrong attempt is in the log
        assert AuthEvent.objects.filter(kind=AuthEvent.Kind.LOGIN_FAILED).count() == 3

        refused = post(client, page, DEFAULT_PASSWORD)  # the right password, too late
        assert refused.status_code == 429
        assert THROTTLED_PL in refused.content.decode()
        assert nothing_done(client, customer, before)
        assert AuthEvent.objects.filter(user=customer, kind=AuthEvent.Kind.LOCKED_OUT).count() == 1

        # The login page, from the same place, is locked for this account too, and says the same.
        login = password_step(Client(), customer.email, DEFAULT_PASSWORD)
        assert login.status_code == 429 and THROTTLED_PL in login.content.decode()

        clock.shift(timedelta(minutes=16))
        assert post(client, page, DEFAULT_PASSWORD).status_code == 302


@pytest.mark.parametrize("name", PAGES)
def test_failed_logins_lock_the_form_and_it_does_not_check_the_password(
    name, client, customer, login_with_otp, settings
):
    settings.MYHEZO_LOGIN_RATE_PER_ACCOUNT_AND_IP = "3/15m"
    page = PAGES[name]
    login_with_otp(customer)
    before = snapshot(customer)
    guesser = Client()  # the same address (the test client's), another browser
    for _ in range(3):
        assert password_step(guesser, customer.email, WRONG).status_code == 200

    for password in (DEFAULT_PASSWORD, WRONG):
        response = post(client, page, password)
        assert response.status_code == 429
        page_text = response.content.decode()
        assert THROTTLED_PL in page_text and WRONG_PL not in page_text  # refused before any check
    assert AuthEvent.objects.filter(kind=AuthEvent.Kind.LOGIN_FAILED).count() == 3  # nothing checked, nothing counted
    assert failures(customer, page.purpose) == 0
    assert nothing_done(client, customer, before)


@pytest.mark.parametrize("name", PAGES)
def test_a_password_hash_upgraded_by_the_check_keeps_the_session(name, client, customer, login_with_otp, settings):
    """Django re-hashes a password stored with an older hasher when it is checked; the session that typed it
    stays valid (the session hash follows the password hash)."""
    page = PAGES[name]
    login_with_otp(customer)  # the password is stored with the tests' fast hasher
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    assert post(client, page, DEFAULT_PASSWORD).status_code == 302
    if name != "AccountDeleteForm":
        assert client.get("/dashboard/").status_code == 200
    if name in ("ReauthenticationForm", "EmailChangeForm"):
        assert User.objects.get(pk=customer.pk).password.startswith("pbkdf2_sha256$")
