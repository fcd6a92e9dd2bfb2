from django.core.management.base import BaseCommand

from operations.services import replacement_overdue_flag, replacement_reminders_send


class Command(BaseCommand):
    help = (
        "E-mail the return reminders of replacements due back in 2 days and flag the overdue ones "
        "(for cron; beat runs it every hour). Running it again sends and flags nothing twice."
    )

    def handle(self, *args, **options):
        sent = replacement_reminders_send()
        flagged = replacement_overdue_flag()
        self.stdout.write(f"Return reminders queued: {sent}; replacements flagged overdue: {flagged}")
