from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import ImportRun


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    """Runs of import_legacy: what each imported, skipped and refused, and why (read-only)."""

    list_display = [
        "started_at",
        "source",
        "state",
        "dry_run",
        "contracts_imported",
        "tickets_imported",
        "tickets_skipped",
        "failed",
        "finished_at",
    ]
    list_filter = ["state"]
    fields = ["source", "dry_run", "state", "started_at", "finished_at", "errors_list"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("contracts imported"))
    def contracts_imported(self, obj):
        return obj.count("contracts", "imported")

    @admin.display(description=_("tickets imported"))
    def tickets_imported(self, obj):
        return obj.count("tickets", "imported")

    @admin.display(description=_("tickets skipped"))
    def tickets_skipped(self, obj):
        return obj.count("tickets", "skipped")

    @admin.display(description=_("failed records"))
    def failed(self, obj):
        return len(obj.report.get("errors", []))

    @admin.display(description=_("errors and notices"))
    def errors_list(self, obj):
        from django.utils.html import format_html_join

        rows = [(e["line"], e["reason"]) for e in obj.report.get("errors", []) + obj.report.get("notices", [])]
        return format_html_join("\n", "<p>{}: {}</p>", sorted(rows)) or "—"
