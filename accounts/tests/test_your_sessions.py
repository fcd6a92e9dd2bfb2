""" "Your sessions" in account settings (ASVS 5.0 V7.5.2): the user sees their logged-in browsers (browser, IP
address, login and last use, this one marked) and ends one or all others; an ended session is really over (its
session row and cache entry gone, the next request with its cookie logged out), and the log says so."""

from datetime import UTC, datetime, timedelta
from importlib import import_module

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import AuthEvent, UserSession
from accounts.tests.factories import DEFAULT_PASSWORD
from accounts.tests.helpers import full_login, reauthenticate

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
CHROME_ANDROID = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile"
SAFARI_MAC = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Safari/605.1.15"
SETTINGS = "/accounts/settings/"


def browser(user, clock, ip: str, agent: str) -> Client:
    """A browser that logged in with password and code (each login half a minute apart: a code works once)."""
    clock.shift(timedelta(seconds=31))
    client = Client(REMOTE_ADDR=ip, HTTP_USER_AGENT=agent, HTTP_ACCEPT_LANGUAGE="en")
    assert full_login(client, user).status_code == 302
    return client


def row_of(client) -> UserSession:
    return UserSession.objects.get(session_id=client.session.session_key)


def session_gone(key: str) -> bool:
    store = import_module(settings.SESSION_ENGINE).SessionStore
    return not Session.objects.filter(session_key=key).exists() and not store().exists(key)


def test_my_sessions_are_listed_with_browser_address_and_times_this_one_marked(customer, colleague):
    customer.language = "en"
    customer.save()
    with time_machine.travel(START, tick=False) as clock:
        laptop = browser(customer, clock, "198.51.100.1", FIREFOX)
        phone = browser(customer, clock, "203.0.113.9", CHROME_ANDROID)
        browser(customer, clock, "2001:db8::7", SAFARI_MAC)
        browser(colleague, clock, "192.0.2.50", FIREFOX)  # somebody else's
        laptop.get(SETTINGS)  # notes the laptop's last use (once a minute); the page itself only reads
        with CaptureQueriesContext(connection) as queries:
            page = laptop.get(SETTINGS)
        assert len(queries) == 2  # user and device, the sessions: however many there are
        html = page.content.decode()
    assert html.count('class="session-item"') == 3 and "192.0.2.50" not in html
    for shown in ("Firefox, Windows", "198.51.100.1", "Chrome, Android", "203.0.113.9", "Safari, macOS", "2001:db8::7"):
        assert shown in html
    # This session first and marked, without a button of its own; the others can be ended.
    first = html.index('class="session-item"')
    assert html.index("This session") > first and html.index("This session") < html.index("Chrome, Android")
    assert html.count("End this session") == 2 and "End all other sessions" in html
    assert f"/accounts/settings/sessions/{row_of(laptop).pk}/end/" not in html
    assert f"/accounts/settings/sessions/{row_of(phone).pk}/end/" in html
    assert laptop.session.session_key not in html  # never a session key on a page


def test_ending_another_session_logs_that_browser_out_for_good_and_is_logged(customer):
    with time_machine.travel(START, tick=False) as clock:
        laptop = browser(customer, clock, "198.51.100.1", FIREFOX)
        phone = browser(customer, clock, "203.0.113.9", CHROME_ANDROID)
        phone_key, phone_row = phone.session.session_key, row_of(phone)
        response = laptop.post(f"/accounts/settings/sessions/{phone_row.pk}/end/", follow=True)
        assert "Sesja zakończona: ta przeglądarka została wylogowana." in response.content.decode()
        assert session_gone(phone_key) and not UserSession.objects.filter(pk=phone_row.pk).exists()
        assert phone.get("/dashboard/").status_code == 302
        assert laptop.get("/dashboard/").status_code == 200
    [event] = AuthEvent.objects.filter(kind=AuthEvent.Kind.SESSION_ENDED)
    assert (event.user, event.ip, event.detail) == (
        customer,
        "198.51.100.1",
        "Chrome, Android, 203.0.113.9, by the user",
    )


def test_ending_all_other_sessions_keeps_only_this_one(customer, colleague):
    with time_machine.travel(START, tick=False) as clock:
        laptop = browser(customer, clock, "198.51.100.1", FIREFOX)
        others = [browser(customer, clock, "203.0.113.9", CHROME_ANDROID), browser(customer, clock, "::1", SAFARI_MAC)]
        colleagues = browser(colleague, clock, "192.0.2.50", FIREFOX)
        response = laptop.post("/accounts/settings/sessions/end-others/", follow=True)
        assert "Zakończono 2 inne sesje." in response.content.decode()
        assert [client.get("/dashboard/").status_code for client in others] == [302, 302]
        assert laptop.get(SETTINGS).status_code == 200 and colleagues.get(SETTINGS).status_code == 200
    assert list(UserSession.objects.filter(user=customer)) == [row_of(laptop)]
    assert AuthEvent.objects.filter(kind=AuthEvent.Kind.SESSION_ENDED, user=customer).count() == 2


def test_only_the_owner_ends_a_session_and_only_by_post_with_csrf(customer, other_customer):
    with time_machine.travel(START, tick=False) as clock:
        mine = browser(customer, clock, "198.51.100.1", FIREFOX)
        theirs = browser(other_customer, clock, "203.0.113.9", FIREFOX)
        their_row = row_of(theirs)
        assert mine.post(f"/accounts/settings/sessions/{their_row.pk}/end/").status_code == 404
        assert mine.post(f"/accounts/settings/sessions/{row_of(mine).pk}/end/").status_code == 404  # that is "Log out"
        assert mine.get(f"/accounts/settings/sessions/{row_of(mine).pk}/end/").status_code == 405
        assert mine.get("/accounts/settings/sessions/end-others/").status_code == 405
        strict = Client(enforce_csrf_checks=True, REMOTE_ADDR="198.51.100.1", HTTP_USER_AGENT=FIREFOX)
        strict.cookies = mine.cookies
        assert strict.post("/accounts/settings/sessions/end-others/").status_code == 403
        anonymous = Client().post(f"/accounts/settings/sessions/{their_row.pk}/end/")
        assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
        assert theirs.get(SETTINGS).status_code == 200 and UserSession.objects.filter(pk=their_row.pk).exists()
    assert not AuthEvent.objects.filter(kind=AuthEvent.Kind.SESSION_ENDED).exists()


def test_the_list_follows_logout_a_new_key_and_a_password_change(customer):
    with time_machine.travel(START, tick=False) as clock:
        laptop = browser(customer, clock, "198.51.100.1", FIREFOX)
        phone = browser(customer, clock, "203.0.113.9", CHROME_ANDROID)
        tablet = browser(customer, clock, "203.0.113.10", SAFARI_MAC)
        tablet.post("/accounts/logout/")
        assert UserSession.objects.filter(user=customer).count() == 2

        old_key = laptop.session.session_key
        reauthenticate(laptop)  # a new session key (ASVS V7.2.4): the row follows it
        assert laptop.session.session_key != old_key
        assert row_of(laptop).created_at == START + timedelta(seconds=31)  # still the login time
        assert UserSession.objects.filter(user=customer).count() == 2

        phone_key = phone.session.session_key
        response = laptop.post(
            "/accounts/settings/password/",
            {
                "old_password": DEFAULT_PASSWORD,
                "new_password1": "Nowe-Haslo-2026-x",
                "new_password2": "Nowe-Haslo-2026-x",
            },
        )
        assert response.status_code == 302
        assert session_gone(phone_key) and phone.get(SETTINGS).status_code == 302
        assert laptop.get(SETTINGS).status_code == 200
    assert list(UserSession.objects.filter(user=customer)) == [row_of(laptop)]


def test_last_use_is_written_at_most_once_a_minute_and_idle_sessions_are_not_listed(customer):
    with time_machine.travel(START, tick=False) as clock:
        phone = browser(customer, clock, "203.0.113.9", CHROME_ANDROID)
        laptop = browser(customer, clock, "198.51.100.1", FIREFOX)
        seen = row_of(laptop).last_seen_at
        clock.shift(timedelta(seconds=30))
        laptop.get("/dashboard/")
        assert row_of(laptop).last_seen_at == seen  # no write within the minute
        clock.shift(timedelta(seconds=31))
        laptop.get("/dashboard/")
        assert row_of(laptop).last_seen_at == seen + timedelta(seconds=61)
        clock.shift(timedelta(minutes=25))
        laptop.get("/dashboard/")
        clock.shift(timedelta(minutes=10))  # the phone: idle for more than 30 minutes, so over
        html = laptop.get(SETTINGS).content.decode()
        assert html.count('class="session-item"') == 1 and "203.0.113.9" not in html
        assert phone.get(SETTINGS).status_code == 302  # and indeed over
