"""A new customer's whole path in real Chromium (issues 3 and 6, "Done when"): the import, registration,
activation, second factor, verification, the contracts and the carried-over tickets with their PDFs."""

import re
from base64 import b32decode
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django_otp.oath import totp
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SAMPLE = Path(__file__).resolve().parent.parent / "migration" / "tests" / "data" / "sample.jsonl"
PASSWORD = "Zielony-Kot-Na-Dachu-77"
EMAIL = "anna.nowak@kowalski.example"


def totp_code(secret: str, *, step_offset: int = 0) -> str:
    return f"{totp(b32decode(secret), step=30, t0=0, digits=6, drift=step_offset):06d}"


@pytest.fixture
def on_a_working_day():
    # The sample's contracts run to 2027-2028; a fixed day keeps them active whenever this runs.
    with time_machine.travel(datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Europe/Warsaw")), tick=True):
        yield


def test_new_customer_registers_activates_enrols_verifies_and_sees_contracts(
    browser_page, on_a_working_day, service_plans
):
    with pytest.raises(SystemExit):  # the sample holds bad records on purpose: exit status 1
        call_command("import_legacy", str(SAMPLE))

    page = browser_page(locale="pl-PL")
    page.goto("/")
    page.get_by_role("link", name="Zaloguj się").first.click()
    page.get_by_role("link", name="Zarejestruj się").click()

    fields = {
        "first_name": "Anna",
        "last_name": "Nowak",
        "email": EMAIL,
        "phone": "600 100 200",
        "company_name": "Kowalski Systemy",
        "nip": "pl 526-025-02-74",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    for name, value in fields.items():
        page.locator(f'main [name="{name}"]').fill(value)
    page.locator('main [name="language"]').select_option("pl")
    page.get_by_role("button", name="Zarejestruj się").click()
    assert page.locator("h1").inner_text() == "Sprawdź pocztę"

    [activation] = [m for m in mail.outbox if m.to == [EMAIL]]
    assert PASSWORD not in activation.body
    link = re.search(r"https?://\S+(/accounts/activate/\S+/)", activation.body).group(1)
    page.goto(link)
    page.get_by_role("button", name="Aktywuj moje konto").click()

    # Second factor: the wizard's welcome step, then the QR code with the secret in text.
    page.get_by_role("button", name="Dalej").click()
    secret = page.locator('a[href^="otpauth://"]').inner_text().strip()
    expect(page.locator('img[src="/accounts/two-factor/qrcode/"]')).to_be_visible()
    page.locator('[name="generator-token"]').fill(totp_code(secret))
    page.get_by_role("button", name="Dalej").click()

    page.goto("/dashboard/")
    page.get_by_role("link", name="Zweryfikuj konto").last.click()
    page.locator('[name="contract_number"]').fill(" b200002 ")
    page.locator('[name="serial"]').fill("FG100FTK20001234")
    page.get_by_role("button", name="Zweryfikuj").click()
    assert "Konto zostało zweryfikowane." in page.locator(".messages").inner_text()

    def sees_both_active_contracts():
        text = page.locator("main").inner_text()
        assert "A100001" in text and "B200002" in text and "C300003" not in text
        assert "(H1)-FG100FTK20001234" in text and "(H2)-FG100FTK20001234" in text

    sees_both_active_contracts()
    page.get_by_role("link", name="Umowy").click()
    sees_both_active_contracts()

    page.locator(".account-menu summary").click()
    page.get_by_role("button", name="Wyloguj się").click()
    page.goto("/accounts/login/")
    page.locator('[name="auth-username"]').fill(EMAIL.upper())
    page.locator('[name="auth-password"]').fill(PASSWORD)
    page.get_by_role("button", name="Zaloguj się").click()
    # The enrolment code cannot be used twice: the next 30-second step's code (within the tolerance).
    page.locator('[name="token-otp_token"]').fill(totp_code(secret, step_offset=1))
    page.get_by_role("button", name="Potwierdź").click()
    assert page.url.endswith("/dashboard/")
    sees_both_active_contracts()
    assert mail.outbox and all(PASSWORD not in m.body + str(m.alternatives) for m in mail.outbox)

    # The tickets carried over from the previous portal are there at once, each with its conversation as a PDF.
    page.get_by_role("link", name="Zgłoszenia").first.click()
    listing = page.locator("table.tickets").inner_text()
    assert "FortiGate restartuje się co kilka godzin" in listing
    assert '<b>Brak obrazu</b> & dźwięku na A30 — "Teams"' in listing  # the subject as it was typed
    page.get_by_role("link", name="FortiGate restartuje się co kilka godzin").click()
    assert "przeniesione z poprzedniego portalu" in page.locator(".messages-list").inner_text()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Z-2023-04211.pdf").click()
    download = download_info.value
    assert download.suggested_filename == "Z-2023-04211.pdf"
    assert Path(download.path()).read_bytes().startswith(b"%PDF-")
