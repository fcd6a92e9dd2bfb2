"""When a deadline is missed: the one comparison behind every "overdue" of the portal.

A deadline is missed once it has passed, not at the deadline itself (SPEC §5 "past due", §6 "within 7 days" and
"an overdue flag after"): something due at 10:00 is still on time at 10:00:00 and overdue from the first
instant after it. `is_past` is the comparison in Python, `past` the same comparison as a database condition.
The rules built on it live with their models: an SLA clock overdue (`sla.models.SlaClock`), a ticket's SLA
breached (`tickets.models.Ticket`), a faulty unit's return overdue (`operations.models.Replacement`)."""

from datetime import datetime

from django.db.models import Q


def is_past(due: datetime | None, now: datetime) -> bool:
    """True when `due` is strictly before `now`; a missing due time never is."""
    return due is not None and due < now


def has_reached(instant: datetime | None, now: datetime) -> bool:
    """True once `instant` has come (at `now` or before): a warning from 10:00 applies at 10:00:00."""
    return instant is not None and instant <= now


def reached(field: str, now: datetime) -> Q:
    """The database form of `has_reached`: `field` (NULL never matches) at or before `now`."""
    return Q(**{f"{field}__lte": now})


def past(field: str, now: datetime) -> Q:
    """The database form of `is_past`: `field` (a date-time column, NULL never matches) before `now`."""
    return Q(**{f"{field}__lt": now})
