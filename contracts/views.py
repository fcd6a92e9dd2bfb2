from django.shortcuts import render
from django.utils import timezone

from accounts.access import customer_required

from .selectors import contracts_for_user


@customer_required
def contract_list(request):
    """All the company's contracts, active and expired, with every line in the new notation."""
    return render(
        request,
        "contracts/contract_list.html",
        {"contracts": contracts_for_user(request.user), "today": timezone.localdate()},
    )
