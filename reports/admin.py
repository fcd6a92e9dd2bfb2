from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.urls import path

from . import views
from .models import Report


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    """No list of objects: the "change list" of `Report` is the report page, so the admin index links to it for
    those holding `reports.view_report` (the Engineers group)."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path("", self.admin_site.admin_view(self.report_view), name="{}_{}_changelist".format(*info)),
            path("csv/", self.admin_site.admin_view(self.csv_view), name="{}_{}_csv".format(*info)),
        ]

    def _open(self, request, view):
        """Those without `reports.view_report` are refused (403) before anything else; the report is only read."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        return view(request, context={**self.admin_site.each_context(request), "opts": self.opts})

    def report_view(self, request):
        return self._open(request, views.report_page)

    def csv_view(self, request):
        return self._open(request, views.report_csv)
