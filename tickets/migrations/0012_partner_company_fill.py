"""Consent names its reseller (issue 14, item 3): a ticket shared before this release was shared with the
reseller its contract has now (no reseller change withdrew consents before), so that company is recorded. A
ticket shared on a contract without a reseller (which the services refuse) stays unnamed, so nobody reads it."""

from django.db import migrations
from django.db.models import OuterRef, Subquery


def fill(apps, schema_editor):
    Ticket = apps.get_model("tickets", "Ticket")
    Contract = apps.get_model("contracts", "Contract")
    reseller = Contract.objects.filter(pk=OuterRef("contract_id")).values("reseller_id")[:1]
    Ticket.objects.filter(partner_access=True, partner_company__isnull=True).update(partner_company_id=Subquery(reseller))


class Migration(migrations.Migration):
    dependencies = [("tickets", "0011_ticket_partner_company")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop, elidable=True)]
