from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from inbound.sources import mail_receive


class Command(BaseCommand):
    help = "Receive replies by e-mail: the IMAP mailbox of INBOUND_EMAIL_URL, else var/inbox/*.eml (SPEC §9)."

    def handle(self, *args, **options):
        counts = mail_receive()
        total = sum(counts.values())
        self.stdout.write(_("E-mails received: %(count)d") % {"count": total})
        for outcome, count in sorted(counts.items()):
            self.stdout.write(f"  {outcome}: {count}")
