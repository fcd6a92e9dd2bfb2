"""The report page and its CSV (issue 17 item 8), opened through the admin (`reports/admin.py`): staff with the
second factor and `reports.view_report`."""

import csv

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from .forms import ReportFilterForm, default_months
from .selectors import report_build


def _form(request: HttpRequest) -> ReportFilterForm:
    """The filters from the query string; months not given are the last 12 (shown filled in)."""
    today = timezone.localdate()
    data = request.GET.copy()
    default_from, default_to = default_months(today)
    data.setdefault("month_from", f"{default_from:%Y-%m}")
    data.setdefault("month_to", f"{default_to:%Y-%m}")
    return ReportFilterForm(data, today=today)


def report_page(request: HttpRequest, *, context: dict, status: int = 200) -> TemplateResponse:
    form = _form(request)
    report = None
    if form.is_valid():
        report = report_build(user=request.user, report_filter=form.report_filter(), now=timezone.now())
    return TemplateResponse(
        request,
        "admin/reports/report.html",
        {
            **context,
            "title": _("Report for account managers"),
            "form": form,
            "report": report,
            "rows": [(row, row.figures(report.columns)) for row in report.rows] if report else [],
            "csv_query": form.query_string() if report else "",
        },
        status=status if report else 400,
    )


def report_csv(request: HttpRequest, *, context: dict) -> HttpResponse:
    """The same figures as the page, as CSV for Excel: UTF-8 with a BOM, the header in the user's language."""
    form = _form(request)
    if not form.is_valid():
        return report_page(request, context=context, status=400)
    report_filter = form.report_filter()
    report = report_build(user=request.user, report_filter=report_filter, now=timezone.now())
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"myhezo-report-{report_filter.month_from:%Y-%m}-{report_filter.month_to:%Y-%m}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([_("Company"), _("NIP"), _("Contract"), _("Month")] + [str(c.label) for c in report.columns])
    for row in report.rows:
        writer.writerow(
            [row.company_name, row.company_nip, row.contract_number, row.month_display, *row.figures(report.columns)]
        )
    return response
