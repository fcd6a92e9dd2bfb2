"""Reads of SLA clocks for pages. A page shows a clock's state at one instant: the values are computed here, by
the clock's own rule (`SlaClock.is_overdue`, `is_breached`), so that no template compares times itself. The
callers pass tickets they already got through the access rules."""

from datetime import datetime

from django.utils import timezone

from .models import SlaClock


def clock_state_at(clock: SlaClock, now: datetime) -> SlaClock:
    """Set `clock.overdue`, `clock.breached` and `clock.at_risk` as they are at `now` (for a template); returns
    the clock."""
    clock.overdue = clock.is_overdue(now)
    clock.at_risk = clock.is_at_risk(now)
    clock.breached = clock.is_breached(now)
    return clock


def clocks_for_ticket(ticket, now: datetime) -> list[SlaClock]:
    """The ticket's clocks in order, each with its state at `now` (`clock_state_at`). One query."""
    return [clock_state_at(clock, now) for clock in ticket.clocks.all()]


def clocks_panel(ticket) -> dict | None:
    """The context of the customer's ticket-page box of SLA clocks (tickets/panels.py), None when none."""
    clocks = clocks_for_ticket(ticket, timezone.now())
    return {"clocks": clocks} if clocks else None


def clocks_desk_panel(ticket) -> dict:
    """The context of the desk's box of SLA clocks: every clock, or the note that there is none yet."""
    return {"clocks": clocks_for_ticket(ticket, timezone.now())}
