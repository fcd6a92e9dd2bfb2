"""The engineers' ticket page in real Chromium at 1366×900, in Polish and English (issue 17, "Done when"): the
SLA clocks and the facts above the fold, no sideways scrolling, a canned reply inserted in the customer's
language, a public reply from one composer and an internal note from the other; the customer then sees the
reply and never the note."""

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.tests.factories import DEFAULT_PASSWORD
from conftest import verify
from tickets import services
from tickets.models import MessageKind
from tickets.tests.factories import make_ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORDS = {
    "pl": {
        "send": "Wyślij odpowiedź do klienta",
        "note": "Dodaj notatkę wewnętrzną",
        "insert": "Wstaw do odpowiedzi",
        "sent": "Odpowiedź została wysłana do klienta.",
        "noted": "Dodano notatkę wewnętrzną.",
        "clocks": "Zegary SLA",
    },
    "en": {
        "send": "Send reply to the customer",
        "note": "Add internal note",
        "insert": "Insert into the reply",
        "sent": "The reply has been sent to the customer.",
        "noted": "The internal note has been added.",
        "clocks": "SLA clocks",
    },
}
CANNED = {
    "pl": "Dzień dobry {customer}, proszę o logi z {device} (zgłoszenie {ticket}).",
    "en": "Hello {customer}, please send the logs of {device} (ticket {ticket}).",
}


def log_in(page, user, next_url):
    device = TOTPDevice.objects.filter(user=user).first() or TOTPDevice.objects.create(
        user=user, name="default", confirmed=True
    )
    page.goto(f"/accounts/login/?next={next_url}")
    page.locator('[name="auth-username"]').fill(user.email)
    page.locator('[name="auth-password"]').fill(DEFAULT_PASSWORD)
    page.locator('[name="auth-password"]').press("Enter")
    page.locator('[name="token-otp_token"]').fill(f"{totp(device.bin_key, step=30, t0=0, digits=6):06d}")
    page.locator('[name="token-otp_token"]').press("Enter")
    page.wait_for_url(f"**{next_url}")


def assert_no_sideways_scroll(page):
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"the page is {widths[0]} px wide in a {widths[1]} px window"


@pytest.mark.parametrize("language", ["pl", "en"])
def test_engineer_replies_and_notes_from_two_composers_and_the_customer_sees_only_the_reply(
    browser_page, service_plans, customer, colleague, company, reseller, engineer, language
):
    from contracts.tests.factories import make_contract

    words = WORDS[language]
    contract = make_contract(
        customer=company, reseller=reseller, number="A100001", serials=("FG100FTK20001234", "FG60FTK20005678")
    )
    verify(customer, company)
    verify(colleague, company)
    for user in (customer, engineer):
        user.language = language
        user.save()
    ticket = make_ticket(author=customer, contract=contract, cc_emails=["szef.it@kowalski.example"])
    other = make_ticket(author=colleague, contract=contract, title="Telefon Yealink T54W nie rejestruje konta SIP")
    for number in range(4):
        services.ticket_priority_change(
            ticket=ticket, actor=engineer, priority="critical" if number % 2 == 0 else "non_critical"
        )
    canned = services.canned_reply_upsert(title="Logi", text_pl=CANNED["pl"], text_en=CANNED["en"])
    reply = {"pl": "Proszę zaktualizować firmware do 7.4.5.", "en": "Please upgrade the firmware to 7.4.5."}[language]
    note = {"pl": "Wewnętrzne: klient ma stary firmware", "en": "Internal: the customer runs old firmware"}[language]

    desk = browser_page(locale={"pl": "pl-PL", "en": "en-GB"}[language])
    desk.set_viewport_size({"width": 1366, "height": 900})
    log_in(desk, engineer, ticket.get_desk_url())
    assert desk.locator("html").get_attribute("lang") == language
    # The clocks and the facts are on the first screen; the page does not scroll sideways.
    clocks = desk.get_by_role("heading", name=words["clocks"])
    assert clocks.bounding_box()["y"] < 900
    assert desk.get_by_test_id("ticket-facts").bounding_box()["y"] < 900
    assert_no_sideways_scroll(desk)
    # The company's other open ticket leads to its own page.
    assert (
        desk.get_by_test_id("other-tickets").get_by_role("link", name=other.number).get_attribute("href")
        == other.get_desk_url()
    )

    # A canned reply lands in the reply composer, in the customer's language, and is edited before sending.
    desk.locator("#canned").select_option(str(canned.pk))
    desk.get_by_role("button", name=words["insert"]).click()
    filled = CANNED[language].format(customer=ticket.reporter_name, device="(H)-FG100FTK20001234", ticket=ticket.number)
    assert desk.locator("#reply_body").input_value() == filled
    assert desk.locator("#note_body").input_value() == ""
    assert_no_sideways_scroll(desk)
    desk.locator("#reply_body").fill(f"{filled}\n{reply}")
    desk.get_by_role("button", name=words["send"]).click()
    assert words["sent"] in desk.locator(".messagelist").inner_text()

    desk.locator("#note_body").fill(note)
    desk.get_by_role("button", name=words["note"]).click()
    assert words["noted"] in desk.locator(".messagelist").inner_text()
    assert note in desk.locator("#content").inner_text()
    assert_no_sideways_scroll(desk)
    assert list(ticket.messages.filter(by_engineer=True).values_list("kind", flat=True)) == [
        MessageKind.NOTE,
        MessageKind.REPLY,
    ]

    # The customer sees the reply and never the note.
    page = browser_page(locale={"pl": "pl-PL", "en": "en-GB"}[language])
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(page, customer, ticket.get_portal_url())
    dialog = page.locator(".messages-list").inner_text()
    assert reply in dialog and filled.split(",")[0] in dialog
    assert note not in page.content()
    assert_no_sideways_scroll(page)
