"""Contract years (SPEC §6): year k runs from the start date + k years to the day before start + k+1 years.
A contract that starts on 29 February has its anniversary on 28 February in common years, so the years
neither overlap nor leave a day out."""

from datetime import date, datetime, time, timedelta
from typing import NamedTuple

from sla.businesstime import WARSAW


class ContractYear(NamedTuple):
    first_day: date
    last_day: date

    def bounds(self) -> tuple[datetime, datetime]:
        """[start, end) as aware instants: midnight Europe/Warsaw of the first day and of the day after."""
        return (
            datetime.combine(self.first_day, time(0), WARSAW),
            datetime.combine(self.last_day + timedelta(days=1), time(0), WARSAW),
        )


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a common year
        return day.replace(year=day.year + years, day=28)


def contract_year(starts_on: date, today: date) -> ContractYear:
    """The contract year that contains `today`; before the start, the first one."""
    k = max(today.year - starts_on.year, 0)
    if k and add_years(starts_on, k) > today:
        k -= 1
    return ContractYear(add_years(starts_on, k), add_years(starts_on, k + 1) - timedelta(days=1))
