"""The service-operations boxes of the engineers' ticket page (SPEC §7): approve and update a replacement,
record an allowance use. `TicketAdmin` adds these views to its URLs and this context to its page; each POST
calls a service and goes back to the ticket with a message, like the rest of the desk."""

from collections.abc import Callable

from django.contrib import messages
from django.forms import Form
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext

from . import services
from .forms import AllowanceUseForm, ReplacementApproveForm, ReplacementUpdateForm
from .models import Replacement
from .selectors import allowances_for_contracts, replacements_for_ticket


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


def desk_actions(model_admin) -> list[tuple[str, Callable]]:
    """(name, view) pairs for `TicketAdmin.get_urls`: `<pk>/<name>/`, POST only, behind the admin login."""

    run = model_admin._run  # the desk's own: the service's refusal becomes an error message

    def replacement_approve_view(request, pk):
        ticket = model_admin._ticket(pk)
        form = ReplacementApproveForm(request.POST)
        if not form.is_valid():
            messages.error(request, _form_errors(form))
            return model_admin._back(ticket)
        return run(
            request,
            ticket,
            lambda: services.replacement_approve(ticket=ticket, engineer=request.user, **form.cleaned_data),
            gettext("The replacement has been approved and its delivery clock is running."),
        )

    def replacement_update_view(request, pk):
        ticket = model_admin._ticket(pk)
        form = ReplacementUpdateForm(request.POST)
        if not form.is_valid():
            messages.error(request, _form_errors(form))
            return model_admin._back(ticket)
        data = dict(form.cleaned_data)
        replacement = Replacement.objects.filter(pk=data.pop("replacement"), ticket=ticket).first()
        if replacement is None:
            raise Http404
        return run(
            request,
            ticket,
            lambda: services.replacement_update(replacement=replacement, engineer=request.user, **data),
            gettext("The replacement has been saved."),
        )

    def allowance_use_view(request, pk):
        ticket = model_admin._ticket(pk)
        form = AllowanceUseForm(request.POST)
        if not form.is_valid():
            messages.error(request, _form_errors(form))
            return model_admin._back(ticket)
        return run(
            request,
            ticket,
            lambda: services.allowance_use_record(ticket=ticket, engineer=request.user, **form.cleaned_data),
            gettext("The allowance use has been recorded."),
        )

    return [
        ("rma_approve", replacement_approve_view),
        ("rma_update", replacement_update_view),
        ("allowance_use", allowance_use_view),
    ]
