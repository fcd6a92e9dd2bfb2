from django.core.management.base import BaseCommand

from sla.services import sla_scan


class Command(BaseCommand):
    help = "E-mail every SLA clock that is past due and not yet alerted (for cron; beat runs it every minute)."

    def handle(self, *args, **options):
        alerted = sla_scan()
        self.stdout.write(f"SLA breach e-mails queued: {alerted}")
