"""Sessions (ASVS 5.0 V7.2.4, V7.3, V7.4): a new key on login and re-authentication, rotation after a change of
the second factor, every session of a deactivated, deleted or re-secured user ended, idle and absolute timeouts."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AuthEvent, User, UserSession
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from accounts.tests.helpers import admin_change_data, password_step, reauthenticate, token_step, totp_code

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Nowe-Haslo-Do-Portalu-2026"


def logged_in(client) -> bool:
    return get_user(client).is_authenticated


def test_login_starts_a_new_session_key_and_the_old_one_is_gone(client, customer):
    device = TOTPDevice.objects.create(user=customer, name="default", confirmed=True)
    assert password_step(client, customer.email).status_code == 200
    before = client.session.session_key  # the wizard's anonymous session (fixation target)
    assert before and Session.objects.filter(session_key=before).exists()
    assert token_step(client, totp_code(device)).status_code == 302
    after = client.session.session_key
    assert after != before and logged_in(client)
    assert not Session.objects.filter(session_key=before).exists()
    fixated = Client()
    fixated.cookies["sessionid"] = before
    assert fixated.get("/dashboard/").status_code == 302


def test_re_authentication_starts_a_new_session_key(client, customer, login_with_otp):
    login_with_otp(customer)
    before = client.session.session_key
    assert reauthenticate(client).status_code == 302
    assert client.session.session_key != before and logged_in(client)
    assert not Session.objects.filter(session_key=before).exists()


def backup_codes(client):
    return client.post("/accounts/two-factor/backup-tokens/")


def disable(client):
    return client.post("/accounts/two-factor/disable/", {"understand": "on"})


def replace_app(client):
    client.get("/accounts/two-factor/setup/")
    page = client.post("/accounts/two-factor/setup/", {"setup_view-current_step": "welcome"}).content.decode()
    secret = re.search(r'otpauth://totp/[^"]*secret=([A-Z2-7]+)', page).group(1)
    from base64 import b32decode

    from django_otp.oath import totp

    code = f"{totp(b32decode(secret), step=30, t0=0, digits=6):06d}"
    return client.post("/accounts/two-factor/setup/", {"setup_view-current_step": "generator", "generator-token": code})


@pytest.mark.parametrize("change", [backup_codes, disable, replace_app], ids=["backup codes", "disable", "new app"])
def test_a_second_factor_change_rotates_this_session_and_ends_the_others(customer, login_with_otp, change):
    this, other = Client(), Client()
    login_with_otp(customer, with_client=this)
    login_with_otp(customer, with_client=other)
    assert other.get("/dashboard/").status_code == 200
    assert reauthenticate(this).status_code == 302
    before = this.session.session_key
    assert change(this).status_code in (200, 302)
    assert this.session.session_key != before
    assert logged_in(this)  # this session stays logged in ...
    assert not logged_in(other)  # ... every other one has ended
    assert other.get("/dashboard/").status_code == 302


def test_a_password_change_keeps_this_session_and_ends_the_others(customer, login_with_otp):
    this, other = Client(), Client()
    login_with_otp(customer, with_client=this)
    login_with_otp(customer, with_client=other)
    before = this.session.session_key
    response = this.post(
        "/accounts/settings/password/",
        {"old_password": DEFAULT_PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert this.session.session_key != before and this.get("/dashboard/").status_code == 200
    assert other.get("/dashboard/").status_code == 302


def test_a_password_reset_ends_every_session_and_logs_nobody_in(
    client, customer, login_with_otp, django_capture_on_commit_callbacks
):
    """ASVS V6.4.3, V7.4.3: the reset neither logs in nor skips the second factor; live sessions end."""
    device = TOTPDevice.objects.create(user=customer, name="default", confirmed=True)
    live = login_with_otp(customer, with_client=Client())
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password/reset/", {"email": customer.email})
    path = re.search(r"https?://[^/\s]+(/accounts/password/reset/\S+/)", mail.outbox[0].body).group(1)
    set_url = client.get(path, follow=True).redirect_chain[-1][0]
    assert client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}).status_code == 302
    assert not logged_in(client)
    assert live.get("/dashboard/").status_code == 302
    # The new password leads to the code step, not into the portal.
    assert password_step(client, customer.email, NEW_PASSWORD).status_code == 200
    assert not logged_in(client) and client.get("/dashboard/").status_code == 302
    assert token_step(client, totp_code(device)).status_code == 302
    assert client.get("/dashboard/").status_code == 200


def test_the_email_change_link_logs_nobody_in(client, customer, colleague, login_with_otp):
    from accounts.services import email_change_link_make

    link = (
        "/accounts/settings/email/confirm/" + email_change_link_make(user=customer, new_email="anna@new.example") + "/"
    )
    anonymous = Client()
    assert anonymous.post(link).status_code == 302
    assert User.objects.get(pk=customer.pk).email == "anna@new.example"
    assert not logged_in(anonymous)
    assert anonymous.get("/dashboard/").status_code == 302
    # Opened in somebody else's session, it does not switch that session to the changed account.
    other = login_with_otp(colleague, with_client=Client())
    changed = User.objects.get(pk=customer.pk)
    link = (
        "/accounts/settings/email/confirm/" + email_change_link_make(user=changed, new_email="anna@newer.example") + "/"
    )
    other.post(link)
    assert get_user(other).pk == colleague.pk


def test_deactivating_a_user_in_admin_ends_their_sessions_for_good(customer, login_with_otp):
    """ASVS V7.4.2: the live session stops at once and does not come back when the account is reactivated."""
    admin_user = UserFactory(email="szef@myhezo.example", is_staff=True, is_superuser=True)
    engineer = login_with_otp(admin_user, with_client=Client())
    live = login_with_otp(customer, with_client=Client())
    assert live.get("/dashboard/").status_code == 200

    url = f"/admin/accounts/user/{customer.pk}/change/"
    response = engineer.post(url, admin_change_data(customer, is_active=""))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert not User.objects.get(pk=customer.pk).is_active
    assert live.get("/dashboard/").status_code == 302

    engineer.post(url, admin_change_data(User.objects.get(pk=customer.pk), is_active="on"))
    assert User.objects.get(pk=customer.pk).is_active
    assert live.get("/dashboard/").status_code == 302 and not logged_in(live)
    assert AuthEvent.objects.filter(user=customer, kind=AuthEvent.Kind.SESSIONS_ENDED).exists()


def test_a_deleted_users_session_stops_working(customer, login_with_otp):
    live = login_with_otp(customer, with_client=Client())
    User.objects.get(pk=customer.pk).delete()
    assert live.get("/dashboard/").status_code == 302 and not logged_in(live)


def test_an_engineer_can_end_all_sessions_of_a_user(customer, colleague, login_with_otp):
    """ASVS V7.4.5: the "End all sessions" action in the users list."""
    admin_user = UserFactory(email="szef@myhezo.example", is_staff=True, is_superuser=True)
    engineer = login_with_otp(admin_user, with_client=Client())
    live = login_with_otp(customer, with_client=Client())
    untouched = login_with_otp(colleague, with_client=Client())
    response = engineer.post(
        "/admin/accounts/user/", {"action": "sessions_end", "_selected_action": [customer.pk]}, follow=True
    )
    assert response.status_code == 200
    assert live.get("/dashboard/").status_code == 302
    assert untouched.get("/dashboard/").status_code == 200
    assert engineer.get("/admin/").status_code == 200  # the engineer's own session is untouched


def test_idle_sessions_end_after_30_minutes(client, customer, login_with_otp):
    customer.language = "en"
    customer.save()
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        login_with_otp(customer)
        for _ in range(3):  # activity every 29 minutes keeps the session going past its first half hour
            clock.shift(timedelta(minutes=29))
            assert client.get("/dashboard/").status_code == 200
        clock.shift(timedelta(minutes=31))
        response = client.get("/dashboard/")
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
        assert not logged_in(client)
        page = client.get(response["Location"]).content.decode()
        assert "logged out after 30 minutes without activity" in page
    [event] = AuthEvent.objects.filter(kind=AuthEvent.Kind.SESSION_EXPIRED)
    assert (event.user, event.detail) == (customer, "idle")
    assert not AuthEvent.objects.filter(kind=AuthEvent.Kind.LOGOUT).exists()


def test_sessions_end_12_hours_after_login_however_active(client, customer, login_with_otp):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        login_with_otp(customer)
        for _ in range(35):  # every 20 minutes for 11 h 40 min
            clock.shift(timedelta(minutes=20))
            assert client.get("/dashboard/").status_code == 200
        clock.shift(timedelta(minutes=21))
        assert client.get("/dashboard/").status_code == 302
    assert AuthEvent.objects.get(kind=AuthEvent.Kind.SESSION_EXPIRED).detail == "absolute"


def test_timeouts_follow_the_settings(client, customer, login_with_otp, settings):
    from datetime import timedelta as td

    settings.MYHEZO_SESSION_IDLE_TIMEOUT = td(minutes=5)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        login_with_otp(customer)
        clock.shift(timedelta(minutes=4))
        assert client.get("/dashboard/").status_code == 200
        clock.shift(timedelta(minutes=6))
        assert client.get("/dashboard/").status_code == 302


def test_the_session_cookie_lasts_no_longer_than_the_absolute_timeout(client, customer, settings):
    response = password_step(client, customer.email)  # no second factor yet: logged in
    assert response.status_code == 302
    assert settings.SESSION_COOKIE_AGE == 12 * 3600
    assert int(response.cookies["sessionid"]["max-age"]) == 12 * 3600


def test_a_password_set_in_admin_ends_the_accounts_sessions_and_tells_the_owner(
    customer, colleague, login_with_otp, outbox
):
    """Django's session hash already refuses the old sessions; they also leave "Your sessions", the log says why
    and the account's address gets the notice, as after a change in the portal."""
    admin_user = UserFactory(email="szef@myhezo.example", is_staff=True, is_superuser=True)
    engineer = login_with_otp(admin_user, with_client=Client())
    live = login_with_otp(customer, with_client=Client())
    untouched = login_with_otp(colleague, with_client=Client())
    assert UserSession.objects.filter(user=customer).count() == 1
    outbox.mark()
    new_password = "Zupełnie-nowe-hasło-2026"
    response = engineer.post(
        f"/admin/accounts/user/{customer.pk}/password/", {"password1": new_password, "password2": new_password}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert User.objects.get(pk=customer.pk).check_password(new_password)
    assert live.get("/dashboard/").status_code == 302 and not logged_in(live)
    assert not UserSession.objects.filter(user=customer).exists()
    assert AuthEvent.objects.filter(user=customer, kind=AuthEvent.Kind.PASSWORD_CHANGED).exists()
    assert [e.template for e in outbox.all()] == ["accounts/emails/password_changed"]
    assert outbox.all()[0].to == [customer.email]
    # The engineer's own session and the colleague's are untouched.
    assert engineer.get("/admin/").status_code == 200 and untouched.get("/dashboard/").status_code == 200

    # A refused form changes nothing and ends nothing.
    again = login_with_otp(User.objects.get(pk=customer.pk), with_client=Client())
    response = engineer.post(f"/admin/accounts/user/{customer.pk}/password/", {"password1": "a", "password2": "b"})
    assert response.status_code == 200
    assert again.get("/dashboard/").status_code == 200 and UserSession.objects.filter(user=customer).count() == 1
