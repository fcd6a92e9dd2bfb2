"""The Content-Security-Policy in real Chromium (issue 7, item 4): every kind of page the portal serves, the
back office and the two-factor pages included, loads under the strict policy without one violation.

A violation shows up twice in Chromium: a `securitypolicyviolation` event in the page and a console error
"Refused to ...". The recorder below collects both; a first test proves it does catch them, so a quiet run
means a clean page and not a deaf recorder."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from core.middleware import content_security_policy
from tickets.tests.factories import make_ticket, upload

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Runs before any page script (Playwright's init scripts are not subject to the page's policy).
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  const where = (e.sourceFile || "") + ":" + e.lineNumber;
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + where);
});
"""


class Recorder:
    """Violations and "Refused to" console errors of every page a browser page opened."""

    def __init__(self, page):
        self.page = page
        self.found: list[str] = []
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("console", self._console)

    def _console(self, message) -> None:
        if "Refused to" in message.text or "Content Security Policy" in message.text:
            self.found.append(f"{self.page.url}: console: {message.text}")

    def visit(self, path: str, *, status: int = 200) -> None:
        response = self.page.goto(path)
        assert response.status == status, f"{path}: {response.status}"
        assert response.headers["content-security-policy"] == content_security_policy(), path
        self.collect()

    def collect(self) -> None:
        self.page.wait_for_load_state("load")
        events = self.page.evaluate("window.__csp || []")
        self.found.extend(f"{self.page.url}: {event}" for event in events)
        self.page.evaluate("window.__csp = []")


def log_in(page, user, next_url="/dashboard/"):
    device = TOTPDevice.objects.filter(user=user).first() or TOTPDevice.objects.create(
        user=user, name="default", confirmed=True
    )
    page.goto(f"/accounts/login/?next={next_url}")
    page.locator('[name="auth-username"]').fill(user.email)
    page.locator('[name="auth-password"]').fill(DEFAULT_PASSWORD)
    page.locator('button[type="submit"]:not([name])').last.click()
    page.locator('[name="token-otp_token"]').fill(f"{totp(device.bin_key, step=30, t0=0, digits=6):06d}")
    page.locator('button[type="submit"]:not([name])').last.click()
    page.wait_for_url(f"**{next_url}")


def test_the_recorder_catches_inline_script_and_style(browser_page, live_server):
    """A page under our policy with an inline script, a style attribute and a foreign image: each is refused
    and recorded."""
    page = browser_page(locale="en-GB")
    recorder = Recorder(page)
    bad = (
        "<!doctype html><html><body><p style='color:red'>x</p><script>document.title='ran'</script>"
        "<img src='https://example.invalid/x.png'></body></html>"
    )
    page.route(
        f"{live_server.url}/csp-probe/",
        lambda route: route.fulfill(
            status=200,
            body=bad,
            headers={"Content-Type": "text/html", "Content-Security-Policy": content_security_policy()},
        ),
    )
    page.goto("/csp-probe/")
    recorder.collect()
    assert page.title() != "ran"
    joined = "\n".join(recorder.found)
    assert "script-src" in joined and "style-src" in joined and "img-src" in joined


def test_portal_two_factor_and_back_office_pages_load_without_a_csp_violation(
    browser_page, live_server, cast, contract
):
    customer = cast["customer"]
    # A superuser sees every list and form of the back office (the engineers' desk is a subset).
    boss = UserFactory(email="szef@myhezo.example", is_staff=True, is_superuser=True)
    ticket = make_ticket(author=customer, contract=contract, attachments=[upload()], cc_emails=["it@kowalski.example"])

    # --- anonymous: home, login (both steps), registration, contact, password reset, a 404 ----------------
    page = browser_page(locale="pl-PL")
    recorder = Recorder(page)
    for path in ["/", "/accounts/login/", "/accounts/register/", "/contact/", "/accounts/password/reset/"]:
        recorder.visit(path)
    recorder.visit("/tickets/2099-999999/")  # anonymous: redirected to the login page
    log_in(page, customer)
    recorder.collect()

    # --- the customer's pages -------------------------------------------------------------------------
    for path in [
        "/dashboard/",
        "/tickets/",
        f"/tickets/{ticket.number}/",
        "/tickets/new/",
        "/contracts/",
        "/accounts/settings/",
        "/accounts/settings/password/",
        "/accounts/settings/email/",
        "/accounts/settings/delete/",
        "/accounts/two-factor/",
        "/accounts/two-factor/backup-tokens/",
    ]:
        recorder.visit(path)
    recorder.visit("/tickets/2099-999999/", status=404)
    # A form with errors, shown by the server.
    page.goto("/tickets/new/")
    page.locator('form[enctype] button[type="submit"]').last.click()
    recorder.collect()

    # --- a new user's second-factor setup: the QR code is an SVG from the portal -------------------------
    newcomer = UserFactory(email="nowy@kowalski.example")
    setup = browser_page(locale="en-GB")
    setup_recorder = Recorder(setup)
    setup.goto("/accounts/login/")
    setup.locator('[name="auth-username"]').fill(newcomer.email)
    setup.locator('[name="auth-password"]').fill(DEFAULT_PASSWORD)
    setup.locator('button[type="submit"]:not([name])').last.click()
    setup.wait_for_url("**/two-factor/setup/**")
    setup_recorder.collect()
    while setup.locator("img[src$='/qrcode/']").count() == 0:
        setup.locator('button[type="submit"]:not([name])').last.click()
        setup_recorder.collect()
    qr = setup.locator("img[src$='/qrcode/']")
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
    setup_recorder.collect()

    # --- the engineer's back office: every model's list and form, the ticket desk, phone intake --------
    desk = browser_page(locale="pl-PL")
    desk_recorder = Recorder(desk)
    log_in(desk, boss, "/admin/")
    desk_recorder.collect()
    paths = ["/admin/", f"/admin/tickets/ticket/{ticket.pk}/change/", f"/admin/accounts/user/{customer.pk}/change/"]
    for model in filter(admin.site.is_registered, apps.get_models()):
        opts = model._meta
        for name in ("changelist", "add"):
            try:
                paths.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_{name}"))
            except NoReverseMatch:
                continue
    for path in paths:
        response = desk.goto(path)
        assert response.status in (200, 403), f"{path}: {response.status}"  # some models have no add form
        desk_recorder.collect()
    # The company autocomplete (select2) draws its widgets with script.
    desk.goto(f"/admin/accounts/user/{customer.pk}/change/")
    desk.locator(".select2-selection").first.click()
    desk.locator(".select2-results__option").first.wait_for()
    desk_recorder.collect()
    # An action's confirmation page: delete and anonymise (GDPR).
    desk.goto("/admin/accounts/user/")
    desk.locator(f'input[name="_selected_action"][value="{cast["colleague"].pk}"]').check()
    desk.locator('select[name="action"]').select_option("delete_anonymise")
    desk.locator('button[name="index"]').click()
    desk.wait_for_selector('[data-testid="users-to-anonymise"]')
    desk_recorder.collect()

    assert recorder.found + setup_recorder.found + desk_recorder.found == []
