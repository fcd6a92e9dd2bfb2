"""The engineers' ticket page (SPEC §7, issue 17 items 3 and 4): the clocks and the facts first, a reply to the
customer and an internal note in two composers that post to two views, the company's other open tickets and the
contract's lines beside, and canned replies inserted in the customer's language."""

import re
from html import unescape

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.test import Client

from accounts.tests.factories import UserFactory
from tickets import services
from tickets.models import CannedReply, MessageKind
from tickets.selectors import canned_reply_text

from .factories import make_ticket, upload

pytestmark = pytest.mark.django_db

GREETING_PL = "Dzień dobry {customer}, w sprawie zgłoszenia {ticket} ({contract}, {device}): proszę o logi."
GREETING_EN = "Hello {customer}, about ticket {ticket} ({contract}, {device}): please send the logs."


@pytest.fixture
def desk(cast, login_with_otp):
    return login_with_otp(cast["engineer"])


@pytest.fixture
def ticket(cast, contract):
    return make_ticket(author=cast["customer"], contract=contract, cc_emails=["szef@kowalski.example"])


@pytest.fixture
def canned(db):
    return services.canned_reply_upsert(title="Prośba o logi", text_pl=GREETING_PL, text_en=GREETING_EN)


def url(ticket, action=""):
    return f"/admin/tickets/ticket/{ticket.pk}/{action + '/' if action else 'change/'}"


def textarea(page: str, element_id: str) -> str:
    """The text in the textarea `element_id` as the browser shows it."""
    match = re.search(rf'<textarea[^>]*id="{element_id}"[^>]*>(.*?)</textarea>', page, re.S)
    assert match, element_id
    return unescape(match.group(1)).strip()


# --- canned replies -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("pl", "Dzień dobry Anna Nowak, w sprawie zgłoszenia {number} (A100001, (H)-FG100FTK20001234): proszę o logi."),
        ("en", "Hello Anna Nowak, about ticket {number} (A100001, (H)-FG100FTK20001234): please send the logs."),
    ],
)
def test_a_canned_reply_is_filled_in_the_customers_language(cast, ticket, canned, language, expected):
    cast["customer"].language = language
    cast["customer"].save()
    ticket.refresh_from_db()
    assert canned_reply_text(canned=canned, ticket=ticket) == expected.format(number=ticket.number)


def test_a_canned_reply_with_an_unknown_placeholder_is_refused_with_the_known_ones_named(db):
    with pytest.raises(ValidationError) as refused:
        services.canned_reply_upsert(title="Zła", text_pl="Dzień dobry {klient}", text_en="Hello {customer} {serial}")
    errors = refused.value.message_dict
    assert errors["text_pl"] == [
        "Nieznane pole do wstawienia {klient}: można używać tylko {ticket}, {customer}, {contract}, {device}."
    ]
    assert errors["text_en"] == [
        "Nieznane pole do wstawienia {serial}: można używać tylko {ticket}, {customer}, {contract}, {device}."
    ]
    assert not CannedReply.objects.exists()
    # Braces that are no placeholder (a config snippet) are text.
    services.canned_reply_upsert(title="Konfiguracja", text_pl="config { set x }", text_en="config { set x }")


def test_the_engineer_inserts_a_canned_reply_into_the_reply_composer_and_it_stays_editable(desk, cast, ticket, canned):
    services.canned_reply_upsert(title="Wyłączona", text_pl="stara", text_en="old", active=False)
    page = desk.get(url(ticket)).content.decode()
    assert "Prośba o logi" in page and "Wyłączona" not in page  # only active ones are offered

    cast["customer"].language = "en"
    cast["customer"].save()
    response = desk.get(url(ticket) + f"?canned={canned.pk}")
    assert response.status_code == 200
    page = response.content.decode()
    filled = f"Hello Anna Nowak, about ticket {ticket.number} (A100001, (H)-FG100FTK20001234): please send the logs."
    assert textarea(page, "reply_body") == filled  # in the reply composer, in English
    assert textarea(page, "note_body") == ""  # never in the internal note

    # Edited before sending, it goes out as the engineer left it.
    desk.post(url(ticket, "reply"), {"body": filled + " Thank you."})
    assert ticket.messages.filter(kind=MessageKind.REPLY).latest("pk").body.endswith("please send the logs. Thank you.")


def test_a_canned_reply_switched_off_meanwhile_is_explained_not_inserted(desk, ticket, canned):
    canned.active = False
    canned.save()
    for canned_id in (canned.pk, "x1", "99999"):
        page = desk.get(url(ticket) + f"?canned={canned_id}", follow=True).content.decode()
        assert textarea(page, "reply_body") == ""
        assert "Ta gotowa odpowiedź nie jest już dostępna." in page


def test_the_engineers_group_keeps_canned_replies_and_an_unknown_placeholder_is_refused_in_admin(cast, login_with_otp):
    without_group = login_with_otp(cast["engineer"])
    assert without_group.get("/admin/tickets/cannedreply/").status_code == 403
    member = UserFactory(email="grupa@myhezo.example", is_staff=True)
    member.groups.add(Group.objects.get(name="Engineers"))
    client = login_with_otp(member, with_client=Client())
    page = client.get("/admin/tickets/cannedreply/add/").content.decode()
    assert "{customer}" in page  # the placeholders are documented on the form
    data = {"title": "Restart", "text_pl": "Proszę {zrestartować}", "text_en": "Please restart", "ordering": "1"}
    response = client.post("/admin/tickets/cannedreply/add/", {**data, "active": "on"})
    assert "Nieznane pole do wstawienia {zrestartować}" in response.content.decode()
    data["text_pl"] = "Proszę zrestartować {device}"
    assert client.post("/admin/tickets/cannedreply/add/", {**data, "active": "on"}).status_code == 302
    assert CannedReply.objects.get().text_pl == "Proszę zrestartować {device}"


# --- two composers ----------------------------------------------------------------------------------------


def test_the_two_composers_post_a_reply_the_customer_sees_and_a_note_they_never_see(
    desk, cast, ticket, outbox, login_with_otp
):
    page = desk.get(url(ticket)).content.decode()
    assert "Wyślij odpowiedź do klienta" in page and "Dodaj notatkę wewnętrzną" in page
    assert 'name="internal"' not in page  # no checkbox decides what a message is

    outbox.mark()
    response = desk.post(
        url(ticket, "reply"), {"body": "Proszę o logi z FortiGate.", "attachments": [upload("log.txt", b"ok\n")]}
    )
    assert response.status_code == 302
    assert outbox.recipients() == ["anna@kowalski.example", "szef@kowalski.example"]
    outbox.mark()
    # The note view makes a note whatever the form says.
    desk.post(url(ticket, "note"), {"body": "Wewnętrznie: klient VIP, sprawdzić RMA", "internal": ""})
    assert outbox.all() == []
    assert list(ticket.messages.values_list("kind", "body"))[:2] == [
        (MessageKind.NOTE, "Wewnętrznie: klient VIP, sprawdzić RMA"),
        (MessageKind.REPLY, "Proszę o logi z FortiGate."),
    ]

    customer = login_with_otp(cast["customer"], with_client=Client())
    portal = customer.get(ticket.get_portal_url()).content.decode()
    assert "Proszę o logi z FortiGate." in portal
    assert "klient VIP" not in portal


@pytest.mark.parametrize("composer", ["reply", "note"])
def test_a_refused_message_keeps_its_text_in_its_own_composer_with_the_error(desk, ticket, composer):
    body = "Tekst, którego nie wolno zgubić"
    response = desk.post(url(ticket, composer), {"body": body, "attachments": [upload("program.exe", b"MZ")]})
    assert response.status_code == 400
    page = response.content.decode()
    other = "note" if composer == "reply" else "reply"
    assert textarea(page, f"{composer}_body") == body
    assert textarea(page, f"{other}_body") == ""
    assert 'class="errorlist"' in page
    assert not ticket.messages.filter(body=body).exists()


# --- the layout and its cost ------------------------------------------------------------------------------


def test_the_page_shows_clocks_and_facts_first_and_the_companys_other_tickets_and_lines_beside(
    desk, cast, contract, other_contract, ticket
):
    other = make_ticket(author=cast["colleague"], contract=contract, title="Yealink nie rejestruje się")
    closed = make_ticket(author=cast["customer"], contract=contract, title="Stary problem")
    services.ticket_close(ticket=closed, actor=cast["customer"])
    foreign = make_ticket(author=cast["other"], contract=other_contract, title="Cudze zgłoszenie")
    page = desk.get(url(ticket)).content.decode()

    # The SLA clocks and the facts come before the composers and the dialog.
    facts, clocks, reply = (page.index(text) for text in ('data-testid="ticket-facts"', "Zegary SLA", "composer-reply"))
    assert facts < reply and clocks < reply
    for text in ("Kowalski Systemy", "PL5260250274", "A100001", "HEZO 360", "(H)-FG100FTK20001234"):
        assert text in page[facts:reply]

    side = page[page.index('data-testid="other-tickets"') :]
    assert f'href="{other.get_desk_url()}"' in side and "Yealink nie rejestruje się" in side
    assert closed.number not in side and foreign.number not in side
    lines = page[page.index('data-testid="contract-lines"') :]
    assert "(H)-FG100FTK20001234" in lines and "(H)-FG60FTK20005678" in lines


def test_the_page_costs_the_same_queries_with_more_messages_tickets_and_lines(
    desk, cast, company, contract, ticket, canned, django_assert_num_queries
):
    from contracts.tests.factories import make_contract

    with django_assert_num_queries(18):
        assert desk.get(url(ticket)).status_code == 200

    for number in range(3):
        services.ticket_engineer_reply(
            ticket=ticket, engineer=cast["engineer"], body=f"Notatka {number}", internal=True
        )
        services.ticket_engineer_reply(
            ticket=ticket, engineer=cast["engineer"], body=f"Odpowiedź {number}", attachments=[upload()]
        )
        make_ticket(author=cast["colleague"], contract=contract, title=f"Inne {number}")
    make_contract(customer=company, number="A100002", serials=("FG100FTK20001234", "FG200FTK20009999"))
    services.canned_reply_upsert(title="Druga", text_pl="Dzień dobry", text_en="Hello")
    with django_assert_num_queries(18):
        page = desk.get(url(ticket)).content.decode()
    assert "(H1)-FG100FTK20001234" in page  # the serial now has two lines: the notation says which one
    assert page.count("Inne ") >= 3 and "Druga" in page
