import pytest
from django.conf import settings

from core.middleware import language_for_host

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def portal_hosts(settings):
    settings.ALLOWED_HOSTS = ["testserver", "myhezo.pl", "www.myhezo.pl", "myhezo.com", "www.myhezo.com"]


def language_of(response) -> str:
    return response["Content-Language"]


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("myhezo.pl", "pl"),
        ("www.myhezo.pl", "pl"),
        ("myhezo.com", "en"),
        ("WWW.MYHEZO.COM:443", "en"),
        ("notmyhezo.com", None),
        ("testserver", None),
    ],
)
def test_language_for_host(host, expected):
    assert language_for_host(host) == expected


def test_host_decides_over_the_browser(client):
    assert language_of(client.get("/", HTTP_HOST="myhezo.com", HTTP_ACCEPT_LANGUAGE="pl")) == "en"
    assert language_of(client.get("/", HTTP_HOST="myhezo.pl", HTTP_ACCEPT_LANGUAGE="en")) == "pl"


def test_browser_decides_on_an_unknown_host_and_polish_is_the_fallback(client):
    assert language_of(client.get("/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")) == "en"
    assert language_of(client.get("/", HTTP_ACCEPT_LANGUAGE="de")) == "pl"


def test_switcher_choice_beats_the_host(client):
    response = client.post("/accounts/language/", {"language": "en", "next": "/contact/"}, HTTP_HOST="myhezo.pl")
    assert response.status_code == 302 and response["Location"] == "/contact/"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert language_of(client.get("/", HTTP_HOST="myhezo.pl")) == "en"


def test_switcher_ignores_an_unknown_language_and_an_outside_next(client):
    response = client.post("/accounts/language/", {"language": "xx", "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert settings.LANGUAGE_COOKIE_NAME not in client.cookies


def test_switcher_needs_post(client):
    assert client.get("/accounts/language/?language=en").status_code == 405


def test_logged_in_users_preference_beats_cookie_and_host(client, customer, login_with_otp):
    customer.language = "en"
    customer.save()
    login_with_otp(customer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "pl"
    assert language_of(client.get("/dashboard/", HTTP_HOST="myhezo.pl")) == "en"


def test_switching_while_logged_in_changes_the_users_preference(client, customer, login_with_otp):
    login_with_otp(customer)
    client.post("/accounts/language/", {"language": "en", "next": "/dashboard/"})
    customer.refresh_from_db()
    assert customer.language == "en"
    page = client.get("/dashboard/")
    assert language_of(page) == "en"
    assert "Welcome, Anna." in page.content.decode()


def test_a_session_without_the_second_factor_does_not_change_the_preference(client, customer):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=customer, name="default", confirmed=True)
    client.force_login(customer)  # the password only
    response = client.post("/accounts/language/", {"language": "en", "next": "/contact/"})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.language == "pl"


def test_a_user_still_enrolling_the_second_factor_keeps_the_choice(client, customer):
    client.force_login(customer)  # just activated: no device yet
    client.post("/accounts/language/", {"language": "en", "next": "/accounts/two-factor/setup/"})
    customer.refresh_from_db()
    assert customer.language == "en"
    assert language_of(client.get("/accounts/two-factor/setup/")) == "en"
