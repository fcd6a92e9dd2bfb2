"""A ticket's history stored as codes and values, drawn in the reader's language: the desk's History table and
the customer's timeline between the messages (SPEC §4, §7)."""

import re

import pytest
import time_machine
from django.utils import translation

from operations.services import replacement_approve, replacement_overdue_flag, replacement_update
from sla.businesstime import WARSAW
from tickets import services
from tickets.history import _kinds, history_for_desk
from tickets.models import EventAction, TicketEvent

from .factories import make_ticket

pytestmark = pytest.mark.django_db


def at(*args):
    from datetime import datetime

    return datetime(*args, tzinfo=WARSAW)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _timeline(client, ticket) -> list[str]:
    page = client.get(f"/tickets/{ticket.number}/").content.decode()
    return [_text(item).strip() for item in re.findall(r'<li class="timeline-item".*?</li>', page, re.S)]


def _as(user, language, login_with_otp):
    user.language = language
    user.save(update_fields=["language"])
    return login_with_otp(user)


def test_every_action_has_a_description_and_says_who_sees_it():
    # Generated from the codes: a new action without a description fails here, not on a reader's page.
    assert set(EventAction.values) <= set(_kinds)


def _life(cast, contract):
    """A ticket's life (SPEC §4 timeline): every kind of row a customer may see, and some they may not."""
    customer, engineer = cast["customer"], cast["engineer"]
    with time_machine.travel(at(2026, 12, 1, 9, 0), tick=False):
        ticket = make_ticket(author=customer, contract=contract, priority="non_critical")
    with time_machine.travel(at(2026, 12, 1, 9, 10), tick=False):
        services.ticket_cc_add(ticket=ticket, actor=customer, email="kopia@example.com")
        services.ticket_partner_access_set(ticket=ticket, actor=customer, allowed=True)
        services.ticket_assign(ticket=ticket, actor=engineer, assignee=engineer)
    with time_machine.travel(at(2026, 12, 1, 9, 20), tick=False):
        services.ticket_phone_contact_log(ticket=ticket, engineer=engineer, body="Sekret: hasło admina to X")
        services.ticket_priority_change(ticket=ticket, actor=engineer, priority="critical")
    with time_machine.travel(at(2026, 12, 1, 9, 30), tick=False):
        services.ticket_escalate(ticket=ticket, actor=customer, reason="Biuro stoi od rana")
        replacement = replacement_approve(ticket=ticket, engineer=engineer)
    with time_machine.travel(at(2026, 12, 1, 15, 0), tick=False):
        replacement = replacement_update(
            replacement=replacement,
            engineer=engineer,
            carrier="DPD",
            tracking_number="0000123456789Q",
            replacement_serial="FG100FTK29990001",
            shipped_at=at(2026, 12, 1, 14, 0),
            delivered_at=None,
            returned_at=None,
            agreed_delivery_at=None,
        )
    with time_machine.travel(at(2026, 12, 2, 10, 0), tick=False):
        replacement_update(
            replacement=replacement,
            engineer=engineer,
            carrier="DPD",
            tracking_number="0000123456789Q",
            replacement_serial="FG100FTK29990001",
            shipped_at=at(2026, 12, 1, 14, 0),
            delivered_at=at(2026, 12, 2, 9, 0),
            returned_at=None,
            agreed_delivery_at=None,
        )
        services.ticket_close(ticket=ticket, actor=customer)
    with time_machine.travel(at(2026, 12, 2, 11, 0), tick=False):
        services.ticket_reopen(ticket=ticket, actor=customer)
    with time_machine.travel(at(2026, 12, 9, 9, 1), tick=False):
        replacement_overdue_flag()
    return ticket


@pytest.mark.parametrize("language", ["pl", "en"])
def test_the_customer_sees_what_happened_in_their_language_and_never_the_call_log(
    language, cast, contract, login_with_otp
):
    ticket = _life(cast, contract)
    lines = _timeline(_as(cast["customer"], language, login_with_otp), ticket)
    page = " ".join(lines)
    english = {
        "opened": "Ticket opened by Anna",
        "cc": "kopia@example.com added to the copies by Anna",
        "consent": "Access for the reseller granted by Anna",
        "call": "Phone call with",
        "priority": "Priority changed from “non-critical” to “critical” by",
        "escalated": "Ticket escalated by Anna",
        "approved": "HEZO approved a replacement device, to be delivered by",
        "shipped": "The replacement was shipped on 1 Dec 2026, 14:00: DPD, tracking number 0000123456789Q.",
        "delivered": "The replacement was delivered on 2 Dec 2026, 09:00.",
        "return": "Please return the faulty unit by 9 Dec 2026, 09:00.",
        "closed": "Ticket closed by Anna",
        "reopened": "Ticket reopened by Anna",
        "overdue": "The faulty unit was due back by 9 Dec 2026, 09:00 and has not arrived yet.",
    }
    polish = {
        "opened": "Zgłoszenie utworzone przez Anna",
        "cc": "Adres kopia@example.com dodany do kopii przez Anna",
        "consent": "Dostęp dla resellera udzielony przez Anna",
        "call": "Rozmowa telefoniczna z",
        "priority": "Priorytet zmieniony z „niekrytyczny” na „krytyczny” przez",
        "escalated": "Zgłoszenie eskalowane przez Anna",
        "approved": "HEZO zatwierdziło urządzenie zastępcze z dostawą do",
        "shipped": "Urządzenie zastępcze wysłano 1 gru 2026, 14:00: DPD, numer przesyłki 0000123456789Q.",
        "delivered": "Urządzenie zastępcze dostarczono 2 gru 2026, 09:00.",
        "return": "Odeślij uszkodzone urządzenie do 9 gru 2026, 09:00.",
        "closed": "Zgłoszenie zamknięte przez Anna",
        "reopened": "Zgłoszenie ponownie otwarte przez Anna",
        "overdue": "Uszkodzone urządzenie miało wrócić do 9 gru 2026, 09:00 i jeszcze nie dotarło.",
    }
    words = english if language == "en" else polish
    order = ["overdue", "reopened", "closed", "delivered", "shipped", "approved", "escalated", "priority", "call"]
    # Newest first, between the messages; each kind of row once.
    found = [next(i for i, line in enumerate(lines) if words[key] in line) for key in order]
    assert found == sorted(found)
    for key in ("opened", "cc", "consent", "return"):
        assert words[key] in page
    assert "Sekret" not in page  # what was said on the phone stays with the engineers
    page_html = _as(cast["customer"], language, login_with_otp).get(f"/tickets/{ticket.number}/").content.decode()
    assert 'href="https://tracktrace.dpd.com.pl/parcelDetails?p1=0000123456789Q"' in page_html
    # The assignee is the engineers' business.
    assert not any("assign" in line.lower() or "przypis" in line.lower() for line in lines)


def test_a_partner_sees_the_same_without_the_copies_and_the_consent(cast, contract, login_with_otp):
    ticket = _life(cast, contract)
    customer_lines = _timeline(_as(cast["customer"], "en", login_with_otp), ticket)
    partner_lines = _timeline(_as(cast["partner"], "en", login_with_otp), ticket)
    assert "kopia@example.com" not in " ".join(partner_lines)
    assert not any("Access for the reseller" in line for line in partner_lines)
    hidden = [line for line in customer_lines if "kopia@example.com" in line or "Access for the reseller" in line]
    assert len(hidden) == 2
    assert [line for line in customer_lines if line not in hidden] == partner_lines


def test_the_desk_history_reads_in_the_engineers_language_with_words_for_yes_and_no(cast, contract, login_with_otp):
    with translation.override("pl"):
        ticket = _life(cast, contract)  # written while Polish was active: nothing Polish is stored
    engineer = cast["engineer"]
    engineer.language = "en"
    engineer.save(update_fields=["language"])
    page = _text(login_with_otp(engineer).get(f"/admin/tickets/ticket/{ticket.pk}/change/").content.decode())
    page = page[page.index("History") :]
    for polish in ("Zatwierdzono", "przewoźnik", "krytyczne", "telefon", "tak", "True", "False"):
        assert polish not in page
    assert "Reseller access no → yes" in page
    assert "Priority non-critical → critical" in page
    assert "Status closed → in progress" in page
    assert re.search(r"Replacement \d+ → carrier: DPD; tracking number: 0000123456789Q", page)


def test_each_row_is_drawn_again_in_the_readers_language(cast, contract):
    ticket = _life(cast, contract)
    events = list(TicketEvent.objects.filter(ticket=ticket))
    with translation.override("en"):
        english = [(line.what, line.before, line.after, line.sentence) for line in history_for_desk(events)]
    with translation.override("pl"):
        polish = [(line.what, line.before, line.after, line.sentence) for line in history_for_desk(events)]
    assert len(english) == len(polish) == len(events)
    assert english[[e.action for e in events].index("priority")][:3] == ("priority", "non-critical", "critical")
    assert english != polish


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "First response: not counted: the ticket was closed"),
        ("pl", "nie liczy się: zgłoszenie zostało zamknięte"),
    ],
)
def test_a_clock_stopped_by_closing_says_it_was_not_counted(language, expected, cast, contract, login_with_otp):
    # Closed before anyone answered, then reopened: the first clock did not run out, it was not counted.
    ticket = make_ticket(author=cast["customer"], contract=contract)
    services.ticket_close(ticket=ticket, actor=cast["customer"])
    services.ticket_reopen(ticket=ticket, actor=cast["customer"])
    page = _text(_as(cast["customer"], language, login_with_otp).get(f"/tickets/{ticket.number}/").content.decode())
    assert expected in page
    assert "stopped when" not in page and "zatrzymany przy zamknięciu" not in page
