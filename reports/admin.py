from django.contrib import admin
from django.core.exceptions import PermissionDenied
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

    def _context(self, request) -> dict:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return {**self.admin_site.each_context(request), "opts": self.opts}

    def report_view(self, request):
        return views.report_page(request, context=self._context(request))

    def csv_view(self, request):
        return views.report_csv(request, context=self._context(request))
