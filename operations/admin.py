"""Service operations in the back office (SPEC §6, §7).

- On the engineers' ticket page, a desk panel (registered with the ticket admin below): approve and update a
  replacement, record an allowance use. Each POST calls a service and goes back to the ticket with a message,
  like the rest of the desk.
- Replacements and allowance uses are read in their own lists; the plans' allowances are data edited here.
"""

from collections.abc import Callable

from django.contrib import admin, messages
from django.forms import Form
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contracts.admin import NotationSearchMixin
from tickets.admin import DeskPanel, TicketAdmin

from . import services
from .forms import (
    AllowanceUseForm,
    ReplacementApproveForm,
    ReplacementUpdateForm,
    ScheduledWorkAgreeForm,
    ScheduledWorkDoneForm,
    ScheduledWorkRescheduleForm,
)
from .models import AllowanceUse, PlanAllowance, PlanScheduledWork, Replacement, ScheduledWork
from .selectors import (
    allowances_for_contracts,
    replacements_for_ticket,
    scheduled_work_kinds,
    scheduled_works_for_ticket,
)

# --- the desk panel on the ticket page ---------------------------------------------------------------


def desk_context(ticket) -> dict:
    replacements = list(replacements_for_ticket(ticket))
    for replacement in replacements:
        replacement.form = ReplacementUpdateForm.for_replacement(replacement)
    rows = allowances_for_contracts([ticket.contract], timezone.localdate()).get(ticket.contract_id, [])
    return {
        "replacements": replacements,
        "replacement_approve_form": ReplacementApproveForm(),
        "allowance_rows": rows,
        "allowance_form": AllowanceUseForm(kinds=[row.kind for row in rows]) if rows else None,
    }


def _form_errors(form: Form) -> str:
    return " ".join(
        f"{form.fields[name].label}: {' '.join(errors)}" if name in form.fields else " ".join(errors)
        for name, errors in form.errors.items()
    )


def _desk_form_view(
    model_admin: TicketAdmin, form_class: type[Form], action: Callable[..., Callable[[], object]], success
) -> Callable:
    """A desk POST at `<pk>/<name>/`: the form's errors become the page's message; else
    `action(request, ticket, data)` (which looks up what it needs, a 404 if it is not the ticket's) returns the
    service call that `desk_run` makes, with `success` as its message."""

    def view(request, pk):
        ticket = model_admin.desk_ticket(pk)
        form = form_class(request.POST)
        if not form.is_valid():
            messages.error(request, _form_errors(form))
            return model_admin.desk_redirect(ticket)
        return model_admin.desk_run(request, ticket, action(request, ticket, dict(form.cleaned_data)), str(success))

    return view


def _of_ticket(model, ticket, pk):
    found = model.objects.filter(pk=pk, ticket=ticket).first()
    if found is None:
        raise Http404
    return found


def _replacement_update(request, ticket, data):
    replacement = _of_ticket(Replacement, ticket, data.pop("replacement"))
    return lambda: services.replacement_update(replacement=replacement, engineer=request.user, **data)


def desk_views(model_admin: TicketAdmin) -> list[tuple[str, Callable]]:
    """(name, view) pairs for `TicketAdmin.get_urls`: `<pk>/<name>/`, POST only, behind the admin login."""
    return [
        (
            "rma_approve",
            _desk_form_view(
                model_admin,
                ReplacementApproveForm,
                lambda request, ticket, data: (
                    lambda: services.replacement_approve(ticket=ticket, engineer=request.user, **data)
                ),
                _("The replacement has been approved and its delivery clock is running."),
            ),
        ),
        (
            "rma_update",
            _desk_form_view(
                model_admin, ReplacementUpdateForm, _replacement_update, _("The replacement has been saved.")
            ),
        ),
        (
            "allowance_use",
            _desk_form_view(
                model_admin,
                AllowanceUseForm,
                lambda request, ticket, data: (
                    lambda: services.allowance_use_record(ticket=ticket, engineer=request.user, **data)
                ),
                _("The allowance use has been recorded."),
            ),
        ),
    ]


TicketAdmin.desk_panel_register(
    DeskPanel(template="operations/_desk_boxes.html", context=desk_context, views=desk_views)
)


def scheduled_desk_context(ticket) -> dict:
    works = scheduled_works_for_ticket(ticket)
    for work in works:
        work.date_change_form = ScheduledWorkRescheduleForm.for_work(work)
        work.done_form = ScheduledWorkDoneForm.for_work(work)
    kinds = scheduled_work_kinds(ticket)
    form = ScheduledWorkAgreeForm(kinds=kinds, initial={"requested_at": ticket.created_at}) if kinds else None
    return {"scheduled_works": works, "scheduled_work_form": form}


def _scheduled_date_change(request, ticket, data):
    work = _of_ticket(ScheduledWork, ticket, data["scheduled_work"])
    return lambda: services.scheduled_work_date_change(
        scheduled_work=work, engineer=request.user, agreed_for=data["agreed_for"]
    )


def _scheduled_done(request, ticket, data):
    work = _of_ticket(ScheduledWork, ticket, data["scheduled_work"])
    return lambda: services.scheduled_work_done(scheduled_work=work, engineer=request.user, done_at=data["done_at"])


def scheduled_desk_views(model_admin: TicketAdmin) -> list[tuple[str, Callable]]:
    """The scheduled-work POSTs of the desk (SPEC §6): agree, re-agree, done."""
    return [
        (
            "scheduled_agree",
            _desk_form_view(
                model_admin,
                ScheduledWorkAgreeForm,
                lambda request, ticket, data: (
                    lambda: services.scheduled_work_agree(ticket=ticket, engineer=request.user, **data)
                ),
                _("The agreed date has been recorded and its clock is running."),
            ),
        ),
        (
            "scheduled_date_change",
            _desk_form_view(
                model_admin, ScheduledWorkRescheduleForm, _scheduled_date_change, _("The new date has been saved.")
            ),
        ),
        (
            "scheduled_done",
            _desk_form_view(
                model_admin, ScheduledWorkDoneForm, _scheduled_done, _("The work has been recorded as done.")
            ),
        ),
    ]


TicketAdmin.desk_panel_register(
    DeskPanel(
        template="operations/_desk_scheduled_work.html", context=scheduled_desk_context, views=scheduled_desk_views
    )
)

# --- the lists ---------------------------------------------------------------------------------------


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
class ReplacementAdmin(NotationSearchMixin, ReadOnlyAdmin):
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
class AllowanceUseAdmin(NotationSearchMixin, ReadOnlyAdmin):
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


@admin.register(ScheduledWork)
class ScheduledWorkAdmin(NotationSearchMixin, ReadOnlyAdmin):
    list_display = ["ticket_number", "company", "kind", "requested_at", "agreed_for", "done_at", "engineer"]
    list_filter = ["kind"]
    list_select_related = ["ticket__company", "engineer"]
    search_fields = ["=ticket__number", "ticket__line__serial"]
    ordering = ["-requested_at"]

    @admin.display(description=_("ticket"), ordering="ticket__number")
    def ticket_number(self, obj):
        return obj.ticket.number

    @admin.display(description=_("company"), ordering="ticket__company__name")
    def company(self, obj):
        return obj.ticket.company.name


@admin.register(PlanScheduledWork)
class PlanScheduledWorkAdmin(admin.ModelAdmin):
    list_display = ["plan", "kind", "days"]
    list_filter = ["plan"]
    list_select_related = ["plan"]
