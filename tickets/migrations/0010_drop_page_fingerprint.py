"""Pages are drawn from the portal's selectors on every view (issue 20): the ticket page's fingerprint
function of 0008 is dropped. On SQLite, stored search keys are computed again with UPPER for every letter
(core/db/sqlite3), so tickets written before find Polish letters too."""

from django.db import migrations

DROP = "DROP FUNCTION IF EXISTS myhezo_ticket_page_fingerprint(bigint, text[], timestamptz, boolean);"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)
    elif schema_editor.connection.vendor == "sqlite":
        # A stored generated column is computed again when its row is written.
        schema_editor.execute("UPDATE tickets_ticket SET title = title")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        from importlib import import_module

        schema_editor.execute(import_module("tickets.migrations.0008_ticket_page_fingerprint").CREATE)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0009_search_key")]

    operations = [migrations.RunPython(forwards, backwards, elidable=True)]
