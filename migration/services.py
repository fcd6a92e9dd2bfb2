"""Import of the previous portal's export (JSON Lines, `../shared/legacy/FORMAT.md`, SPEC §8)."""

import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from contracts.nip import nip_parse
from contracts.services import LineData, Outcome, contract_upsert

KINDS = {"contract": "contracts", "ticket": "tickets"}
# A line that is not valid JSON still usually shows its type; it is counted under that kind.
TYPE_SNIFF_RE = re.compile(r'"type"\s*:\s*"(contract|ticket)"')


class RecordError(Exception):
    """A record that cannot be imported; the message is the reason shown to the operator."""


class RecordSkipped(Exception):
    """A valid record that is not carried over (an expired contract, a closed ticket)."""


@dataclass
class KindCounts:
    imported: int = 0
    updated: int = 0
    skipped: int = 0
    failed: int = 0


@dataclass
class ImportReport:
    contracts: KindCounts = field(default_factory=KindCounts)
    tickets: KindCounts = field(default_factory=KindCounts)
    errors: list[dict] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return len(self.errors)

    def as_dict(self) -> dict:
        return asdict(self)

    def fail(self, *, line: int, kind: str | None, reason: str) -> None:
        if kind:
            getattr(self, kind).failed += 1
        self.errors.append({"line": line, "reason": reason})


def _text(record: dict, key: str) -> str:
    value = record.get(key)
    if not isinstance(value, str) or not value.strip():
        raise RecordError(_("Missing or empty field: %(field)s.") % {"field": key})
    return value


def _company(record: dict, key: str, *, required: bool) -> tuple[str, str] | None:
    value = record.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, dict):
        raise RecordError(_("Missing or invalid field: %(field)s.") % {"field": key})
    nip = _text(value, "nip")
    try:
        nip_parse(nip)
    except ValidationError as exc:
        raise RecordError(f"{key}.nip {nip!r}: {' '.join(exc.messages)}") from None
    return nip, _text(value, "name")


def _date(record: dict, key: str) -> date:
    try:
        return date.fromisoformat(_text(record, key))
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
        result.append(LineData(serial=_text(item, "serial"), model=model if isinstance(model, str) else ""))
    return result


def import_contract_record(record: dict, *, today: date) -> Outcome:
    ends_on = _date(record, "ends_on")
    if ends_on < today:
        raise RecordSkipped
    customer = _company(record, "customer", required=True)
    reseller = _company(record, "reseller", required=False)
    try:
        _contract, outcome = contract_upsert(
            number=_text(record, "number"),
            customer_nip=customer[0],
            customer_name=customer[1],
            reseller_nip=reseller[0] if reseller else None,
            reseller_name=reseller[1] if reseller else None,
            plan_name=_text(record, "plan"),
            starts_on=_date(record, "starts_on"),
            ends_on=ends_on,
            lines=_lines(record),
        )
    except ValidationError as exc:
        raise RecordError(" ".join(exc.messages)) from None
    return outcome


def legacy_import(*, lines: Iterable[str], today: date, dry_run: bool = False) -> ImportReport:
    """Import every record it can; each record is its own transaction, so a bad one changes nothing and
    does not stop the others. With dry_run everything is validated and rolled back."""
    report = ImportReport()

    def import_all() -> None:
        for number, raw in enumerate(lines, start=1):
            if raw.strip():
                _import_line(report, number, raw, today)

    if dry_run:
        with transaction.atomic():
            import_all()
            transaction.set_rollback(True)
    else:
        # No transaction around the run: each record commits on its own, so a killed run keeps what it did.
        import_all()
    return report


def _import_line(report: ImportReport, number: int, raw: str, today: date) -> None:
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
        return
    if not isinstance(record, dict) or record.get("type") not in KINDS:
        report.fail(line=number, kind=None, reason=_("Unknown record type: expected contract or ticket."))
        return
    kind = KINDS[record["type"]]
    counts: KindCounts = getattr(report, kind)
    if kind == "tickets":
        counts.skipped += 1  # ticket records are imported by the legacy-ticket import (issue 6)
        return
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
