"""Login throttling that stops guessing but cannot lock the real user out for good (ASVS 5.0 V6.1.1, V6.3.1;
README "Throttling")."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.utils import timezone

from accounts.models import AuthEvent
from accounts.tests.factories import DEFAULT_PASSWORD
from accounts.tests.helpers import full_login, password_step

pytestmark = pytest.mark.django_db

WRONG = "wrong-password-123"


def from_ip(ip: str) -> Client:
    return Client(REMOTE_ADDR=ip)


def test_a_guesser_from_one_place_is_locked_then_the_lock_cools_off(customer, settings):
    settings.MYHEZO_LOGIN_RATE_PER_ACCOUNT_AND_IP = "3/15m"
    attacker = from_ip("203.0.113.7")
    for _ in range(3):
        assert password_step(attacker, customer.email, WRONG).status_code == 200
    assert password_step(attacker, customer.email, DEFAULT_PASSWORD).status_code == 429  # even the right one
    assert not attacker.session.get(SESSION_KEY)
    # The same login from elsewhere is not affected, nor other logins from there.
    assert password_step(from_ip("198.51.100.1"), customer.email).status_code == 302
    assert password_step(attacker, "someone@example.com", WRONG).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert password_step(attacker, customer.email).status_code == 302


def test_failures_from_many_places_cannot_lock_the_user_out_of_a_browser_they_logged_in_from(customer, settings):
    settings.MYHEZO_LOGIN_RATE_PER_ACCOUNT_AND_IP = "3/15m"
    settings.MYHEZO_LOGIN_RATE_PER_ACCOUNT = "5/h"
    own = from_ip("198.51.100.10")
    assert full_login(own, customer).status_code == 302  # a whole login: this browser is now known
    own.post("/accounts/logout/")

    statuses = []
    for n in range(3):  # a botnet: 9 tries from 3 addresses
        attacker = from_ip(f"203.0.113.{n}")
        statuses += [password_step(attacker, customer.email, WRONG).status_code for _ in range(3)]
    assert statuses == [200] * 5 + [429] * 4

    # Browsers this login never completed a login in are locked out for the hour, wherever they are ...
    assert password_step(from_ip("192.0.2.50"), customer.email).status_code == 429
    # ... but the user's own browser logs in as usual.
    assert full_login(own, customer, drift=1).status_code == 302
    assert own.get("/dashboard/").status_code == 200
    # And the account-wide lock cools off by itself.
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        assert password_step(from_ip("192.0.2.50"), customer.email).status_code == 200


def test_a_forged_or_borrowed_known_device_cookie_does_not_exempt(customer, colleague, settings):
    settings.MYHEZO_LOGIN_RATE_PER_ACCOUNT = "2/h"
    colleagues_browser = from_ip("198.51.100.20")
    assert full_login(colleagues_browser, colleague).status_code == 302
    colleagues_browser.post("/accounts/logout/")
    for n in range(2):
        password_step(from_ip(f"203.0.113.{n}"), customer.email, WRONG)

    forged = from_ip("192.0.2.9")
    forged.cookies["myhezo_known"] = "0123456789abcdef0123:1abcde:forgedsignature"
    assert password_step(forged, customer.email).status_code == 429
    # Known for the colleague, not for the customer.
    assert password_step(colleagues_browser, customer.email).status_code == 429


def test_only_failures_count(customer, settings):
    settings.MYHEZO_LOGIN_RATE_PER_ACCOUNT_AND_IP = "2/15m"
    settings.MYHEZO_LOGIN_RATE_PER_ACCOUNT = "2/h"
    settings.MYHEZO_LOGIN_RATE_PER_IP = "2/h"
    client = Client()
    for _ in range(5):
        assert password_step(client, customer.email).status_code == 302
        client.post("/accounts/logout/")


def test_a_lockout_is_logged_once_per_lock(customer, settings):
    settings.MYHEZO_LOGIN_RATE_PER_ACCOUNT_AND_IP = "2/15m"
    attacker = from_ip("203.0.113.5")
    for _ in range(2):
        password_step(attacker, customer.email, WRONG)
    for _ in range(4):
        assert password_step(attacker, customer.email.upper(), WRONG).status_code == 429
    [event] = AuthEvent.objects.filter(kind=AuthEvent.Kind.LOCKED_OUT)
    assert (event.user, event.email, event.ip, event.detail) == (
        customer,
        customer.email,
        "203.0.113.5",
        "password: account_ip",
    )
    assert AuthEvent.objects.filter(kind=AuthEvent.Kind.LOGIN_FAILED).count() == 2  # refused tries never got that far


def test_ipv6_clients_are_counted_per_64_network(customer, settings):
    settings.MYHEZO_LOGIN_RATE_PER_ACCOUNT_AND_IP = "2/15m"
    password_step(from_ip("2001:db8:1:2::1"), customer.email, WRONG)
    password_step(from_ip("2001:db8:1:2::ffff"), customer.email, WRONG)
    assert password_step(from_ip("2001:db8:1:2:aaaa::9"), customer.email).status_code == 429
    assert password_step(from_ip("2001:db8:1:3::1"), customer.email).status_code == 302


def test_login_keeps_working_when_the_cache_is_down(customer, settings):
    settings.CACHES = {
        **settings.CACHES,
        # The production backend (core/cache.py); sessions are read through it, so it must answer as a miss.
        "default": {
            "BACKEND": "core.cache.FailSoftRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        },
    }
    assert password_step(Client(), customer.email, WRONG).status_code == 200
    assert password_step(Client(), customer.email).status_code == 302
