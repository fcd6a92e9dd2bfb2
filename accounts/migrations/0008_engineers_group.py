"""The default "Engineers" group (SPEC §7): the model permissions an engineer needs for the back office.

The ticket desk, the replacements, the allowance uses and the authentication log are open to every engineer
(staff) already, without model permissions (their admin classes say so). Everything else SPEC §7 names needs
these. Making someone an engineer: `is_staff` and this group (README "Engineers"). Deleting is in no engineer's
hands: nothing here grants it. Changing users' permissions, groups, staff or superuser flags is for
superusers only (accounts/admin.py).

Running it again changes nothing; an existing group named "Engineers" gets these permissions added.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Engineers"
PERMISSIONS = {
    # Companies, contracts with their lines, service plans with their SLA table.
    "contracts": {
        "company": ["view", "add", "change"],
        "contract": ["view", "add", "change"],
        "contractline": ["view", "add", "change"],
        "serviceplan": ["view", "change"],
        "slatarget": ["view", "add", "change"],
    },
    # Users: see their verification state, lock (deactivate), end sessions, delete and anonymise.
    "accounts": {"user": ["view", "change"], "authevent": ["view"]},
    # The tickets' desk (open to every engineer anyway).
    "tickets": {"ticket": ["view", "change"]},
    # Replacements and allowance uses (read-only lists), the plans' allowances (editable).
    "operations": {"replacement": ["view"], "allowanceuse": ["view"], "planallowance": ["view", "add", "change"]},
    # The e-mail outbox and the contact form's messages; the import runs.
    "core": {"outboxemail": ["view"], "contactmessage": ["view"]},
    "migration": {"importrun": ["view"]},
}


def engineers_group_create(apps, schema_editor):
    # On a fresh database the permissions do not exist yet (Django creates them after all migrations).
    for app_label in PERMISSIONS:
        app_config = apps.get_app_config(app_label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name=GROUP)
    for app_label, models in PERMISSIONS.items():
        for model, actions in models.items():
            codenames = [f"{action}_{model}" for action in actions]
            found = list(Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames))
            if len(found) != len(codenames):
                raise RuntimeError(f"Missing permissions for {app_label}.{model}: {codenames}")
            group.permissions.add(*found)


def engineers_group_delete(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_auth_event_otp_throttled"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("contracts", "0004_serviceplan_hezo_pays_return_shipping"),
        ("core", "0001_initial"),
        ("tickets", "0010_drop_page_fingerprint"),
        ("operations", "0002_seed_plan_allowances"),
        ("migration", "0001_initial"),
    ]

    operations = [migrations.RunPython(engineers_group_create, engineers_group_delete)]
