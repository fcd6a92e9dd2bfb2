"""The receiver against a real Dovecot (issue 19, "Done when"): replies delivered with IMAP APPEND land in the
ticket as their sender's message, exactly once; everything else changes nothing."""

import pytest

from inbound import services, sources
from inbound.models import InboundMessage, Outcome
from inbound.sources import mail_receive
from sla.models import ClockKind, ClockState
from tickets.mailthread import ticket_reply_address
from tickets.models import MessageKind, Status
from tickets.services import ticket_close, ticket_engineer_reply
from tickets.tests.factories import make_ticket

from .mails import CLIENT_BODIES, HTML_ONLY, PNG, reply

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(cast, contract):
    return make_ticket(author=cast["customer"], contract=contract, cc_emails=["szef@kowalski.example"])


def public(ticket):
    return list(ticket.messages.filter(kind=MessageKind.REPLY).order_by("created_at", "pk"))


def state(ticket):
    """What a reader of the ticket would notice: its messages, status and the e-mails written."""
    ticket.refresh_from_db()
    return (ticket.messages.count(), ticket.status, ticket.last_activity_at)


@pytest.mark.parametrize("client_format", [*CLIENT_BODIES, "html_only"])
def test_customer_reply_from_each_client_lands_as_their_message_without_quote_or_signature(
    mailbox, ticket, cast, client_format
):
    if client_format == "html_only":
        raw = reply(ticket, "Anna Kowalska <ANNA@kowalski.example>", html=HTML_ONLY)
    else:
        raw = reply(ticket, "Anna Kowalska <ANNA@kowalski.example>", CLIENT_BODIES[client_format])
    mailbox.append(raw)

    counts = mail_receive()

    assert counts == {Outcome.REPLY: 1}
    message = public(ticket)[-1]
    assert message.author == cast["customer"] and not message.by_engineer
    assert "Logi w załączeniu" in message.body and "tunel nadal nie wstaje" in message.body
    for quoted in ("proszę sprawdzić logi", "wrote", "Anna Kowalska\nKowalski", "<", "alert", "iPhone", "color"):
        assert quoted not in message.body
    # The original is kept for engineers only: on an internal note, never public.
    note = ticket.messages.get(kind=MessageKind.NOTE)
    assert note.attachments.get().name.endswith(".eml")
    assert mailbox.count("INBOX") == 0 and mailbox.count("processed") == 1


def test_allowed_attachment_is_kept_and_refused_one_is_named_in_the_message(mailbox, ticket):
    raw = reply(
        ticket,
        "anna@kowalski.example",
        attachments=(("zrzut.png", PNG, "image/png"), ("narzędzie.exe", b"MZ\x90\x00", "application/octet-stream")),
    )
    mailbox.append(raw)

    mail_receive()

    message = public(ticket)[-1]
    assert [a.name for a in message.attachments.all()] == ["zrzut.png"]
    assert "narzędzie.exe" in message.body


def test_cc_and_colleague_replies_land_as_theirs(mailbox, ticket, cast, outbox):
    mailbox.append(
        reply(ticket, "Szef <szef@kowalski.example>", "Potwierdzam, proszę o pilną reakcję."),
        reply(ticket, "piotr@kowalski.example", "U mnie to samo na drugim urządzeniu."),
    )

    assert mail_receive() == {Outcome.REPLY: 2}

    cc_message, colleague_message = public(ticket)[-2:]
    assert cc_message.author is None and cc_message.author_name == "Szef" and "pilną" in cc_message.body
    assert colleague_message.author == cast["colleague"]
    # Everybody else on the ticket is told, the sender is not.
    assert outbox.to("anna@kowalski.example")


def test_engineers_answer_by_mail_is_an_internal_note(mailbox, ticket, cast):
    mailbox.append(reply(ticket, "inzynier@myhezo.example", "Sprawdzę to po południu."))

    assert mail_receive() == {Outcome.NOTE: 1}

    notes = ticket.messages.filter(kind=MessageKind.NOTE, author=cast["engineer"])
    assert notes.get().body == "Sprawdzę to po południu."
    assert "Sprawdzę" not in " ".join(m.body for m in public(ticket))


def test_stranger_forged_token_auto_reply_bounce_and_loop_change_nothing(mailbox, ticket, settings, outbox):
    other_number = ticket_reply_address(ticket.number).replace(ticket.number, "HZ-2026-999999")
    forged = reply(ticket, "anna@kowalski.example", to=other_number).replace(b"References:", b"X-Old-References:")
    forged = forged.replace(b"In-Reply-To:", b"X-Old-In-Reply-To:")
    forged_references = reply(ticket, "anna@kowalski.example", to="pomoc@myhezo.pl")
    forged_references = forged_references.replace(ticket.number.encode(), b"HZ-2026-999999")
    mailbox.append(
        reply(ticket, "Obcy <obcy@example.com>", "Proszę o dostęp."),
        reply(ticket, '"anna@kowalski.example" <atak@example.com>', "Zamknijcie zgłoszenie."),
        forged,
        forged_references,
        reply(ticket, "anna@kowalski.example", "Jestem na urlopie.", headers={"Auto-Submitted": "auto-replied"}),
        reply(ticket, "anna@kowalski.example", "Out of office", headers={"X-Autoreply": "yes"}),
        reply(ticket, "anna@kowalski.example", "Lista", headers={"List-Id": "<it.kowalski.example>"}),
        reply(ticket, "MAILER-DAEMON@mx.kowalski.example", "Delivery failed"),
        reply(ticket, "anna@kowalski.example", "Null sender", headers={"Return-Path": "<>"}),
        reply(ticket, settings.DEFAULT_FROM_EMAIL, "Nasz własny e-mail wrócił."),
    )
    before = state(ticket)
    outbox.mark()

    counts = mail_receive()

    assert state(ticket) == before
    assert counts == {
        Outcome.UNAUTHORISED: 2,
        Outcome.UNMATCHED: 2,
        Outcome.AUTOMATIC: 5,
        Outcome.OWN: 1,
    }
    # One polite answer per sender and day, never to automatic mail: the stranger, the forger's real address
    # and Anna (twice refused, answered once).
    assert outbox.recipients() == ["anna@kowalski.example", "atak@example.com", "obcy@example.com"]
    answer = outbox.all()[0]
    assert answer.headers["Auto-Submitted"] == "auto-replied"
    assert "Dziękujemy" in answer.body_text and "Thank you" in answer.body_text


def test_reply_to_a_closed_ticket_reopens_it_and_starts_the_next_reply_clock(mailbox, ticket, cast):
    ticket_engineer_reply(ticket=ticket, engineer=cast["engineer"], body="Proszę zaktualizować firmware.")
    ticket_close(ticket=ticket, actor=cast["customer"])
    mailbox.append(reply(ticket, "anna@kowalski.example", "Jednak problem wrócił."))

    mail_receive()

    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    assert ticket.events.filter(new_value=Status.IN_PROGRESS).exists()
    assert ticket.clocks.filter(kind=ClockKind.REPLY, state=ClockState.RUNNING).exists()


def test_next_reply_clock_starts_on_a_mailed_reply(mailbox, ticket, cast):
    ticket_engineer_reply(ticket=ticket, engineer=cast["engineer"], body="Proszę o logi.")
    assert not ticket.clocks.filter(kind=ClockKind.REPLY, state=ClockState.RUNNING).exists()
    mailbox.append(reply(ticket, "anna@kowalski.example", "Logi w załączeniu."))

    mail_receive()

    assert ticket.clocks.filter(kind=ClockKind.REPLY, state=ClockState.RUNNING).exists()


def test_receiver_killed_mid_batch_and_run_again_adds_each_message_once(mailbox, ticket, monkeypatch):
    bodies = ["Pierwsza odpowiedź.", "Druga odpowiedź.", "Trzecia odpowiedź.", "Czwarta odpowiedź."]
    mailbox.append(*(reply(ticket, "anna@kowalski.example", body) for body in bodies))

    # Killed after the first message's commit but before it left the inbox...
    real_done = sources._imap_done
    monkeypatch.setattr(sources, "_imap_done", lambda *a: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):
        mail_receive()
    monkeypatch.setattr(sources, "_imap_done", real_done)
    # ...and, on the next run, in the middle of the second message's transaction.
    real_reply = services.ticket_reply_by_email
    calls = []

    def killed_in_the_middle(**kwargs):
        calls.append(real_reply(**kwargs))
        if len(calls) == 1:
            raise KeyboardInterrupt

    monkeypatch.setattr(services, "ticket_reply_by_email", killed_in_the_middle)
    with pytest.raises(KeyboardInterrupt):
        mail_receive()
    monkeypatch.setattr(services, "ticket_reply_by_email", real_reply)

    counts = mail_receive()
    mail_receive()  # and once more: nothing left to do

    assert counts == {Outcome.REPLY: 3}
    bodies_in_ticket = [m.body for m in public(ticket)[1:]]
    assert bodies_in_ticket == bodies
    assert InboundMessage.objects.count() == 4
    assert mailbox.count("INBOX") == 0 and mailbox.count("processed") == 4


def test_the_same_message_delivered_twice_is_added_once(mailbox, ticket):
    raw = reply(ticket, "anna@kowalski.example", "Wysłane dwa razy.", message_id="<dwa@kowalski.example>")
    mailbox.append(raw, raw)

    assert mail_receive() == {Outcome.REPLY: 1, "duplicate": 1}
    assert [m.body for m in public(ticket)].count("Wysłane dwa razy.") == 1


def test_an_e_mail_over_the_size_limit_is_refused_without_downloading_it(mailbox, ticket, settings, outbox):
    settings.MYHEZO_INBOUND_MAX_MB = 1
    mailbox.append(reply(ticket, "anna@kowalski.example", "X" * 1_500_000))
    before = state(ticket)
    outbox.mark()

    assert mail_receive() == {Outcome.TOO_LARGE: 1}

    assert state(ticket) == before
    record = InboundMessage.objects.get()
    assert record.size > 1024 * 1024 and record.sender == "anna@kowalski.example"
    assert outbox.recipients() == ["anna@kowalski.example"]  # told once, politely
    assert mailbox.count("processed") == 1
