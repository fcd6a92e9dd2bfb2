"""The window arithmetic of SPEC §5, with its worked examples and the calendar's awkward days."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sla.businesstime import WARSAW, Window, add, counted, intervals, is_business_day, next_business_day_close

H = timedelta(hours=1)


def at(*args) -> datetime:
    return datetime(*args, tzinfo=WARSAW)


@pytest.mark.parametrize(
    ("start", "duration", "window", "due"),
    [
        # SPEC §5 worked examples
        (at(2026, 12, 18, 16, 30), 1 * H, "8x5", "2026-12-21T09:30:00+01:00"),
        (at(2026, 12, 23, 15, 0), 4 * H, "8x5", "2026-12-28T11:00:00+01:00"),
        (at(2026, 11, 21, 10, 0), 1 * H, "8x5", "2026-11-23T10:00:00+01:00"),
        (at(2026, 3, 29, 1, 30), 1 * H, "24x7", "2026-03-29T03:30:00+02:00"),
        # holidays: Easter Monday, 3 May (a Sunday in 2026: the next day is an ordinary Monday), Corpus
        # Christi, 11 November, 24 December (a holiday from 2025 on)
        (at(2026, 4, 3, 16, 0), 2 * H, "8x5", "2026-04-07T10:00:00+02:00"),
        (at(2027, 4, 30, 16, 30), 1 * H, "8x5", "2027-05-04T09:30:00+02:00"),
        (at(2026, 6, 3, 16, 0), 2 * H, "8x5", "2026-06-05T10:00:00+02:00"),
        (at(2026, 11, 10, 16, 0), 2 * H, "8x5", "2026-11-12T10:00:00+01:00"),
        (at(2025, 12, 23, 16, 0), 2 * H, "8x5", "2025-12-29T10:00:00+01:00"),
        # opened at 08:00 and at 17:00 sharp on a weekday
        (at(2026, 11, 24, 8, 0), 1 * H, "8x5", "2026-11-24T10:00:00+01:00"),
        (at(2026, 11, 24, 17, 0), 1 * H, "8x5", "2026-11-25T10:00:00+01:00"),
        (at(2026, 11, 24, 16, 0), 1 * H, "8x5", "2026-11-24T17:00:00+01:00"),
        # 24x7 across both DST changes: real hours
        (at(2026, 3, 29, 1, 0), 2 * H, "24x7", "2026-03-29T04:00:00+02:00"),
        (at(2026, 10, 25, 1, 30), 2 * H, "24x7", "2026-10-25T02:30:00+01:00"),
        (at(2026, 10, 24, 12, 0), 24 * H, "24x7", "2026-10-25T11:00:00+01:00"),
    ],
)
def test_due_instants(start, duration, window, due):
    assert add(start, duration, window).isoformat() == due


def test_24_december_is_a_working_day_before_2025_and_a_holiday_from_2025():
    assert is_business_day(at(2024, 12, 24).date())
    assert not is_business_day(at(2025, 12, 24).date())
    assert not is_business_day(at(2026, 12, 24).date())


def test_next_business_day_delivery_skips_christmas():
    # SPEC §5: HEZO+ replacement approved Wed 2026-12-23 11:00 → delivery due Mon 2026-12-28 17:00.
    assert next_business_day_close(at(2026, 12, 23, 11, 0)).isoformat() == "2026-12-28T17:00:00+01:00"
    assert next_business_day_close(at(2026, 11, 20, 23, 59)).isoformat() == "2026-11-23T17:00:00+01:00"


def test_counted_time_lists_the_intervals_it_counted():
    spans = list(intervals(at(2026, 12, 18, 16, 30), at(2026, 12, 21, 9, 30), Window.BUSINESS_HOURS))
    assert spans == [(at(2026, 12, 18, 16, 30), at(2026, 12, 18, 17)), (at(2026, 12, 21, 9), at(2026, 12, 21, 9, 30))]
    assert counted(at(2026, 12, 18, 16, 30), at(2026, 12, 21, 9, 30), "8x5") == 1 * H
    assert counted(at(2026, 3, 29, 1, 30), at(2026, 3, 29, 3, 30), "24x7") == 1 * H
    assert counted(at(2026, 1, 2), at(2026, 1, 1), "8x5") == timedelta(0)


def test_ten_years_are_instant_and_exact():
    start = at(2026, 1, 1, 12, 0)
    due = add(start, timedelta(hours=8 * 2500), "8x5")
    assert counted(start, due, "8x5") == timedelta(hours=8 * 2500)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="naive"):
        add(datetime(2026, 1, 1), H, "8x5")
    with pytest.raises(ValueError, match="naive"):
        counted(datetime(2026, 1, 1), at(2026, 1, 2), "24x7")


# --- properties ------------------------------------------------------------------------------------

instants = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC))
durations = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=40))
windows = st.sampled_from(list(Window))


def _inside_an_open_period(instant: datetime) -> bool:
    local = instant.astimezone(WARSAW)
    return is_business_day(local.date()) and at(local.year, local.month, local.day, 9) <= local <= at(
        local.year, local.month, local.day, 17
    )


@settings(max_examples=300, deadline=None)
@given(start=instants, duration=durations)
def test_a_business_hours_due_instant_is_never_in_a_closed_period(start, duration):
    due = add(start, duration, Window.BUSINESS_HOURS)
    assert duration == timedelta(0) or _inside_an_open_period(due)


@settings(max_examples=300, deadline=None)
@given(start=instants, a=durations, b=durations, window=windows)
def test_adding_a_then_b_is_adding_a_plus_b(start, a, b, window):
    assert add(add(start, a, window), b, window) == add(start, a + b, window)


@settings(max_examples=300, deadline=None)
@given(start=instants, duration=durations, window=windows)
def test_time_counted_from_start_to_due_is_the_duration(start, duration, window):
    assert counted(start, add(start, duration, window), window) == duration
