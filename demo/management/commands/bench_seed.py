"""Fill the database with realistic data at scale for benchmarks (issue 8): companies with contracts and
lines, a verified customer per company, tickets with messages and SLA clocks, a few very large companies.

    python manage.py bench_seed --companies 2000 --tickets 100000 --messages-per-ticket 5
    python manage.py bench_seed --tickets 100000 --messages-per-ticket 1 --open-share 1   # for sla_scan

Each ticket has its first-response clock: met on closed tickets, running on open ones (those past due were
alerted already, as the minute-by-minute scan would have done, so a scan right after finds nothing due).

Bulk inserts in batches; refuses to run on a database that already has tickets unless --force."""

import random
import time
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Role, User
from contracts.models import Company, Contract, ContractLine, SerialRegistry, ServicePlan
from core.deadlines import is_past
from sla.models import ClockKind, ClockState, Outcome, SlaClock
from tickets.models import Message, MessageKind, Status, Ticket, TicketNumberCounter

BATCH = 5000
NIP_WEIGHTS = (6, 5, 7, 2, 3, 4, 5, 6, 7)
BENCH_PASSWORD = "bench-password-123"  # noqa: S105 - benchmark users on a benchmark database
TITLES = [
    "Tunel IPsec zrywa się po aktualizacji firmware",
    "Brak obrazu na Yealink A30 po restarcie",
    "Pytanie o konfigurację SD-WAN",
    "FortiGate restartuje się co kilka godzin",
    "Zmiana reguł polityki dla nowego oddziału",
    "Licencja FortiGuard wygasła przed terminem",
]
BODY = (
    "Dzień dobry,\npo aktualizacji do 7.4.3 tunel do oddziału zrywa się co kilka godzin. W logach widać "
    "renegocjację fazy 2. Proszę o pomoc.\n\nPozdrawiam"
)


def _nip(n: int) -> str:
    while True:
        base = f"{(200000000 + n * 7919) % 1000000000:09d}"
        check = sum(w * int(d) for w, d in zip(NIP_WEIGHTS, base, strict=True)) % 11
        if check != 10:
            return base + str(check)
        n += 1_000_003


class Command(BaseCommand):
    help = "Fill the database with benchmark data (bulk inserts): companies, contracts, users, tickets, messages."

    def add_arguments(self, parser):
        parser.add_argument("--companies", type=int, default=2000)
        parser.add_argument("--tickets", type=int, default=100_000)
        parser.add_argument("--messages-per-ticket", type=int, default=5)
        parser.add_argument("--large-companies", type=int, default=3, help="companies that get 5%% of the tickets each")
        parser.add_argument("--open-share", type=float, default=0.5, help="share of tickets still open (0 to 1)")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--force", action="store_true", help="add to a database that already has tickets")

    def handle(
        self, *args, companies, tickets, messages_per_ticket, large_companies, open_share, seed, force, **options
    ):
        if Ticket.objects.exists() and not force:
            raise CommandError("The database already has tickets; bench_seed is for an empty benchmark database.")
        if companies < 1 or tickets < 0 or messages_per_ticket < 1:
            raise CommandError("Give at least one company and one message per ticket.")
        if not 0 <= open_share <= 1:
            raise CommandError("--open-share is a share between 0 and 1.")
        rng = random.Random(seed)  # noqa: S311 - benchmark data, reproducible by seed
        plans = list(ServicePlan.objects.prefetch_related("targets"))
        if not plans:
            raise CommandError("No service plans: run migrate first.")
        started = time.monotonic()
        with transaction.atomic():
            company_rows = self._companies(companies)
            lines = self._contracts(company_rows, plans, rng)
            users = self._users(company_rows)
            self._tickets(
                company_rows, lines, users, plans, tickets, messages_per_ticket, large_companies, open_share, rng
            )
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # Fresh statistics and visibility maps, as autovacuum keeps them on a live database: the planner
                # sees the new data at once and counts can be answered from indexes alone.
                # (VACUUM cannot run inside a transaction, as in a test.)
                cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")
        self.stdout.write(
            f"bench_seed: {companies} companies, {tickets} tickets, {tickets * messages_per_ticket} messages "
            f"in {time.monotonic() - started:.0f} s. Customer logins: bench-<n>@example.com / {BENCH_PASSWORD} "
            "(bench-0 … bench-2 belong to the largest companies)."
        )

    def _companies(self, count: int) -> list[Company]:
        Company.objects.bulk_create(
            [Company(nip=_nip(n), name=f"Benchmark {n} Sp. z o.o.") for n in range(count)],
            batch_size=BATCH,
            ignore_conflicts=True,
        )
        return list(Company.objects.filter(name__startswith="Benchmark ").order_by("pk"))

    def _contracts(self, companies: list[Company], plans, rng) -> dict[int, list[ContractLine]]:
        today = timezone.localdate()
        contracts = [
            Contract(
                number=f"{'QRSTUVWXYZ'[n // 1_000_000 % 10]}{n % 1_000_000:06d}",
                customer=company,
                plan=plans[n % len(plans)],
                starts_on=today - timedelta(days=365),
                ends_on=today + timedelta(days=730),
            )
            for n, company in enumerate(companies)
        ]
        Contract.objects.bulk_create(contracts, batch_size=BATCH)
        contracts = list(Contract.objects.filter(customer__in=companies).order_by("pk"))
        line_rows, registry = [], []
        for n, contract in enumerate(contracts):
            for k in range(rng.randint(1, 3)):
                serial = f"FGB{n:07d}{k}"
                line_rows.append(
                    ContractLine(
                        contract=contract, serial_raw=serial, serial=serial, service_index=1, model="FortiGate 100F"
                    )
                )
                registry.append(SerialRegistry(serial=serial, last_index=1))
        ContractLine.objects.bulk_create(line_rows, batch_size=BATCH)
        SerialRegistry.objects.bulk_create(registry, batch_size=BATCH, ignore_conflicts=True)
        by_company: dict[int, list[ContractLine]] = {}
        for line in ContractLine.objects.filter(contract__in=contracts).select_related("contract"):
            by_company.setdefault(line.contract.customer_id, []).append(line)
        return by_company

    def _users(self, companies: list[Company]) -> dict[int, User]:
        password = make_password(BENCH_PASSWORD)
        now = timezone.now()
        User.objects.bulk_create(
            [
                User(
                    email=f"bench-{n}@example.com",
                    password=password,
                    first_name="Bench",
                    last_name=str(n),
                    company=company,
                    role=Role.CUSTOMER,
                    verified_at=now,
                    nip=company.nip,
                    company_name=company.name,
                )
                for n, company in enumerate(companies)
            ],
            batch_size=BATCH,
            ignore_conflicts=True,
        )
        return {user.company_id: user for user in User.objects.filter(email__startswith="bench-")}

    def _tickets(self, companies, lines, users, plans, count, per_ticket, large, open_share, rng) -> None:
        targets = {plan.pk: plan.targets_snapshot() for plan in plans}
        now = timezone.now()
        year = timezone.localtime(now).year
        first = (TicketNumberCounter.objects.filter(year=year).values_list("last", flat=True).first() or 0) + 1
        big = companies[:large]
        weights_big = int(count * 0.05)  # each large company: 5% of all tickets (5,000 of 100,000)
        owners = [big[i % len(big)] for i in range(weights_big * len(big))] if big else []
        owners += [companies[rng.randrange(len(companies))] for _ in range(count - len(owners))]
        open_statuses = [Status.NEW, Status.IN_PROGRESS, Status.WAITING]
        priorities = ["critical", "non_critical", "question"]
        for start in range(0, count, BATCH):
            batch = []
            for i in range(start, min(start + BATCH, count)):
                company = owners[i]
                line = rng.choice(lines[company.pk])
                opened = now - timedelta(minutes=rng.randint(60, 3 * 365 * 24 * 60))
                status = rng.choice(open_statuses) if rng.random() < open_share else Status.CLOSED
                user = users[company.pk]
                due = now + timedelta(minutes=rng.randint(-600, 3000)) if status != Status.CLOSED else None
                batch.append(
                    Ticket(
                        number=f"HZ-{year}-{first + i:06d}",
                        company=company,
                        contract_id=line.contract_id,
                        line=line,
                        title=f"{rng.choice(TITLES)} #{i}",
                        priority=rng.choice(priorities),
                        status=status,
                        reporter=user,
                        reporter_name=user.get_full_name(),
                        reporter_email=user.email,
                        language="pl",
                        partner_access=False,
                        sla_targets=targets[line.contract.plan_id],
                        sla_next_due_at=due,
                        sla_breached=is_past(due, now),
                        created_at=opened,
                        last_activity_at=opened + timedelta(hours=per_ticket * 2),
                        closed_at=opened + timedelta(days=2) if status == Status.CLOSED else None,
                    )
                )
            created = Ticket.objects.bulk_create(batch, batch_size=BATCH)
            messages = [
                Message(
                    ticket=ticket,
                    kind=MessageKind.REPLY,
                    author=None if m % 2 else ticket.reporter,
                    author_name="Inżynier HEZO" if m % 2 else ticket.reporter_name,
                    by_engineer=bool(m % 2),
                    body=BODY,
                    created_at=ticket.created_at + timedelta(hours=2 * m),
                )
                for ticket in created
                for m in range(per_ticket)
            ]
            Message.objects.bulk_create(messages, batch_size=BATCH)
            SlaClock.objects.bulk_create([self._clock(ticket, now) for ticket in created], batch_size=BATCH)
            self.stdout.write(f"  tickets {min(start + BATCH, count)}/{count}")
        TicketNumberCounter.objects.update_or_create(year=year, defaults={"last": first + count - 1})

    @staticmethod
    def _clock(ticket: Ticket, now) -> SlaClock:
        target = ticket.sla_targets[ticket.priority]
        answered = ticket.created_at + timedelta(hours=1)
        clock = SlaClock(
            ticket=ticket,
            kind=ClockKind.RESPONSE,
            window=target["window"],
            target=timedelta(minutes=target["first_response_minutes"]),
            started_at=ticket.created_at,
        )
        if ticket.status == Status.CLOSED:
            clock.state, clock.outcome, clock.stopped_at, clock.due_at = (
                ClockState.STOPPED,
                Outcome.MET,
                answered,
                answered,
            )
            clock.spans = [[ticket.created_at.isoformat(), answered.isoformat()]]
        else:
            clock.running_since, clock.due_at = ticket.created_at, ticket.sla_next_due_at
            clock.spans = [[ticket.created_at.isoformat(), None]]
            # at risk once the last (100 - MYHEZO_SLA_AT_RISK_PERCENT) % of the target is left (24x7 arithmetic)
            clock.at_risk_at = clock.due_at - clock.target * (100 - settings.MYHEZO_SLA_AT_RISK_PERCENT) / 100
            if clock.is_overdue(now):  # the breach scan would have alerted it
                clock.breach_alerted_at = ticket.sla_next_due_at
            elif clock.is_at_risk(now):  # and the at-risk scan warned it
                clock.at_risk_alerted_at = clock.at_risk_at
        return clock
