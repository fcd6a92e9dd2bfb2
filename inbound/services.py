"""Receiving one e-mail (SPEC §9): matched to its ticket by the reply address's token or the thread's
Message-ID, its sender authorised, and turned into that person's message through the tickets' own services,
all in one transaction with the record that makes it happen exactly once."""

import logging
from dataclasses import dataclass
from datetime import timedelta
from email import policy
from email.parser import BytesHeaderParser
from email.utils import parseaddr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from core.outbox import email_queue, outbox_domain
from core.text import email_address_validate, email_canonical
from tickets.attachments import attachment_check
from tickets.mailthread import (
    reply_address_base,
    reply_tag_forged,
    ticket_number_from_addresses,
    ticket_number_from_references,
)
from tickets.models import Ticket
from tickets.services import ticket_note_by_email, ticket_reply_by_email

from .content import Inbound, inbound_key, inbound_parse
from .models import InboundMessage, Outcome

logger = logging.getLogger(__name__)

# The outcomes that get the polite answer (at most once per sender per day); the others are never answered.
ANSWERED_OUTCOMES = (Outcome.UNMATCHED, Outcome.UNAUTHORISED, Outcome.INVALID, Outcome.TOO_LARGE)


@dataclass(frozen=True)
class Received:
    record: InboundMessage
    new: bool  # False: this message had been received before, nothing was done again


def _own_addresses() -> set[str]:
    addresses = {settings.DEFAULT_FROM_EMAIL, settings.SERVER_EMAIL, reply_address_base()}
    return {email_canonical(parseaddr(address)[1]) for address in addresses}


def _is_own(inbound: Inbound) -> bool:
    sender = email_canonical(inbound.sender)
    local, _at, domain = sender.rpartition("@")
    base_local, _at, base_domain = reply_address_base().rpartition("@")
    return (
        sender in _own_addresses()
        or (domain == base_domain and local.startswith(base_local + "+"))
        or (inbound.message_id.startswith("<outbox-") and inbound.message_id.endswith(f"@{outbox_domain()}>"))
    )


def _valid_address(address: str) -> bool:
    try:
        email_address_validate(address)
    except ValidationError:
        return False
    return True


def _answer(record: InboundMessage) -> None:
    """One polite answer per sender per day, pointing to the portal, in Polish and English."""
    if not _valid_address(record.sender):
        return
    since = timezone.now() - timedelta(days=1)
    if InboundMessage.objects.filter(sender_canonical=record.sender_canonical, answered=True, received_at__gte=since):
        return
    email_queue(
        to=[record.sender],
        template="inbound/emails/refused",
        context={"portal_url": settings.MYHEZO_BASE_URL, "subject": record.subject},
        language=settings.LANGUAGE_CODE,
        headers={"Auto-Submitted": "auto-replied", "In-Reply-To": record.key if record.key.startswith("<") else ""},
    )
    record.answered = True


def _ticket_of(inbound: Inbound) -> Ticket | None:
    """By the reply address's token, else by the thread's Message-ID; a forged tag matches nothing."""
    if reply_tag_forged(inbound.recipients):
        return None
    number = ticket_number_from_addresses(inbound.recipients) or ticket_number_from_references(inbound.references)
    return Ticket.objects.filter(number=number).first() if number else None


def _attachments(inbound: Inbound, language: str) -> tuple[list[SimpleUploadedFile], str]:
    """The files the portal accepts (its allowlist and limits), and a line naming the refused ones."""
    accepted: list[SimpleUploadedFile] = []
    refused: list[str] = []
    for name, data in inbound.attachments:
        file = SimpleUploadedFile(name[:255] or "attachment", data)
        try:
            checked = attachment_check(file)
        except ValidationError as error:
            refused.append(" ".join(error.messages))
            continue
        if len(accepted) >= settings.MYHEZO_ATTACHMENT_MAX_FILES:
            refused.append(checked.name)
            continue
        accepted.append(file)
    note = ""
    if refused:
        with translation.override(language):
            note = _("Not attached from the e-mail: %(files)s") % {"files": "; ".join(refused)}
    return accepted, note


def _effects(record: InboundMessage, inbound: Inbound, raw: bytes) -> None:
    """What the message does; sets the record's outcome. Any refusal changes nothing but the record."""
    if _is_own(inbound):
        record.outcome = Outcome.OWN
        return
    if inbound.automatic:
        record.outcome, record.detail = Outcome.AUTOMATIC, inbound.automatic
        return
    ticket = _ticket_of(inbound)
    if ticket is None:
        record.outcome = Outcome.UNMATCHED
        return
    record.ticket = ticket
    canonical = record.sender_canonical
    user = User.objects.filter(email_canonical=canonical, is_active=True).first() if canonical else None
    cc_addresses = {email_canonical(address) for address in ticket.ccs.values_list("email", flat=True)}
    is_colleague = bool(user and user.is_verified_customer and user.company_id == ticket.company_id)
    known_address = canonical and (canonical == email_canonical(ticket.reporter_email) or canonical in cc_addresses)
    if not inbound.sender or (not (user and user.is_staff) and not is_colleague and not known_address):
        record.outcome = Outcome.UNAUTHORISED
        return
    accepted, refused_note = _attachments(inbound, ticket.language)
    body = "\n\n".join(part for part in (inbound.body, refused_note) if part)
    if not body and accepted:
        with translation.override(ticket.language):
            body = _("(attachments only)")
    if not body:
        record.outcome, record.detail = Outcome.INVALID, "empty"
        return
    original = SimpleUploadedFile(f"{ticket.number}-{timezone.now():%Y%m%d-%H%M%S}.eml", raw)
    try:
        with transaction.atomic():
            if user and user.is_staff:
                record.message = ticket_note_by_email(
                    ticket=ticket, engineer=user, body=body, attachments=accepted, original=original
                )
                record.outcome = Outcome.NOTE
            else:
                author = user if is_colleague else None
                name = (author.get_full_name() if author else inbound.sender_name) or inbound.sender
                record.message = ticket_reply_by_email(
                    ticket=ticket,
                    author=author,
                    name=name[:300],
                    email=inbound.sender,
                    body=body,
                    attachments=accepted,
                    original=original,
                )
                record.outcome = Outcome.REPLY
    except ValidationError as error:
        record.outcome, record.detail = Outcome.INVALID, " ".join(error.messages)[:500]


def _too_large(raw: bytes) -> Inbound:
    headers = BytesHeaderParser(policy=policy.default).parsebytes(raw[: 256 * 1024])
    sender = parseaddr(" ".join(str(headers.get("From") or "").split()))[1].strip().lower()
    message_id = " ".join(str(headers.get("Message-ID") or "").split())[:300]
    return Inbound(
        key=inbound_key(message_id, raw),
        message_id=message_id,
        sender=sender,
        sender_name="",
        return_path=None,
        recipients=[],
        references=[],
        subject=" ".join(str(headers.get("Subject") or "").split())[:300],
        automatic="",
        body="",
    )


def inbound_receive(*, raw: bytes, size: int | None = None) -> Received:
    """Receive one e-mail, exactly once: the record (keyed by Message-ID, else a hash of the bytes) is written
    first, in the same transaction as the effects; a message received before does nothing again. Two receivers
    at once: the second waits on the unique key and finds the first's record. `size`: the e-mail's size when
    `raw` is only its header (a source that did not download an e-mail over the limit)."""
    size_limit = settings.MYHEZO_INBOUND_MAX_MB * 1024 * 1024
    size = size or len(raw)
    inbound = _too_large(raw) if size > size_limit else inbound_parse(raw)
    record = InboundMessage(
        key=inbound.key,
        sender=inbound.sender[:254],
        sender_canonical=email_canonical(inbound.sender)[:254] if inbound.sender else "",
        subject=inbound.subject,
        size=size,
        outcome=Outcome.INVALID,
    )
    with transaction.atomic():
        existing = InboundMessage.objects.filter(key=inbound.key).first()
        if existing is not None:
            return Received(record=existing, new=False)
        try:
            with transaction.atomic():
                record.full_clean()
                record.save()
        except IntegrityError:
            return Received(record=InboundMessage.objects.get(key=inbound.key), new=False)
        if size > size_limit:
            record.outcome = Outcome.TOO_LARGE
        else:
            _effects(record, inbound, raw)
        if record.outcome in ANSWERED_OUTCOMES:
            _answer(record)
        record.full_clean()
        record.save()
    logger.info("Inbound e-mail %s from %s: %s", record.pk, record.sender, record.outcome)
    return Received(record=record, new=True)
