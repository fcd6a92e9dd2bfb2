"""What the legacy import reports, and the errors a record can raise (shared by contracts and tickets)."""

from dataclasses import asdict, dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop


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
    # Valid records that are not carried over for a reason the operator should see (SPEC §8).
    notices: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return len(self.errors)

    def as_dict(self) -> dict:
        return asdict(self)

    def fail(self, *, line: int, kind: str | None, reason: str, code: str = "invalid") -> None:
        """A record that was not imported and should have been: `code` groups the failures in the summary
        (FAILURE_CODES)."""
        if kind:
            getattr(self, kind).failed += 1
        self.errors.append({"line": line, "kind": kind or "", "code": code, "reason": _shortened(reason)})

    def skip(self, *, line: int, kind: str, reason: str = "") -> None:
        getattr(self, kind).skipped += 1
        if reason:
            self.notices.append({"line": line, "code": "skipped", "reason": _shortened(reason)})

    def notice(self, *, line: int, code: str, reason: str) -> None:
        """Something the operator should know that is not a failure (a company spelled two ways)."""
        self.notices.append({"line": line, "code": code, "reason": _shortened(reason)})

    def sort(self) -> None:
        """The order of the summary and the report, whatever order the work was done in: failed tickets
        first, grouped by reason, then failed contracts, then lines of no known kind; each group by line."""
        kinds = {"tickets": 0, "contracts": 1, "": 2}
        codes = {code: position for position, code in enumerate(FAILURE_CODES)}
        self.errors.sort(key=lambda e: (kinds.get(e["kind"], 3), codes.get(e["code"], len(codes)), e["line"]))
        self.notices.sort(key=lambda notice: (notice["code"] != "company_name", notice["line"]))

    def failures_by_reason(self) -> list[tuple[str, str, list[dict]]]:
        """[(kind, code, errors)] in summary order (call sort first)."""
        groups: list[tuple[str, str, list[dict]]] = []
        for error in self.errors:
            if not groups or groups[-1][:2] != (error["kind"], error["code"]):
                groups.append((error["kind"], error["code"], []))
            groups[-1][2].append(error)
        return groups


# Why a record failed, in the order the summary lists them (the most urgent first: an open ticket whose place
# is unknown), with the heading the summary gives each group.
FAILURE_CODES = {
    "contract_unknown": gettext_noop("contract not in the export or failed"),
    "contract_ended": gettext_noop("contract ended, not carried over"),
    "serial_not_on_contract": gettext_noop("serial number not on the contract"),
    "service_index": gettext_noop("service index (Hn) not on the contract"),
    "duplicate": gettext_noop("legacy id repeated with different content"),
    "pdf": gettext_noop("conversation PDF could not be made"),
    "save": gettext_noop("could not be saved"),
    "invalid": gettext_noop("invalid record"),
    "json": gettext_noop("not valid JSON"),
}


# A reason quotes the value it refuses; a 10 MB value must not make a 10 MB report.
REASON_MAX = 300


def _shortened(reason: str) -> str:
    return reason if len(reason) <= REASON_MAX else reason[: REASON_MAX - 1] + "…"


def text_field(record: dict, key: str) -> str:
    value = record.get(key)
    if not isinstance(value, str) or not value.strip():
        raise RecordError(_("Missing or empty field: %(field)s.") % {"field": key})
    return no_nul(value, key)


def no_nul(value: str, key: str) -> str:
    """A NUL character (`\\u0000` in JSON) cannot be stored in a PostgreSQL text column: the record fails
    here with a reason instead of the database failing the whole run."""
    if "\x00" in value:
        raise RecordError(_("Field %(field)s contains a NUL character.") % {"field": key})
    return value
