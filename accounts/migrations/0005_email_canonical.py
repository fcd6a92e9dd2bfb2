"""One identity per address (issue 14): the canonical form of every user's address, unique.

Existing accounts whose addresses share a canonical form ("twins", e.g. `r2@drugi.example` and
`r2@drugı.example` registered before look-alike letters were refused) are reported on the migration's output;
nothing is deleted. The oldest account of each group keeps the canonical form and logs in as before; the others
keep a null canonical form, so they cannot log in until an engineer changes their address in admin."""

from django.db import migrations, models

# The one definition of the canonical form; a migration that imports it computes the same form as the code.
from core.text import email_canonical


def canonical_fill(apps, schema_editor, *, report=print):
    User = apps.get_model("accounts", "User")
    owners: dict[str, int] = {}
    twins: dict[str, list[tuple[int, str]]] = {}
    for pk, email in User.objects.order_by("date_joined", "pk").values_list("pk", "email"):
        canonical = email_canonical(email)
        if canonical in owners:
            twins.setdefault(canonical, []).append((pk, email))
            continue
        owners[canonical] = pk
        User.objects.filter(pk=pk).update(email_canonical=canonical)
    for canonical, others in twins.items():
        kept = User.objects.get(pk=owners[canonical])
        report(
            f"accounts: {len(others) + 1} accounts share the address {canonical}: user {kept.pk} ({kept.email}) "
            f"keeps it; " + ", ".join(f"user {pk} ({email})" for pk, email in others) + " cannot log in until "
            "an engineer changes the address. Nothing was deleted."
        )
    return twins


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_auth_event_account_deleted")]

    operations = [
        migrations.AddField(
            model_name="user",
            name="email_canonical",
            field=models.CharField(
                blank=True, editable=False, max_length=320, null=True, verbose_name="canonical e-mail address"
            ),
        ),
        migrations.RunPython(canonical_fill, migrations.RunPython.noop, elidable=False),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(
                fields=("email_canonical",),
                name="accounts_user_email_canonical_unique",
                violation_error_message="A user with this e-mail address already exists.",
            ),
        ),
    ]
