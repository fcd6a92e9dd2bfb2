"""The Engineers group (accounts/0008_engineers_group) gets `reports.view_report`: engineers open the report for
account managers. Running it again changes nothing; without the group there is nothing to do."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def engineers_view_report(apps, schema_editor):
    # On a fresh database the permission does not exist yet (Django creates them after all migrations).
    app_config = apps.get_app_config("reports")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permission = Permission.objects.get(content_type__app_label="reports", codename="view_report")
    for group in Group.objects.filter(name="Engineers"):
        group.permissions.add(permission)


def engineers_view_report_remove(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name="Engineers"):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="reports", codename="view_report"))


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_report_permission"),
        ("accounts", "0008_engineers_group"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(engineers_view_report, engineers_view_report_remove)]
