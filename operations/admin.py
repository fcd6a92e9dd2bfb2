"""Service operations in the back office: replacements and allowance uses are read here and written on the
ticket page (operations/desk.py) through the services; the plans' allowances are data edited here."""

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import AllowanceUse, PlanAllowance, Replacement


class ReadOnlyAdmin(admin.ModelAdmin):
    """Every HEZO engineer (staff) reads these; changes go through the ticket page, so history is written."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReturnOverdueFilter(admin.SimpleListFilter):
    title = _("return overdue")
    parameter_name = "return_overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        # The real state, not the hourly flag: a unit that became overdue a minute ago is listed already.
        if self.value() == "yes":
            return queryset.return_overdue(timezone.now())
        if self.value() == "no":
            return queryset.return_not_overdue(timezone.now())
        return queryset


@admin.register(Replacement)
class ReplacementAdmin(ReadOnlyAdmin):
    list_display = [
        "ticket_number",
        "company",
        "approved_at",
        "delivered_at",
        "return_due_at",
        "returned_at",
        "overdue_flagged_at",
        "is_return_overdue",
    ]
    list_filter = [ReturnOverdueFilter, "hezo_pays_return_shipping"]
    list_select_related = ["ticket__company"]
    search_fields = ["=ticket__number", "replacement_serial", "tracking_number", "ticket__line__serial"]
    ordering = ["-approved_at"]

    @admin.display(description=_("ticket"), ordering="ticket__number")
    def ticket_number(self, obj):
        return obj.ticket.number

    @admin.display(description=_("company"), ordering="ticket__company__name")
    def company(self, obj):
        return obj.ticket.company.name

    @admin.display(description=_("return overdue"), boolean=True)
    def is_return_overdue(self, obj):
        return obj.is_return_overdue(timezone.now())


@admin.register(AllowanceUse)
class AllowanceUseAdmin(ReadOnlyAdmin):
    list_display = ["used_at", "contract", "ticket_number", "kind", "engineer", "note"]
    list_filter = ["kind", "contract__plan"]
    list_select_related = ["contract", "ticket", "engineer"]
    search_fields = ["=contract__number", "=ticket__number", "contract__customer__nip", "contract__customer__name"]
    ordering = ["-used_at"]

    @admin.display(description=_("ticket"), ordering="ticket__number")
    def ticket_number(self, obj):
        return obj.ticket.number


@admin.register(PlanAllowance)
class PlanAllowanceAdmin(admin.ModelAdmin):
    list_display = ["plan", "kind", "per_year"]
    list_filter = ["plan"]
    list_select_related = ["plan"]
