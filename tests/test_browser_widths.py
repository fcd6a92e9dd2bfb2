"""Issue 18, "Phones": every portal page is usable without sideways scrolling on a phone (390×844) and a laptop
(1366×900), for every kind of reader: anonymous, customer and partner.

The pages are not a list someone keeps: they are every route of the URLconf outside /admin/, its parameters
filled with this world's objects (a ticket with a long CC address, files and an escalation; tokens for the
links in e-mails). A route that answers GET with 405 (a form's POST target) or with something other than HTML
(a download, a QR code, the health check) is not a page and is left out, and so is one that sends this reader
elsewhere (that page is visited as its own route); a route whose parameters this test
cannot fill fails it. Both languages; each page is saved as
`var/screenshots/<width>/<language>-<reader>-<route>.png`."""

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.services import email_change_link_make
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from accounts.tokens import activation_token_make
from tickets import services
from tickets.tests.factories import make_ticket, upload

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = [(390, 844), (1366, 900)]
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
LONG_CC = "kierownik.dzialu.infrastruktury.sieciowej@kowalski-systemy-informatyczne.example"


def log_in(page, user) -> None:
    device = TOTPDevice.objects.filter(user=user).first() or TOTPDevice.objects.create(user=user, name="default")
    page.goto("/accounts/login/?next=/dashboard/")
    page.locator('[name="auth-username"]').fill(user.email)
    page.locator('[name="auth-password"]').fill(DEFAULT_PASSWORD)
    page.locator('[name="auth-password"]').press("Enter")
    page.locator('[name="token-otp_token"]').fill(f"{totp(device.bin_key, step=30, t0=0, digits=6):06d}")
    page.locator('[name="token-otp_token"]').press("Enter")
    page.wait_for_url("**/dashboard/")


def portal_routes() -> list[tuple[str, str, list[str]]]:
    """(name, route, its parameters) of every URL pattern outside /admin/, from the URLconf."""
    found = []

    def walk(patterns, prefix: str, namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if str(pattern.pattern).startswith("admin/"):
                    continue
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern):
                found.append(
                    (namespace + (pattern.name or ""), prefix + str(pattern.pattern), list(pattern.pattern.converters))
                )

    walk(get_resolver().url_patterns, "", "")
    return found


@pytest.fixture
def world(cast, contract):
    customer, engineer = cast["customer"], cast["engineer"]
    ticket = make_ticket(
        author=customer,
        contract=contract,
        title="Tunel IPsec do oddziału w Krakowie zrywa się co godzinę po aktualizacji firmware",
        priority="critical",
        partner_access=True,
        cc_emails=[LONG_CC],
        attachments=[upload("konfiguracja-fortigate-oddzial-krakow-2026-12-03.conf")],
    )
    services.ticket_engineer_reply(ticket=ticket, engineer=engineer, body="Proszę o plik konfiguracji.")
    services.ticket_escalate(ticket=ticket, actor=customer, reason="Brak odpowiedzi od dwóch dni roboczych.")
    inactive = UserFactory(email="nowy.uzytkownik.z.dluga.nazwa@kowalski-systemy.example", is_active=False)
    attachment = ticket.messages.order_by("pk").first().attachments.first()
    values = {
        "number": ticket.number,
        "attachment_id": attachment.pk,
        "pk": 1,
        "uidb64": urlsafe_base64_encode(force_bytes(customer.pk)),
    }
    tokens = {
        "accounts:activate": activation_token_make(inactive),
        "accounts:email_change_confirm": email_change_link_make(user=customer, new_email="anna.nowa@kowalski.example"),
        "accounts:password_reset_confirm": default_token_generator.make_token(customer),
    }
    return {"cast": cast, "values": values, "tokens": tokens}


def route_url(name: str, route: str, params: list[str], world) -> str:
    url = "/" + route
    for param in params:
        value = world["tokens"][name] if param == "token" else world["values"].get(param)
        assert value is not None, f"{name}: teach this test a value for <{param}>"
        url = url.replace(f"<{param}>", str(value))
        for converter in ("str", "int", "slug", "path", "uuid"):
            url = url.replace(f"<{converter}:{param}>", str(value))
    return url


@pytest.mark.parametrize("language", ["pl", "en"])
def test_every_portal_page_fits_a_phone_and_a_laptop(browser_page, world, language):
    for reader in ("customer", "partner"):
        world["cast"][reader].language = language
        world["cast"][reader].save()
    routes = portal_routes()
    names = {name for name, _, _ in routes}
    assert {"core:home", "portal:dashboard", "tickets:detail", "accounts:settings"} <= names
    visited: dict[str, set[str]] = {}
    too_wide = []
    for reader in ("anonymous", "customer", "partner"):
        for width, height in SIZES:
            page = browser_page(locale={"pl": "pl-PL", "en": "en-GB"}[language])
            page.set_viewport_size({"width": width, "height": height})
            if reader != "anonymous":
                log_in(page, world["cast"][reader])
            folder = SCREENSHOTS / str(width)
            folder.mkdir(parents=True, exist_ok=True)
            for name, route, params in routes:
                if name in ("accounts:logout", "accounts:language_switch"):
                    continue  # POST targets that a GET must not touch
                url = route_url(name, route, params, world)
                probe = page.request.get(url)  # the browser's cookies; a download or a 405 is not a page
                if probe.status == 405 or "text/html" not in (probe.headers.get("content-type") or ""):
                    continue
                if urlsplit(probe.url).path != urlsplit(url).path:
                    continue  # sent elsewhere (to log in, to the dashboard): that page is a route of its own
                page.goto(url)
                visited.setdefault(reader, set()).add(name)
                assert page.locator("html").get_attribute("lang") == language, (reader, name)
                slug = f"{language}-{reader}-" + name.replace(":", "-")
                page.screenshot(path=str(folder / f"{slug}.png"), full_page=True)
                scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
                if scroll > inner:
                    too_wide.append(f"{language} {reader} {name} ({page.url}) at {width}px: {scroll}px wide")
    assert not too_wide, "\n".join(too_wide)
    # The pages the issue names, for the readers who can see them.
    assert {"core:home", "core:contact", "two_factor:login", "accounts:register"} <= visited["anonymous"]
    for reader in ("customer", "partner"):
        assert {"portal:dashboard", "tickets:list", "tickets:detail", "accounts:settings"} <= visited[reader]
    assert {"portal:contracts", "tickets:new"} <= visited["customer"]
