"""The customer's timeline in real Chromium (issue 18 item 5, SPEC §4), in Polish and English, on a phone and a
laptop: between the messages, what happened to the ticket — a call with an engineer (never its log), the
priority raised, a replacement approved and shipped with a tracking link, the customer's own escalation with
its reason, closed and reopened by whom. A partner sees the same without the copies and the consent."""

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.tests.factories import DEFAULT_PASSWORD
from conftest import verify
from operations.services import replacement_approve, replacement_update
from tickets import services
from tickets.tests.factories import make_ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CALL_LOG = "Klient podał hasło: Lato2026!"
WORDS = {
    "pl": {
        "reason": "Cała sieć oddziału stoi",
        "escalated": "Zgłoszenie eskalowane przez Anna Nowak: „Cała sieć oddziału stoi”",
        "closed": "Zgłoszenie zamknięte przez Anna Nowak.",
        "reopened": "Zgłoszenie ponownie otwarte przez Anna Nowak.",
        "shipped": "Urządzenie zastępcze wysłano",
        "track": "Śledź przesyłkę",
        "approved": "HEZO zatwierdziło urządzenie zastępcze",
        "priority": "Priorytet zmieniony z „niekrytyczny” na „krytyczny” przez Jan Serwis.",
        "call": "Rozmowa telefoniczna z Jan Serwis (HEZO).",
        "cc": "Adres kopia@kowalski.example dodany do kopii przez Anna Nowak.",
        "consent": "Dostęp dla resellera udzielony przez Anna Nowak.",
        "opened": "Zgłoszenie utworzone przez Anna Nowak.",
    },
    "en": {
        "reason": "The whole branch network is down",
        "escalated": "Ticket escalated by Anna Nowak: “The whole branch network is down”",
        "closed": "Ticket closed by Anna Nowak.",
        "reopened": "Ticket reopened by Anna Nowak.",
        "shipped": "The replacement was shipped on",
        "track": "Track the parcel",
        "approved": "HEZO approved a replacement device",
        "priority": "Priority changed from “non-critical” to “critical” by Jan Serwis.",
        "call": "Phone call with Jan Serwis (HEZO).",
        "cc": "kopia@kowalski.example added to the copies by Anna Nowak.",
        "consent": "Access for the reseller granted by Anna Nowak.",
        "opened": "Ticket opened by Anna Nowak.",
    },
}


def log_in(page, user, next_url: str) -> None:
    device = TOTPDevice.objects.filter(user=user).first() or TOTPDevice.objects.create(user=user, name="default")
    page.goto(f"/accounts/login/?next={next_url}")
    page.locator('[name="auth-username"]').fill(user.email)
    page.locator('[name="auth-password"]').fill(DEFAULT_PASSWORD)
    page.locator('[name="auth-password"]').press("Enter")
    page.locator('[name="token-otp_token"]').fill(f"{totp(device.bin_key, step=30, t0=0, digits=6):06d}")
    page.locator('[name="token-otp_token"]').press("Enter")
    page.wait_for_url(f"**{next_url}")


def timeline(page) -> list[str]:
    return [" ".join(text.split()) for text in page.locator(".timeline-item .timeline-text").all_inner_texts()]


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("language", ["pl", "en"])
def test_the_customer_and_the_partner_follow_what_happened_on_the_timeline(
    language, browser_page, service_plans, customer, partner, company, reseller, engineer
):
    from contracts.tests.factories import make_contract

    words = WORDS[language]
    contract = make_contract(customer=company, reseller=reseller, number="A100001", serials=("FG100FTK20001234",))
    verify(customer, company)
    verify(partner, reseller, "partner")
    for person in (customer, partner):
        person.language = language
        person.save(update_fields=["language"])
    engineer.first_name, engineer.last_name = "Jan", "Serwis"
    engineer.save(update_fields=["first_name", "last_name"])

    ticket = make_ticket(author=customer, contract=contract, priority="non_critical")
    services.ticket_cc_add(ticket=ticket, actor=customer, email="kopia@kowalski.example")
    services.ticket_partner_access_set(ticket=ticket, actor=customer, allowed=True)
    services.ticket_phone_contact_log(ticket=ticket, engineer=engineer, body=CALL_LOG)
    services.ticket_priority_change(ticket=ticket, actor=engineer, priority="critical")
    replacement = replacement_approve(ticket=ticket, engineer=engineer)
    shipped = replacement.approved_at
    replacement_update(
        replacement=replacement,
        engineer=engineer,
        carrier="DPD",
        tracking_number="0000123456789Q",
        replacement_serial="",
        shipped_at=shipped,
        delivered_at=None,
        returned_at=None,
        agreed_delivery_at=None,
    )

    # --- the customer, on a phone: escalates, closes and reopens from the page --------------------------
    page = browser_page(locale="pl-PL" if language == "pl" else "en-GB")
    page.set_viewport_size({"width": 390, "height": 844})
    url = f"/tickets/{ticket.number}/"
    log_in(page, customer, url)
    page.locator('[name="reason"]').fill(words["reason"])
    page.locator('form[action$="/escalate/"] button').click()
    page.locator('form[action$="/close/"] button').click()
    page.locator('form[action$="/reopen/"] button').click()
    lines = timeline(page)
    expected = [
        words[key]
        for key in ("reopened", "closed", "escalated", "shipped", "approved", "priority", "call", "consent", "cc")
    ]
    # Newest first; each line starts with what the test expects of it.
    assert [line for line in lines if any(line.startswith(text) for text in expected)] == [
        next(line for line in lines if line.startswith(text)) for text in expected
    ]
    assert lines[-1] == words["opened"]
    link = page.get_by_role("link", name=words["track"])
    assert link.get_attribute("href") == "https://tracktrace.dpd.com.pl/parcelDetails?p1=0000123456789Q"
    assert CALL_LOG not in page.content()
    assert fits(page)

    # --- the partner, on a laptop: the same, without the copies and the consent ------------------------
    seen = browser_page(locale="pl-PL" if language == "pl" else "en-GB")
    seen.set_viewport_size({"width": 1366, "height": 900})
    log_in(seen, partner, url)
    partner_lines = timeline(seen)
    assert partner_lines == [line for line in lines if line not in (words["cc"], words["consent"])]
    assert CALL_LOG not in seen.content() and "kopia@kowalski.example" not in seen.content()
    assert fits(seen)
