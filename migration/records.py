"""What the legacy import reports, and the errors a record can raise (shared by contracts and tickets)."""

from dataclasses import asdict, dataclass, field

from django.utils.translation import gettext as _


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

    def fail(self, *, line: int, kind: str | None, reason: str) -> None:
        if kind:
            getattr(self, kind).failed += 1
        self.errors.append({"line": line, "reason": _shortened(reason)})

    def skip(self, *, line: int, kind: str, reason: str = "") -> None:
        getattr(self, kind).skipped += 1
        if reason:
            self.notices.append({"line": line, "reason": _shortened(reason)})


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
