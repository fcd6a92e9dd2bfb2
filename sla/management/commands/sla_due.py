from datetime import datetime

from django.core.management.base import BaseCommand, CommandError

from contracts.models import Priority, ServicePlan
from sla.businesstime import WARSAW
from sla.models import ClockKind
from sla.services import clock_due


class Command(BaseCommand):
    help = (
        "Print when an SLA clock started at START is due, in ISO 8601 with the Europe/Warsaw offset, "
        'with the same code the tickets use. Example: sla_due "HEZO+" non_critical 2026-12-18T16:30:00+01:00'
    )

    def add_arguments(self, parser):
        parser.add_argument("plan", help="service plan name, e.g. HEZO+ or 'HEZO 360'")
        parser.add_argument("priority", choices=Priority.values)
        parser.add_argument("start", help="ISO 8601 instant; without an offset it is read as Europe/Warsaw time")
        parser.add_argument("--clock", choices=ClockKind.values, default=ClockKind.RESPONSE)

    def handle(self, *args, plan, priority, start, clock, **options):
        service_plan = ServicePlan.objects.prefetch_related("targets").filter(name__iexact=plan.strip()).first()
        if service_plan is None:
            names = ", ".join(ServicePlan.objects.values_list("name", flat=True))
            raise CommandError(f"No service plan {plan!r}. Plans: {names}")
        try:
            instant = datetime.fromisoformat(start)
        except ValueError:
            raise CommandError(f"START is not an ISO 8601 date and time: {start!r}") from None
        if instant.tzinfo is None:
            instant = instant.replace(tzinfo=WARSAW)
        targets = service_plan.targets_snapshot()
        if priority not in targets:
            raise CommandError(f"Plan {service_plan.name} has no SLA target for priority {priority}.")
        try:
            due = clock_due(targets=targets, priority=priority, kind=clock, start=instant)
        except ValueError as error:
            raise CommandError(f"{service_plan.name}, {priority}: {error}") from None
        self.stdout.write(due.astimezone(WARSAW).isoformat())
