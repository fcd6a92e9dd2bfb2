from django.core.management.base import BaseCommand
from django.utils.translation import gettext, ngettext

from sla.services import sla_scan


class Command(BaseCommand):
    help = (
        "E-mail every SLA clock that is past due and not yet alerted, and warn once each clock at risk "
        "(for cron; beat runs it every minute)."
    )

    def handle(self, *args, **options):
        result = sla_scan()
        breach = ngettext("%(count)d breach e-mail", "%(count)d breach e-mails", result.breach_emails) % {
            "count": result.breach_emails
        }
        at_risk = ngettext("%(count)d at-risk e-mail", "%(count)d at-risk e-mails", result.at_risk_emails) % {
            "count": result.at_risk_emails
        }
        # E.g. "2 breach e-mails, 3 at-risk e-mails queued" (e-mails, not clocks: a breach goes to two addresses).
        self.stdout.write(gettext("%(breach)s, %(at_risk)s queued") % {"breach": breach, "at_risk": at_risk})
