"""Compile locale/*/LC_MESSAGES/*.po to .mo: with GNU gettext when installed, else with polib.

`make run` must work on a machine without the gettext package; the result is the same catalog.
"""

import shutil

import polib
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Compile the translation catalogs (uses msgfmt when available, polib otherwise)."

    def handle(self, *args, **options):
        if shutil.which("msgfmt"):
            call_command("compilemessages", ignore_patterns=[".venv", "var", "node_modules"], verbosity=0)
            self.stdout.write("Translations compiled with msgfmt.")
            return
        count = 0
        for locale_dir in settings.LOCALE_PATHS:
            for po_path in locale_dir.glob("*/LC_MESSAGES/*.po"):
                polib.pofile(str(po_path)).save_as_mofile(str(po_path.with_suffix(".mo")))
                count += 1
        self.stdout.write(f"Translations compiled with polib ({count} catalogs).")
