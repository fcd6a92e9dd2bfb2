"""Ticket e-mails as one thread, answerable by e-mail (SPEC §9): the reply address with its token, the
thread's root Message-ID every ticket e-mail refers to, and reading both back from an inbound e-mail.

The token is an HMAC of the ticket number under a key derived from SECRET_KEY: whoever knows a ticket number
(or guesses one) cannot write an address or a References header that the receiver matches to that ticket.
"""

import hmac
import re
from collections.abc import Iterable

from django.conf import settings
from django.utils.crypto import salted_hmac

from core.outbox import outbox_domain

TOKEN_LENGTH = 16
_NUMBER = r"HZ-\d{4}-\d{6}"
_ADDRESS_TAG = re.compile(rf"\+(?P<number>{_NUMBER})\.(?P<token>[0-9a-f]{{{TOKEN_LENGTH}}})@", re.IGNORECASE)
_THREAD_ID = re.compile(rf"<ticket\.(?P<number>{_NUMBER})\.(?P<token>[0-9a-f]{{{TOKEN_LENGTH}}})@", re.IGNORECASE)


def ticket_reply_token(number: str) -> str:
    return salted_hmac("myhezo.tickets.reply-address", number.upper(), algorithm="sha256").hexdigest()[:TOKEN_LENGTH]


def _token_valid(number: str, token: str) -> bool:
    return hmac.compare_digest(ticket_reply_token(number), token.lower())


def ticket_reply_address(number: str) -> str:
    """`pomoc+HZ-2026-000123.<token>@myhezo.pl`: MYHEZO_REPLY_EMAIL with the ticket's tag."""
    local, _, domain = settings.MYHEZO_REPLY_EMAIL.rpartition("@")
    return f"{local}+{number}.{ticket_reply_token(number)}@{domain}"


def ticket_thread_id(number: str) -> str:
    """The Message-ID of the ticket's thread: every ticket e-mail refers to it, so mail clients thread them,
    and a reply's References lead back to the ticket even when the reply address was lost."""
    return f"<ticket.{number}.{ticket_reply_token(number)}@{outbox_domain()}>"


def ticket_mail_headers(number: str) -> dict[str, str]:
    """The headers of every ticket e-mail: threading to the ticket's thread, and "a notification": an
    automatic responder (RFC 3834) does not answer it."""
    root = ticket_thread_id(number)
    return {"In-Reply-To": root, "References": root, "Auto-Submitted": "auto-generated"}


def ticket_number_from_addresses(addresses: Iterable[str]) -> str | None:
    """The ticket number of the first reply address among `addresses` whose token is right."""
    for address in addresses:
        match = _ADDRESS_TAG.search(address or "")
        if match and _token_valid(match["number"].upper(), match["token"]):
            return match["number"].upper()
    return None


def reply_tag_forged(addresses: Iterable[str]) -> bool:
    """Whether any of `addresses` carries a ticket tag whose token is wrong: a forged reply address."""
    return any(
        not _token_valid(match["number"].upper(), match["token"])
        for address in addresses
        if (match := _ADDRESS_TAG.search(address or ""))
    )


def ticket_number_from_references(header_values: Iterable[str]) -> str | None:
    """The ticket number of the first thread Message-ID in In-Reply-To/References whose token is right."""
    for value in header_values:
        for match in _THREAD_ID.finditer(value or ""):
            if _token_valid(match["number"].upper(), match["token"]):
                return match["number"].upper()
    return None


def reply_address_base() -> str:
    """MYHEZO_REPLY_EMAIL itself, lower-cased: mail to it without a tag is mail to the helpdesk."""
    return settings.MYHEZO_REPLY_EMAIL.lower()
