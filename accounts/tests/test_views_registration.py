import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user
from django.core import mail
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Zielony-Kot-Na-Dachu-77"
FORM = {
    "first_name": "Anna",
    "last_name": "Nowak",
    "email": "Anna.Nowak@Kowalski.example",
    "phone": "600 100 200",
    "company_name": "Kowalski Systemy Sp. z o.o.",
    "nip": "pl 526-025-02-74",
    "language": "en",
    "password1": PASSWORD,
    "password2": PASSWORD,
}


def register(client, django_capture_on_commit_callbacks, language="en", **overrides):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post("/accounts/register/", {**FORM, **overrides}, headers={"accept-language": language})


def activation_path(message) -> str:
    return re.search(r"https?://[^/\s]+(/accounts/activate/[^\s]+/)", message.body).group(1)


def test_registration_creates_an_inactive_account_and_mails_the_activation_link(
    client, django_capture_on_commit_callbacks
):
    response = register(client, django_capture_on_commit_callbacks)
    assert response.status_code == 302 and response["Location"] == "/accounts/register/done/"
    user = User.objects.get()
    assert (user.email, user.phone, user.nip, user.language, user.is_active) == (
        "anna.nowak@kowalski.example",
        "600100200",
        "5260250274",
        "en",
        False,
    )
    [message] = mail.outbox
    assert message.to == ["anna.nowak@kowalski.example"]
    assert message.subject == "Activate your myHEZO account"  # the user's chosen language
    assert "/accounts/activate/" in message.body
    assert PASSWORD not in message.body and PASSWORD not in message.alternatives[0][0]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("nip", "1234567890", "check digit does not match"),
        ("nip", "12345", "Enter the NIP as 10 digits"),
        ("phone", "+48 600 100 200", "without the country code"),
        ("phone", "60010020", "Enter 9 digits"),
        ("email", "anna-at-example", "Enter a valid email address."),
        ("password1", "short", "This password is too short."),
        ("password1", "password1234", "This password is too common."),
        ("first_name", "", "This field is required."),
    ],
)
def test_each_field_error_is_shown_next_to_its_field_and_nothing_is_created(
    client, django_capture_on_commit_callbacks, field, value, message
):
    overrides = {field: value}
    if field == "password1":
        overrides["password2"] = value
    response = register(client, django_capture_on_commit_callbacks, **overrides)
    assert response.status_code == 200
    errors = re.findall(rf'<p class="error" id="id_{field}_error">([^<]*)</p>', response.content.decode())
    assert any(message in error.replace("&#x27;", "'") for error in errors), errors
    assert not User.objects.exists() and mail.outbox == []


def test_passwords_must_match(client, django_capture_on_commit_callbacks):
    response = register(client, django_capture_on_commit_callbacks, password2=PASSWORD + "x")
    assert 'id="id_password2_error"' in response.content.decode()
    assert not User.objects.exists()


def test_errors_are_in_polish_for_a_polish_user(client, django_capture_on_commit_callbacks):
    response = register(client, django_capture_on_commit_callbacks, language="pl", nip="1234567890")
    assert "cyfra kontrolna się nie zgadza" in response.content.decode()


def test_registering_a_known_address_reveals_nothing_and_tells_its_owner(client, django_capture_on_commit_callbacks):
    UserFactory(email="anna.nowak@kowalski.example", language="pl")
    response = register(client, django_capture_on_commit_callbacks)
    assert response["Location"] == "/accounts/register/done/"
    assert User.objects.count() == 1
    [message] = mail.outbox
    assert message.subject == "Ktoś próbował zarejestrować się z Twoim adresem e-mail"
    assert "/accounts/activate/" not in message.body


def test_activation_link_activates_logs_in_and_works_once(client, django_capture_on_commit_callbacks):
    register(client, django_capture_on_commit_callbacks)
    path = activation_path(mail.outbox[0])
    page = client.get(path)
    assert page.status_code == 200 and "anna.nowak@kowalski.example" in page.content.decode()
    assert not User.objects.get().is_active  # opening the link (a mail scanner) activates nothing
    response = client.post(path)
    assert response.status_code == 302
    user = User.objects.get()
    assert user.is_active and get_user(client).pk == user.pk
    client.logout()
    assert client.get(path).status_code == 400
    assert client.post(path).status_code == 400
    assert not get_user(client).is_authenticated


def test_activation_link_expires_after_72_hours(client, django_capture_on_commit_callbacks):
    register(client, django_capture_on_commit_callbacks)
    path = activation_path(mail.outbox[0])
    with time_machine.travel(timezone.now() + timedelta(hours=72, minutes=1)):
        response = client.post(path)
    assert response.status_code == 400
    assert "expired or has already been used" in response.content.decode() or "wygasł" in response.content.decode()
    assert not User.objects.get().is_active


def test_a_forged_link_is_refused(client):
    assert client.get("/accounts/activate/not-a-token/").status_code == 400


def test_resend_does_not_reveal_whether_an_address_exists(client, django_capture_on_commit_callbacks):
    register(client, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    UserFactory(email="active@example.com")
    pages = []
    for email in ["anna.nowak@kowalski.example", "nobody@example.com", "active@example.com"]:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/accounts/activate/resend/", {"email": email}, follow=True)
        page = response.content.decode()
        pages.append((response.status_code, re.search(r'<ul class="messages".*?</ul>', page, re.S).group(0)))
    assert pages[0] == pages[1] == pages[2]
    assert "nowy link aktywacyjny" in pages[0][1]
    assert [m.to for m in mail.outbox] == [["anna.nowak@kowalski.example"]]
    # The new link works.
    assert client.post(activation_path(mail.outbox[0])).status_code == 302
