"""The authentication log engineers read in admin: each kind of event is written, with address and browser."""

import re

import pytest
from django.core import mail
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AuthEvent
from accounts.services import backup_codes_set
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from accounts.tests.helpers import backup_step, full_login, password_step, reauthenticate, token_step
from contracts.tests.factories import make_contract

pytestmark = pytest.mark.django_db

Kind = AuthEvent.Kind
BROWSER = {"REMOTE_ADDR": "198.51.100.23", "HTTP_USER_AGENT": "Mozilla/5.0 (X11) " + "x" * 500}


@pytest.fixture
def browser():
    return Client(**BROWSER)


def events(kind, **filters):
    return list(AuthEvent.objects.filter(kind=kind, **filters))


def test_successful_login_with_the_app_and_with_a_backup_code(browser, customer):
    full_login(browser, customer)
    [event] = events(Kind.LOGIN_SUCCEEDED)
    assert (event.user, event.email, event.ip, event.detail) == (
        customer,
        customer.email,
        "198.51.100.23",
        "authenticator app",
    )
    assert event.user_agent.startswith("Mozilla/5.0 (X11) ") and len(event.user_agent) == 300
    browser.post("/accounts/logout/")
    assert events(Kind.LOGOUT, user=customer)
    backup_codes_set(user=customer, codes=["demo1111"])
    password_step(browser, customer.email)
    assert backup_step(browser, "demo1111").status_code == 302
    assert AuthEvent.objects.filter(kind=Kind.LOGIN_SUCCEEDED).first().detail == "backup code"


def test_failed_passwords_are_logged_with_the_address_typed(browser, customer):
    password_step(browser, "ANNA@kowalski.example", "wrong-password-123")
    password_step(browser, "nobody@example.com", "wrong-password-123")
    known, unknown = sorted(events(Kind.LOGIN_FAILED), key=lambda e: e.email)
    assert (known.user, known.email, known.ip) == (customer, "anna@kowalski.example", "198.51.100.23")
    assert (unknown.user, unknown.email) == (None, "nobody@example.com")


def test_wrong_codes_are_logged(browser, customer):
    TOTPDevice.objects.create(user=customer, name="default", confirmed=True)
    password_step(browser, customer.email)
    assert token_step(browser, "000000").status_code == 200
    backup_codes_set(user=customer, codes=["demo1111"])
    assert backup_step(browser, "nope-nope").status_code == 200
    app, backup = sorted(events(Kind.OTP_FAILED, user=customer), key=lambda e: e.pk)
    assert app.detail.startswith("authenticator app") and backup.detail.startswith("backup code")
    assert not events(Kind.LOGIN_SUCCEEDED)


def test_lockouts_are_logged(browser, customer, settings):
    settings.MYHEZO_LOGIN_RATE_PER_ACCOUNT_AND_IP = "1/15m"
    password_step(browser, customer.email, "wrong-password-123")
    assert password_step(browser, customer.email).status_code == 429
    [event] = events(Kind.LOCKED_OUT)
    assert (event.user, event.ip) == (customer, "198.51.100.23")


def test_verification_attempts_and_their_lockout_are_logged(customer, company, login_with_otp, settings):
    make_contract(customer=company, number="A100001", serials=("FG100FTK20001234",))
    settings.MYHEZO_VERIFY_RATE_PER_ACCOUNT = "1/15m"
    client = login_with_otp(customer, with_client=Client(**BROWSER))
    client.post("/accounts/verify/", {"contract_number": "A999999", "serial": "X"})
    assert (
        client.post("/accounts/verify/", {"contract_number": "A100001", "serial": "FG100FTK20001234"}).status_code
        == 429
    )
    [failed] = events(Kind.VERIFICATION_FAILED, user=customer)
    assert failed.detail == "contract A999999" and failed.ip == "198.51.100.23"
    assert events(Kind.LOCKED_OUT, user=customer, detail="verification")
    settings.MYHEZO_VERIFY_RATE_PER_ACCOUNT = "5/15m"
    assert (
        client.post("/accounts/verify/", {"contract_number": "A100001", "serial": "FG100FTK20001234"}).status_code
        == 302
    )
    [succeeded] = events(Kind.VERIFICATION_SUCCEEDED, user=customer)
    assert succeeded.detail == "customer A100001"


def test_changes_of_password_email_and_second_factor_are_logged(
    customer, login_with_otp, django_capture_on_commit_callbacks
):
    client = login_with_otp(customer, with_client=Client(**BROWSER))
    reauthenticate(client)
    client.post("/accounts/two-factor/backup-tokens/")
    client.post("/accounts/two-factor/disable/", {"understand": "on"})
    from accounts.tests.test_views_two_factor import enrol

    enrol(client)
    new = "Inne-Dobre-Haslo-2026"
    client.post(
        "/accounts/settings/password/", {"old_password": DEFAULT_PASSWORD, "new_password1": new, "new_password2": new}
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/settings/email/", {"new_email": "anna@new.example", "password": new})
    path = re.search(r"https?://[^/\s]+(/accounts/settings/email/confirm/\S+/)", mail.outbox[-1].body).group(1)
    client.post(path)
    kinds = list(AuthEvent.objects.filter(user=customer).order_by("pk").values_list("kind", flat=True))
    assert kinds == [
        Kind.LOGIN_SUCCEEDED,  # login_with_otp
        Kind.REAUTHENTICATED,
        Kind.BACKUP_CODES_GENERATED,
        Kind.FACTOR_REMOVED,
        Kind.FACTOR_ADDED,
        Kind.BACKUP_CODES_GENERATED,  # issued with the new app: removing the second factor took the old ones
        Kind.PASSWORD_CHANGED,
        Kind.EMAIL_CHANGE_REQUESTED,
        Kind.EMAIL_CHANGED,
    ]
    changes = AuthEvent.objects.filter(user=customer).exclude(kind=Kind.LOGIN_SUCCEEDED)  # force_login has no address
    assert all(e.ip == "198.51.100.23" for e in changes)
    assert AuthEvent.objects.get(kind=Kind.EMAIL_CHANGED).detail == "from anna@kowalski.example"


def test_password_reset_is_logged(client, customer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password/reset/", {"email": customer.email})
    path = re.search(r"https?://[^/\s]+(/accounts/password/reset/\S+/)", mail.outbox[0].body).group(1)
    set_url = client.get(path, follow=True).redirect_chain[-1][0]
    client.post(set_url, {"new_password1": "Nowe-Haslo-2026-xyz", "new_password2": "Nowe-Haslo-2026-xyz"})
    assert events(Kind.PASSWORD_RESET, user=customer)


def test_engineers_read_the_log_in_admin_and_cannot_change_it(customer, engineer, login_with_otp):
    password_step(Client(), customer.email, "wrong-password-123")
    full_login(Client(), UserFactory(email="ktos@example.com"))
    desk = login_with_otp(engineer, with_client=Client())  # a plain engineer, not a superuser
    listing = desk.get("/admin/accounts/authevent/")
    assert listing.status_code == 200
    page = listing.content.decode()
    assert "anna@kowalski.example" in page and "ktos@example.com" in page
    filtered = desk.get("/admin/accounts/authevent/", {"kind__exact": "login_failed"}).content.decode()
    assert "anna@kowalski.example" in filtered and "ktos@example.com" not in filtered
    searched = desk.get("/admin/accounts/authevent/", {"q": "ktos@"}).content.decode()
    assert "ktos@example.com" in searched and "anna@kowalski.example" not in searched
    event = AuthEvent.objects.filter(email=customer.email).first()
    assert desk.get(f"/admin/accounts/authevent/{event.pk}/change/").status_code == 200  # a read-only view
    assert desk.post(f"/admin/accounts/authevent/{event.pk}/change/", {"email": "x"}).status_code == 403
    assert desk.get("/admin/accounts/authevent/add/").status_code == 403
    assert desk.post(f"/admin/accounts/authevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuthEvent.objects.get(pk=event.pk).email == customer.email
    # Customers never see it.
    assert login_with_otp(customer, with_client=Client()).get("/admin/accounts/authevent/").status_code == 302
