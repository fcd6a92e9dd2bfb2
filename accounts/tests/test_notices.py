"""A notice e-mail, in the user's language, after every change of a password, the e-mail address or the second
factor (ASVS 5.0 V6.3.7)."""

import re

import pytest
from django.core import mail
from django.test import Client

from accounts.tests.factories import DEFAULT_PASSWORD
from accounts.tests.helpers import reauthenticate
from core.models import OutboxEmail

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Nowe-Haslo-Do-Portalu-2026"


@pytest.fixture
def english_customer(customer):
    customer.language = "en"
    customer.save()
    return customer


def only_notice(template: str) -> OutboxEmail:
    [email] = OutboxEmail.objects.filter(template=f"accounts/emails/{template}")
    return email


def test_password_change_notice(client, english_customer, login_with_otp, django_capture_on_commit_callbacks):
    login_with_otp(english_customer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/accounts/settings/password/",
            {"old_password": DEFAULT_PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        )
    [message] = mail.outbox
    assert message.to == [english_customer.email]
    assert message.subject == "The password of your myHEZO account was changed"
    assert "If you did not do this, contact the helpdesk at once" in message.body
    assert NEW_PASSWORD not in message.body and NEW_PASSWORD not in message.alternatives[0][0]


def test_password_reset_notice(client, english_customer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password/reset/", {"email": english_customer.email})
    path = re.search(r"https?://[^/\s]+(/accounts/password/reset/\S+/)", mail.outbox[0].body).group(1)
    set_url = client.get(path, follow=True).redirect_chain[-1][0]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    notice = mail.outbox[1]
    assert notice.to == [english_customer.email]
    assert "set anew with a reset link" in notice.body
    assert only_notice("password_changed").language == "en"


def test_email_change_notice_goes_to_the_old_address(client, english_customer, login_with_otp):
    from accounts.services import email_change_link_make

    link = (
        "/accounts/settings/email/confirm/"
        + email_change_link_make(user=english_customer, new_email="anna@new.example")
        + "/"
    )
    Client().post(link)
    notice = only_notice("email_changed_notice")
    assert notice.to == ["anna@kowalski.example"] and notice.language == "en"
    assert "anna@new.example" in notice.body_text


@pytest.mark.parametrize(
    ("url", "data", "template", "words"),
    [
        ("/accounts/two-factor/backup-tokens/", {}, "backup_codes_generated", "A new set of backup codes"),
        ("/accounts/two-factor/disable/", {"understand": "on"}, "factor_removed", "were just removed"),
    ],
)
def test_second_factor_change_notices(client, english_customer, login_with_otp, url, data, template, words):
    login_with_otp(english_customer)
    reauthenticate(client)
    response = client.post(url, data)
    notice = only_notice(template)
    assert notice.to == [english_customer.email] and notice.language == "en"
    assert words in notice.body_text and "contact the helpdesk" in notice.body_text
    codes = re.findall(r"<li><code>([0-9a-z-]+)</code></li>", response.content.decode())
    assert not any(code in notice.body_text or code in notice.body_html for code in codes)


def test_a_new_authenticator_app_is_notified_in_polish_to_a_polish_user(client, customer):
    from accounts.tests.test_views_two_factor import enrol

    client.force_login(customer)
    enrol(client)
    notice = only_notice("factor_added")
    assert notice.to == [customer.email] and notice.language == "pl"
