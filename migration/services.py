"""Import of the previous portal's export (JSON Lines, `../shared/legacy/FORMAT.md`, SPEC §8)."""

import json
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from contracts.nip import nip_parse
from contracts.services import LineData, Outcome, contract_upsert

from .records import ImportReport, KindCounts, RecordError, RecordSkipped, no_nul, text_field
from .tickets import LegacyTicket, import_tickets, ticket_record_parse

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
        nip_parse(nip)
    except ValidationError as exc:
        raise RecordError(f"{key}.nip {nip!r}: {' '.join(exc.messages)}") from None
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


def import_contract_record(record: dict, *, today: date) -> Outcome:
    ends_on = _date(record, "ends_on")
    if ends_on < today:
        raise RecordSkipped
    customer = _company(record, "customer", required=True)
    reseller = _company(record, "reseller", required=False)
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


ProgressCallback = Callable[[int, int], None]
# One import at a time (two would race for the same tickets' files); a PostgreSQL session lock.
IMPORT_LOCK_KEY = 0x6D79_4845_5A4F


class ImportAlreadyRunning(Exception):
    pass


@contextmanager
def _import_lock() -> Iterator[None]:
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


def legacy_import(
    *,
    lines: Iterable[str],
    today: date,
    dry_run: bool = False,
    workers: int = 0,
    progress: ProgressCallback | None = None,
) -> ImportReport:
    """Import every record it can. Contracts first (a ticket may come before its contract in the file),
    then tickets. Each contract and each ticket is its own transaction, so a bad record changes nothing and
    does not stop the others, and a killed run keeps what it finished. With dry_run everything is
    validated (PDFs are not rendered) inside one transaction that is rolled back.

    `workers` > 0 renders the tickets' PDFs in that many processes while this one writes to the database."""
    report = ImportReport()
    tickets: list[tuple[int, LegacyTicket]] = []

    def import_all() -> None:
        for number, raw in enumerate(lines, start=1):
            if raw.strip():
                record = _import_line(report, number, raw, today)
                if record is not None:
                    tickets.append(record)
        import_tickets(report, tickets, dry_run=dry_run, workers=workers, progress=progress)

    with _import_lock():
        if dry_run:
            with transaction.atomic():
                import_all()
                transaction.set_rollback(True)
        else:
            # No transaction around the run: each record commits on its own, so a killed run keeps what it did.
            import_all()
    return report


def _import_line(report: ImportReport, number: int, raw: str, today: date) -> tuple[int, "LegacyTicket"] | None:
    """Import a contract line now; return a valid ticket line for the second pass."""
    try:
        record = json.loads(raw)
    except json.JSONDecodeError as exc:
        sniffed = TYPE_SNIFF_RE.search(raw)
        kind = KINDS[sniffed.group(1)] if sniffed else None
        report.fail(
            line=number,
            kind=kind,
            reason=_("Not valid JSON (column %(column)s): %(error)s.") % {"column": exc.colno, "error": exc.msg},
        )
        return None
    except RecursionError:
        # json's parser gives up on deep nesting ([[[[…) with a RecursionError rather than a JSONDecodeError.
        report.fail(line=number, kind=None, reason=_("Not valid JSON: nested too deeply."))
        return None
    if not isinstance(record, dict) or record.get("type") not in KINDS:
        report.fail(line=number, kind=None, reason=_("Unknown record type: expected contract or ticket."))
        return None
    kind = KINDS[record["type"]]
    if kind == "tickets":
        try:
            return number, ticket_record_parse(record)
        except RecordSkipped as skipped:
            report.skip(line=number, kind=kind, reason=str(skipped))
        except RecordError as exc:
            report.fail(line=number, kind=kind, reason=str(exc))
        return None
    counts: KindCounts = report.contracts
    try:
        with transaction.atomic():
            outcome = import_contract_record(record, today=today)
    except RecordSkipped:
        counts.skipped += 1
    except RecordError as exc:
        report.fail(line=number, kind=kind, reason=str(exc))
    else:
        if outcome is Outcome.CREATED:
            counts.imported += 1
        elif outcome is Outcome.UPDATED:
            counts.updated += 1
        else:
            counts.skipped += 1
    return None
