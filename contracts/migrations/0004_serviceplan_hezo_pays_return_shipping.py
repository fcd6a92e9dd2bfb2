"""Who pays the return shipping of a faulty unit (SPEC §6): HEZO for HEZO+, the customer for HEZO 360."""

from django.db import migrations, models

HEZO_PAYS = ("HEZO+",)


def seed_return_shipping(apps, schema_editor):
    ServicePlan = apps.get_model("contracts", "ServicePlan")
    ServicePlan.objects.filter(name__in=HEZO_PAYS).update(hezo_pays_return_shipping=True)


class Migration(migrations.Migration):
    dependencies = [("contracts", "0003_seed_service_plans")]

    operations = [
        migrations.AddField(
            model_name="serviceplan",
            name="hezo_pays_return_shipping",
            field=models.BooleanField(
                default=False,
                help_text="A faulty unit goes back on HEZO's prepaid waybill; otherwise the customer pays the shipping.",
                verbose_name="HEZO pays the return shipping",
            ),
        ),
        migrations.RunPython(seed_return_shipping, migrations.RunPython.noop),
    ]
