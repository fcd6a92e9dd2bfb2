"""The engineers' desk in admin (SPEC §7)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tickets import services
from tickets.models import EventAction, MessageKind, Status, Ticket

from .factories import make_ticket, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(cast, login_with_otp):
    return login_with_otp(cast["engineer"])


@pytest.fixture
def ticket(cast, contract):
    return make_ticket(author=cast["customer"], contract=contract, cc_emails=["szef@kowalski.example"])


def url(ticket, action=""):
    return f"/admin/tickets/ticket/{ticket.pk}/{action + '/' if action else 'change/'}"


def test_ticket_list_shows_company_plan_priority_status_and_filters(desk, cast, contract, other_contract):
    mine = make_ticket(author=cast["customer"], contract=contract, title="Brak VPN", priority="critical")
    theirs = make_ticket(author=cast["other"], contract=other_contract, title="Pytanie o licencję", priority="question")
    page = desk.get("/admin/tickets/ticket/").content.decode()
    for text in (mine.number, theirs.number, "Kowalski Systemy", "HEZO 360", "krytyczny", "nowe"):
        assert text in page
    page = desk.get("/admin/tickets/ticket/?priority__exact=question").content.decode()
    assert theirs.number in page and mine.number not in page
    page = desk.get("/admin/tickets/ticket/?q=5260250274").content.decode()  # search by NIP
    assert mine.number in page and theirs.number not in page
    page = desk.get("/admin/tickets/ticket/?q=FG100FTK20001234").content.decode()  # by serial
    assert mine.number in page


def test_list_query_count_does_not_grow_with_tickets(desk, cast, contract):
    make_ticket(author=cast["customer"], contract=contract)
    with CaptureQueriesContext(connection) as few:
        assert desk.get("/admin/tickets/ticket/").status_code == 200
    for _ in range(5):
        make_ticket(author=cast["customer"], contract=contract)
    with CaptureQueriesContext(connection) as many:
        assert desk.get("/admin/tickets/ticket/").status_code == 200
    assert len(many) == len(few)


def test_desk_page_shows_the_whole_dialog_notes_included_and_the_history(desk, cast, ticket):
    services.ticket_engineer_reply(ticket=ticket, engineer=cast["engineer"], body="Notatka: klient VIP", internal=True)
    with CaptureQueriesContext(connection) as queries:
        response = desk.get(url(ticket))
    page = response.content.decode()
    assert response.status_code == 200
    for text in (ticket.number, "Notatka: klient VIP", "Po aktualizacji firmware", "szef@kowalski.example", "Historia"):
        assert text in page
    # 13 for the ticket, its other open tickets, its contract's lines and the canned replies, 3 for its replacements
    # and the contract's allowances, 2 for its scheduled work and the plan's kinds of it; pinned with more of
    # everything in test_desk.py.
    assert len(queries) == 18


def test_engineer_posts_a_public_reply_and_an_internal_note(desk, cast, ticket, outbox):
    outbox.mark()
    response = desk.post(url(ticket, "reply"), {"body": "Proszę o logi.", "attachments": [upload("log.txt", b"ok\n")]})
    assert response.status_code == 302
    assert outbox.recipients() == ["anna@kowalski.example", "szef@kowalski.example"]
    outbox.mark()
    desk.post(url(ticket, "note"), {"body": "Wewnętrznie: sprawdzić RMA"})
    assert outbox.all() == []
    kinds = list(ticket.messages.values_list("kind", "by_engineer"))
    assert kinds[:2] == [(MessageKind.NOTE, True), (MessageKind.REPLY, True)]
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS


def test_engineer_assigns_changes_status_and_priority_and_logs_a_call(desk, cast, ticket):
    desk.post(url(ticket, "assign"), {"assign_to_me": "1"})
    desk.post(url(ticket, "status"), {"status": Status.WAITING})
    desk.post(url(ticket, "priority"), {"priority": "critical"})
    desk.post(url(ticket, "phone"), {"body": "Klient potwierdził restart."})
    ticket.refresh_from_db()
    assert ticket.assignee == cast["engineer"] and ticket.status == Status.WAITING and ticket.priority == "critical"
    assert ticket.messages.filter(kind=MessageKind.PHONE).exists()
    actions = list(ticket.events.values_list("action", flat=True))
    assert actions == [
        EventAction.CREATED,
        EventAction.ASSIGNEE,
        EventAction.STATUS,
        EventAction.PRIORITY,
        EventAction.PHONE_CONTACT,
    ]
    page = desk.get(url(ticket)).content.decode()
    assert "nowe → oczekuje na klienta" in page


def test_a_refused_status_move_is_explained_and_changes_nothing(desk, ticket):
    desk.post(url(ticket, "status"), {"status": Status.CLOSED})
    response = desk.post(url(ticket, "status"), {"status": Status.WAITING}, follow=True)
    assert "nie może przejść" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED


def test_phone_intake_opens_a_ticket_and_refuses_a_serial_of_another_contract(desk, cast, contract, other_contract):
    data = {
        "contract_number": "a100001",
        "serial": "FGT40F0000000001",
        "contact_name": "Anna Nowak",
        "contact_email": "anna@kowalski.example",
        "language": "pl",
        "priority": "critical",
        "title": "Brak dostępu do FortiGate",
        "description": "Zgłoszenie przyjęte telefonicznie.",
    }
    response = desk.post("/admin/tickets/ticket/add/", data)
    assert response.status_code == 400
    assert "Numeru seryjnego FGT40F0000000001 nie ma na umowie A100001." in response.content.decode()
    assert not Ticket.objects.exists()
    response = desk.post("/admin/tickets/ticket/add/", {**data, "serial": "(H)-FG60FTK20005678"})
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response["Location"] == url(ticket)
    assert ticket.source == "phone" and ticket.reporter == cast["customer"]


def test_engineer_downloads_an_attachment_of_an_internal_note(desk, cast, ticket):
    note = services.ticket_engineer_reply(
        ticket=ticket, engineer=cast["engineer"], body="Zrzut", internal=True, attachments=[upload("debug.log", b"x\n")]
    )
    attachment = note.attachments.get()
    response = desk.get(f"/admin/tickets/ticket/attachments/{attachment.pk}/")
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment;")


def test_the_desk_is_for_engineers_with_a_second_factor_only(client, login_with_otp, cast, ticket):
    login_with_otp(cast["customer"])
    assert client.get(url(ticket)).status_code == 302  # to the admin login
    assert client.post(url(ticket, "reply"), {"body": "x"}).status_code == 302
    assert ticket.messages.count() == 1


@pytest.mark.parametrize("pk", ["x", "1x", "٣", "99999999"])
def test_a_ticket_id_typed_by_hand_that_is_no_ticket_is_a_404(desk, pk):
    assert desk.get(f"/admin/tickets/ticket/{pk}/change/").status_code == 404


def test_flags_show_only_where_something_is_wrong(desk, cast, contract):
    """Issue 17: the breached and escalated columns drew a red ✖ on every healthy row."""
    healthy = make_ticket(author=cast["customer"], contract=contract, title="Wszystko dobrze")
    escalated = make_ticket(author=cast["customer"], contract=contract, title="Pilne")
    services.ticket_escalate(ticket=escalated, actor=cast["customer"], reason="Brak odpowiedzi")
    page = desk.get("/admin/tickets/ticket/").content.decode()
    rows = {number: row for row in page.split("<tr") for number in (healthy.number, escalated.number) if number in row}
    assert "icon-no.svg" not in page and "icon-yes.svg" not in page
    assert "icon-alert.svg" not in rows[healthy.number]
    assert 'icon-alert.svg" alt="eskalowane"' in rows[escalated.number]
