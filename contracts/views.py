from django.shortcuts import render
from django.utils import timezone

from accounts.access import customer_required
from operations.selectors import allowances_for_contracts

from .selectors import contracts_for_user


@customer_required
def contract_list(request):
    """All the company's contracts, active and expired, with every line in the new notation and, for plans
    with allowances, what is used and left in the current contract year."""
    today = timezone.localdate()
    contracts = list(contracts_for_user(request.user))
    allowances = allowances_for_contracts(contracts, today)
    for contract in contracts:
        contract.allowance_rows = allowances.get(contract.pk, [])
    return render(request, "contracts/contract_list.html", {"contracts": contracts, "today": today})
