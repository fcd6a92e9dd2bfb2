"""Carrying the previous portal's open tickets over (SPEC §8, `legacy/FORMAT.md`): each becomes a portal
ticket on the contract line of its serial, with a first message that says so and the whole old
conversation attached as a PDF.

Safe against a kill at any moment: the PDF is written under a name fixed by the legacy id, then the ticket,
its message and the attachment row commit in one transaction (`tickets.services.tickets_legacy_create`, a batch
of tickets at a time).
Killed before the commit, the file is overwritten by the next run (which imports the ticket) or removed by the
sweep at the end of a run; killed after, the next run finds the legacy id and skips the ticket."""

import hashlib
from collections.abc import Callable, Container, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.pool import Pool

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError
from django.utils.translation import gettext as _

from accounts.models import User
from contracts.models import Contract, ContractLine, Priority
from contracts.notation import contract_number_parse, serial_parse
from core.text import email_address_validate, email_canonical
from tickets.models import Attachment, Status, Ticket
from tickets.services import LegacyTicketData, tickets_legacy_create

from .records import ImportReport, RecordError, RecordSkipped, no_nul, text_field
from .rendering import render_many, render_pool

LEGACY_DIR = "legacy"
# Rendered tickets committed together: one transaction and four inserts for the lot (the cut-over writes
# thousands); a batch that is refused is stored again a ticket at a time, so a bad ticket fails alone.
STORE_BATCH = 16
STATUSES = {"new": Status.NEW, "open": Status.IN_PROGRESS, "waiting": Status.WAITING}
ROLES = ("customer", "engineer")
# Stored, not translated: both languages, as a customer of either reads it.
CARRIED_OVER = (
    "Zgłoszenie przeniesione z poprzedniego portalu (nr {legacy_id}). Dotychczasowa korespondencja jest w "
    "załączonym pliku PDF.\n\n"
    "This ticket was carried over from the previous portal (no. {legacy_id}). The earlier conversation is in "
    "the attached PDF."
)


@dataclass(frozen=True)
class LegacyMessage:
    at: datetime
    author: str
    role: str
    body: str


@dataclass(frozen=True)
class LegacyTicket:
    legacy_id: str
    contract_number: str
    serial: str
    subject: str
    status: str
    priority: str
    opened_at: datetime
    reporter_name: str
    reporter_email: str
    partner_access: bool
    messages: tuple[LegacyMessage, ...]


def _instant(value, field_name: str) -> datetime:
    try:
        instant = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        instant = None
    if instant is None or instant.tzinfo is None:
        raise RecordError(_("Not an ISO 8601 date and time with an offset: %(field)s.") % {"field": field_name})
    return instant


def _at_most(value: str, field_name: str, limit: int) -> str:
    # Checked before anything is rendered: a 10 MB subject fails its line at once rather than after its PDF.
    if len(value) > limit:
        raise RecordError(
            _("Field %(field)s is longer than %(limit)d characters.") % {"field": field_name, "limit": limit}
        )
    return value


def _max_length(field_name: str) -> int:
    return Ticket._meta.get_field(field_name).max_length


def ticket_record_parse(record: dict) -> LegacyTicket:
    """Check a ticket record on its own (no database); closed tickets are skipped."""
    legacy_id = _at_most(text_field(record, "legacy_id").strip(), "legacy_id", _max_length("legacy_id"))
    status = text_field(record, "status")
    if status == "closed":
        raise RecordSkipped(_("Ticket %(id)s is closed: closed tickets are not carried over.") % {"id": legacy_id})
    if status not in STATUSES:
        raise RecordError(_("Unknown status %(value)r of ticket %(id)s.") % {"value": status, "id": legacy_id})
    priority = text_field(record, "priority")
    if priority not in Priority.values:
        raise RecordError(_("Unknown priority %(value)r of ticket %(id)s.") % {"value": priority, "id": legacy_id})
    try:
        contract_number = contract_number_parse(text_field(record, "contract"))
        serial = text_field(record, "serial")
        serial_parse(serial)
    except Exception as exc:  # ValidationError from the notation helpers
        raise RecordError(" ".join(getattr(exc, "messages", [str(exc)]))) from None
    reporter = record.get("reporter")
    if not isinstance(reporter, dict):
        raise RecordError(_("Missing or invalid field: %(field)s.") % {"field": "reporter"})
    reporter_email = text_field(reporter, "email").strip().lower()
    try:
        email_address_validate(reporter_email)
    except Exception:
        raise RecordError(_("reporter.email is not a valid e-mail address.")) from None
    partner_access = record.get("partner_access", False)
    if partner_access is None:
        partner_access = False
    if not isinstance(partner_access, bool):
        raise RecordError(_("Missing or invalid field: %(field)s.") % {"field": "partner_access"})
    raw_messages = record.get("messages")
    if not isinstance(raw_messages, list):
        raise RecordError(_("Missing or invalid field: %(field)s.") % {"field": "messages"})
    messages = []
    for index, item in enumerate(raw_messages):
        if not isinstance(item, dict) or item.get("role") not in ROLES or not isinstance(item.get("body"), str):
            raise RecordError(_("Missing or invalid field: %(field)s.") % {"field": f"messages[{index}]"})
        messages.append(
            LegacyMessage(
                at=_instant(item.get("at"), f"messages[{index}].at"),
                author=text_field(item, "author"),
                role=item["role"],
                body=item["body"],
            )
        )
    subject = record.get("subject")
    if not isinstance(subject, str) or not subject.strip():
        raise RecordError(_("Missing or empty field: %(field)s.") % {"field": "subject"})
    _at_most(no_nul(subject, "subject"), "subject", _max_length("title"))
    return LegacyTicket(
        legacy_id=legacy_id,
        contract_number=contract_number,
        serial=serial,
        subject=subject,  # exactly as it was
        status=STATUSES[status],
        priority=priority,
        opened_at=_instant(record.get("opened_at"), "opened_at"),
        reporter_name=_at_most(text_field(reporter, "name").strip(), "reporter.name", _max_length("reporter_name")),
        reporter_email=reporter_email,
        partner_access=partner_access,
        messages=tuple(messages),
    )


@dataclass
class _Planned:
    line_number: int
    legacy: LegacyTicket
    line: ContractLine
    device: str


class _Planner:
    """Places tickets on their contract lines, a batch at a time (the tickets of a contract once it is in the
    database), with what the whole export says: which legacy ids repeat, and which were placed already."""

    def __init__(
        self, report: ImportReport, tickets: list[tuple[int, LegacyTicket]], ended_contracts: Container[str]
    ) -> None:
        self.report = report
        self.ended_contracts = ended_contracts
        self.by_id: dict[str, list[LegacyTicket]] = {}
        for _number, legacy in tickets:
            self.by_id.setdefault(legacy.legacy_id, []).append(legacy)
        self.seen: set[str] = set()

    def plan(self, tickets: list[tuple[int, LegacyTicket]]) -> list[_Planned]:
        """Resolve the tickets against the database in a few queries: already imported, contract carried over,
        serial (and its service index, if given) on that contract. Every open ticket that cannot be placed is
        a failed record, never a skip (SPEC §8)."""
        report, by_id, seen, ended_contracts = self.report, self.by_id, self.seen, self.ended_contracts
        ids = [legacy.legacy_id for _number, legacy in tickets]
        done = set(Ticket.objects.filter(legacy_id__in=ids).values_list("legacy_id", flat=True))
        contracts = {
            contract.number: contract
            for contract in Contract.objects.filter(number__in={legacy.contract_number for _n, legacy in tickets})
            .select_related("customer", "reseller", "plan")
            .order_by()
        }
        lines_by_serial: dict[tuple[int, str], list[ContractLine]] = {}
        lines = ContractLine.objects.with_serial_line_count().filter(contract__in=contracts.values()).order_by("pk")
        for line in lines:
            lines_by_serial.setdefault((line.contract_id, line.serial), []).append(line)

        planned: list[_Planned] = []
        for number, legacy in tickets:
            if legacy.legacy_id in done:
                report.skip(line=number, kind="tickets")  # imported by an earlier run
                continue
            copies = by_id[legacy.legacy_id]
            if any(copy != legacy for copy in copies):
                # Which of them is right is not ours to guess: every copy fails, on every run, until the export is
                # fixed.
                report.fail(
                    line=number,
                    kind="tickets",
                    code="duplicate",
                    reason=_("Ticket %(id)s appears %(count)d times in the export with different content.")
                    % {"id": legacy.legacy_id, "count": len(copies)},
                )
                continue
            if legacy.legacy_id in seen:
                report.skip(
                    line=number,
                    kind="tickets",
                    reason=_("Ticket %(id)s appears again with the same content; it is imported once.")
                    % {"id": legacy.legacy_id},
                )
                continue
            contract = contracts.get(legacy.contract_number)
            if contract is None:
                ended = legacy.contract_number in ended_contracts
                report.fail(
                    line=number,
                    kind="tickets",
                    code="contract_ended" if ended else "contract_unknown",
                    reason=(
                        _("Ticket %(id)s: its contract %(number)s has ended and is not carried over.")
                        if ended
                        else _("Ticket %(id)s: contract %(number)s is not in the export, or its record failed.")
                    )
                    % {"id": legacy.legacy_id, "number": legacy.contract_number},
                )
                continue
            parsed = serial_parse(legacy.serial)
            on_contract = lines_by_serial.get((contract.pk, parsed.serial), [])
            candidates = [line for line in on_contract if parsed.index is None or line.service_index == parsed.index]
            if not on_contract:
                report.fail(
                    line=number,
                    kind="tickets",
                    code="serial_not_on_contract",
                    reason=_("Ticket %(id)s: serial number %(serial)s is not on contract %(number)s.")
                    % {"id": legacy.legacy_id, "serial": legacy.serial, "number": contract.number},
                )
                continue
            if not candidates:
                report.fail(
                    line=number,
                    kind="tickets",
                    code="service_index",
                    reason=_("Ticket %(id)s: contract %(number)s has no service %(serial)s (the serial has %(count)d).")
                    % {
                        "id": legacy.legacy_id,
                        "serial": legacy.serial,
                        "number": contract.number,
                        "count": len(on_contract),
                    },
                )
                continue
            line = candidates[0]
            line.contract = contract
            seen.add(legacy.legacy_id)
            device = line.notation  # annotated above: no query
            planned.append(_Planned(line_number=number, legacy=legacy, line=line, device=device))
        return planned


def pdf_data(item: _Planned) -> dict:
    """What the PDF shows: plain, picklable data for a worker process."""
    legacy, contract = item.legacy, item.line.contract
    return {
        "legacy_id": legacy.legacy_id,
        "subject": legacy.subject,
        "company_name": contract.customer.name,
        "company_nip": contract.customer.nip_display,
        "contract_number": contract.number,
        "device": item.device,
        "messages": [
            {"at": message.at.isoformat(), "author": message.author, "role": message.role, "body": message.body}
            for message in legacy.messages
        ],
    }


def legacy_pdf_name(legacy_id: str) -> str:
    # Fixed by the legacy id, so a re-run after a kill overwrites rather than adds.
    return f"{LEGACY_DIR}/{hashlib.sha256(legacy_id.encode()).hexdigest()[:40]}.pdf"


def _pdf_write(item: _Planned, pdf: bytes) -> str:
    name = legacy_pdf_name(item.legacy.legacy_id)
    if default_storage.exists(name):
        default_storage.delete(name)
    return default_storage.save(name, ContentFile(pdf))


@dataclass
class _Rendered:
    item: _Planned
    file: str  # the PDF, in the storage
    size: int


def _ticket_data(entry: _Rendered, reporters: dict[str, User]) -> LegacyTicketData:
    legacy = entry.item.legacy
    return LegacyTicketData(
        line=entry.item.line,
        legacy_id=legacy.legacy_id,
        title=legacy.subject,
        priority=legacy.priority,
        status=legacy.status,
        reporter=reporters.get(email_canonical(legacy.reporter_email)),
        reporter_name=legacy.reporter_name,
        reporter_email=legacy.reporter_email,
        partner_access=legacy.partner_access,
        opened_at=legacy.opened_at,
        last_activity_at=max([legacy.opened_at, *(message.at for message in legacy.messages)]),
        body=CARRIED_OVER.format(legacy_id=legacy.legacy_id),
        conversation_file=entry.file,
        conversation_name=f"{legacy.legacy_id}.pdf",
        conversation_size=entry.size,
    )


def _store(report: ImportReport, batch: list[_Rendered], reporters: dict[str, User]) -> None:
    """Commit a batch of rendered tickets in one transaction; if any of them is refused, each on its own, so
    that one fails alone."""
    try:
        tickets_legacy_create(tickets=[_ticket_data(entry, reporters) for entry in batch])
    except Exception as exc:
        if len(batch) == 1:
            _store_failed(report, batch[0], exc)
            return
        for entry in batch:
            _store(report, [entry], reporters)
    else:
        report.tickets.imported += len(batch)


def _store_failed(report: ImportReport, entry: _Rendered, error: BaseException) -> None:
    legacy_id = entry.item.legacy.legacy_id
    # Never remove a file that a committed ticket (of another run) already points to.
    if not Attachment.objects.filter(file=entry.file).exists():
        default_storage.delete(entry.file)
    if isinstance(error, IntegrityError) and Ticket.objects.filter(legacy_id=legacy_id).exists():
        report.skip(line=entry.item.line_number, kind="tickets")  # imported meanwhile by another run
        return
    # Otherwise the ticket is not in (e.g. its number was taken), so it fails.
    report.fail(
        line=entry.item.line_number,
        kind="tickets",
        code="save",
        reason=_("Ticket %(id)s could not be saved: %(error)s.") % {"id": legacy_id, "error": error},
    )


def legacy_files_sweep() -> int:
    """Remove PDFs under legacy/ that no attachment refers to (left by a run killed before its commit)."""
    try:
        _dirs, files = default_storage.listdir(LEGACY_DIR)
    except FileNotFoundError:
        return 0
    referenced = set(Attachment.objects.filter(file__startswith=f"{LEGACY_DIR}/").values_list("file", flat=True))
    removed = 0
    for file_name in files:
        name = f"{LEGACY_DIR}/{file_name}"
        if name not in referenced:
            default_storage.delete(name)
            removed += 1
    return removed


@dataclass(frozen=True)
class RenderLimits:
    """What one ticket's PDF may use in a render worker (`--cpu-limit`, `--memory-limit`)."""

    cpu_s: float
    memory_mb: int


@contextmanager
def render_workers(workers: int, limits: RenderLimits) -> Iterator[Pool | None]:
    """The render workers of a run (None for `workers` 0: render in this process, with no limits). Opened when
    the run starts, not when its first PDF is due: the workers start Django and load the fonts while this
    process reads the export and writes the contracts."""
    if workers <= 0:
        yield None
        return
    with render_pool(workers=workers, memory_mb=limits.memory_mb, warm=True) as pool:
        yield pool


def _rendered(
    planned: Iterable[_Planned], pool: Pool | None, limits: RenderLimits
) -> Iterator[tuple[_Planned, bytes | Exception]]:
    from . import pdf

    if pool is None:
        # In this process, with no limits: for a ticket an operator has looked at and wants through anyway.
        for item in planned:
            try:
                yield item, pdf.conversation_pdf(pdf_data(item), language="pl")
            except Exception as exc:  # one ticket's render failing must not stop the run
                yield item, exc
        return
    jobs = ((item, pdf_data(item), "pl") for item in planned)
    yield from render_many(pool, jobs, cpu_s=limits.cpu_s)


def import_tickets(
    report: ImportReport,
    tickets: list[tuple[int, LegacyTicket]],
    *,
    batches: Iterable[list[tuple[int, LegacyTicket]]] | None = None,
    dry_run: bool,
    pool: Pool | None,
    limits: RenderLimits,
    ended_contracts: Container[str] = frozenset(),
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Import the open tickets of the export. `batches` gives them in the order their contracts are written
    (legacy_import: a batch as soon as its contract is in, so the first PDFs render while the other contracts
    are written); by default they come in one batch. `ended_contracts` may grow while the batches come."""
    planner = _Planner(report, tickets, ended_contracts)
    handled = 0

    def planned() -> Iterator[_Planned]:
        nonlocal handled
        for batch in [tickets] if batches is None else batches:
            placed = planner.plan(batch)
            handled += len(batch) - len(placed)  # failed or skipped while placing
            yield from placed

    if dry_run:
        report.tickets.imported += sum(1 for _item in planned())  # what a real run would import (no PDFs)
        return
    canonical = {email_canonical(legacy.reporter_email) for _number, legacy in tickets}
    reporters = {user.email_canonical: user for user in User.objects.filter(email_canonical__in=canonical)}
    total = len(tickets)
    batch: list[_Rendered] = []

    def store() -> None:
        nonlocal handled
        _store(report, batch, reporters)
        handled += len(batch)
        batch.clear()
        if progress:
            progress(handled, total)

    for item, result in _rendered(planned(), pool, limits):
        if isinstance(result, Exception):
            error = result.message() if hasattr(result, "message") else f"{type(result).__name__}: {result}"
            report.fail(
                line=item.line_number,
                kind="tickets",
                code="pdf",
                reason=_("Ticket %(id)s: the PDF of its conversation could not be made: %(error)s.")
                % {"id": item.legacy.legacy_id, "error": error},
            )
            handled += 1
        else:
            batch.append(_Rendered(item=item, file=_pdf_write(item, result), size=len(result)))
            if len(batch) >= STORE_BATCH:
                store()
    if batch:
        store()
    if progress and total:
        progress(handled, total)  # the last batch may have had nothing to render
    legacy_files_sweep()
