"""A new customer's whole path in real Chromium (issues 3, 6 and 18, "Done when"): the import, then onboarding as
one guided path — register → activate → authenticator app → backup codes → verify → dashboard — in Polish and
English, with the step indicator, a setup secret that survives a reload and pages that fit a phone and a laptop;
then the contracts and the carried-over tickets with their PDFs."""

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


# What the reader of each language sees (the portal's own texts).
WORDS = {
    "pl": {
        "log_in": "Zaloguj się",
        "register": "Zarejestruj się",
        "check_mail": "Sprawdź pocztę",
        "activate": "Aktywuj moje konto",
        "steps": ["Konto", "Potwierdzony e-mail", "Aplikacja uwierzytelniająca", "Kody zapasowe", "Weryfikacja umowy"],
        "setup": "Skonfiguruj aplikację uwierzytelniającą",
        "code_label": "Kod z aplikacji uwierzytelniającej",
        "confirm": "Potwierdź",
        "codes": "Twoje kody zapasowe",
        "codes_saved": "Kody są zapisane: dalej do weryfikacji umowy",
        "verify_title": "Zweryfikuj konto",
        "verify": "Zweryfikuj",
        "verified": "Konto zostało zweryfikowane.",
        "contracts": "Umowy",
        "log_out": "Wyloguj się",
        "backup_instead": "Użyj kodu zapasowego",
        "tickets": "Zgłoszenia",
    },
    "en": {
        "log_in": "Log in",
        "register": "Register",
        "check_mail": "Check your e-mail",
        "activate": "Activate my account",
        "steps": ["Account", "E-mail confirmed", "Authenticator app", "Backup codes", "Contract verification"],
        "setup": "Set up the authenticator app",
        "code_label": "Code from the authenticator app",
        "confirm": "Confirm",
        "codes": "Your backup codes",
        "codes_saved": "I have saved them: verify my contract",
        "verify_title": "Verify your account",
        "verify": "Verify",
        "verified": "Your account is verified.",
        "contracts": "Contracts",
        "log_out": "Log out",
        "backup_instead": "Use a backup code instead",
        "tickets": "Tickets",
    },
}
STALE = ("Token", "Ochrona Konta", "Account Security", "włączyłeś", "Two-Factor", "dwuskładnik")


def fits_a_phone_and_a_laptop(page) -> None:
    """The page needs no sideways scrolling at 390 px or at 1366 px."""
    for width, height in ((390, 844), (1366, 900)):
        page.set_viewport_size({"width": width, "height": height})
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{page.url} is {overflow} px too wide at {width} px"


def on_step(page, words, number: int) -> None:
    """The step indicator shows `number` (1-5) as the current step, the ones before as done."""
    expect(page.locator('.onboarding-steps [aria-current="step"] .step-name')).to_have_text(words["steps"][number - 1])
    assert page.locator(".onboarding-steps .step-done").count() == number - 1


@pytest.mark.parametrize("language", ["pl", "en"])
def test_new_customer_registers_activates_enrols_verifies_and_sees_contracts(
    browser_page, on_a_working_day, service_plans, language
):
    words = WORDS[language]
    email = EMAIL.replace("@", f".{language}@")
    with pytest.raises(SystemExit):  # the sample holds bad records on purpose: exit status 1
        call_command("import_legacy", str(SAMPLE))

    page = browser_page(locale="pl-PL" if language == "pl" else "en-GB")
    page.goto("/")
    page.get_by_role("link", name=words["log_in"]).first.click()
    page.get_by_role("link", name=words["register"]).click()
    on_step(page, words, 1)

    fields = {
        "first_name": "Anna",
        "last_name": "Nowak",
        "email": email,
        "phone": "600 100 200",
        "company_name": "Kowalski Systemy",
        "nip": "pl 526-025-02-74",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    for name, value in fields.items():
        page.locator(f'main [name="{name}"]').fill(value)
    page.locator('main [name="language"]').select_option(language)
    page.get_by_role("button", name=words["register"]).click()
    assert page.locator("h1").inner_text() == words["check_mail"]
    on_step(page, words, 2)

    [activation] = [m for m in mail.outbox if m.to == [email]]
    assert PASSWORD not in activation.body
    link = re.search(r"https?://\S+(/accounts/activate/\S+/)", activation.body).group(1)
    page.goto(link)
    on_step(page, words, 2)
    page.get_by_role("button", name=words["activate"]).click()

    # The authenticator app: the QR code and the secret in text at once; a reload keeps the same secret.
    expect(page.locator("h1")).to_have_text(words["setup"])
    on_step(page, words, 3)
    secret = page.locator('a[href^="otpauth://"]').inner_text().strip()
    expect(page.locator('img[src="/accounts/two-factor/qrcode/"]')).to_be_visible()
    page.reload()
    assert page.locator('a[href^="otpauth://"]').inner_text().strip() == secret
    fits_a_phone_and_a_laptop(page)
    code_field = page.get_by_label(words["code_label"])
    assert code_field.get_attribute("type") == "text"
    assert code_field.get_attribute("inputmode") == "numeric"
    assert code_field.get_attribute("autocomplete") == "one-time-code"
    assert not any(stale in page.locator("main").inner_text() for stale in STALE)
    code_field.fill(totp_code(secret))
    page.get_by_role("button", name=words["confirm"]).click()

    # The backup codes, issued with the app and shown once; the next step is the contract verification.
    expect(page.locator("h1")).to_have_text(words["codes"])
    on_step(page, words, 4)
    codes = page.locator("#backup-codes code").all_inner_texts()
    assert len(codes) == 10
    assert not any(stale in page.locator("main").inner_text() for stale in STALE)
    fits_a_phone_and_a_laptop(page)
    page.get_by_role("link", name=words["codes_saved"]).click()
    expect(page.locator("h1")).to_have_text(words["verify_title"])
    on_step(page, words, 5)
    page.goto("/accounts/two-factor/setup/complete/")  # shown once: back to the step the user is on
    assert page.url.endswith("/accounts/verify/")
    fits_a_phone_and_a_laptop(page)

    page.locator('[name="contract_number"]').fill(" b200002 ")
    page.locator('[name="serial"]').fill("FG100FTK20001234")
    page.get_by_role("button", name=words["verify"], exact=True).click()
    assert words["verified"] in page.locator(".messages").inner_text()
    assert page.url.endswith("/dashboard/")

    def sees_both_active_contracts():
        text = page.locator("main").inner_text()
        assert "A100001" in text and "B200002" in text and "C300003" not in text
        assert "(H1)-FG100FTK20001234" in text and "(H2)-FG100FTK20001234" in text

    sees_both_active_contracts()
    page.get_by_role("link", name=words["contracts"]).click()
    sees_both_active_contracts()

    page.locator(".account-menu summary").click()
    page.get_by_role("button", name=words["log_out"]).click()
    page.goto("/accounts/login/")
    page.locator('[name="auth-username"]').fill(email.upper())
    page.locator('[name="auth-password"]').fill(PASSWORD)
    page.get_by_role("button", name=words["log_in"]).click()
    if language == "pl":
        # The enrolment code cannot be used twice: the next 30-second step's code (within the tolerance).
        page.get_by_label(words["code_label"]).fill(totp_code(secret, step_offset=1))
    else:
        # One of the backup codes shown at enrolment works instead.
        page.get_by_role("button", name=words["backup_instead"]).click()
        page.locator('[name="backup-otp_token"]').fill(codes[0])
    page.get_by_role("button", name=words["confirm"]).click()
    assert page.url.endswith("/dashboard/")
    sees_both_active_contracts()
    assert mail.outbox and all(PASSWORD not in m.body + str(m.alternatives) for m in mail.outbox)

    # The tickets carried over from the previous portal are there at once, each with its conversation as a PDF.
    page.get_by_role("link", name=words["tickets"]).first.click()
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
