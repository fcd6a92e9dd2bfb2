"""The customer's pages that bring several apps together (README "Layers"): the dashboard and the contracts
page with each plan's included services. Each page's own app keeps the reads, with their access rules."""

from django.shortcuts import render
from django.utils import timezone

from accounts.access import customer_required, otp_required
from contracts.selectors import active_contract_summaries, contracts_for_user
from core.fragments import fragment
from operations.selectors import allowances_for_contracts
from tickets.selectors import tickets_open_for_user


@otp_required
def dashboard(request):
    """What needs the user: the company's open tickets (those waiting for their answer first) and the active
    contracts to open a new one on."""
    user = request.user
    cards = [fragment("portal/_contract_card.html", contract=c) for c in active_contract_summaries(user)]
    open_tickets = tickets_open_for_user(user) if user.is_verified_customer else None
    return render(request, "portal/dashboard.html", {"contract_cards": cards, "open_tickets": open_tickets})


@customer_required
def contract_list(request):
    """All the company's contracts, active and expired, with every line in the new notation and, for plans
    with allowances, what is used and left in the current contract year."""
    today = timezone.localdate()
    contracts = list(contracts_for_user(request.user))
    allowances = allowances_for_contracts(contracts, today)
    for contract in contracts:
        contract.allowance_rows = allowances.get(contract.pk, [])
    return render(request, "portal/contract_list.html", {"contracts": contracts, "today": today})
