"""Import of the previous portal's export (JSON Lines, `../shared/legacy/FORMAT.md`, SPEC §8)."""

import json
import os
import re
import socket
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from multiprocessing.pool import Pool

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from contracts.nip import nip_parse
from contracts.notation import contract_number_parse
from contracts.services import LineData, Outcome, contract_upsert

from .models import ImportRun
from .pdf_limits import DEFAULT_CPU_S, DEFAULT_MEMORY_MB
from .records import ImportReport, KindCounts, RecordError, RecordSkipped, no_nul, text_field
from .tickets import LegacyTicket, RenderLimits, import_tickets, render_workers, ticket_record_parse

KINDS = {"contract": "contracts", "ticket": "tickets"}
# A line that is not valid JSON still usually shows its type; it is counted under that kind.
TYPE_SNIFF_RE = re.compile(r'"type"\s*:\s*"(contract|ticket)"')


def _company(record: dict, key: str, *, required: bool) -> tuple[str, str] | None:
    value = record.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, dict):
        raise RecordError(_("Missing or invalid field: %(field)s.") % {"field": key})
    nip = text_field(value, "nip")
    try:
        nip = nip_parse(nip)
    except ValidationError as exc:
        raise RecordError(
            _("Field %(field)s %(value)r: %(error)s")
            % {"field": f"{key}.nip", "value": nip, "error": " ".join(exc.messages)}
        ) from None
    return nip, text_field(value, "name")


def _date(record: dict, key: str) -> date:
    try:
        return date.fromisoformat(text_field(record, key))
    except ValueError:
        raise RecordError(_("Not an ISO date (YYYY-MM-DD): %(field)s.") % {"field": key}) from None


def _lines(record: dict) -> list[LineData]:
    lines = record.get("lines")
    if not isinstance(lines, list) or not lines:
        raise RecordError(_("A contract needs at least one line."))
    result = []
    for item in lines:
        if not isinstance(item, dict):
            raise RecordError(_("Missing or invalid field: %(field)s.") % {"field": "lines"})
        model = item.get("model", "")
        model = no_nul(model, "lines.model") if isinstance(model, str) else ""
        result.append(LineData(serial=text_field(item, "serial"), model=model))
    return result


def import_contract_record(record: dict, *, today: date, names: dict[str, str] | None = None) -> Outcome:
    """Create or update one contract; `names` gives the one name per NIP that the whole export agrees on
    (company_names)."""
    ends_on = _date(record, "ends_on")
    if ends_on < today:
        raise RecordSkipped
    customer = _company(record, "customer", required=True)
    reseller = _company(record, "reseller", required=False)
    names = names or {}
    customer = (customer[0], names.get(customer[0], customer[1]))
    if reseller:
        reseller = (reseller[0], names.get(reseller[0], reseller[1]))
    try:
        _contract, outcome = contract_upsert(
            number=text_field(record, "number"),
            customer_nip=customer[0],
            customer_name=customer[1],
            reseller_nip=reseller[0] if reseller else None,
            reseller_name=reseller[1] if reseller else None,
            plan_name=text_field(record, "plan"),
            starts_on=_date(record, "starts_on"),
            ends_on=ends_on,
            lines=_lines(record),
            actor_name="import_legacy",
        )
    except ValidationError as exc:
        raise RecordError(" ".join(exc.messages)) from None
    return outcome


@dataclass(frozen=True)
class _Spelling:
    starts_on: date
    name: str
    line: int


def company_names(report: ImportReport, contracts: list[tuple[int, dict]], *, today: date) -> dict[str, str]:
    """One name per NIP, whatever order the export is in, so every run writes the same name and a re-run
    changes nothing. The rule (README, "Legacy import"): the name as spelled on the contract that starts
    latest, among those carried over; between contracts starting the same day, the spelling that sorts first
    (code point order). A NIP spelled more than one way gets one notice."""
    spellings: dict[str, list[_Spelling]] = {}
    for number, record in contracts:
        try:
            starts_on = _date(record, "starts_on")
            if _date(record, "ends_on") < today:
                continue  # not carried over
            parties = [_company(record, "customer", required=True), _company(record, "reseller", required=False)]
        except RecordError:
            continue
        for party in parties:
            if party:
                spellings.setdefault(party[0], []).append(_Spelling(starts_on, party[1], number))
    names = {}
    for nip, found in spellings.items():
        chosen = min(found, key=lambda spelling: (-spelling.starts_on.toordinal(), spelling.name))
        names[nip] = chosen.name
        variants = sorted({spelling.name for spelling in found})
        if len(variants) > 1:
            report.notice(
                line=min(spelling.line for spelling in found),
                code="company_name",
                reason=_(
                    "The export spells the name of the company with NIP %(nip)s in %(count)d ways (%(names)s); "
                    "it is imported as %(name)s, from the contract that starts latest."
                )
                % {
                    "nip": nip,
                    "count": len(variants),
                    "names": ", ".join(repr(variant) for variant in variants),
                    "name": repr(chosen.name),
                },
            )
    return names


ProgressCallback = Callable[[int, int], None]
# One import at a time (two would race for the same tickets' files); a PostgreSQL session lock.
IMPORT_LOCK_KEY = 0x6D79_4845_5A4F


class ImportAlreadyRunning(Exception):
    pass


@contextmanager
def import_lock() -> Iterator[None]:
    """Held while an import runs (PostgreSQL: a session advisory lock, which the server releases when the
    process dies, however it dies). Re-entrant within one process."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [IMPORT_LOCK_KEY])
        if not cursor.fetchone()[0]:
            raise ImportAlreadyRunning(_("Another import is running; wait for it to finish."))
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [IMPORT_LOCK_KEY])


def import_runs_stale_mark() -> list[ImportRun]:
    """Mark the import runs that still say "running" but whose process is gone (killed: SIGKILL, a power cut)
    as interrupted, and return them. Call it holding import_lock: on PostgreSQL no other import can be running
    then, so every "running" record is stale; elsewhere (SQLite, development) a record is stale when its process
    on this machine no longer exists."""
    stale = []
    for run in ImportRun.objects.filter(state=ImportRun.State.RUNNING).order_by("started_at", "pk"):
        if connection.vendor == "postgresql" or (run.host == socket.gethostname() and not _process_alive(run.pid)):
            run.state = ImportRun.State.INTERRUPTED
            run.save(update_fields=["state"])
            stale.append(run)
    return stale


def _process_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def import_run_start(*, source: str) -> ImportRun:
    return ImportRun.objects.create(source=source, pid=os.getpid(), host=socket.gethostname())


def import_run_finish(*, run: ImportRun, report: ImportReport | None) -> None:
    """Finished with its report, or (report None: stopped by an error or Ctrl-C) interrupted."""
    run.state = ImportRun.State.FINISHED if report is not None else ImportRun.State.INTERRUPTED
    run.finished_at = timezone.now()
    run.report = report.as_dict() if report is not None else {}
    run.save()


def legacy_import(
    *,
    lines: Iterable[str],
    today: date,
    dry_run: bool = False,
    workers: int = 0,
    limits: RenderLimits | None = None,
    progress: ProgressCallback | None = None,
) -> ImportReport:
    """Import every record it can. Contracts first (a ticket may come before its contract in the file),
    then tickets. Each contract and each ticket is its own transaction, so a bad record changes nothing and
    does not stop the others, and a killed run keeps what it finished. With dry_run everything is
    validated (PDFs are not rendered) inside one transaction that is rolled back.

    `workers` > 0 renders the tickets' PDFs in that many processes, each render within `limits` (CPU time and
    memory), while this one writes to the database; 0 renders here, without limits."""
    report = ImportReport()
    limits = limits or RenderLimits(cpu_s=DEFAULT_CPU_S, memory_mb=DEFAULT_MEMORY_MB)

    def import_all(pool: Pool | None) -> None:
        contracts: list[tuple[int, dict]] = []
        tickets: list[tuple[int, LegacyTicket]] = []
        for number, raw in enumerate(lines, start=1):
            if raw.strip():
                _read_line(report, number, raw, contracts, tickets)
        names = company_names(report, contracts, today=today)
        ended: set[str] = set()
        batches = _contracts_then_their_tickets(report, contracts, tickets, today=today, names=names, ended=ended)
        import_tickets(
            report,
            tickets,
            batches=batches,
            dry_run=dry_run,
            pool=pool,
            limits=limits,
            ended_contracts=ended,
            progress=progress,
        )
        report.sort()

    with import_lock():
        if dry_run:
            with transaction.atomic():
                import_all(None)  # no PDFs are rendered
                transaction.set_rollback(True)
        else:
            # No transaction around the run: each record commits on its own, so a killed run keeps what it did.
            with render_workers(workers, limits) as pool:
                import_all(pool)
    return report


# The json module's messages, for translation (its wording, Python 3.11–3.13); a message not listed stays as
# json says it.
JSON_MESSAGES = {
    "Expecting value": gettext_noop("a value was expected"),
    "Expecting property name enclosed in double quotes": gettext_noop("a property name in double quotes was expected"),
    "Expecting ':' delimiter": gettext_noop("a colon (:) was expected"),
    "Expecting ',' delimiter": gettext_noop("a comma (,) was expected"),
    "Unterminated string starting at": gettext_noop("a string starts here and is never closed"),
    "Invalid control character at": gettext_noop("a control character inside a string"),
    "Invalid \\escape": gettext_noop("an invalid backslash escape"),
    "Invalid \\uXXXX escape": gettext_noop("an invalid \\uXXXX escape"),
    "Extra data": gettext_noop("more data after the end of the record"),
    "Illegal trailing comma before end of object": gettext_noop("a comma before the end of an object"),
    "Illegal trailing comma before end of array": gettext_noop("a comma before the end of an array"),
}


def json_error_message(message: str) -> str:
    """The json module's message in the active language."""
    for english, translated in JSON_MESSAGES.items():
        if message == english or message.startswith(english + ":"):
            return _(translated)
    return message


def _read_line(
    report: ImportReport,
    number: int,
    raw: str,
    contracts: list[tuple[int, dict]],
    tickets: list[tuple[int, LegacyTicket]],
) -> None:
    """Parse one line: a contract is kept for the contract pass, a valid ticket for the ticket pass."""
    # Without its line break: an error at the end of the line is at its last column, not "line 2, column 1".
    raw = raw.rstrip("\r\n")
    try:
        record = json.loads(raw)
    except json.JSONDecodeError as exc:
        sniffed = TYPE_SNIFF_RE.search(raw)
        kind = KINDS[sniffed.group(1)] if sniffed else None
        report.fail(
            line=number,
            kind=kind,
            code="json",
            reason=_("Not valid JSON (column %(column)s): %(error)s.")
            % {"column": exc.colno, "error": json_error_message(exc.msg)},
        )
        return
    except RecursionError:
        # json's parser gives up on deep nesting ([[[[…) with a RecursionError rather than a JSONDecodeError.
        report.fail(line=number, kind=None, code="json", reason=_("Not valid JSON: nested too deeply."))
        return
    if not isinstance(record, dict) or record.get("type") not in KINDS:
        report.fail(line=number, kind=None, reason=_("Unknown record type: expected contract or ticket."))
        return
    kind = KINDS[record["type"]]
    if kind == "contracts":
        contracts.append((number, record))
        return
    try:
        tickets.append((number, ticket_record_parse(record)))
    except RecordSkipped as skipped:
        report.skip(line=number, kind=kind, reason=str(skipped))
    except RecordError as exc:
        report.fail(line=number, kind=kind, reason=str(exc))


def _contracts_then_their_tickets(
    report: ImportReport,
    contracts: list[tuple[int, dict]],
    tickets: list[tuple[int, LegacyTicket]],
    *,
    today: date,
    names: dict[str, str],
    ended: set[str],
) -> Iterator[list[tuple[int, LegacyTicket]]]:
    """Import the contracts in the export's order and, after the last record of each contract number, yield
    that contract's tickets: their PDFs render while the next contracts are written. The tickets whose contract
    is not in the export (imported by an earlier run, or missing) come last, after every contract."""
    waiting: dict[str, list[tuple[int, LegacyTicket]]] = {}
    for number, legacy in tickets:
        waiting.setdefault(legacy.contract_number, []).append((number, legacy))
    keys = [_contract_key(record) for _number, record in contracts]
    last = {key: index for index, key in enumerate(keys) if key is not None}
    for index, (number, record) in enumerate(contracts):
        _import_contract(report, number, record, today=today, names=names, ended=ended)
        key = keys[index]
        if key is not None and last[key] == index and key in waiting:
            yield waiting.pop(key)
    rest = sorted((ticket for batch in waiting.values() for ticket in batch), key=lambda ticket: ticket[0])
    if rest:
        yield rest


def _contract_key(record: dict) -> str | None:
    """The contract number of a contract record in the tickets' notation, or None if it has none."""
    try:
        return contract_number_parse(text_field(record, "number"))
    except (RecordError, ValidationError):
        return None


def _import_contract(
    report: ImportReport, number: int, record: dict, *, today: date, names: dict[str, str], ended: set[str]
) -> None:
    counts: KindCounts = report.contracts
    try:
        outcome = import_contract_record(record, today=today, names=names)  # contract_upsert: one transaction
    except RecordSkipped:
        counts.skipped += 1
        if (key := _contract_key(record)) is not None:
            ended.add(key)
    except RecordError as exc:
        report.fail(line=number, kind="contracts", reason=str(exc))
    else:
        if outcome is Outcome.CREATED:
            counts.imported += 1
        elif outcome is Outcome.UPDATED:
            counts.updated += 1
        else:
            counts.skipped += 1
