import re

import pytest
from django.core import mail
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Nowe-Haslo-Do-Portalu-2026"


def ask(client, email, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post("/accounts/password/reset/", {"email": email})


def test_reset_link_is_mailed_in_the_users_language_and_reveals_nothing(
    client, customer, django_capture_on_commit_callbacks
):
    known = ask(client, "ANNA@kowalski.example", django_capture_on_commit_callbacks)
    unknown = ask(client, "nobody@example.com", django_capture_on_commit_callbacks)
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == "/accounts/password/reset/sent/"
    [message] = mail.outbox
    assert message.to == [customer.email]
    assert message.subject == "Ustaw nowe hasło w myHEZO"
    assert "/accounts/password/reset/" in message.body


def test_new_password_is_set_without_logging_in_and_the_link_works_once(
    client, customer, django_capture_on_commit_callbacks
):
    TOTPDevice.objects.create(user=customer, name="default", confirmed=True)
    ask(client, customer.email, django_capture_on_commit_callbacks)
    path = re.search(r"https?://[^/\s]+(/accounts/password/reset/\S+/)", mail.outbox[0].body).group(1)
    form_page = client.get(path, follow=True)
    set_url = form_page.redirect_chain[-1][0]
    response = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/accounts/password/reset/complete/"
    assert User.objects.get(pk=customer.pk).check_password(NEW_PASSWORD)
    assert client.get("/dashboard/").status_code == 302  # not logged in: the second factor still guards
    assert "Ten link nie działa" in client.get(path, follow=True).content.decode()


def test_reset_requests_are_throttled_per_address(client, customer, django_capture_on_commit_callbacks):
    for _ in range(5):
        ask(client, customer.email, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 3
