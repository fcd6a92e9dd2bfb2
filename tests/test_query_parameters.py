"""No query parameter can cause a 500: a NUL or an undecodable value is a 400 on every page (issue: a NUL in
`/tickets/?contract=%00` reached PostgreSQL, which refuses NUL in text).

The pages are not listed here: they are walked from the URLconf, each pattern given sample values (a real
ticket's number where the converter is named `number`), so a page added later is covered without anybody
remembering to add it. The guard is core.middleware.QueryStringMiddleware.
"""

import uuid

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver, resolve
from django.urls.converters import IntConverter, UUIDConverter
from django.urls.exceptions import Resolver404
from django.utils.regex_helper import normalize

from core.middleware import query_string_readable
from tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db

BAD_QUERIES = ["x=%00", "q=%00", "contract=%00", "x=%ff", "%00=1", "page=%c3%28"]


def sample_values(name: str, converter, ticket_number: str) -> list[str]:
    """What to try for one argument of a pattern: int → 1, str/slug/path → "x", a ticket number for `number`.
    Regex groups have no converter: "x", then "1"."""
    if name == "number":
        return [ticket_number]
    if isinstance(converter, IntConverter):
        return ["1"]
    if isinstance(converter, UUIDConverter):
        return [str(uuid.UUID(int=1))]
    if converter is None:
        return ["x", "1"]
    return ["x"]


def pattern_pieces(pattern, ticket_number: str) -> list[str]:
    """The concrete strings one pattern (route or regex) can stand for with sample values, as Django's own
    reverse() builds them (normalize() of the pattern's regex)."""
    converters = getattr(pattern, "converters", {})
    pieces = []
    for template, params in normalize(pattern.regex.pattern):
        choices = [{}]
        for param in params:
            values = sample_values(param, converters.get(param), ticket_number)
            choices = [{**choice, param: value} for choice in choices for value in values]
        pieces += [template % choice for choice in choices]
    return pieces


def portal_paths(ticket_number: str) -> list[str]:
    """A concrete path for every pattern of the URLconf that sample values can reach; a pattern none of whose
    candidates resolves (the admin's app index, which only takes an installed app's label) is skipped."""
    found = set()

    def walk(resolver, prefix: str) -> None:
        for entry in resolver.url_patterns:
            for piece in pattern_pieces(entry.pattern, ticket_number):
                if isinstance(entry, URLResolver):
                    walk(entry, prefix + piece)
                    continue
                path = "/" + prefix + piece
                try:
                    resolve(path)
                except Resolver404:
                    continue
                found.add(path)
                break

    walk(get_resolver(), "")
    return sorted(found)


@pytest.fixture
def ticket(cast, contract):
    return make_ticket(author=cast["customer"], contract=contract)


@pytest.fixture
def clients(cast, login_with_otp):
    """One client per user: anonymous, and the customer who passed password and second factor."""
    return {"anonymous": Client(), "customer": login_with_otp(cast["customer"], with_client=Client())}


def test_the_walk_reaches_the_portal_s_pages(ticket):
    paths = portal_paths(ticket.number)
    for path in [
        "/",
        "/dashboard/",
        "/accounts/login/",
        "/contracts/",
        "/tickets/",
        f"/tickets/{ticket.number}/",
        f"/tickets/{ticket.number}/attachments/1/",
        "/admin/",
    ]:
        assert path in paths
    assert len(paths) > 50  # the admin's model pages included


@pytest.mark.parametrize("query", BAD_QUERIES)
def test_a_nul_or_undecodable_query_parameter_is_a_400_on_every_page(query, ticket, clients):
    paths = portal_paths(ticket.number)
    statuses = {
        (who, path): client.get(f"{path}?{query}").status_code for who, client in clients.items() for path in paths
    }
    assert {key: status for key, status in statuses.items() if status != 400} == {}


def test_a_nul_in_the_path_is_a_400_on_every_page(ticket, clients):
    """`/tickets/%00/` reached PostgreSQL as a ticket number (500): a NUL anywhere in a path is a 400."""
    paths = [*portal_paths(ticket.number), f"/tickets/{ticket.number}%00/", "/admin/tickets/ticket/%00/change/"]
    statuses = {
        (who, path): client.get(path.rstrip("/") + "%00/" if "%00" not in path else path).status_code
        for who, client in clients.items()
        for path in paths
    }
    assert {key: status for key, status in statuses.items() if status != 400} == {}


@pytest.mark.parametrize("who", ["anonymous", "customer"])
def test_the_400_page_is_the_portal_s_own(who, clients):
    response = clients[who].get("/tickets/?contract=%00", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "400.html" in [template.name for template in response.templates]
    assert "Content-Security-Policy" in response


def test_a_nul_in_the_contract_filter_is_a_400_on_the_real_database(ticket, clients):
    """The reported case, on whichever database the suite runs (PostgreSQL in CI): never a 500."""
    assert clients["customer"].get("/tickets/?contract=%00").status_code == 400
    assert clients["customer"].get("/tickets/?q=VPN&contract=A100001%00").status_code == 400


@pytest.mark.parametrize(
    "query",
    [
        "q=%C5%81%C3%B3d%C5%BA",  # "Łódź"
        "q=%C5%81%C3%B3d%C5%BA&status=open",
        "status=open",
        "status=",
        "priority=non_critical",
        "contract=A100001",
        "contract=a100001",
        "contract=Z999999",
        "page=2",
        "page=x",
        "q=VPN+nie&status=open&priority=non_critical&contract=A100001&page=1",
        "q",
    ],
)
def test_good_queries_still_list_the_tickets(query, ticket, clients):
    response = clients["customer"].get(f"/tickets/?{query}")
    assert response.status_code == 200


def test_the_filters_still_filter(ticket, clients):
    customer = clients["customer"]
    assert ticket.number in customer.get("/tickets/?q=VPN&contract=A100001&status=open").content.decode()
    assert ticket.number not in customer.get("/tickets/?q=%C5%81%C3%B3d%C5%BA").content.decode()
    assert ticket.number not in customer.get("/tickets/?contract=Z999999").content.decode()


def test_raw_bytes_beyond_ascii_are_read_as_utf_8(ticket, clients):
    """A client that does not percent-encode: WSGI hands the raw bytes over as latin-1 characters."""
    customer = clients["customer"]
    assert customer.get("/tickets/", QUERY_STRING="q=Łódź".encode().decode("latin-1")).status_code == 200
    assert customer.get("/tickets/", QUERY_STRING="q=\xff").status_code == 400
    assert customer.get("/tickets/", QUERY_STRING="q=\xc3(").status_code == 400


@pytest.mark.parametrize(
    ("query", "readable"),
    [
        (b"", True),
        (b"q=%C5%81%C3%B3d%C5%BA&page=2", True),
        ("q=Łódź".encode(), True),
        (b"q=a+b&status=&flag", True),
        (b"q=%00", False),
        (b"%00", False),
        (b"%00=1", False),
        (b"a=1;b=%00", False),
        (b"q=%ff", False),
        (b"page=%c3%28", False),
        (b"q=%ed%a0%80", False),  # an encoded surrogate is not UTF-8
        (b"q=\xff", False),
        (b"q=%", True),  # a lone percent sign is kept as it is, as Django does
    ],
)
def test_query_string_readable(query, readable):
    assert query_string_readable(query) is readable
