from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.access import customer_required, verified_required
from contracts.models import ContractLine, Priority
from contracts.selectors import active_contracts_for_user
from core.fragments import CSRF_HOLE, csrf_filled, fragment, fragment_keyed
from operations.selectors import replacements_for_ticket

from . import services
from .forms import CcAddForm, EscalateForm, ReplyForm, TicketCreateForm, TicketFilterForm
from .models import Attachment, Ticket
from .selectors import (
    TICKET_LIST_ORDER,
    TicketFilters,
    attachment_for_user,
    dialog_for_user,
    partner_reads_for_user,
    ticket_access,
    ticket_contract_numbers,
    ticket_for_customer,
    ticket_for_user,
    ticket_list_version,
    ticket_page_version,
    ticket_rows,
    tickets_filtered,
    tickets_for_access,
)


def _errors(error: ValidationError) -> str:
    return " ".join(error.messages)


def _list_context(request, filters: TicketFilters) -> dict:
    """What tickets/_ticket_list.html draws: the page of the user's tickets under `filters` the request asks
    for, and the filters."""
    access = ticket_access(request.user)
    tickets = tickets_filtered(tickets_for_access(access), filters)
    contracts = list(ticket_contract_numbers(access))
    form = TicketFilterForm(request.GET or None, contracts=contracts)
    per_page = settings.MYHEZO_TICKETS_PER_PAGE
    page = Paginator(tickets.order_by(*TICKET_LIST_ORDER), per_page).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    # The filters' HTML depends on the contract options, the values typed and whether they were valid.
    typed = tuple(request.GET.get(name, "") for name in form.fields)
    filters_html = fragment_keyed(
        "tickets/_filters.html", key=(tuple(contracts), form.is_bound, form.is_valid(), typed), context={"form": form}
    )
    rows = ticket_rows(page.object_list)
    return {
        "page": page,
        "rows": rows,
        "rows_html": SafeString("".join(fragment("tickets/_ticket_row.html", ticket=row) for row in rows)),
        "filters_html": filters_html,
        "query": query.urlencode(),
        "is_customer": request.user.is_verified_customer,
        "is_partner": request.user.is_verified_partner,
    }


def _page_requested(value: str | None) -> int | None:
    """The page number asked for, if it is a plain positive number (else Django's paginator decides)."""
    if value is None:
        return 1
    return int(value) if value.isascii() and value.isdigit() and 0 < int(value) < 10**6 else None


@never_cache
@verified_required
@require_GET
def ticket_list(request):
    """The company's tickets (a partner: the consented ones), newest activity first."""
    # Whether the filters are valid does not depend on the contract options (any contract number is taken
    # and finds nothing if it is not the user's): the options are read only when the page is drawn.
    form = TicketFilterForm(request.GET or None, contracts=())
    filters = TicketFilters(**form.cleaned_data) if form.is_valid() else TicketFilters()
    per_page, number = settings.MYHEZO_TICKETS_PER_PAGE, _page_requested(request.GET.get("page"))
    version = None
    if number is not None:
        version = ticket_list_version(request.user, filters=filters, offset=(number - 1) * per_page, limit=per_page)
    if version is not None and number <= max(1, -(-version.count // per_page)):
        # The same rows, count, options, query and reader's kind: the same page, drawn once per language.
        key = (ticket_access(request.user), request.GET.urlencode(), version)
        html = fragment_keyed("tickets/_ticket_list.html", key=key, context=lambda: _list_context(request, filters))
    else:
        html = render_to_string("tickets/_ticket_list.html", _list_context(request, filters))
    return render(request, "tickets/ticket_list.html", {"list_html": html})


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
            return redirect("tickets:detail", number=ticket.number)
    return render(
        request,
        "tickets/ticket_new.html",
        {"form": form, "has_lines": bool(form.lines), "preselected": preselected if len(form.lines) else ""},
    )


def _ticket_context(request, ticket: Ticket, *, now, reply_form=None, cc_form=None, escalate_form=None) -> dict:
    """What tickets/_ticket.html draws: the same for everybody who sees the same fingerprint (forms aside)."""
    is_customer = request.user.is_verified_customer
    dialog = dialog_for_user(request.user, ticket)
    return {
        "ticket": ticket,
        "dialog_html": SafeString(
            "".join(fragment("tickets/_message.html", number=ticket.number, message=message) for message in dialog)
        ),
        "clocks": list(ticket.clocks.all()),
        "replacements": list(replacements_for_ticket(ticket)),
        "now": now,
        "ccs": list(ticket.ccs.all()) if is_customer else [],
        "partner_reads": partner_reads_for_user(request.user, ticket),
        "can_write": is_customer,
        "reply_form": reply_form or ReplyForm(),
        "cc_form": cc_form or CcAddForm(),
        "escalate_form": escalate_form or EscalateForm(),
        "priority_explained": dict(Priority.choices),
        "escalation_phone": settings.MYHEZO_ESCALATION_PHONE,
        "csrf_input": CSRF_HOLE,
    }


def _detail_page(request, number: str, ticket_html: str, *, status: int = 200):
    context = {"number": number, "ticket_html": csrf_filled(ticket_html, request)}
    return render(request, "tickets/ticket_detail.html", context, status=status)


def _detail(request, ticket: Ticket, *, status: int, **forms):
    """The ticket page with a form the user has to correct: drawn afresh."""
    html = render_to_string("tickets/_ticket.html", _ticket_context(request, ticket, now=timezone.now(), **forms))
    return _detail_page(request, ticket.number, html, status=status)


@never_cache
@verified_required
@require_GET
def ticket_detail(request, number):
    now = timezone.now()
    version = ticket_page_version(request.user, number, now=now)
    services.partner_read_record(ticket_id=version.pk, user=request.user)

    def context() -> dict:
        return _ticket_context(request, ticket_for_user(request.user, version.number), now=now)

    if version.fingerprint is None:
        html = render_to_string("tickets/_ticket.html", context())
    else:
        # An unchanged ticket is drawn once per language and kind of reader (customer or partner): the
        # fingerprint covers every value the page shows, so a repeated view costs one query.
        key = (version.pk, version.fingerprint, request.user.is_verified_customer)
        html = fragment_keyed("tickets/_ticket.html", key=key, context=context)
    return _detail_page(request, version.number, html)


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
            return redirect("tickets:detail", number=ticket.number)
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
    return redirect("tickets:detail", number=ticket.number)


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
            return redirect("tickets:detail", number=ticket.number)
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
            return redirect("tickets:detail", number=ticket.number)
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
