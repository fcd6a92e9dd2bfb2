import heapq

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.access import customer_required, verified_required
from contracts.models import ContractLine, Priority
from contracts.selectors import active_contracts_for_user
from core.fragments import fragment

from . import services
from .forms import CcAddForm, EscalateForm, ReplyForm, TicketCreateForm, TicketFilterForm
from .history import timeline_for_reader
from .models import Attachment, Ticket
from .panels import ticket_page_panels_render
from .selectors import (
    TICKET_LIST_ORDER,
    TicketFilters,
    attachment_for_user,
    dialog_public,
    partner_reads_for_user,
    ticket_access,
    ticket_contract_numbers,
    ticket_customer_choices,
    ticket_for_customer,
    ticket_for_user,
    ticket_rows,
    tickets_filtered,
    tickets_for_access,
)


def _errors(error: ValidationError) -> str:
    return " ".join(error.messages)


@never_cache
@verified_required
@require_GET
def ticket_list(request):
    """The company's tickets (a partner: the consented ones), newest activity first."""
    access = ticket_access(request.user)
    contracts = list(ticket_contract_numbers(access))
    is_partner = access.kind == "partner"
    form = TicketFilterForm(
        request.GET or None,
        contracts=[row[0] for row in contracts],
        customers=ticket_customer_choices(contracts) if is_partner else None,
    )
    filters = TicketFilters(**form.cleaned_data) if form.is_valid() else TicketFilters()
    tickets = tickets_filtered(tickets_for_access(access), filters).order_by(*TICKET_LIST_ORDER)
    page = Paginator(tickets, settings.MYHEZO_TICKETS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    rows = ticket_rows(page.object_list)
    context = {
        "page": page,
        "rows": rows,
        # A row is a pure function of its values (core/fragments.py): drawn once per values and language.
        "rows_html": SafeString(
            "".join(fragment("tickets/_ticket_row.html", ticket=row, show_company=is_partner) for row in rows)
        ),
        "form": form,
        "query": query.urlencode(),
        "is_customer": request.user.is_verified_customer,
        "is_partner": is_partner,
    }
    return render(request, "tickets/ticket_list.html", context)


@never_cache
@customer_required
def ticket_new(request):
    lines = (
        ContractLine.objects.with_serial_line_count()
        .filter(contract__in=active_contracts_for_user(request.user).order_by())
        .select_related("contract__plan", "contract__reseller")
        .order_by("contract__number", "pk")
    )
    preselected = request.GET.get("contract", "").strip().upper()
    if preselected and lines.filter(contract__number=preselected).exists():
        lines = lines.filter(contract__number=preselected)
    form = TicketCreateForm(request.POST or None, request.FILES or None, lines=lines)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ticket = services.ticket_create(
                line=data["contract_line"],
                author=request.user,
                priority=data["priority"],
                title=data["title"],
                description=data["description"],
                attachments=data["attachments"],
                cc_emails=data["cc_emails"],
                partner_access=data["partner_access"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("Ticket %(number)s has been opened. We have sent a confirmation by e-mail.")
                % {"number": ticket.number},
            )
            return redirect(ticket.get_portal_url())
    return render(
        request,
        "tickets/ticket_new.html",
        {
            "form": form,
            "has_lines": bool(form.lines),
            "preselected": preselected if len(form.lines) else "",
            "files_again": form.files_to_choose_again(),
        },
    )


def _detail(request, ticket: Ticket, *, status: int = 200, reply_form=None, cc_form=None, escalate_form=None):
    """The ticket page: what it shows of the ticket is read here, on every view, by the portal's selectors."""
    is_customer = request.user.is_verified_customer
    # Messages and what happened to the ticket, newest first; at the same instant the message reads first.
    dialog = heapq.merge(
        ((message.created_at, 1, message) for message in dialog_public(ticket)),
        ((line.created_at, 0, line) for line in timeline_for_reader(ticket, partner=not is_customer)),
        key=lambda item: item[:2],
        reverse=True,
    )
    context = {
        "ticket": ticket,
        # A message or a timeline line is a pure function of its values (core/fragments.py): drawn once per
        # values and language.
        "dialog_html": SafeString(
            "".join(
                fragment("tickets/_message.html", number=ticket.number, message=item)
                if is_message
                else fragment("tickets/_event.html", event=item)
                for _at, is_message, item in dialog
            )
        ),
        "panels": ticket_page_panels_render(request, ticket),
        "ccs": list(ticket.ccs.all()) if is_customer else [],
        "partner_reads": partner_reads_for_user(request.user, ticket),
        "can_write": is_customer,
        "reply_form": reply_form or ReplyForm(),
        "cc_form": cc_form or CcAddForm(),
        "escalate_form": escalate_form or EscalateForm(),
        "priority_explained": dict(Priority.choices),
        "escalation_phone": settings.MYHEZO_ESCALATION_PHONE,
    }
    return render(request, "tickets/ticket_detail.html", context, status=status)


@never_cache
@verified_required
@require_GET
def ticket_detail(request, number):
    ticket = ticket_for_user(request.user, number)
    services.partner_read_record(ticket_id=ticket.pk, user=request.user)
    return _detail(request, ticket)


@never_cache
@verified_required
@require_POST
def ticket_reply(request, number):
    ticket = ticket_for_customer(request.user, number)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.ticket_reply(
                ticket=ticket,
                author=request.user,
                body=form.cleaned_data["body"],
                attachments=form.cleaned_data["attachments"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your message has been added to the ticket."))
            return redirect(ticket.get_portal_url())
    return _detail(request, ticket, reply_form=form, status=400)


def _simple_action(request, number, action, success: str):
    """A button on the ticket page: run the service; its refusal is shown on the page, in the user's language."""
    ticket = ticket_for_customer(request.user, number)
    try:
        action(ticket)
    except ValidationError as error:
        messages.error(request, _errors(error))
    else:
        messages.success(request, success)
    return redirect(ticket.get_portal_url())


@verified_required
@require_POST
def ticket_close(request, number):
    return _simple_action(
        request,
        number,
        lambda ticket: services.ticket_close(ticket=ticket, actor=request.user),
        _("The ticket has been closed. You can reopen it at any time."),
    )


@verified_required
@require_POST
def ticket_reopen(request, number):
    return _simple_action(
        request,
        number,
        lambda ticket: services.ticket_reopen(ticket=ticket, actor=request.user),
        _("The ticket has been reopened."),
    )


@verified_required
@require_POST
def ticket_partner_access(request, number):
    allowed = request.POST.get("partner_access") == "1"
    return _simple_action(
        request,
        number,
        lambda ticket: services.ticket_partner_access_set(ticket=ticket, actor=request.user, allowed=allowed),
        _("The reseller can now see this ticket.") if allowed else _("The reseller can no longer see this ticket."),
    )


@never_cache
@verified_required
@require_POST
def ticket_cc_add(request, number):
    ticket = ticket_for_customer(request.user, number)
    form = CcAddForm(request.POST)
    if form.is_valid():
        try:
            services.ticket_cc_add(ticket=ticket, actor=request.user, email=form.cleaned_data["email"])
        except ValidationError as error:
            form.add_error("email", error)
        else:
            messages.success(request, _("%(email)s will get this ticket's messages.") % form.cleaned_data)
            return redirect(ticket.get_portal_url())
    return _detail(request, ticket, cc_form=form, status=400)


@verified_required
@require_POST
def ticket_cc_remove(request, number):
    email = request.POST.get("email", "")
    return _simple_action(
        request,
        number,
        lambda ticket: services.ticket_cc_remove(ticket=ticket, actor=request.user, email=email),
        _("%(email)s will no longer get this ticket's messages.") % {"email": email},
    )


@never_cache
@verified_required
@require_POST
def ticket_escalate(request, number):
    ticket = ticket_for_customer(request.user, number)
    form = EscalateForm(request.POST)
    if form.is_valid():
        try:
            services.ticket_escalate(ticket=ticket, actor=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            form.add_error("reason", error)
        else:
            messages.warning(
                request,
                _("The ticket has been escalated. For anything urgent call %(phone)s.")
                % {"phone": settings.MYHEZO_ESCALATION_PHONE},
            )
            return redirect(ticket.get_portal_url())
    return _detail(request, ticket, escalate_form=form, status=400)


def attachment_response(attachment: Attachment) -> FileResponse:
    """Always a download, never rendered: our content type rather than the browser's guess (nosniff), the
    RFC 6266 filename (ASCII fallback plus UTF-8), and a sandbox in case a browser tries anyway."""
    try:
        file = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(file, as_attachment=True, filename=attachment.name, content_type=attachment.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    return response


@verified_required
@require_GET
def attachment_download(request, number, attachment_id):
    attachment = attachment_for_user(request.user, number, attachment_id)
    response = attachment_response(attachment)
    services.partner_read_record(ticket_id=attachment.message.ticket_id, user=request.user)
    return response
