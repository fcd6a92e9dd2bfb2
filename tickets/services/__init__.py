"""Every change to a ticket (SPEC §4, §7, §9). Each function is one transaction: the change, its history
row and its e-mails (through the outbox) all happen, or none of them. Views, admin and tasks call these.
The building blocks of a ticket change (`ticket_lock`, `ticket_actor_check`, `ticket_event_record`,
`ticket_touch`, `ticket_number_next`) are in `tickets.services.base`, for the apps above that change tickets
too (operations, migration)."""

from .base import emails_clean
from .canned import canned_reply_upsert
from .changes import (
    ticket_assign,
    ticket_cc_add,
    ticket_cc_remove,
    ticket_escalate,
    ticket_partner_access_set,
    ticket_priority_change,
    tickets_partner_access_withdraw,
)
from .dialog import (
    ticket_engineer_reply,
    ticket_note_by_email,
    ticket_phone_contact_log,
    ticket_reply,
    ticket_reply_by_email,
)
from .opening import (
    LegacyTicketData,
    contract_line_for_serial,
    ticket_create,
    ticket_create_by_phone,
    tickets_legacy_create,
)
from .privacy import partner_read_record, tickets_person_anonymise
from .status import ALLOWED_MOVES, ticket_close, ticket_reopen, ticket_status_change

__all__ = [
    "ALLOWED_MOVES",
    "LegacyTicketData",
    "canned_reply_upsert",
    "contract_line_for_serial",
    "emails_clean",
    "partner_read_record",
    "ticket_assign",
    "ticket_cc_add",
    "ticket_cc_remove",
    "ticket_close",
    "ticket_create",
    "ticket_create_by_phone",
    "ticket_engineer_reply",
    "ticket_escalate",
    "ticket_note_by_email",
    "ticket_partner_access_set",
    "ticket_phone_contact_log",
    "ticket_priority_change",
    "ticket_reopen",
    "ticket_reply",
    "ticket_reply_by_email",
    "ticket_status_change",
    "tickets_legacy_create",
    "tickets_partner_access_withdraw",
    "tickets_person_anonymise",
]
