"""The tickets follow their contract (contracts/signals.py): each receiver runs inside the contract service's
transaction, so a contract change and what it means for its tickets happen together or not at all."""

from django.dispatch import receiver

from contracts.models import Contract
from contracts.signals import contract_reseller_changed

from .services import tickets_partner_access_withdraw


@receiver(contract_reseller_changed, sender=Contract, dispatch_uid="tickets.contract_reseller_changed")
def contract_reseller_changed_received(sender, *, contract, actor, actor_name="", **kwargs) -> None:
    # Consent is given to a reseller, not to whoever resells the contract later (SPEC §4).
    tickets_partner_access_withdraw(contract=contract, changed_by=actor, changed_by_name=actor_name)
