"""Clocks already running when at-risk warnings arrived get their at-risk instant, computed as
`sla.services.clock_at_risk_at` does (repeated here on the historical model, which has no methods), so that the
scan warns about them too rather than only when they are missed."""

from datetime import timedelta

from django.conf import settings
from django.db import migrations


def forwards(apps, schema_editor):
    from sla import businesstime

    SlaClock = apps.get_model("sla", "SlaClock")
    share = settings.MYHEZO_SLA_AT_RISK_PERCENT / 100
    for clock in SlaClock.objects.filter(state="running", at_risk_at__isnull=True, running_since__isnull=False):
        if clock.target is not None and clock.agreed_due_at is None:
            remaining = max(clock.target * share - clock.counted_before, timedelta(0))
            at_risk_at = businesstime.add(clock.running_since, remaining, clock.window)
        else:
            due = clock.agreed_due_at or clock.due_at
            if due is None:
                continue
            allowed = businesstime.counted(clock.started_at, due, clock.window) * share
            at_risk_at = max(businesstime.add(clock.started_at, allowed, clock.window), clock.running_since)
        clock.at_risk_at = at_risk_at
        clock.save(update_fields=["at_risk_at"])


class Migration(migrations.Migration):
    dependencies = [("sla", "0004_at_risk_warnings")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
