"""Issue 8, "keep it fast": every page a customer, a partner or an engineer opens runs a fixed number of SQL
queries, at most 10, whatever the amount of data behind it. Each page is measured with a little data, then
again after more tickets, messages, attachments, CCs, contracts and partner reads were added: the counts must
be equal and are pinned (a change that adds a query shows up here and must say why).

`bench/page_queries.py` reads the same counts on 1k and 100k tickets (docs/BENCHMARKS.md)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.tests.factories import UserFactory
from conftest import verify
from contracts.tests.factories import make_contract
from operations.services import scheduled_work_agree
from tickets import services
from tickets.models import Ticket
from tickets.tests.factories import make_ticket, upload

pytestmark = pytest.mark.django_db

MAX_QUERIES = 10

# page → (queries, what they are). The session is read from the cache, so it is not among them.
CUSTOMER_PAGES = {
    "/dashboard/": (4, "user and device, open tickets per status, the first open tickets, active contracts with lines"),
    "/contracts/": (5, "user and device, contracts, lines, plan allowances, allowance uses"),
    "/tickets/": (5, "user and device, contract filter options, count, rows, serial line counts"),
    "/tickets/?q=vpn&status=open": (5, "the same, searched and filtered"),
    "/tickets/?contract=A100001&priority=critical": (5, "the same, filtered"),
    "/tickets/{number}/": (
        9,
        "user and device, ticket, messages with files, timeline, clocks, replacements, scheduled work, CCs, reads",
    ),
    "/tickets/new/": (2, "user and device, contract lines with serial counts"),
    "/tickets/new/?contract=A100001": (3, "the same, and whether the chosen contract is the user's"),
    "/accounts/settings/": (2, "user and device, the user's live sessions"),
    "/contact/": (1, "user and device"),
}
PARTNER_PAGES = {
    "/dashboard/": (2, "user and device, the partner's company"),
    "/tickets/": (5, "user and device, contract filter options, count, rows, serial line counts"),
    "/tickets/{number}/": (
        8,
        "user and device, ticket, the read log written, messages with files, timeline, clocks, replacements, "
        "scheduled work",
    ),
}
ENGINEER_PAGES = {
    "/admin/tickets/ticket/": (7, "user and device, plan and assignee filters, capped count, permissions (2), rows"),
    "/admin/tickets/ticket/?open=yes": (7, "the same, open tickets"),
    "/admin/tickets/ticket/?sla=breached&o=8": (7, "the same, by SLA due"),
}


def _queries(client: Client, url: str) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured), [query["sql"] for query in captured]


def _grow(cast, contract, ticket: Ticket, rounds: int) -> None:
    """More of everything a page could read once per row."""
    company = cast["customer"].company
    for i in range(rounds):
        extra = make_contract(
            customer=company, reseller=contract.reseller, number=f"F{i:06d}", serials=(f"FGT{i:06d}", f"FGX{i:06d}")
        )
        make_ticket(author=cast["customer"], contract=extra, partner_access=True, cc_emails=[f"cc{i}@example.com"])
        make_ticket(author=cast["colleague"], contract=contract, priority="critical", attachments=[upload()])
        services.ticket_engineer_reply(
            ticket=ticket, engineer=cast["engineer"], body=f"Odp. {i}", attachments=[upload()]
        )
        services.ticket_reply(ticket=ticket, author=cast["customer"], body=f"Dzięki {i}", attachments=[upload()])
        services.ticket_cc_add(ticket=ticket, actor=cast["customer"], email=f"kopia{i}@example.com")
        reader = verify(UserFactory(email=f"partner{i}@arkanet.example"), cast["partner"].company, "partner")
        services.partner_read_record(ticket_id=ticket.pk, user=reader)
        scheduled_work_agree(
            ticket=ticket,
            engineer=cast["engineer"],
            kind="remote_change",
            agreed_for=timezone.now() + timedelta(days=3),
        )


def _measure(pages: dict, client: Client, number: str) -> dict[str, tuple[int, list[str]]]:
    return {url: _queries(client, url.format(number=number)) for url in pages}


@pytest.mark.parametrize(
    ("who", "pages"), [("customer", CUSTOMER_PAGES), ("partner", PARTNER_PAGES), ("engineer", ENGINEER_PAGES)]
)
def test_every_page_runs_a_fixed_number_of_queries_whatever_the_data(cast, contract, login_with_otp, who, pages):
    ticket = make_ticket(
        author=cast["customer"], contract=contract, priority="critical", partner_access=True, attachments=[upload()]
    )
    client = login_with_otp(cast[who])
    small = _measure(pages, client, ticket.number)
    _grow(cast, contract, ticket, rounds=4)
    large = _measure(pages, client, ticket.number)
    for url, (expected, what) in pages.items():
        count, sql = large[url]
        assert count == small[url][0], f"{url}: {small[url][0]} queries with little data, {count} with more"
        assert count == expected, f"{url}: {count} queries, expected {expected} ({what}):\n" + "\n".join(sql)
        assert count <= MAX_QUERIES
