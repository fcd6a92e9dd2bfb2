"""Reads of contract data, with the access rule inside: a customer user sees their company's contracts,
nobody else sees any (SPEC §3)."""

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import User

from .models import Contract, ContractLine


def contracts_for_user(user: User) -> QuerySet[Contract]:
    if not user.is_authenticated or not user.is_verified_customer:
        return Contract.objects.none()
    lines = ContractLine.objects.with_serial_line_count().order_by("pk")
    return (
        Contract.objects.filter(customer_id=user.company_id)
        .select_related("customer", "reseller", "plan")
        .prefetch_related(Prefetch("lines", queryset=lines))
        .order_by("-ends_on", "number")
    )


def active_contracts_for_user(user: User) -> QuerySet[Contract]:
    today = timezone.localdate()
    return contracts_for_user(user).filter(starts_on__lte=today, ends_on__gte=today)


def contract_for_user(user: User, number: str) -> Contract:
    """The contract with this number if the user may see it, else 404 (never 403: no existence leak)."""
    contract = contracts_for_user(user).filter(number=number.strip().upper()).first()
    if contract is None:
        raise Http404
    return contract
