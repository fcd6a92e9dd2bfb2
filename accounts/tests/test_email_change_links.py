"""E-mail-change links work once, only while they are the account's latest, and only until they expire
(issue 14, finding 4: a used A→X link worked again once the address was changed back to A)."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts.models import AuthEvent, User
from accounts.tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db

DEAD_PL = "Twój adres e-mail się nie zmienił."
DEAD_EN = "Your e-mail address has not changed."


def ask(client, new_email: str, capture) -> str:
    """Ask for a change on the settings page; the path of the link e-mailed to the new address."""
    with capture(execute=True):
        response = client.post("/accounts/settings/email/", {"new_email": new_email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302, response.status_code
    message = mail.outbox[-1]
    assert message.to == [new_email]
    return re.search(r"https?://[^/\s]+(/accounts/settings/email/confirm/\S+/)", message.body).group(1)


def confirm(client, path: str, capture):
    with capture(execute=True):
        return client.post(path)


def email_of(user) -> str:
    return User.objects.get(pk=user.pk).email


def changes_logged(user) -> int:
    return AuthEvent.objects.filter(user=user, kind=AuthEvent.Kind.EMAIL_CHANGED).count()


def test_a_used_link_stays_dead_after_the_address_is_changed_back(
    client, customer, login_with_otp, django_capture_on_commit_callbacks
):
    """The reproduction: A→X confirmed, X→A confirmed, then the first link again."""
    capture = django_capture_on_commit_callbacks
    login_with_otp(customer)
    a, x = customer.email, "anna@new.example"
    first = ask(client, x, capture)
    assert confirm(client, first, capture).status_code == 302
    assert email_of(customer) == x
    back = ask(client, a, capture)
    assert confirm(client, back, capture).status_code == 302
    assert email_of(customer) == a
    sent = len(mail.outbox)

    for attempt in (client.get(first), confirm(client, first, capture), confirm(Client(), first, capture)):
        assert attempt.status_code == 400
        assert DEAD_PL in attempt.content.decode()  # the customer's language (pl)
    assert email_of(customer) == a
    assert changes_logged(customer) == 2
    assert len(mail.outbox) == sent  # no notice to anyone


def test_an_older_link_is_dead_once_a_newer_one_is_asked_for(
    client, customer, login_with_otp, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    login_with_otp(customer)
    older = ask(client, "anna@old-plan.example", capture)
    newer = ask(client, "anna@new.example", capture)

    response = confirm(client, older, capture)
    assert response.status_code == 400 and DEAD_PL in response.content.decode()
    assert client.get(older).status_code == 400
    assert email_of(customer) == "anna@kowalski.example"
    assert changes_logged(customer) == 0

    assert confirm(client, newer, capture).status_code == 302
    assert email_of(customer) == "anna@new.example"
    assert confirm(client, older, capture).status_code == 400
    assert email_of(customer) == "anna@new.example"


def test_a_link_works_once(client, customer, login_with_otp, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    customer.language = "en"
    customer.save(update_fields=["language"])
    login_with_otp(customer)
    link = ask(client, "anna@new.example", capture)
    assert client.get(link).status_code == 200  # opening the page (a mail scanner) does not use the link up
    assert confirm(client, link, capture).status_code == 302
    sent = len(mail.outbox)

    replay = confirm(client, link, capture)
    assert replay.status_code == 400
    assert DEAD_EN in replay.content.decode()  # the customer's language (en)
    assert email_of(customer) == "anna@new.example"
    assert changes_logged(customer) == 1
    assert len(mail.outbox) == sent


def test_a_link_past_its_validity_is_dead(
    client, customer, login_with_otp, settings, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    login_with_otp(customer)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        link = ask(client, "anna@new.example", capture)
    with time_machine.travel(start + settings.MYHEZO_ACTIVATION_TIMEOUT + timedelta(minutes=1), tick=False):
        login_with_otp(customer)
        response = confirm(client, link, capture)
    assert response.status_code == 400 and DEAD_PL in response.content.decode()
    assert email_of(customer) == "anna@kowalski.example"


def test_a_request_is_logged_and_a_deleted_account_leaves_no_pending_address(
    client, customer, login_with_otp, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    login_with_otp(customer)
    link = ask(client, "anna@new.example", capture)
    [requested] = AuthEvent.objects.filter(user=customer, kind=AuthEvent.Kind.EMAIL_CHANGE_REQUESTED)
    assert requested.detail == "to anna@new.example"

    response = client.post("/accounts/settings/delete/", {"password": DEFAULT_PASSWORD, "confirm": "on"})
    assert response.status_code == 302
    assert confirm(Client(), link, capture).status_code == 400
    assert not AuthEvent.objects.filter(detail__contains="anna@new.example").exists()
    assert not User.objects.filter(email="anna@new.example").exists()


def test_the_pending_address_is_in_the_data_export(
    client, customer, login_with_otp, django_capture_on_commit_callbacks
):
    login_with_otp(customer)
    assert client.get("/accounts/settings/data/").json()["pending_email_change"] is None
    ask(client, "anna@new.example", django_capture_on_commit_callbacks)
    assert client.get("/accounts/settings/data/").json()["pending_email_change"]["new_email"] == "anna@new.example"
