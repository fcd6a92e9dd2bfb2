#!/usr/bin/env python3
"""The engineers' queue (issue 17): server time and query plan of the ticket changelist ordered by the next SLA
due time, on the database DATABASE_URL points at (filled by `manage.py bench_seed`).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/myhezo_perf .venv/bin/python bench/desk_queue.py
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
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench.sessions import otp_client  # noqa: E402
from sla.models import SlaClock  # noqa: E402
from tickets.models import Ticket  # noqa: E402

PAGES = [
    ("queue (default order)", "/admin/tickets/ticket/"),
    ("queue, open tickets", "/admin/tickets/ticket/?open=yes"),
    ("quick filter: at risk", "/admin/tickets/ticket/?queue=at_risk"),
    ("quick filter: unassigned", "/admin/tickets/ticket/?queue=unassigned"),
]


def main() -> None:
    engineer = otp_client("bench-engineer@example.com", staff=True)
    print(f"{Ticket.objects.count()} tickets, {SlaClock.objects.filter(state='running').count()} running clocks")
    print(f"{'page':<28} {'queries':>7} {'median ms':>10} {'p95 ms':>8}")
    for name, url in PAGES:
        engineer.get(url)
        timings, counts = [], set()
        for _ in range(10):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                assert engineer.get(url).status_code == 200, url
                timings.append((time.perf_counter() - started) * 1000)
            counts.add(len(queries))
        print(f"{name:<28} {max(counts):>7} {statistics.median(timings):>10.1f} {sorted(timings)[8]:>8.1f}")
    with CaptureQueriesContext(connection) as queries:
        engineer.get(PAGES[0][1])
    rows = max(queries.captured_queries, key=lambda query: len(query["sql"]))["sql"]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + rows)
        print("\n".join(row[0] for row in cursor.fetchall()))


if __name__ == "__main__":
    main()
