"""Security headers and cookies on real HTTP responses (issue 7, item 4; ASVS 3.4, 14.3).

The live server answers over a socket, read with urllib: what a browser gets, middleware and all. The
production settings (DJANGO_SECURE=1) are checked in a separate process started with the production
environment, since the settings read it once at start."""

import json
import os
import secrets
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.tests.factories import DEFAULT_PASSWORD
from core.middleware import content_security_policy
from tickets.tests.factories import make_ticket, upload

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parent.parent
POLICY_DIRECTIVES = {
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
}


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def fetch(url: str, *, cookies: dict | None = None, data: dict | None = None, headers: dict | None = None):
    """One real HTTP request; redirects and error statuses are returned, not raised or followed."""
    assert url.startswith("http://")
    request = urllib.request.Request(  # noqa: S310 (http:// only, checked above)
        url, data=urllib.parse.urlencode(data).encode() if data is not None else None, headers=headers or {}
    )
    if cookies:
        request.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in cookies.items()))
    try:
        response = OPENER.open(request, timeout=30)
    except urllib.error.HTTPError as error:
        response = error
    response.body = response.read()
    return response


def set_cookies(response) -> dict[str, "SimpleCookie"]:
    """Each Set-Cookie header parsed, by cookie name, with its attributes."""
    found = {}
    for header in response.headers.get_all("Set-Cookie") or []:
        cookie = SimpleCookie()
        cookie.load(header)
        for name, morsel in cookie.items():
            found[name] = (morsel, header)
    return found


def assert_policy_headers(response, *, policy: str | None = None) -> None:
    assert response.headers["Content-Security-Policy"] == (policy or content_security_policy())
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


def assert_no_store(response) -> None:
    cache_control = {part.strip() for part in response.headers["Cache-Control"].split(",")}
    assert {"no-store", "private"} <= cache_control, cache_control


def test_the_policy_is_the_strict_one():
    assert set(content_security_policy().split("; ")) >= POLICY_DIRECTIVES
    assert "unsafe" not in content_security_policy() and "data:" not in content_security_policy()


def test_login_ticket_page_and_attachment_carry_the_security_headers(
    live_server, cast, contract, login_with_otp, client
):
    ticket = make_ticket(author=cast["customer"], contract=contract, attachments=[upload()])
    attachment = ticket.messages.get().attachments.get()

    login = fetch(f"{live_server.url}/accounts/login/")
    assert login.status == 200
    assert_policy_headers(login)

    login_with_otp(cast["customer"])
    session = {django_settings.SESSION_COOKIE_NAME: client.cookies[django_settings.SESSION_COOKIE_NAME].value}
    page = fetch(f"{live_server.url}/tickets/{ticket.number}/", cookies=session)
    assert page.status == 200 and ticket.title.encode() in page.body
    assert_policy_headers(page)
    assert_no_store(page)

    download = fetch(f"{live_server.url}/tickets/{ticket.number}/attachments/{attachment.pk}/", cookies=session)
    assert download.status == 200 and download.body.startswith(b"config system global")
    assert download.headers["Content-Disposition"].startswith("attachment;")
    # The download keeps its own, stricter policy: a browser that renders it anyway runs nothing.
    assert_policy_headers(download, policy="sandbox; default-src 'none'")
    assert_no_store(download)


def test_every_page_with_ticket_or_personal_data_is_no_store(live_server, cast, contract, login_with_otp, client):
    ticket = make_ticket(author=cast["customer"], contract=contract)
    login_with_otp(cast["customer"])
    customer = {django_settings.SESSION_COOKIE_NAME: client.cookies[django_settings.SESSION_COOKIE_NAME].value}
    for path in [
        "/dashboard/",
        "/tickets/",
        f"/tickets/{ticket.number}/",
        "/tickets/new/",
        "/contracts/",
        "/accounts/settings/",
        "/accounts/two-factor/",
    ]:
        response = fetch(live_server.url + path, cookies=customer)
        assert response.status == 200, path
        assert_policy_headers(response)
        assert_no_store(response)

    engineer_client = type(client)()
    login_with_otp(cast["engineer"], with_client=engineer_client)
    engineer = {django_settings.SESSION_COOKIE_NAME: engineer_client.cookies[django_settings.SESSION_COOKIE_NAME].value}
    for path in ["/admin/", "/admin/tickets/ticket/", f"/admin/tickets/ticket/{ticket.pk}/change/"]:
        response = fetch(live_server.url + path, cookies=engineer)
        assert response.status == 200, path
        assert_policy_headers(response)
        assert_no_store(response)


def test_public_pages_get_the_policy(live_server):
    for path in ["/", "/contact/", "/accounts/register/", "/accounts/password/reset/"]:
        response = fetch(live_server.url + path)
        assert response.status == 200, path
        assert_policy_headers(response)


def test_static_files_served_by_whitenoise_get_nosniff_and_the_policy_and_stay_cacheable(settings):
    """Production serves static files with WhiteNoise inside the middleware stack (the live server's own
    static handler bypasses it, so this one goes through the WSGI handler)."""
    settings.WHITENOISE_USE_FINDERS = True
    from django.test import Client

    response = Client().get("/static/css/portal.css")
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == content_security_policy()
    assert "no-store" not in response.get("Cache-Control", "")


def test_cookies_of_a_real_login_are_httponly_samesite_and_secure_behind_https(live_server, cast, settings):
    """The whole two-step login over HTTP, with the cookie flags production sets (DJANGO_SECURE=1)."""
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = settings.LANGUAGE_COOKIE_SECURE = True
    customer = cast["customer"]
    device = TOTPDevice.objects.create(user=customer, name="default", confirmed=True)
    jar: dict[str, str] = {}
    seen: dict[str, str] = {}

    def step(path, data=None):
        response = fetch(live_server.url + path, cookies=jar, data=data)
        for name, (morsel, header) in set_cookies(response).items():
            jar[name] = morsel.value
            seen[name] = header
        return response

    step("/accounts/login/")
    form = {"csrfmiddlewaretoken": jar["csrftoken"]}
    password = step(
        "/accounts/login/",
        {**form, "login_view-current_step": "auth", "auth-username": customer.email, "auth-password": DEFAULT_PASSWORD},
    )
    assert password.status == 200 and b"token-otp_token" in password.body
    code = f"{totp(device.bin_key, step=30, t0=0, digits=6):06d}"
    done = step("/accounts/login/", {**form, "login_view-current_step": "token", "token-otp_token": code})
    assert done.status == 302
    assert step("/dashboard/").status == 200  # logged in with the second factor
    step("/accounts/language/", {"csrfmiddlewaretoken": jar["csrftoken"], "language": "en", "next": "/dashboard/"})

    assert {django_settings.SESSION_COOKIE_NAME, "csrftoken", django_settings.LANGUAGE_COOKIE_NAME} <= set(seen)
    for header in seen.values():  # every cookie the portal set on the way, whatever it is for
        attributes = {part.strip().lower() for part in header.split(";")}
        assert {"httponly", "secure", "samesite=lax"} <= attributes, header


PRODUCTION_PROBE = """
import json
import django
django.setup()
from django.test import Client
client = Client(HTTP_HOST="myhezo.pl")
page = client.get("/", secure=True)
language = client.post("/accounts/language/", {"language": "en", "next": "/"}, secure=True)
plain = client.get("/contact/")
print(json.dumps({
    "status": page.status_code,
    "headers": dict(page.headers),
    "cookies": [morsel.OutputString() for response in (page, language) for morsel in response.cookies.values()],
    "plain": [plain.status_code, plain.headers.get("Location", "")],
}))
"""


def test_production_settings_send_hsts_redirect_to_https_and_mark_cookies_secure(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_", "EMAIL_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="myhezo.settings",
        DJANGO_SECURE="1",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        DJANGO_ALLOWED_HOSTS="myhezo.pl,myhezo.com",
        MYHEZO_VAR_DIR=str(tmp_path),
    )
    result = subprocess.run(
        [sys.executable, "-c", PRODUCTION_PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    headers = probe["headers"]
    assert probe["status"] == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["Content-Security-Policy"] == content_security_policy()
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert probe["plain"] == [301, "https://myhezo.pl/contact/"]
    cookies = {cookie.split("=", 1)[0]: cookie.lower() for cookie in probe["cookies"]}
    assert set(cookies) >= {"csrftoken", "django_language"}
    for name, cookie in cookies.items():
        assert "secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie, (name, cookie)


def test_the_debug_error_pages_of_a_developers_server_are_left_without_the_policy(client, settings):
    """`make run` runs with DEBUG: Django's technical 404 and 500 pages need their inline style and script.
    Production (DEBUG off) gets the policy on its error pages too."""
    settings.DEBUG = True
    assert "Content-Security-Policy" not in client.get("/no-such-page/")
    assert client.get("/").headers["Content-Security-Policy"] == content_security_policy()
    settings.DEBUG = False
    assert client.get("/no-such-page/").headers["Content-Security-Policy"] == content_security_policy()
