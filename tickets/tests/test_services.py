import re
import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import connection
from django.urls import NoReverseMatch

from conftest import skip_or_fail
from core.models import OutboxEmail
from tickets import services
from tickets.mailthread import ticket_reply_address
from tickets.models import EventAction, Message, MessageKind, Status, Ticket, TicketEvent

from .factories import PNG, make_ticket, upload

pytestmark = pytest.mark.django_db

WARSAW = ZoneInfo("Europe/Warsaw")


def stored_files(root):
    return sorted(p.name for p in root.rglob("*") if p.is_file())


def test_opening_numbers_the_ticket_stores_the_dialog_and_mails_reporter_ccs_and_engineers(
    cast, contract, settings, outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket(
            author=cast["customer"],
            contract=contract,
            cc_emails=["Szef@Kowalski.example", "szef@kowalski.example", "anna@kowalski.example"],
            attachments=[upload(), upload("ekran.png", PNG)],
            partner_access=True,
        )
    assert re.fullmatch(r"HZ-\d{4}-\d{6}", ticket.number)
    assert ticket.status == Status.NEW and ticket.partner_access and ticket.company == contract.customer
    # The reporter's own address and duplicates are dropped from the CCs.
    assert list(ticket.ccs.values_list("email", flat=True)) == ["szef@kowalski.example"]
    [first] = ticket.messages.all()
    assert first.author == cast["customer"] and first.kind == MessageKind.REPLY
    assert sorted(a.name for a in first.attachments.all()) == ["ekran.png", "fortigate.conf"]
    assert ticket.events.get().action == EventAction.CREATED

    assert len(outbox.to("anna@kowalski.example")) == 1
    [cc_mail] = outbox.to("szef@kowalski.example")
    assert ticket.number in cc_mail.subject and "Po aktualizacji firmware" in cc_mail.body_text
    [engineers] = outbox.to(settings.MYHEZO_ENGINEERS_EMAIL)
    # Engineers answer to the ticket's address (an internal note), never straight to the customer.
    assert engineers.reply_to == [ticket_reply_address(ticket.number)]
    assert "Kowalski Systemy" in engineers.subject
    assert OutboxEmail.objects.filter(status="sent").count() == 3


def test_numbers_run_per_year_in_warsaw_time(cast, contract):
    with time_machine.travel(datetime(2026, 12, 31, 23, 30, tzinfo=WARSAW)):
        first = make_ticket(author=cast["customer"], contract=contract)
        second = make_ticket(author=cast["customer"], contract=contract)
    with time_machine.travel(datetime(2027, 1, 1, 0, 30, tzinfo=WARSAW)):
        new_year = make_ticket(author=cast["customer"], contract=contract)
    assert (first.number, second.number, new_year.number) == ("HZ-2026-000001", "HZ-2026-000002", "HZ-2027-000001")


@pytest.mark.django_db(transaction=True)
def test_concurrent_openings_never_share_a_number(cast, contract):
    if connection.vendor != "postgresql":
        skip_or_fail("concurrency needs PostgreSQL's row locks (DATABASE_URL, as CI sets it)")
    numbers, errors = [], []

    def open_one():
        try:
            numbers.append(make_ticket(author=cast["customer"], contract=contract).number)
        except Exception as exc:  # pragma: no cover - shown when the test fails
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=open_one) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(numbers) == len(set(numbers)) == 8


def test_customer_cannot_open_a_ticket_on_another_companys_or_an_expired_contract(
    cast, contract, other_contract, expired_contract
):
    with pytest.raises(ValidationError):
        make_ticket(author=cast["customer"], contract=other_contract)
    with pytest.raises(ValidationError, match="C300003"):
        make_ticket(author=cast["customer"], contract=expired_contract)
    with pytest.raises(ValidationError):
        make_ticket(author=cast["partner"], contract=contract)
    assert Ticket.objects.count() == 0


def test_a_bad_cc_or_attachment_changes_nothing_and_leaves_no_file(cast, contract, settings):
    with pytest.raises(ValidationError, match="nie-adres"):
        make_ticket(author=cast["customer"], contract=contract, cc_emails=["nie-adres"], attachments=[upload()])
    with pytest.raises(ValidationError, match=r"skrypt\.html"):
        make_ticket(author=cast["customer"], contract=contract, attachments=[upload(), upload("skrypt.html", b"<p>")])
    assert Ticket.objects.count() == Message.objects.count() == OutboxEmail.objects.count() == 0
    assert stored_files(settings.MEDIA_ROOT) == []


def test_a_failure_after_files_were_stored_removes_them(cast, contract, settings, tmp_path):
    # The engineers' e-mail, written last, fails: its template (overridden from a directory searched first) is
    # broken, as a bad deployment could leave it.
    broken = tmp_path / "templates" / "tickets" / "emails" / "ticket_created_engineers_subject.txt"
    broken.parent.mkdir(parents=True)
    broken.write_text('{% url "no-such-page" %}')
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path / "templates", *settings.TEMPLATES[0]["DIRS"]]}]
    with pytest.raises(NoReverseMatch):
        make_ticket(author=cast["customer"], contract=contract, attachments=[upload(), upload("ekran.png", PNG)])
    assert Ticket.objects.count() == Message.objects.count() == OutboxEmail.objects.count() == 0
    assert stored_files(settings.MEDIA_ROOT) == []


def test_engineer_reply_reaches_reporter_and_ccs_but_a_note_reaches_nobody(cast, contract, outbox):
    ticket = make_ticket(author=cast["customer"], contract=contract, cc_emails=["szef@kowalski.example"])
    outbox.mark()
    services.ticket_engineer_reply(ticket=ticket, engineer=cast["engineer"], body="Tajna notatka", internal=True)
    assert outbox.all() == []
    services.ticket_engineer_reply(ticket=ticket, engineer=cast["engineer"], body="Proszę o logi.")
    assert outbox.recipients() == ["anna@kowalski.example", "szef@kowalski.example"]
    assert all("Tajna" not in m.body_text and "Tajna" not in m.body_html for m in outbox.all())
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS  # the first public answer takes a new ticket up


def test_customer_reply_goes_to_engineers_and_the_other_recipients_and_resumes_a_waiting_ticket(
    cast, contract, settings, outbox
):
    ticket = make_ticket(author=cast["customer"], contract=contract, cc_emails=["szef@kowalski.example"])
    services.ticket_status_change(ticket=ticket, actor=cast["engineer"], to=Status.WAITING)
    outbox.mark()
    services.ticket_reply(ticket=ticket, author=cast["colleague"], body="Logi w załączniku.", attachments=[upload()])
    assert outbox.recipients() == sorted(
        ["anna@kowalski.example", "szef@kowalski.example", settings.MYHEZO_ENGINEERS_EMAIL]
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    moves = list(ticket.events.filter(action=EventAction.STATUS).values_list("old_value", "new_value"))
    assert moves == [("new", "waiting"), ("waiting", "in_progress")]


def test_status_moves_follow_the_table_and_each_writes_history(cast, contract):
    ticket = make_ticket(author=cast["customer"], contract=contract)
    services.ticket_close(ticket=ticket, actor=cast["customer"])
    with pytest.raises(ValidationError):
        services.ticket_status_change(ticket=ticket, actor=cast["engineer"], to=Status.WAITING)
    with pytest.raises(ValidationError, match="zamknięte"):
        services.ticket_reply(ticket=ticket, author=cast["customer"], body="Jeszcze jedno")
    services.ticket_reopen(ticket=ticket, actor=cast["colleague"])
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS and ticket.closed_at is None
    history = list(
        ticket.events.filter(action=EventAction.STATUS).values_list("actor__email", "old_value", "new_value")
    )
    assert history == [
        ("anna@kowalski.example", "new", "closed"),
        ("piotr@kowalski.example", "closed", "in_progress"),
    ]
    with pytest.raises(ValidationError):
        services.ticket_status_change(ticket=ticket, actor=cast["customer"], to=Status.CLOSED)  # engineers only


def test_reopen_tells_the_engineers_and_close_tells_the_other_recipients(cast, contract, settings, outbox):
    ticket = make_ticket(author=cast["customer"], contract=contract, cc_emails=["szef@kowalski.example"])
    outbox.mark()
    services.ticket_close(ticket=ticket, actor=cast["customer"])
    assert outbox.recipients() == ["szef@kowalski.example"]
    outbox.mark()
    services.ticket_reopen(ticket=ticket, actor=cast["customer"])
    assert outbox.recipients() == sorted(["szef@kowalski.example", settings.MYHEZO_ENGINEERS_EMAIL])


def test_cc_add_and_remove(cast, contract):
    ticket = make_ticket(author=cast["customer"], contract=contract)
    services.ticket_cc_add(ticket=ticket, actor=cast["colleague"], email=" Szef@Kowalski.example ")
    with pytest.raises(ValidationError):
        services.ticket_cc_add(ticket=ticket, actor=cast["customer"], email="szef@kowalski.example")
    with pytest.raises(ValidationError):
        services.ticket_cc_add(ticket=ticket, actor=cast["customer"], email="x@example.com\r\nBcc: y@example.com")
    with pytest.raises(ValidationError):
        services.ticket_cc_add(ticket=ticket, actor=cast["other"], email="intruz@example.com")
    services.ticket_cc_remove(ticket=ticket, actor=cast["customer"], email="szef@kowalski.example")
    assert not ticket.ccs.exists()
    actions = list(ticket.events.values_list("action", "old_value", "new_value"))
    assert actions[1:] == [
        (EventAction.CC_ADDED, "", "szef@kowalski.example"),
        (EventAction.CC_REMOVED, "szef@kowalski.example", ""),
    ]


def test_partner_access_and_escalation(cast, contract, settings, outbox):
    ticket = make_ticket(author=cast["customer"], contract=contract)
    services.ticket_partner_access_set(ticket=ticket, actor=cast["customer"], allowed=True)
    with pytest.raises(ValidationError):
        services.ticket_partner_access_set(ticket=ticket, actor=cast["partner"], allowed=False)
    outbox.mark()
    services.ticket_escalate(ticket=ticket, actor=cast["customer"], reason="Brak odpowiedzi od 3 godzin")
    [escalation] = outbox.all()
    assert escalation.to == [settings.MYHEZO_ESCALATION_EMAIL]
    assert "Brak odpowiedzi od 3 godzin" in escalation.body_text
    ticket.refresh_from_db()
    assert ticket.escalated_at is not None and ticket.partner_access
    with pytest.raises(ValidationError):
        services.ticket_escalate(ticket=ticket, actor=cast["customer"], reason="   ")


def test_phone_intake_refuses_a_serial_that_is_not_on_the_chosen_contract(cast, contract, other_contract):
    with pytest.raises(ValidationError, match="FGT40F0000000001"):
        services.ticket_create_by_phone(
            contract=contract,
            serial="FGT40F0000000001",
            engineer=cast["engineer"],
            contact_name="Anna Nowak",
            contact_email="anna@kowalski.example",
            priority="critical",
            title="Brak dostępu",
            description="Zgłoszenie telefoniczne",
        )
    ticket = services.ticket_create_by_phone(
        contract=contract,
        serial="(h)-fg60ftk20005678",
        engineer=cast["engineer"],
        contact_name="Anna Nowak",
        contact_email="ANNA@kowalski.example",
        priority="critical",
        title="Brak dostępu",
        description="Zgłoszenie telefoniczne",
    )
    assert ticket.line.serial == "FG60FTK20005678"
    assert ticket.reporter == cast["customer"] and ticket.source == "phone"
    assert TicketEvent.objects.get(ticket=ticket).actor == cast["engineer"]
    with pytest.raises(ValidationError):
        services.ticket_create_by_phone(
            contract=contract,
            serial="FG60FTK20005678",
            engineer=cast["customer"],
            contact_name="x",
            contact_email="x@example.com",
            priority="critical",
            title="x",
            description="x",
        )


def test_attachment_files_are_stored_under_random_names(cast, contract):
    ticket = make_ticket(author=cast["customer"], contract=contract, attachments=[upload("../../etc/passwd.txt")])
    attachment = ticket.messages.get().attachments.get()
    assert attachment.name == "passwd.txt"
    assert "passwd" not in attachment.file.name and ".." not in attachment.file.name
    assert default_storage.exists(attachment.file.name)


def test_each_recipient_gets_the_email_in_their_language(cast, contract, outbox):
    cast["colleague"].language = "en"
    cast["colleague"].save()
    ticket = make_ticket(
        author=cast["customer"], contract=contract, cc_emails=[cast["colleague"].email, "x@example.com"]
    )
    outbox.mark()
    services.ticket_engineer_reply(ticket=ticket, engineer=cast["engineer"], body="Odpowiedź")
    by_address = {email.to[0]: email for email in outbox.all()}
    assert by_address["piotr@kowalski.example"].subject.endswith("New message: VPN nie zestawia się po aktualizacji")
    assert "Nowa wiadomość" in by_address["anna@kowalski.example"].subject
    assert "Nowa wiadomość" in by_address["x@example.com"].subject  # no account: the ticket's language
