"""HEZO 360 scheduled work (SPEC §6): a remote configuration change within 7 calendar days of the request, an
on-site installation within 14. Data, not code: engineers edit it in admin."""

from django.db import migrations

LIMITS = {
    "HEZO 360": [
        ("remote_change", 7),
        ("onsite_install", 14),
    ],
}


def seed(apps, schema_editor):
    ServicePlan = apps.get_model("contracts", "ServicePlan")
    PlanScheduledWork = apps.get_model("operations", "PlanScheduledWork")
    for name, rows in LIMITS.items():
        plan = ServicePlan.objects.filter(name=name).first()
        if plan is None:  # renamed or removed by hand: nothing to attach the limits to
            continue
        for kind, days in rows:
            PlanScheduledWork.objects.get_or_create(plan=plan, kind=kind, defaults={"days": days})


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0003_seed_service_plans"),
        ("operations", "0004_scheduled_work"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
