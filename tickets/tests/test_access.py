"""Who sees what: every ticket URL against every kind of user (SPEC §4).

The ticket T belongs to company A and was opened by its customer, with a file on its first message and a
CC address; an engineer wrote an internal note on it with a file of its own. Whoever may not read T gets a
404 (never a 403, so nobody learns that the number exists) and nothing about T changes; partners only read;
anybody whose login is not complete is sent to finish it first.
"""

from typing import NamedTuple

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Role
from accounts.tests.factories import UserFactory
from conftest import verify
from contracts.tests.factories import CompanyFactory
from tickets import services
from tickets.models import Status

from .factories import make_ticket, upload

pytestmark = pytest.mark.django_db

OK = "ok"  # GET: 200; POST: 302 back to the ticket page, and the ticket really changed
E404 = "404"
LOGIN = "login"  # 302 to /accounts/login/?next=...
SETUP = "setup"  # 302 to the two-factor setup, then back
VERIFY = "verify"  # 302 to /accounts/verify/

URL_NAMES = ("detail", "download", "reply", "cc_add", "cc_remove", "close", "reopen", "partner_access", "escalate")

# fmt: off
TABLE = [
    # kind                  detail  download reply   cc_add  cc_rem  close   reopen  partner escalate
    ("anonymous",           LOGIN,  LOGIN,   LOGIN,  LOGIN,  LOGIN,  LOGIN,  LOGIN,  LOGIN,  LOGIN),
    ("unverified",          VERIFY, VERIFY,  VERIFY, VERIFY, VERIFY, VERIFY, VERIFY, VERIFY, VERIFY),
    ("no_second_factor",    LOGIN,  LOGIN,   LOGIN,  LOGIN,  LOGIN,  LOGIN,  LOGIN,  LOGIN,  LOGIN),
    ("no_device",           SETUP,  SETUP,   SETUP,  SETUP,  SETUP,  SETUP,  SETUP,  SETUP,  SETUP),
    ("colleague",           OK,     OK,      OK,     OK,     OK,     OK,     OK,     OK,     OK),
    ("other_customer",      E404,   E404,    E404,   E404,   E404,   E404,   E404,   E404,   E404),
    ("partner_consent",     OK,     OK,      E404,   E404,   E404,   E404,   E404,   E404,   E404),
    ("partner_no_consent",  E404,   E404,    E404,   E404,   E404,   E404,   E404,   E404,   E404),
    ("foreign_partner",     E404,   E404,    E404,   E404,   E404,   E404,   E404,   E404,   E404),
    ("engineer",            VERIFY, VERIFY,  VERIFY, VERIFY, VERIFY, VERIFY, VERIFY, VERIFY, VERIFY),
]
# fmt: on

CELLS = [(row[0], url, expected) for row in TABLE for url, expected in zip(URL_NAMES, row[1:], strict=True)]

TITLE = "VPN nie zestawia się po aktualizacji"
FILE = b"config system global\n    set hostname FW1\nend\n"
CC = "szef@kowalski.example"
NOTE = "Hasło do panelu w załączniku, nie pokazywać klientowi."
NOTE_FILE = "hasla-admina.txt"


# --- The state of T, before and after a request ------------------------------------------------------


class State(NamedTuple):
    status: str
    partner_access: bool
    escalated_at: object
    messages: int
    ccs: list[str]


def state(ticket) -> State:
    ticket.refresh_from_db()
    ccs = sorted(ticket.ccs.values_list("email", flat=True))
    return State(ticket.status, ticket.partner_access, ticket.escalated_at, ticket.messages.count(), ccs)


# --- The URLs: how to call each, and what a successful POST changes ----------------------------------


class Url(NamedTuple):
    method: str
    path: str  # after /tickets/<number>/
    data: object = None  # ticket -> POST data
    changed: object = None  # (before, after) -> bool
    closed_first: bool = False  # the ticket is closed before the request


URLS = {
    "detail": Url("GET", ""),
    "download": Url("GET", "attachments/{attachment}/"),
    "reply": Url(
        "POST",
        "reply/",
        lambda ticket: {"body": "Jeszcze jedno: log w załączniku.", "attachments": [upload("log.txt")]},
        lambda before, after: after.messages == before.messages + 1,
    ),
    "cc_add": Url(
        "POST",
        "cc/",
        lambda ticket: {"email": "it@kowalski.example"},
        lambda before, after: after.ccs == sorted([*before.ccs, "it@kowalski.example"]),
    ),
    "cc_remove": Url(
        "POST",
        "cc/remove/",
        lambda ticket: {"email": CC},
        lambda before, after: CC in before.ccs and CC not in after.ccs,
    ),
    "close": Url(
        "POST",
        "close/",
        lambda ticket: {},
        lambda before, after: before.status != Status.CLOSED and after.status == Status.CLOSED,
    ),
    "reopen": Url(
        "POST",
        "reopen/",
        lambda ticket: {},
        lambda before, after: before.status == Status.CLOSED and after.status == Status.IN_PROGRESS,
        closed_first=True,
    ),
    "partner_access": Url(
        "POST",
        "partner-access/",
        lambda ticket: {"partner_access": "0" if ticket.partner_access else "1"},
        lambda before, after: after.partner_access != before.partner_access,
    ),
    "escalate": Url(
        "POST",
        "escalate/",
        lambda ticket: {"reason": "Produkcja stoi od rana."},
        lambda before, after: before.escalated_at is None and after.escalated_at is not None,
    ),
}
POST_URLS = [name for name, url in URLS.items() if url.method == "POST"]


def path_of(url: str, world: dict, number: str | None = None) -> str:
    number = number or world["ticket"].number
    return f"/tickets/{number}/" + URLS[url].path.format(attachment=world["attachment"].pk)


def request(client: Client, url: str, path: str, ticket):
    if URLS[url].method == "GET":
        return client.get(path)
    return client.post(path, URLS[url].data(ticket))


def content(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


# --- The world and the users: one helper per kind returns its client --------------------------------


@pytest.fixture
def world(cast, contract):
    ticket = make_ticket(
        author=cast["customer"], contract=contract, title=TITLE, attachments=[upload()], cc_emails=[CC]
    )
    note = services.ticket_engineer_reply(
        ticket=ticket, engineer=cast["engineer"], body=NOTE, internal=True, attachments=[upload(NOTE_FILE)]
    )
    return {
        **cast,
        "ticket": ticket,
        "attachment": ticket.messages.get(kind="reply").attachments.get(),
        "note_attachment": note.attachments.get(),
    }


def anonymous(world, login):
    return Client()


def unverified(world, login):
    """Registered and logged in with both factors, but the company has not been verified yet."""
    company = world["customer"].company
    user = UserFactory(email="nowy@kowalski.example", nip=company.nip, company_name=company.name)
    return login(user, with_client=Client())


def no_second_factor(world, login):
    """The reporter herself, with a TOTP device, after the password but before the code."""
    TOTPDevice.objects.create(user=world["customer"], name="default", confirmed=True)
    client = Client()
    client.force_login(world["customer"])
    return client


def no_device(world, login):
    """The reporter, logged in with the password only, who has not set a second factor up."""
    client = Client()
    client.force_login(world["customer"])
    return client


def colleague(world, login):
    return login(world["colleague"], with_client=Client())


def other_customer(world, login):
    return login(world["other"], with_client=Client())


def partner_consent(world, login):
    services.ticket_partner_access_set(ticket=world["ticket"], actor=world["customer"], allowed=True)
    return login(world["partner"], with_client=Client())


def partner_no_consent(world, login):
    return login(world["partner"], with_client=Client())


def foreign_partner(world, login):
    """A partner of another reseller; the customer consented, but for the reseller of the contract."""
    services.ticket_partner_access_set(ticket=world["ticket"], actor=world["customer"], allowed=True)
    company = CompanyFactory(name="Inny Integrator Sp. z o.o.")
    user = verify(UserFactory(email="jan@inny.example", nip=company.nip, company_name=company.name), company)
    user.role = Role.PARTNER
    user.save()
    return login(user, with_client=Client())


def engineer(world, login):
    return login(world["engineer"], with_client=Client())


KINDS = {
    kind.__name__: kind
    for kind in (
        anonymous,
        unverified,
        no_second_factor,
        no_device,
        colleague,
        other_customer,
        partner_consent,
        partner_no_consent,
        foreign_partner,
        engineer,
    )
}


# --- The table ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "url", "expected"), CELLS, ids=[f"{kind}-{url}" for kind, url, _ in CELLS])
def test_who_sees_what(world, login_with_otp, kind, url, expected):
    ticket = world["ticket"]
    if URLS[url].closed_first:
        services.ticket_close(ticket=ticket, actor=world["customer"])
    client = KINDS[kind](world, login_with_otp)
    before = state(ticket)
    path = path_of(url, world)

    response = request(client, url, path, ticket)
    body = content(response)

    if expected == OK and URLS[url].method == "GET":
        assert response.status_code == 200
        if url == "download":
            assert body == FILE
        else:
            page = body.decode()
            assert TITLE in page and "fortigate.conf" in page
            assert NOTE not in page and NOTE_FILE not in page
        assert state(ticket) == before
    elif expected == OK:
        assert response.status_code == 302 and response["Location"] == f"/tickets/{ticket.number}/"
        assert URLS[url].changed(before, state(ticket)), state(ticket)
    else:
        status, location = {
            E404: (404, None),
            LOGIN: (302, f"/accounts/login/?next={path}"),
            SETUP: (302, f"/accounts/two-factor/setup/?next={path}"),
            VERIFY: (302, "/accounts/verify/"),
        }[expected]
        assert response.status_code == status
        assert response.get("Location") == location
        assert TITLE.encode() not in body and FILE not in body
        assert state(ticket) == before


@pytest.mark.parametrize("url", POST_URLS)
@pytest.mark.parametrize("kind", ["colleague", "other_customer", "partner_consent", "partner_no_consent"])
def test_get_on_a_post_only_url_is_405(world, login_with_otp, kind, url):
    ticket = world["ticket"]
    if URLS[url].closed_first:
        services.ticket_close(ticket=ticket, actor=world["customer"])
    client = KINDS[kind](world, login_with_otp)
    before = state(ticket)
    response = client.get(path_of(url, world))
    assert response.status_code == 405
    assert TITLE.encode() not in response.content
    assert state(ticket) == before


# --- Extra cells -------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["colleague", "partner_consent"])
def test_the_file_of_an_internal_note_is_404(world, login_with_otp, kind):
    client = KINDS[kind](world, login_with_otp)
    note_file = f"/tickets/{world['ticket'].number}/attachments/{world['note_attachment'].pk}/"
    assert client.get(path_of("download", world)).status_code == 200  # the public file of the same ticket
    response = client.get(note_file)
    assert response.status_code == 404
    assert FILE not in content(response)


def test_the_reporter_does_not_get_the_file_of_an_internal_note_either(world, login_with_otp):
    client = login_with_otp(world["customer"], with_client=Client())
    response = client.get(f"/tickets/{world['ticket'].number}/attachments/{world['note_attachment'].pk}/")
    assert response.status_code == 404


def test_a_file_of_another_ticket_of_the_same_company_is_404_under_this_number(world, login_with_otp, contract):
    other = make_ticket(author=world["colleague"], contract=contract, title="Inny", attachments=[upload("inny.txt")])
    other_file = other.messages.get().attachments.get()
    client = colleague(world, login_with_otp)
    assert client.get(f"/tickets/{other.number}/attachments/{other_file.pk}/").status_code == 200  # both readable
    assert client.get(f"/tickets/{world['ticket'].number}/attachments/{other_file.pk}/").status_code == 404


def test_a_file_of_another_company_is_404_under_this_number(world, login_with_otp, other_contract):
    foreign = make_ticket(author=world["other"], contract=other_contract, title="Cudzy", attachments=[upload()])
    foreign_file = foreign.messages.get().attachments.get()
    client = colleague(world, login_with_otp)
    response = client.get(f"/tickets/{world['ticket'].number}/attachments/{foreign_file.pk}/")
    assert response.status_code == 404
    assert FILE not in content(response)


def test_a_file_that_does_not_exist_is_404(world, login_with_otp):
    client = colleague(world, login_with_otp)
    assert client.get(f"/tickets/{world['ticket'].number}/attachments/999999999/").status_code == 404


@pytest.mark.parametrize("number", ["HZ-2099-999999", "hz-0000-000000", "nie-ma-takiego"])
@pytest.mark.parametrize("url", URL_NAMES)
def test_a_ticket_number_that_does_not_exist_is_404(world, login_with_otp, url, number):
    client = colleague(world, login_with_otp)
    before = state(world["ticket"])
    response = request(client, url, path_of(url, world, number=number), world["ticket"])
    assert response.status_code == 404
    assert state(world["ticket"]) == before


def test_the_number_is_found_whatever_its_case(world, login_with_otp):
    client = colleague(world, login_with_otp)
    assert client.get(f"/tickets/{world['ticket'].number.lower()}/").status_code == 200


def test_withdrawn_consent_hides_the_ticket_from_the_partner_at_once(world, login_with_otp):
    partner = partner_consent(world, login_with_otp)
    detail, download = path_of("detail", world), path_of("download", world)
    assert partner.get(detail).status_code == 200
    assert partner.get(download).status_code == 200
    assert world["ticket"].number in partner.get("/tickets/").content.decode()

    customer = login_with_otp(world["customer"], with_client=Client())
    response = customer.post(path_of("partner_access", world), {"partner_access": "0"})
    assert response.status_code == 302
    assert state(world["ticket"]).partner_access is False

    for path in (detail, download):
        response = partner.get(path)
        assert response.status_code == 404
        assert TITLE.encode() not in content(response) and FILE not in content(response)
    assert world["ticket"].number not in partner.get("/tickets/").content.decode()


@pytest.mark.parametrize(
    ("kind", "listed"),
    [
        ("colleague", True),
        ("partner_consent", True),
        ("other_customer", False),
        ("partner_no_consent", False),
        ("foreign_partner", False),
    ],
)
def test_the_ticket_list_shows_the_ticket_to_those_who_may_read_it(world, login_with_otp, kind, listed):
    client = KINDS[kind](world, login_with_otp)
    response = client.get("/tickets/")
    assert response.status_code == 200
    page = response.content.decode()
    assert (world["ticket"].number in page) is listed
    assert (TITLE in page) is listed
