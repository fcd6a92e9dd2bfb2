"""Time counted inside a service window (SPEC §5), as pure functions on aware datetimes.

`24x7` is all the time, counted as real elapsed time (so an hour across a DST change is one real hour).
`8x5` is Monday–Friday 09:00–17:00 Europe/Warsaw, except Polish public holidays. Every function walks
day by day, never minute by minute: a ten-year span costs a few thousand steps.
"""

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

WARSAW = ZoneInfo("Europe/Warsaw")
OPENS = time(9, 0)
CLOSES = time(17, 0)
ZERO = timedelta(0)


class Window(StrEnum):
    ALWAYS = "24x7"
    BUSINESS_HOURS = "8x5"


@lru_cache(maxsize=64)
def _polish_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("PL", years=year))


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _polish_holidays(day.year)


def _require_aware(*instants: datetime) -> None:
    for instant in instants:
        if instant.tzinfo is None or instant.utcoffset() is None:
            raise ValueError(f"naive datetime {instant!r}: SLA arithmetic needs aware datetimes")


def _day_hours(day: date) -> tuple[datetime, datetime]:
    # 09:00 and 17:00 never fall in a DST gap or fold (those are at night), so the wall times are exact.
    return datetime.combine(day, OPENS, WARSAW), datetime.combine(day, CLOSES, WARSAW)


def _business_periods_from(start: datetime) -> Iterator[tuple[datetime, datetime]]:
    """The open periods of the 8x5 window from `start` on, the first one cut at `start`."""
    day = start.astimezone(WARSAW).date()
    while True:
        if is_business_day(day):
            opens, closes = _day_hours(day)
            if closes > start:
                yield max(opens, start), closes
        day += timedelta(days=1)


def add(start: datetime, duration: timedelta, window: Window | str) -> datetime:
    """The instant at which `duration` of window time has passed since `start` (Europe/Warsaw)."""
    _require_aware(start)
    if duration < ZERO:
        raise ValueError("a duration cannot be negative")
    if Window(window) is Window.ALWAYS:
        return (start.astimezone(UTC) + duration).astimezone(WARSAW)
    if duration == ZERO:
        return start.astimezone(WARSAW)
    remaining = duration
    for opens, closes in _business_periods_from(start):
        available = closes - opens
        if remaining <= available:
            return (opens + remaining).astimezone(WARSAW)
        remaining -= available
    raise AssertionError("unreachable: the business periods never end")


def intervals(start: datetime, end: datetime, window: Window | str) -> Iterator[tuple[datetime, datetime]]:
    """The stretches of `[start, end)` that fall inside the window, in order."""
    _require_aware(start, end)
    if end <= start:
        return
    if Window(window) is Window.ALWAYS:
        yield start.astimezone(WARSAW), end.astimezone(WARSAW)
        return
    for opens, closes in _business_periods_from(start):
        if opens >= end:
            return
        yield opens, min(closes, end)


def counted(start: datetime, end: datetime, window: Window | str) -> timedelta:
    """How much window time lies between `start` and `end` (zero when `end` is not later)."""
    if Window(window) is Window.ALWAYS:
        _require_aware(start, end)
        return max(end.astimezone(UTC) - start.astimezone(UTC), ZERO)
    return sum((to - since for since, to in intervals(start, end, window)), ZERO)


def next_business_day_close(start: datetime) -> datetime:
    """17:00 of the first business day after the day of `start` ("next business day" delivery)."""
    _require_aware(start)
    day = start.astimezone(WARSAW).date() + timedelta(days=1)
    while not is_business_day(day):
        day += timedelta(days=1)
    return _day_hours(day)[1]
