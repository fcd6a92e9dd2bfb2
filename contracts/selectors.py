"""Reads of contract data, with the access rule inside: a customer user sees their company's contracts,
nobody else sees any (SPEC §3)."""

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from django.db.models import OuterRef, Prefetch, QuerySet
from django.utils import timezone

if TYPE_CHECKING:  # a type only: contracts sit below accounts (README "Layers")
    from accounts.models import User

from .models import Contract, ContractLine, serial_line_count
from .notation import serial_display


def _contracts_company(user: "User") -> int | None:
    """The company whose contracts the user may see: a verified customer's own; anybody else none."""
    if not user.is_authenticated or not user.is_verified_customer:
        return None
    return user.company_id


def _visible_contracts(user: "User") -> QuerySet[Contract]:
    company_id = _contracts_company(user)
    return Contract.objects.none() if company_id is None else Contract.objects.filter(customer_id=company_id)


def contracts_for_user(user: "User") -> QuerySet[Contract]:
    lines = ContractLine.objects.with_serial_line_count().order_by("pk")
    return (
        _visible_contracts(user)
        .select_related("customer", "reseller", "plan")
        .prefetch_related(Prefetch("lines", queryset=lines))
        .order_by("-ends_on", "number")
    )


def active_contracts_for_user(user: "User") -> QuerySet[Contract]:
    today = timezone.localdate()
    return contracts_for_user(user).filter(starts_on__lte=today, ends_on__gte=today)


@dataclass(frozen=True, slots=True)
class LineSummary:
    notation: str
    model: str


@dataclass(frozen=True, slots=True)
class ContractSummary:
    """An active contract as the dashboard shows it: plain values, hashable (core/fragments.py)."""

    number: str
    plan_name: str
    lines: tuple[LineSummary, ...]


def _active_summary_query(company_id: int, today: date) -> QuerySet:
    return (
        Contract.objects.filter(customer_id=company_id, starts_on__lte=today, ends_on__gte=today)
        .annotate(serial_line_count=serial_line_count(OuterRef("lines__serial")))
        .order_by("-ends_on", "number", "lines__pk")
        .values_list(
            "number", "plan__name", "lines__serial", "lines__service_index", "lines__model", "serial_line_count"
        )
    )


def active_contract_summaries(user: "User") -> list[ContractSummary]:
    """The user's active contracts with their lines, in one query of plain values (a contract with no line
    still comes, once, with empty line columns)."""
    company_id = _contracts_company(user)
    if company_id is None:
        return []
    contracts: dict[str, tuple[str, list[LineSummary]]] = {}
    for number, plan, serial, index, model, count in _active_summary_query(company_id, timezone.localdate()):
        _, lines = contracts.setdefault(number, (plan, []))
        if serial is not None:
            lines.append(LineSummary(serial_display(serial, index, count), model))
    return [ContractSummary(number, plan, tuple(lines)) for number, (plan, lines) in contracts.items()]
