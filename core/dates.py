"""Dates and times as the portal shows them (SPEC §10), for Python code: history lines, admin columns, the PDF,
e-mail subjects built outside templates. Templates use the same formats through `|date:"SHORT_DATETIME_FORMAT"`
and `|date:"SHORT_DATE_FORMAT"` (core/formats/). Always Europe/Warsaw, 24-hour, in the active language:
`3 Dec 2026, 22:38` / `3 gru 2026, 22:38`; a day alone `3 Dec 2026` / `3 gru 2026`."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

WARSAW = ZoneInfo("Europe/Warsaw")
EMPTY = "—"


def datetime_display(value: datetime | None) -> str:
    """An instant in Warsaw time, e.g. `3 Dec 2026, 22:38`; "—" for None. A naive value is taken as Warsaw's."""
    if value is None:
        return EMPTY
    if timezone.is_naive(value):
        value = value.replace(tzinfo=WARSAW)
    return formats.date_format(value.astimezone(WARSAW), "SHORT_DATETIME_FORMAT")


def date_display(value: date | datetime | None) -> str:
    """A day, e.g. `3 Dec 2026`; an instant gives its day in Warsaw; "—" for None."""
    if value is None:
        return EMPTY
    if isinstance(value, datetime):
        value = value.astimezone(WARSAW) if timezone.is_aware(value) else value
    return formats.date_format(value, "SHORT_DATE_FORMAT")


def time_display(value: datetime) -> str:
    """The time of day of an instant in Warsaw, e.g. `22:38`."""
    return formats.time_format(value.astimezone(WARSAW) if timezone.is_aware(value) else value, "TIME_FORMAT")


def relative_display(value: datetime, *, now: datetime | None = None) -> str:
    """How far an instant is from now, in whole minutes, hours or days: "in 40 min", "2 h ago"."""
    seconds = (value - (now or timezone.now())).total_seconds()
    minutes = int(abs(seconds) // 60)
    if minutes < 1:
        return _("now")
    if minutes < 60:
        amount = ngettext("%(count)d min", "%(count)d min", minutes) % {"count": minutes}
    elif minutes < 48 * 60:
        hours = minutes // 60
        amount = ngettext("%(count)d h", "%(count)d h", hours) % {"count": hours}
    else:
        days = minutes // (24 * 60)
        amount = ngettext("%(count)d day", "%(count)d days", days) % {"count": days}
    if seconds > 0:
        # Translators: a due time still ahead, e.g. "in 40 min".
        return _("in %(amount)s") % {"amount": amount}
    # Translators: a due time already passed, e.g. "40 min ago".
    return _("%(amount)s ago") % {"amount": amount}
