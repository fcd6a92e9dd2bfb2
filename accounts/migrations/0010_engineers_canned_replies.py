"""The "Engineers" group keeps the canned replies (SPEC §7): view, add and change (switching one off is the
`active` box; deleting stays in no engineer's hands, as in 0008_engineers_group)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Engineers"
CODENAMES = ["view_cannedreply", "add_cannedreply", "change_cannedreply"]


def engineers_canned_replies_grant(apps, schema_editor):
    app_config = apps.get_app_config("tickets")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name=GROUP)
    found = list(Permission.objects.filter(content_type__app_label="tickets", codename__in=CODENAMES))
    if len(found) != len(CODENAMES):
        raise RuntimeError(f"Missing permissions for tickets.cannedreply: {CODENAMES}")
    group.permissions.add(*found)


def engineers_canned_replies_revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=GROUP).first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="tickets", codename__in=CODENAMES)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0009_user_sessions"),
        ("tickets", "0014_canned_reply"),
    ]

    operations = [migrations.RunPython(engineers_canned_replies_grant, engineers_canned_replies_revoke)]
