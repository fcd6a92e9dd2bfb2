#!/usr/bin/env python3
"""SQL queries and server time per page, as a user of the largest company, on the database DATABASE_URL
points at (filled by `manage.py bench_seed`). Run it on 1k and on 100k tickets: the counts must not change.
Every view draws its page anew from the database (no page is remembered). "Drawn" is a view with nothing
remembered at all (the fragments cleared: its data changed or the process just started), "again" the same page
viewed again unchanged: drawn anew too, with the same queries, only the HTML of its unchanged list rows and
dialog messages taken from the fragments (core/fragments.py); its median and p95 are the server time of such
views.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/myhezo_perf .venv/bin/python bench/page_queries.py
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "myhezo.settings")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,127.0.0.1")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench.sessions import bench_ticket, otp_client  # noqa: E402
from core.fragments import fragments_clear  # noqa: E402
from tickets.models import Message, Ticket  # noqa: E402


def drawn_queries(client: Client, url: str) -> int:
    fragments_clear()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200, url
    return len(queries)


def measure(client: Client, url: str, runs: int = 20) -> tuple[int, float, float]:
    client.get(url)  # warm caches and the connection
    timings, counts = [], set()
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        counts.add(len(queries))
    return max(counts), statistics.median(timings), sorted(timings)[int(len(timings) * 0.95) - 1]


def main() -> None:
    customer = otp_client("bench-0@example.com")
    engineer = otp_client("bench-engineer@example.com", staff=True)
    ticket = bench_ticket(messages=50)
    big = Ticket.objects.filter(company_id=ticket.company_id).count()
    pages = [
        ("dashboard", customer, "/dashboard/"),
        ("contracts", customer, "/contracts/"),
        ("tickets list", customer, "/tickets/"),
        ("tickets search", customer, "/tickets/?q=firmware&status=open"),
        (f"ticket ({ticket.messages.count()} messages)", customer, f"/tickets/{ticket.number}/"),
        ("new ticket", customer, "/tickets/new/"),
        ("account settings", customer, "/accounts/settings/"),
        ("admin ticket list", engineer, "/admin/tickets/ticket/?open=yes"),
    ]
    print(f"{Ticket.objects.count()} tickets, {Message.objects.count()} messages; the user's company has {big}")
    print(f"{'page':<28} {'queries drawn':>13} {'again':>6} {'median ms again':>16} {'p95 ms again':>13}")
    for name, client, url in pages:
        drawn = drawn_queries(client, url)
        count, median, p95 = measure(client, url)
        print(f"{name:<28} {drawn:>13} {count:>6} {median:>16.1f} {p95:>13.1f}")


if __name__ == "__main__":
    main()
