"""The HEZO 360 allowances per contract year (SPEC §1, §6). Data, not code: engineers edit them in admin."""

from django.db import migrations

ALLOWANCES = {
    "HEZO 360": [
        ("config_change", 5),
        ("config_review", 2),
        ("firmware_upgrade", 2),
    ],
}


def seed(apps, schema_editor):
    ServicePlan = apps.get_model("contracts", "ServicePlan")
    PlanAllowance = apps.get_model("operations", "PlanAllowance")
    for name, rows in ALLOWANCES.items():
        plan = ServicePlan.objects.filter(name=name).first()
        if plan is None:  # renamed or removed by hand: nothing to attach the allowances to
            continue
        for kind, per_year in rows:
            PlanAllowance.objects.get_or_create(plan=plan, kind=kind, defaults={"per_year": per_year})


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0003_seed_service_plans"),
        ("operations", "0001_initial"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
