"""What happens to a contract, for the apps above `contracts` that keep state bound to it (README "Layers").
Today the tickets listen (tickets/receivers.py). Sent by the contract services inside their transaction, after
the contract row is saved: a receiver that raises undoes the whole change."""

from django.dispatch import Signal

# The contract's reseller changed (to another company or to none). contract (saved, with its new reseller),
# old_reseller_id, actor (the user who changed it, or None: an import), actor_name (names an actor that is not a
# user, such as the importer; may be empty). The partner-access consents given to the former reseller end.
contract_reseller_changed = Signal()
