"""The import needs the compiled Polish catalog: the PDFs' headings are in Polish and English, and the operator
may ask for Polish output. Without it (`manage.py messages_compile` not run, or run before the last .po change)
the PDFs would quietly come out in English; `translations_ready` compiles what is missing or stale first."""

from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.utils import translation
from django.utils.translation import gettext as _

# A heading of the PDF whose Polish translation shows that the catalog is there and current.
PROBE = "Conversation carried over from the previous portal"


def _catalogs() -> list[tuple[Path, Path]]:
    return [
        (po, po.with_suffix(".mo"))
        for locale_dir in settings.LOCALE_PATHS
        for po in Path(locale_dir).glob("pl/LC_MESSAGES/*.po")
    ]


def catalogs_stale() -> bool:
    """Whether a Polish .mo is missing or older than its .po."""
    return any(not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime for po, mo in _catalogs())


def polish_translated() -> bool:
    with translation.override("pl"):
        return _(PROBE) != PROBE


def translations_ready() -> bool:
    """Compile the catalogs when missing or stale, and make this process read them again; True when the
    Polish headings are then translated (False: the command must stop rather than make English-only PDFs)."""
    if catalogs_stale():
        call_command("messages_compile", verbosity=0, stdout=_Discard())
        # What Django itself does when LOCALE_PATHS changes: the catalogs are read again on next use.
        from django.utils.translation import trans_real

        trans_real._translations = {}
        trans_real._default = None
        trans_real.translation_catalog_exists.cache_clear()
    return polish_translated()


class _Discard:
    def write(self, text: str) -> None:
        pass

    def flush(self) -> None:
        pass
