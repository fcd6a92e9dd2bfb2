"""The figures of the report for account managers: per company, contract and month (Europe/Warsaw).

One aggregate query per source, grouped by (company, contract, month), merged here in Python; the names of the
companies and contracts found come in two more queries. The number of queries does not depend on the number of
rows.

What counts in which month:
- opened: the ticket's `created_at`; closed: its `closed_at` (set when it is closed, cleared when reopened, so a
  reopened ticket counts when it is closed again);
- SLA clocks: a stopped clock counts by its outcome (met or missed) in the month it stopped; a clock still running
  past its due time (`SlaClock.is_overdue`, the agreed date replacing the SLA's) counts as missed in the month it
  was due. Clocks stopped without an answer, paused clocks and running clocks not yet due are not counted;
- replacements: approved, shipped and delivered, each in the month it happened;
- allowance uses: in the month they were recorded, per kind.
"""

import contextlib
from dataclasses import dataclass, field
from datetime import date, datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, Count, DateTimeField, F, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce, TruncMonth, Upper
from django.utils.translation import gettext_lazy as _

from contracts.models import Company, Contract
from contracts.nip import nip_display, nip_parse
from core.dates import WARSAW
from operations.models import AllowanceKind, AllowanceUse, Replacement
from sla.models import ClockKind, ClockState, Outcome, SlaClock
from tickets.models import Ticket

PERMISSION = "reports.view_report"
RESULTS = (Outcome.MET, Outcome.MISSED)


class ReplacementEvent:
    """The replacement columns, in this order: (code, label, the instant it counts at)."""

    COLUMNS = (
        ("approved", _("replacements approved"), "approved_at"),
        ("shipped", _("replacements shipped"), "shipped_at"),
        ("delivered", _("replacements delivered"), "delivered_at"),
    )


@dataclass(frozen=True)
class Column:
    key: tuple
    label: str


def report_columns() -> list[Column]:
    """The figure columns in their stable order. The clock and allowance kinds come from their choices, so a new
    kind gets its columns without a change here."""
    columns = [Column(("opened",), _("tickets opened")), Column(("closed",), _("tickets closed"))]
    for kind in ClockKind:
        columns.append(Column(("clock", kind.value, Outcome.MET), _("%(clock)s: met") % {"clock": kind.label}))
        columns.append(Column(("clock", kind.value, Outcome.MISSED), _("%(clock)s: missed") % {"clock": kind.label}))
    for code, label, _field in ReplacementEvent.COLUMNS:
        columns.append(Column(("replacement", code), label))
    for kind in AllowanceKind:
        columns.append(Column(("allowance", kind.value), _("uses: %(kind)s") % {"kind": kind.label}))
    return columns


@dataclass
class ReportRow:
    company_name: str
    company_nip: str
    contract_number: str
    month: date  # the first day of the month
    counts: dict = field(default_factory=dict)

    @property
    def month_display(self) -> str:
        return f"{self.month:%Y-%m}"

    def figures(self, columns: list[Column]) -> list[int]:
        return [self.counts.get(column.key, 0) for column in columns]


@dataclass
class Report:
    columns: list[Column]
    rows: list[ReportRow]

    @property
    def totals(self) -> list[int]:
        return [sum(row.counts.get(column.key, 0) for row in self.rows) for column in self.columns]


@dataclass(frozen=True)
class ReportFilter:
    month_from: date  # first days of months, both included
    month_to: date
    company: str = ""  # a name (any part, any case) or a NIP in any notation
    contract: str = ""  # canonical contract number

    @property
    def start(self) -> datetime:
        return datetime(self.month_from.year, self.month_from.month, 1, tzinfo=WARSAW)

    @property
    def end(self) -> datetime:
        year, month = (
            (self.month_to.year + 1, 1) if self.month_to.month == 12 else (self.month_to.year, self.month_to.month + 1)
        )
        return datetime(year, month, 1, tzinfo=WARSAW)


def _scope(report_filter: ReportFilter, *, company: str, contract: str) -> Q:
    """The company and contract filters as a condition on a source whose company is at `company` and contract at
    `contract` (field paths). The company is matched in the same query (a subquery): by a part of its name in any
    case (Polish letters too: upper case on both sides, as the ticket search does) or by its NIP in any notation."""
    condition = Q()
    term = report_filter.company.strip()
    if term:
        matches = Q(name_upper__contains=Upper(Value(term)))
        with contextlib.suppress(ValidationError):
            matches |= Q(nip=nip_parse(term))
        companies = Company.objects.annotate(name_upper=Upper("name")).filter(matches).values("pk")
        condition &= Q(**{f"{company}__in": companies})
    if report_filter.contract:
        condition &= Q(**{f"{contract}__number": report_filter.contract})
    return condition


def _grouped(queryset: QuerySet, *, at: str, company: str, contract: str, extra: tuple = ()) -> QuerySet:
    """Rows of (company id, contract id, month, *extra, n) for the instants `at` inside the report's months."""
    return (
        queryset.annotate(month=TruncMonth(at, tzinfo=WARSAW))
        .values(company, contract, "month", *extra)
        .annotate(n=Count("pk"))
        .order_by()
    )


def _in_months(at: str, report_filter: ReportFilter) -> Q:
    return Q(**{f"{at}__gte": report_filter.start, f"{at}__lt": report_filter.end})


def report_build(*, user: AbstractBaseUser, report_filter: ReportFilter, now: datetime) -> Report:
    """The report for `report_filter`, for a user holding `reports.view_report` (else PermissionDenied)."""
    if not (user.is_active and user.is_staff and user.has_perm(PERMISSION)):
        raise PermissionDenied
    found: dict[tuple[int, int, date], dict] = {}

    def add(company_id: int, contract_id: int, month: datetime, key: tuple, n: int) -> None:
        day = month.astimezone(WARSAW).date() if isinstance(month, datetime) else month
        counts = found.setdefault((company_id, contract_id, day.replace(day=1)), {})
        counts[key] = counts.get(key, 0) + n

    on_ticket = _scope(report_filter, company="company", contract="contract")
    for source, at in (("opened", "created_at"), ("closed", "closed_at")):
        rows = _grouped(
            Ticket.objects.filter(on_ticket, _in_months(at, report_filter)),
            at=at,
            company="company_id",
            contract="contract_id",
        )
        for row in rows:
            add(row["company_id"], row["contract_id"], row["month"], (source,), row["n"])

    # Clocks: a stopped clock counts in the month it stopped, a running overdue one in the month it was due.
    by_due, by_agreed = SlaClock.past_due_conditions(now)
    stopped = Q(outcome__in=RESULTS)
    clocks = (
        SlaClock.objects.filter(stopped | (Q(state=ClockState.RUNNING) & (by_due | by_agreed)))
        .filter(_scope(report_filter, company="ticket__company", contract="ticket__contract"))
        .annotate(
            counted_at=Case(
                When(stopped, then=F("stopped_at")),
                default=Coalesce("agreed_due_at", "due_at"),
                output_field=DateTimeField(),
            ),
            result=Case(When(outcome=Outcome.MET, then=Value(Outcome.MET.value)), default=Value(Outcome.MISSED.value)),
        )
        .filter(_in_months("counted_at", report_filter))
    )
    for row in _grouped(
        clocks, at="counted_at", company="ticket__company_id", contract="ticket__contract_id", extra=("kind", "result")
    ):
        add(
            row["ticket__company_id"],
            row["ticket__contract_id"],
            row["month"],
            ("clock", row["kind"], row["result"]),
            row["n"],
        )

    # Replacements: one query, the three events as a union of three groupings.
    on_replacement = _scope(report_filter, company="ticket__company", contract="ticket__contract")
    parts = [
        _grouped(
            Replacement.objects.filter(on_replacement, _in_months(at, report_filter)).annotate(event=Value(code)),
            at=at,
            company="ticket__company_id",
            contract="ticket__contract_id",
            extra=("event",),
        )
        for code, _label, at in ReplacementEvent.COLUMNS
    ]
    for row in parts[0].union(*parts[1:], all=True):
        add(
            row["ticket__company_id"], row["ticket__contract_id"], row["month"], ("replacement", row["event"]), row["n"]
        )

    uses = AllowanceUse.objects.filter(
        _scope(report_filter, company="contract__customer", contract="contract"), _in_months("used_at", report_filter)
    )
    for row in _grouped(uses, at="used_at", company="contract__customer_id", contract="contract_id", extra=("kind",)):
        add(row["contract__customer_id"], row["contract_id"], row["month"], ("allowance", row["kind"]), row["n"])

    companies = {
        pk: (name, nip)
        for pk, name, nip in Company.objects.filter(pk__in={key[0] for key in found}).values_list("pk", "name", "nip")
    }
    numbers = dict(Contract.objects.filter(pk__in={key[1] for key in found}).values_list("pk", "number"))
    rows = []
    for (company_id, contract_id, month), counts in found.items():
        name, nip = companies[company_id]
        rows.append(ReportRow(name, nip_display(nip), numbers[contract_id], month, counts))
    rows.sort(key=lambda row: (row.company_name.casefold(), row.company_nip, row.contract_number, row.month))
    return Report(columns=report_columns(), rows=rows)
