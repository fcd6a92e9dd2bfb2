"""The reporter and every CC hear of their replacement (SPEC §6, issue 18 item 6): approved (what happens next,
who pays the return), shipped (carrier and tracking, a link for known carriers), delivered (the return
deadline); each in its reader's language, through the outbox, once per step."""

import pytest
import time_machine

from accounts.tests.factories import UserFactory
from operations.services import replacement_approve, replacement_update
from tickets.tests.factories import make_ticket

from .factories import at, update_fields

pytestmark = pytest.mark.django_db

CC_EN = "it-lead@kowalski.example"  # a portal user who reads English


@pytest.fixture
def ticket(cast, plus_contract):
    UserFactory(email=CC_EN, language="en")
    with time_machine.travel(at(2026, 12, 7, 9, 0), tick=False):
        return make_ticket(author=cast["customer"], contract=plus_contract, priority="critical", cc_emails=[CC_EN])


def _by_reader(outbox, customer) -> dict:
    emails = outbox.all()
    assert sorted(address for e in emails for address in e.to) == sorted([customer.email, CC_EN])
    return {e.to[0]: e for e in emails}


def test_approval_tells_the_reporter_and_the_ccs_what_happens_next_in_their_languages(cast, ticket, outbox):
    outbox.mark()
    with time_machine.travel(at(2026, 12, 7, 10, 0), tick=False):
        replacement_approve(ticket=ticket, engineer=cast["engineer"], replacement_serial="A30-2412-00999")
    emails = _by_reader(outbox, cast["customer"])
    polish, english = emails[cast["customer"].email], emails[CC_EN]
    assert polish.subject == f"[{ticket.number}] Zatwierdzono urządzenie zastępcze"
    assert english.subject == f"[{ticket.number}] A replacement device is approved"
    assert "return the faulty unit within 7 days" in english.body_text
    assert "HEZO pays the return shipping" in english.body_text  # HEZO+ (SPEC §6)
    assert "Koszt wysyłki zwrotnej pokrywa HEZO" in polish.body_text


def test_shipping_sends_the_carrier_and_a_tracking_link_once(cast, ticket, outbox):
    with time_machine.travel(at(2026, 12, 7, 10, 0), tick=False):
        replacement = replacement_approve(ticket=ticket, engineer=cast["engineer"])
    outbox.mark()
    with time_machine.travel(at(2026, 12, 7, 15, 0), tick=False):
        changes = {"carrier": "DHL Express", "tracking_number": "JD 0146/0000 1", "shipped_at": at(2026, 12, 7, 14, 0)}
        replacement_update(replacement=replacement, engineer=cast["engineer"], **update_fields(replacement, **changes))
        replacement.refresh_from_db()
        # Saving again (a corrected serial) is no new shipment: no second e-mail.
        replacement_update(
            replacement=replacement,
            engineer=cast["engineer"],
            **update_fields(replacement, replacement_serial="A30-2412-01000"),
        )
    emails = _by_reader(outbox, cast["customer"])
    english = emails[CC_EN]
    assert english.subject == f"[{ticket.number}] The replacement device is on its way"
    link = "https://www.dhl.com/pl-pl/home/tracking/tracking-express.html?tracking-id=JD%200146%2F0000%201"
    assert link in english.body_text and f'href="{link}"' in english.body_html
    assert emails[cast["customer"].email].subject == f"[{ticket.number}] Urządzenie zastępcze jest w drodze"


def test_delivery_gives_the_return_deadline_and_replaces_the_shipping_email_when_both_come_at_once(
    cast, ticket, outbox
):
    with time_machine.travel(at(2026, 12, 7, 10, 0), tick=False):
        replacement = replacement_approve(ticket=ticket, engineer=cast["engineer"])
    outbox.mark()
    with time_machine.travel(at(2026, 12, 8, 12, 0), tick=False):
        changes = {
            "carrier": "Kurier własny",
            "shipped_at": at(2026, 12, 7, 16, 0),
            "delivered_at": at(2026, 12, 8, 11, 0),
        }
        replacement_update(replacement=replacement, engineer=cast["engineer"], **update_fields(replacement, **changes))
    emails = _by_reader(outbox, cast["customer"])
    english, polish = emails[CC_EN], emails[cast["customer"].email]
    assert english.subject == f"[{ticket.number}] The replacement device was delivered"
    assert english.template == "operations/emails/replacement_delivered"  # not a shipping e-mail as well
    assert "Please return the faulty unit by" in english.body_text
    assert polish.subject == f"[{ticket.number}] Urządzenie zastępcze zostało dostarczone"
    assert "Odeślij uszkodzone urządzenie do" in polish.body_text


def test_an_unknown_carrier_gets_no_link(cast, ticket):
    with time_machine.travel(at(2026, 12, 7, 10, 0), tick=False):
        replacement = replacement_approve(ticket=ticket, engineer=cast["engineer"])
    replacement.carrier, replacement.tracking_number = "Kurier własny", "123"
    assert replacement.tracking_url == ""
    replacement.carrier = "inpost"
    assert replacement.tracking_url == "https://inpost.pl/sledzenie-przesylek?number=123"
