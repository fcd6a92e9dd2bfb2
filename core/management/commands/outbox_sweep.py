from django.core.management.base import BaseCommand

from core.outbox import outbox_send_pending, outbox_sweep


class Command(BaseCommand):
    help = (
        "Queue again every outbox e-mail still pending after MYHEZO_OUTBOX_RETRY_AFTER (what beat runs every "
        "minute), for deployments that run periodic work from cron. With --send the e-mails are sent by this "
        "process instead, for a deployment without a Celery worker. Running it twice sends nothing twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("--send", action="store_true", help="send here rather than queue for the worker")

    def handle(self, *args, send: bool = False, **options):
        if send:
            sent, failed = outbox_send_pending()
            self.stdout.write(f"Outbox e-mails sent: {sent}; failed this time (retried later): {failed}")
        else:
            self.stdout.write(f"Outbox e-mails queued again: {outbox_sweep()}")
