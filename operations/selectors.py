"""Reads of service operations. The callers pass contracts and tickets they already got through the access
rules (`contracts_for_user`, `ticket_for_user`, the desk): nothing here widens what a user sees."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import reduce
from operator import or_

from django.db.models import Count, Q
from django.utils import timezone

from contracts.models import Contract
from sla.selectors import clock_state_at
from tickets.models import Ticket

from .models import AllowanceKind, AllowanceUse, PlanAllowance, PlanScheduledWork, Replacement, ScheduledWork
from .years import ContractYear, contract_year


@dataclass(frozen=True)
class AllowanceRow:
    kind: str
    per_year: int
    used: int
    year: ContractYear

    @property
    def label(self) -> str:
        return AllowanceKind(self.kind).label

    @property
    def remaining(self) -> int:
        return max(self.per_year - self.used, 0)


def allowances_for_contracts(contracts: Iterable[Contract], today: date) -> dict[int, list[AllowanceRow]]:
    """Per contract id, the plan's allowances with the uses of the contract year that contains `today`.
    Only contracts active today have a current year. Two queries whatever the number of contracts."""
    active = [c for c in contracts if c.starts_on <= today <= c.ends_on]
    if not active:
        return {}
    allowances: dict[int, list[PlanAllowance]] = {}
    for allowance in PlanAllowance.objects.filter(plan_id__in={c.plan_id for c in active}).order_by("pk"):
        allowances.setdefault(allowance.plan_id, []).append(allowance)
    active = [c for c in active if c.plan_id in allowances]
    if not active:
        return {}
    years = {c.pk: contract_year(c.starts_on, today) for c in active}
    # One grouped count over every contract's own year: an OR of (contract, year) windows.
    windows = []
    for contract_id, year in years.items():
        start, end = year.bounds()
        windows.append(Q(contract_id=contract_id, used_at__gte=start, used_at__lt=end))
    counts = {
        (row["contract_id"], row["kind"]): row["n"]
        for row in AllowanceUse.objects.filter(reduce(or_, windows))
        .order_by()
        .values("contract_id", "kind")
        .annotate(n=Count("pk"))
    }
    return {
        c.pk: [
            AllowanceRow(
                kind=a.kind,
                per_year=a.per_year,
                used=counts.get((c.pk, a.kind), 0),
                # The last year of a term may be cut short by its end date.
                year=ContractYear(years[c.pk].first_day, min(years[c.pk].last_day, c.ends_on)),
            )
            for a in allowances[c.plan_id]
        ]
        for c in active
    }


def replacements_for_ticket(ticket: Ticket, now: datetime | None = None) -> list[Replacement]:
    """The replacements of a ticket the caller may read, oldest first, with their delivery clocks, and their
    state at `now` for a page: `replacement.return_overdue` (`Replacement.is_return_overdue`) and the delivery
    clock's `overdue` and `breached` (`sla.selectors.clock_state_at`). One query."""
    now = now or timezone.now()
    replacements = list(ticket.replacements.select_related("delivery_clock").order_by("approved_at", "pk"))
    for replacement in replacements:
        replacement.return_overdue = replacement.is_return_overdue(now)
        if replacement.delivery_clock is not None:
            clock_state_at(replacement.delivery_clock, now)
    return replacements


def replacements_panel(ticket: Ticket) -> dict | None:
    """The context of the customer's ticket-page box of replacements (tickets/panels.py), None when none."""
    replacements = replacements_for_ticket(ticket)
    return {"replacements": replacements} if replacements else None


def scheduled_works_for_ticket(ticket: Ticket, now: datetime | None = None) -> list[ScheduledWork]:
    """The scheduled work of a ticket the caller may read, by request, with its clock and the clock's state at
    `now` (`sla.selectors.clock_state_at`). One query."""
    now = now or timezone.now()
    works = list(ticket.scheduled_works.select_related("clock").order_by("requested_at", "pk"))
    for work in works:
        if work.clock is not None:
            clock_state_at(work.clock, now)
    return works


def scheduled_work_kinds(ticket: Ticket) -> list[str]:
    """The kinds of scheduled work the ticket's plan includes (none on HEZO+)."""
    return list(
        PlanScheduledWork.objects.filter(plan_id=ticket.contract.plan_id)
        .order_by("kind")
        .values_list("kind", flat=True)
    )


def scheduled_work_panel(ticket: Ticket) -> dict | None:
    """The context of the customer's ticket-page box of scheduled work (tickets/panels.py), None when none."""
    works = scheduled_works_for_ticket(ticket)
    return {"works": works} if works else None
