"""Password policy (ASVS 5.0 V6.2): at least 12 characters, long ones accepted whole, common and personal ones
refused, no composition rules, verified exactly as typed."""

import re

import pytest
from django.conf import settings
from django.core import mail

from accounts.models import User
from accounts.tests.factories import DEFAULT_PASSWORD
from accounts.tests.helpers import password_step

pytestmark = pytest.mark.django_db

FORM = {
    "first_name": "Anna",
    "last_name": "Nowak",
    "email": "anna.nowak@kowalski.example",
    "phone": "600100200",
    "company_name": "Kowalski Systemy",
    "nip": "5260250274",
    "language": "en",
}


def register(client, password, **overrides):
    return client.post("/accounts/register/", {**FORM, "password1": password, "password2": password, **overrides})


def long_password(length: int) -> str:
    base = "Długie hasło z polskimi znakami, spacjami i cyframi 0123456789 — "
    return (base * (length // len(base) + 1))[:length]


def field_errors(response, field: str) -> list[str]:
    return re.findall(rf'<p class="error" id="id_{field}_error">([^<]*)</p>', response.content.decode())


@pytest.mark.parametrize("length", [64, 128, 200])
def test_long_passwords_are_accepted_whole_and_log_in(client, length):
    password = long_password(length)
    assert register(client, password).status_code == 302
    user = User.objects.get()
    user.is_active = True
    user.save()
    assert user.check_password(password)
    assert not user.check_password(password[:-1] + "X")  # the last character counts: nothing is cut
    assert not user.check_password(password[: min(72, length - 1)])  # 72 bytes: where bcrypt would cut
    assert password_step(client, user.email, password[:-1] + "X").status_code == 200
    assert client.get("/dashboard/").status_code == 302
    response = password_step(client, user.email, password)
    assert response.status_code == 302  # no second factor yet: logged in and sent to enrolment


def test_password_is_checked_exactly_as_typed(customer):
    customer.set_password("  Mixed Case Pass 2026  ")
    customer.save()
    assert customer.check_password("  Mixed Case Pass 2026  ")
    for variant in ("Mixed Case Pass 2026", "  mixed case pass 2026  ", "  MIXED CASE PASS 2026  "):
        assert not customer.check_password(variant)


@pytest.mark.parametrize(
    "password",
    [
        "8264917355024618",  # only digits: NumericPasswordValidator would refuse it, ASVS V6.2.5 forbids that
        "tylkomalelitery",  # only lower-case letters
        "ZAŻÓŁĆ GĘŚLĄ JAŹŃ",  # Polish capitals and spaces
        "🦊🦊 lis w kurniku 🐔",  # emoji
    ],
)
def test_any_composition_is_accepted(client, password):
    response = register(client, password)
    assert response.status_code == 302, field_errors(response, "password1")
    assert User.objects.get().check_password(password)


def test_no_composition_rule_is_configured():
    names = [v["NAME"].rsplit(".", 1)[1] for v in settings.AUTH_PASSWORD_VALIDATORS]
    assert names == ["UserAttributeSimilarityValidator", "MinimumLengthValidator", "CommonPasswordValidator"]


@pytest.mark.parametrize(
    "password",
    [
        "short-pass1",  # 11 characters
        "qwerty123456",  # a common password of the required length
        "1q2w3e4r5t6y",
        "anna.nowak@kowalski",  # like the address
    ],
)
def test_short_common_and_personal_passwords_are_refused_at_registration(client, password):
    response = register(client, password)
    assert response.status_code == 200 and field_errors(response, "password1")
    assert not User.objects.exists()


def test_password_change_accepts_200_characters_and_refuses_common_ones(client, customer, login_with_otp):
    login_with_otp(customer)
    common = client.post(
        "/accounts/settings/password/",
        {"old_password": DEFAULT_PASSWORD, "new_password1": "qwertyuiop[]", "new_password2": "qwertyuiop[]"},
    )
    assert common.status_code == 200 and 'id="id_new_password2_error"' in common.content.decode()
    new = long_password(200)
    changed = client.post(
        "/accounts/settings/password/", {"old_password": DEFAULT_PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert changed.status_code == 302
    assert User.objects.get(pk=customer.pk).check_password(new)


def test_password_reset_accepts_200_characters(client, customer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password/reset/", {"email": customer.email})
    path = re.search(r"https?://[^/\s]+(/accounts/password/reset/\S+/)", mail.outbox[0].body).group(1)
    set_url = client.get(path, follow=True).redirect_chain[-1][0]
    new = long_password(200)
    assert client.post(set_url, {"new_password1": new, "new_password2": new}).status_code == 302
    assert User.objects.get(pk=customer.pk).check_password(new)


def test_password_inputs_are_masked_and_not_limited_in_length(client):
    """V6.2.6, V6.2.7, V6.2.9: type=password, autocomplete hints for password managers, no maxlength."""
    for url, names in [("/accounts/register/", ["password1", "password2"]), ("/accounts/login/", ["auth-password"])]:
        html = client.get(url).content.decode()
        for name in names:
            tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html).group(0)
            assert 'type="password"' in tag and "maxlength" not in tag and "autocomplete=" in tag
            assert "onpaste" not in tag
