import re
from datetime import date
from urllib.parse import urlencode

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from contracts.notation import contract_number_parse

from .selectors import ReportFilter

MONTH_RE = re.compile(r"(\d{4})-(\d{1,2})")
# A report reaches over at most this many months (a renewal meeting looks at a few years at most).
MAX_MONTHS = 60


def month_parse(value: str) -> date:
    """`2026-03` (as `<input type="month">` sends it) → 1 March 2026."""
    match = MONTH_RE.fullmatch((value or "").strip())
    if match:
        year, month = int(match.group(1)), int(match.group(2))
        if 2000 <= year <= 2100 and 1 <= month <= 12:
            return date(year, month, 1)
    raise ValidationError(_("Enter a month as year and month, for example 2026-03."), code="month_format")


def months_between(first: date, last: date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month + 1


def default_months(today: date) -> tuple[date, date]:
    """The last 12 months, the current one included."""
    last = today.replace(day=1)
    index = last.year * 12 + last.month - 1 - 11
    return date(index // 12, index % 12 + 1, 1), last


class MonthInput(forms.TextInput):
    input_type = "month"


class ReportFilterForm(forms.Form):
    company = forms.CharField(
        label=_("Company"),
        required=False,
        max_length=255,
        help_text=_("A part of its name, or its NIP in any notation."),
    )
    contract = forms.CharField(label=_("Contract"), required=False, max_length=20)
    month_from = forms.CharField(label=_("From month"), required=False, widget=MonthInput)
    month_to = forms.CharField(label=_("To month"), required=False, widget=MonthInput)

    def __init__(self, *args, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.default_from, self.default_to = default_months(today)

    def clean_contract(self) -> str:
        value = self.cleaned_data["contract"].strip()
        return contract_number_parse(value) if value else ""

    def clean_month_from(self) -> date:
        value = self.cleaned_data["month_from"]
        return month_parse(value) if value.strip() else self.default_from

    def clean_month_to(self) -> date:
        value = self.cleaned_data["month_to"]
        return month_parse(value) if value.strip() else self.default_to

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("month_from"), cleaned.get("month_to")
        if first and last:
            if first > last:
                self.add_error("month_to", _("The last month comes before the first one."))
            elif months_between(first, last) > MAX_MONTHS:
                self.add_error("month_to", _("A report covers at most %(count)d months.") % {"count": MAX_MONTHS})
        return cleaned

    def report_filter(self) -> ReportFilter:
        data = self.cleaned_data
        return ReportFilter(
            month_from=data["month_from"],
            month_to=data["month_to"],
            company=data["company"].strip(),
            contract=data["contract"],
        )

    def query_string(self) -> str:
        """The filters as applied, for the CSV link."""
        data = self.cleaned_data
        return urlencode(
            {
                "company": data["company"].strip(),
                "contract": data["contract"],
                "month_from": f"{data['month_from']:%Y-%m}",
                "month_to": f"{data['month_to']:%Y-%m}",
            }
        )
