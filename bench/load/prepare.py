#!/usr/bin/env python3
"""Data for the load test (bench/load/run.py), in the database of DATABASE_URL.

    python bench/load/prepare.py setup --users 50 --out sessions.json
    python bench/load/prepare.py verify --created created.jsonl

`setup` makes one company with an active HEZO 360 contract and an open ticket per 10 users, and the users:
verified customers, each logged in with a session that passed the second factor, as a browser would hold
after password and TOTP. It writes, per user, the session cookie, a device line to open tickets on and the
company's ticket number, for the locustfile to read. `verify` checks that every ticket number the load test
recorded as created exists, once, with its first message; exit status 1 otherwise.
"""

import argparse
import json
import os
import sys
import uuid
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
USERS_PER_COMPANY = 10


def _django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "myhezo.settings")
    import django

    django.setup()


def setup(users: int, out: Path) -> None:
    from django.conf import settings
    from django.test import Client
    from django.utils import timezone
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import Role, User
    from contracts.services import LineData, contract_upsert
    from contracts.tests.factories import valid_nip
    from tickets.services import ticket_create

    run = uuid.uuid4().hex[:6]
    today = timezone.localdate()
    sessions = []
    companies: dict[int, tuple] = {}
    for index in range(users):
        number = index // USERS_PER_COMPANY
        if number not in companies:
            nip = valid_nip(int(run, 16) % 100_000 * 1000 + number)
            contract, _outcome = contract_upsert(
                number=f"L{int(run, 16) % 1000:03d}{number:03d}",
                customer_nip=nip,
                customer_name=f"Load test {run} company {number}",
                reseller_nip=None,
                reseller_name=None,
                plan_name="HEZO 360",
                starts_on=today - timedelta(days=30),
                ends_on=date(today.year + 2, 12, 31),
                lines=[LineData(serial=f"FGLOAD{run}{number:03d}{n}".upper(), model="FortiGate 60F") for n in "AB"],
            )
            companies[number] = (contract, None)
        contract, ticket = companies[number]
        user = User.objects.create_user(
            f"load-{run}-{index}@load.example",
            password=None,  # never logs in with a password: the session is made here
            first_name="Load",
            last_name=f"User {index}",
            language="en",
            company=contract.customer,
            role=Role.CUSTOMER,
            verified_at=timezone.now(),
        )
        device = TOTPDevice.objects.create(user=user, name="default", confirmed=True)
        line = contract.lines.order_by("pk").first()
        if ticket is None:
            ticket = ticket_create(
                line=line, author=user, priority="question", title="Load test ticket", description="For reading."
            )
            companies[number] = (contract, ticket)
        client = Client()
        client.force_login(user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        sessions.append(
            {
                "email": user.email,
                "cookie_name": settings.SESSION_COOKIE_NAME,
                "session": session.session_key,
                "line": line.pk,
                "ticket": ticket.number,
            }
        )
    out.write_text(json.dumps(sessions, indent=1))
    print(f"prepared {users} users in {len(companies)} companies: {out}")


def verify(created: Path) -> int:
    from tickets.models import Ticket

    numbers = [json.loads(line)["number"] for line in created.read_text().splitlines() if line.strip()]
    found = dict(Ticket.objects.filter(number__in=numbers).values_list("number", "title"))
    missing = sorted(set(numbers) - set(found))
    duplicates = len(numbers) - len(set(numbers))
    without_message = list(
        Ticket.objects.filter(number__in=numbers, messages__isnull=True).values_list("number", flat=True)
    )
    print(f"created by the load test: {len(numbers)}; in the database: {len(found)}; missing: {missing[:10]}")
    if missing or duplicates or without_message:
        print(f"FAILED: {len(missing)} missing, {duplicates} numbers twice, {len(without_message)} without message")
        return 1
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    setup_parser = commands.add_parser("setup")
    setup_parser.add_argument("--users", type=int, default=50)
    setup_parser.add_argument("--out", type=Path, required=True)
    verify_parser = commands.add_parser("verify")
    verify_parser.add_argument("--created", type=Path, required=True)
    args = parser.parse_args()
    _django()
    if args.command == "setup":
        setup(args.users, args.out)
        return 0
    return verify(args.created)


if __name__ == "__main__":
    sys.exit(main())
