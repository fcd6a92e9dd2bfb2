from datetime import datetime

from sla.businesstime import WARSAW


def at(*args) -> datetime:
    """An instant in Europe/Warsaw."""
    return datetime(*args, tzinfo=WARSAW)


def update_fields(replacement, **changes) -> dict:
    """Every argument of `replacement_update` as the replacement has it now, with `changes` applied."""
    clock = replacement.delivery_clock
    fields = {
        "carrier": replacement.carrier,
        "tracking_number": replacement.tracking_number,
        "replacement_serial": replacement.replacement_serial,
        "shipped_at": replacement.shipped_at,
        "delivered_at": replacement.delivered_at,
        "returned_at": replacement.returned_at,
        "agreed_delivery_at": clock.agreed_due_at if clock else None,
    }
    return {**fields, **changes}
