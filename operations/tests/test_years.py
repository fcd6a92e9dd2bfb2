"""Contract years counted from the start date (SPEC §6), 29 February included."""

from datetime import date

import pytest

from operations.years import ContractYear, contract_year


@pytest.mark.parametrize(
    ("starts_on", "today", "expected"),
    [
        (date(2025, 3, 1), date(2025, 3, 1), (date(2025, 3, 1), date(2026, 2, 28))),
        (date(2025, 3, 1), date(2026, 2, 28), (date(2025, 3, 1), date(2026, 2, 28))),
        (date(2025, 3, 1), date(2026, 3, 1), (date(2026, 3, 1), date(2027, 2, 28))),
        (date(2025, 3, 1), date(2028, 2, 29), (date(2027, 3, 1), date(2028, 2, 29))),
        (date(2025, 3, 1), date(2025, 1, 10), (date(2025, 3, 1), date(2026, 2, 28))),  # before the start: year 1
        # Started on 29 February: the anniversary is 28 February in common years, and no day is lost.
        (date(2024, 2, 29), date(2025, 2, 27), (date(2024, 2, 29), date(2025, 2, 27))),
        (date(2024, 2, 29), date(2025, 2, 28), (date(2025, 2, 28), date(2026, 2, 27))),
        (date(2024, 2, 29), date(2028, 2, 28), (date(2027, 2, 28), date(2028, 2, 28))),
        (date(2024, 2, 29), date(2028, 2, 29), (date(2028, 2, 29), date(2029, 2, 27))),
        (date(2025, 12, 31), date(2026, 12, 31), (date(2026, 12, 31), date(2027, 12, 30))),
    ],
)
def test_contract_year_contains_today(starts_on, today, expected):
    year = contract_year(starts_on, today)
    assert year == ContractYear(*expected)
    assert year.first_day <= max(today, starts_on) <= year.last_day


def test_consecutive_years_neither_overlap_nor_leave_a_gap():
    for starts_on in (date(2024, 2, 29), date(2025, 3, 1), date(2023, 1, 31)):
        year = contract_year(starts_on, starts_on)
        for _ in range(9):
            following = contract_year(starts_on, date.fromordinal(year.last_day.toordinal() + 1))
            assert following.first_day.toordinal() == year.last_day.toordinal() + 1
            year = following
