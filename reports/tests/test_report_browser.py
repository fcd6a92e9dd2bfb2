"""The report page in Chromium at 1366×900, in Polish and English: the page does not scroll sideways (the wide
table scrolls in its own box), the figures are there, and the CSV link downloads the same report."""

from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from conftest import verify
from contracts.tests.factories import CompanyFactory, make_contract
from tickets.tests.factories import make_ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots" / "1366"


def log_in(page, user) -> None:
    device = TOTPDevice.objects.filter(user=user).first() or TOTPDevice.objects.create(user=user, name="default")
    page.goto("/accounts/login/?next=/admin/reports/report/")
    page.locator('[name="auth-username"]').fill(user.email)
    page.locator('[name="auth-password"]').fill(DEFAULT_PASSWORD)
    page.locator('[name="auth-password"]').press("Enter")
    page.locator('[name="token-otp_token"]').fill(f"{totp(device.bin_key, step=30, t0=0, digits=6):06d}")
    page.locator('[name="token-otp_token"]').press("Enter")
    page.wait_for_url("**/admin/reports/report/")


@pytest.mark.parametrize("language", ["pl", "en"])
def test_the_report_fits_a_laptop_and_its_table_scrolls_in_its_box(
    browser_page, service_plans, cast, contract, language
):
    long_name = CompanyFactory(
        name="Przedsiębiorstwo Wielobranżowe Instalacji Sieciowych i Telekomunikacyjnych Sp. z o.o."
    )
    other = make_contract(customer=long_name, number="E700007", serials=("FGLONG0000001",))
    buyer = verify(UserFactory(email="jan@wielobranzowe.example", nip=long_name.nip), long_name)
    make_ticket(author=cast["customer"], contract=contract)
    make_ticket(author=buyer, contract=other)
    manager = UserFactory(email="opiekun@myhezo.example", is_staff=True, language=language)
    manager.user_permissions.add(Permission.objects.get(content_type__app_label="reports", codename="view_report"))

    page = browser_page("pl-PL" if language == "pl" else "en-GB")
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(page, manager)
    assert page.locator(".report-table tbody tr").count() == 2
    assert page.locator("html").get_attribute("lang") == language
    scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= inner, f"the page is {scroll} px wide at {inner} px"
    box = page.evaluate(
        "(() => { const b = document.querySelector('.report-scroll');"
        " return [b.scrollWidth, b.clientWidth, getComputedStyle(b).overflowX]; })()"
    )
    assert box[2] == "auto" and box[1] <= inner
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{language}-admin-report.png"), full_page=True)

    with page.expect_download() as download:
        page.locator(".report-actions a.button").click()
    body = Path(download.value.path()).read_bytes().decode("utf-8")
    assert body.startswith("\ufeff")
    assert "E700007" in body and "A100001" in body
