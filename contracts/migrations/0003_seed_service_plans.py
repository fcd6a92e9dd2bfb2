"""The plans sold today and their SLA targets (SPEC §5). Data, not code: engineers edit them in admin."""

from django.db import migrations

H = 60  # minutes in an hour

PLANS = {
    "HEZO+": {
        "description": "Yealink video bars: extended warranty, next-business-day replacement, unlimited support.",
        "targets": [
            ("critical", "24x7", 1 * H, 1 * H, "nbd", None),
            ("non_critical", "8x5", 1 * H, 2 * H, "nbd", None),
            ("question", "8x5", 4 * H, 4 * H, "none", None),
        ],
    },
    "HEZO 360": {
        "description": "Fortinet FortiGate: remote help, configuration changes and reviews, firmware upgrades, AHR 8h.",
        "targets": [
            ("critical", "24x7", 1 * H, 1 * H, "hours", 8),
            ("non_critical", "8x5", 1 * H, 2 * H, "hours", 8),
            ("question", "8x5", 2 * H, 4 * H, "none", None),
        ],
    },
}


def seed(apps, schema_editor):
    ServicePlan = apps.get_model("contracts", "ServicePlan")
    SlaTarget = apps.get_model("contracts", "SlaTarget")
    for name, data in PLANS.items():
        plan, _created = ServicePlan.objects.get_or_create(name=name, defaults={"description": data["description"]})
        for priority, window, first, reply, delivery, hours in data["targets"]:
            SlaTarget.objects.get_or_create(
                plan=plan,
                priority=priority,
                defaults={
                    "window": window,
                    "first_response_minutes": first,
                    "next_reply_minutes": reply,
                    "replacement_delivery": delivery,
                    "replacement_hours": hours,
                },
            )


class Migration(migrations.Migration):
    dependencies = [("contracts", "0002_plans_contracts_lines")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
