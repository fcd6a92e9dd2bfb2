#!/usr/bin/env python3
"""Times `sla_scan` on the database DATABASE_URL points at (see bench/README.md): a first scan alerts whatever
fell due since the data was seeded, then the median of ten scans that find nothing due.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/myhezo_scan .venv/bin/python bench/sla_scan.py
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "myhezo.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from sla.models import SlaClock  # noqa: E402
from sla.services import ScanResult, sla_scan  # noqa: E402
from tickets.models import Status, Ticket  # noqa: E402


def main() -> None:
    open_tickets = Ticket.objects.exclude(status=Status.CLOSED).count()
    unalerted = SlaClock.objects.filter(breach_alerted_at__isnull=True).count()
    first = sla_scan()
    timings = []
    for _ in range(10):
        started = time.perf_counter()
        assert sla_scan() == ScanResult()
        timings.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        sla_scan()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN ANALYZE " + queries[0]["sql"])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    print(f"{open_tickets} open tickets, {unalerted} clocks not alerted; the first scan alerted {first}")
    print(f"scan with nothing due: median {statistics.median(timings):.1f} ms, max {max(timings):.1f} ms")
    print(plan)


if __name__ == "__main__":
    main()
