"""Replies by e-mail without a mail server: what ticket e-mails carry (reply address, threading, the marker),
how a reply is matched, the embedded default's `var/inbox/`, and receivers running at once."""

import io
import threading

import pytest
from django.core.management import call_command
from django.db import connection

from conftest import skip_or_fail
from core.outbox import outbox_email_send
from inbound.models import InboundMessage, Outcome
from inbound.services import inbound_receive
from tickets.mailthread import (
    ticket_number_from_addresses,
    ticket_number_from_references,
    ticket_reply_address,
    ticket_thread_id,
)
from tickets.models import MessageKind
from tickets.services import ticket_engineer_reply, ticket_reply
from tickets.tests.factories import make_ticket

from .mails import reply

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(cast, contract):
    return make_ticket(author=cast["customer"], contract=contract, cc_emails=["szef@kowalski.example"])


def test_ticket_e_mails_answer_to_the_tickets_address_thread_together_and_say_where_to_reply(
    ticket, cast, outbox, mailoutbox, settings
):
    cast["colleague"].language = "en"
    cast["colleague"].save()
    services_cc = "piotr@kowalski.example"
    from tickets.services import ticket_cc_add

    ticket_cc_add(ticket=ticket, actor=cast["customer"], email=services_cc)
    outbox.mark()
    ticket_engineer_reply(ticket=ticket, engineer=cast["engineer"], body="Proszę o logi.")

    polish, english = outbox.to("anna@kowalski.example")[0], outbox.to(services_cc)[0]
    assert polish.body_text.startswith("## Odpowiedz nad tą linią lub w portalu ##")
    assert english.body_text.startswith("## Reply above this line or in the portal ##")
    assert "Odpowiedz nad tą linią lub w portalu" in polish.body_html
    address = f"pomoc+{ticket.number}."
    assert polish.reply_to[0].startswith(address) and polish.reply_to[0].endswith("@myhezo.pl")
    mailoutbox.clear()
    outbox_email_send(email_id=polish.pk)
    sent = mailoutbox[0].message()
    assert sent["Reply-To"] == ticket_reply_address(ticket.number)
    assert sent["In-Reply-To"] == sent["References"] == ticket_thread_id(ticket.number)
    assert sent["Message-ID"].startswith(f"<outbox-{polish.pk}.")


def test_engineers_notification_links_to_the_desk_and_answers_to_the_ticket_not_the_customer(ticket, cast, outbox):
    outbox.mark()
    ticket_reply(ticket=ticket, author=cast["customer"], body="Nadal nie działa.")

    [engineers] = outbox.to("pomoc@myhezo.pl")
    assert engineers.reply_to == [ticket_reply_address(ticket.number)]
    assert f"/admin/tickets/ticket/{ticket.pk}/change/" in engineers.body_text


def test_a_token_is_good_for_its_own_ticket_only(ticket, cast, contract):
    other = make_ticket(author=cast["customer"], contract=contract)
    mine = ticket_reply_address(ticket.number)
    theirs = ticket_reply_address(other.number)
    assert ticket_number_from_addresses([mine.upper()]) == ticket.number
    # Another ticket's number with this ticket's token, and the other way round: nobody's.
    assert ticket_number_from_addresses([mine.replace(ticket.number, other.number)]) is None
    assert ticket_number_from_addresses([theirs.replace(other.number, ticket.number)]) is None
    assert ticket_number_from_references([ticket_thread_id(ticket.number).replace(ticket.number, other.number)]) is None


def test_a_reply_whose_address_was_lost_is_matched_by_its_references(ticket, cast):
    received = inbound_receive(
        raw=reply(ticket, "anna@kowalski.example", "Odpowiadam z innego adresu.", to="pomoc@myhezo.pl")
    )

    assert received.record.outcome == Outcome.REPLY
    assert ticket.messages.filter(kind=MessageKind.REPLY, body="Odpowiadam z innego adresu.").exists()


def test_a_forged_tag_is_refused_even_with_good_references(ticket):
    forged = f"pomoc+{ticket.number}.0123456789abcdef@myhezo.pl"
    received = inbound_receive(raw=reply(ticket, "anna@kowalski.example", "Podrobione.", to=forged))

    assert received.record.outcome == Outcome.UNMATCHED
    assert not ticket.messages.filter(body="Podrobione.").exists()


def test_one_answer_per_sender_per_day(ticket, outbox, time_machine):
    time_machine.move_to("2026-12-03 10:00 +01:00")
    outbox.mark()
    for n in range(3):
        inbound_receive(raw=reply(ticket, "obcy@example.com", f"Próba {n}"))
    assert outbox.recipients() == ["obcy@example.com"]
    time_machine.move_to("2026-12-04 10:01 +01:00")
    inbound_receive(raw=reply(ticket, "obcy@example.com", "Następnego dnia"))
    assert outbox.recipients() == ["obcy@example.com", "obcy@example.com"]


def test_the_embedded_default_reads_var_inbox_and_moves_what_it_received(ticket, settings, tmp_path):
    settings.INBOUND_EMAIL_URL = ""
    settings.MYHEZO_INBOUND_DIR = tmp_path / "inbox"
    settings.MYHEZO_INBOUND_DIR.mkdir()
    (settings.MYHEZO_INBOUND_DIR / "odpowiedz.eml").write_bytes(reply(ticket, "anna@kowalski.example", "Z pliku."))
    output = io.StringIO()

    call_command("mail_receive", stdout=output)
    call_command("mail_receive", stdout=io.StringIO())

    assert "Odebrane e-maile: 1" in output.getvalue()
    assert ticket.messages.filter(body="Z pliku.").count() == 1
    assert not list(settings.MYHEZO_INBOUND_DIR.glob("*.eml"))
    assert (settings.MYHEZO_INBOUND_DIR / "processed" / "odpowiedz.eml").exists()


@pytest.mark.django_db(transaction=True)
def test_receivers_running_at_once_add_a_message_once(cast, contract, service_plans):
    if connection.vendor != "postgresql":
        skip_or_fail("concurrency needs PostgreSQL's row locks (DATABASE_URL, as CI sets it)")
    ticket = make_ticket(author=cast["customer"], contract=contract)
    raw = reply(ticket, "anna@kowalski.example", "Raz.", message_id="<raz@kowalski.example>")
    results, errors = [], []

    def receive():
        try:
            results.append(inbound_receive(raw=raw).new)
        except Exception as exc:  # pragma: no cover - shown when the test fails
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=receive) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(results) == [False] * 5 + [True]
    assert ticket.messages.filter(body="Raz.").count() == 1
    assert InboundMessage.objects.count() == 1


def test_the_original_e_mail_is_for_engineers_only(ticket, cast, login_with_otp):
    from django.test import Client

    inbound_receive(raw=reply(ticket, "anna@kowalski.example", "Odpowiedź z oryginałem."))
    original = ticket.messages.get(kind=MessageKind.NOTE).attachments.get()

    customer = login_with_otp(cast["customer"])
    page = customer.get(f"/tickets/{ticket.number}/").content.decode()
    assert "Odpowiedź z oryginałem." in page and original.name not in page
    assert customer.get(f"/tickets/{ticket.number}/attachments/{original.pk}/").status_code == 404

    desk = login_with_otp(cast["engineer"], with_client=Client())
    assert original.name in desk.get(f"/admin/tickets/ticket/{ticket.pk}/change/").content.decode()
    download = desk.get(f"/admin/tickets/ticket/attachments/{original.pk}/")
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment;")
    assert b"Message-ID: <" in b"".join(download.streaming_content)  # the e-mail as received


@pytest.mark.parametrize("charset", ["iso-8859-2", "windows-1250", "utf-8"])
def test_a_reply_in_any_polish_charset_is_decoded(ticket, charset):
    raw = reply(ticket, "anna@kowalski.example", "x")
    head, _, _body = raw.partition(b"\n\n")
    head = head.replace(b'text/plain; charset="utf-8"', f'text/plain; charset="{charset}"'.encode())
    head = b"\n".join(line for line in head.split(b"\n") if not line.startswith(b"Content-Transfer-Encoding"))
    raw = head + b"\nContent-Transfer-Encoding: 8bit\n\n" + "Zażółć gęślą jaźń.\n".encode(charset)

    inbound_receive(raw=raw)

    assert ticket.messages.filter(kind=MessageKind.REPLY, body="Zażółć gęślą jaźń.").exists()


def test_a_cc_without_an_account_reopening_by_e_mail_is_named_on_the_timeline(ticket, cast, login_with_otp):
    from tickets.services import ticket_close

    ticket_close(ticket=ticket, actor=cast["customer"])
    inbound_receive(raw=reply(ticket, "szef@kowalski.example", "Problem wrócił po restarcie."))
    ticket.refresh_from_db()
    assert ticket.status == "in_progress"
    reopened = ticket.events.filter(action="status", new_value="in_progress").get()
    assert reopened.actor is None and reopened.actor_name != "—"
    page = login_with_otp(cast["customer"]).get(f"/tickets/{ticket.number}/").content.decode()
    assert f"Zgłoszenie ponownie otwarte przez {reopened.actor_name}." in page
