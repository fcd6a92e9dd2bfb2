import re

import pytest
from django.core import mail

from accounts.models import User
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_settings_need_the_second_factor(client, customer):
    client.force_login(customer)
    for url in ["/accounts/settings/", "/accounts/settings/password/", "/accounts/settings/email/"]:
        assert client.get(url).status_code == 302, url


def test_language_preference_is_saved(client, customer, login_with_otp):
    login_with_otp(customer)
    response = client.post("/accounts/settings/", {"language": "en"}, follow=True)
    assert User.objects.get(pk=customer.pk).language == "en"
    assert "Saved." in response.content.decode()


def test_password_change_needs_the_current_password(client, customer, login_with_otp):
    login_with_otp(customer)
    new = "Inne-Dobre-Haslo-2026"
    bad = client.post(
        "/accounts/settings/password/", {"old_password": "wrong", "new_password1": new, "new_password2": new}
    )
    assert bad.status_code == 200 and 'id="id_old_password_error"' in bad.content.decode()
    good = client.post(
        "/accounts/settings/password/",
        {"old_password": DEFAULT_PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert good.status_code == 302
    assert User.objects.get(pk=customer.pk).check_password(new)
    assert client.get("/dashboard/").status_code == 200  # the session stays valid


def test_email_change_needs_password_and_a_link_from_the_new_address(
    client, customer, login_with_otp, django_capture_on_commit_callbacks
):
    login_with_otp(customer)
    wrong = client.post("/accounts/settings/email/", {"new_email": "anna@new.example", "password": "nope"})
    assert 'id="id_password_error"' in wrong.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/settings/email/", {"new_email": "Anna@New.example", "password": DEFAULT_PASSWORD})
    assert User.objects.get(pk=customer.pk).email == "anna@kowalski.example"  # nothing changes yet
    [confirmation] = mail.outbox
    assert confirmation.to == ["anna@new.example"]
    path = re.search(r"https?://[^/\s]+(/accounts/settings/email/confirm/\S+/)", confirmation.body).group(1)

    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(path).status_code == 302
    assert User.objects.get(pk=customer.pk).email == "anna@new.example"
    notice = mail.outbox[1]
    assert notice.to == ["anna@kowalski.example"]
    assert "anna@new.example" in notice.body
    assert client.post(path).status_code == 400  # used


def test_email_change_to_an_address_taken_meanwhile_is_refused(
    client, customer, login_with_otp, django_capture_on_commit_callbacks
):
    login_with_otp(customer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/settings/email/", {"new_email": "taken@example.com", "password": DEFAULT_PASSWORD})
    path = re.search(r"https?://[^/\s]+(/accounts/settings/email/confirm/\S+/)", mail.outbox[0].body).group(1)
    UserFactory(email="taken@example.com")
    client.post(path)
    assert User.objects.get(pk=customer.pk).email == "anna@kowalski.example"
