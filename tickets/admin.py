"""The engineers' desk (SPEC §7). Every change goes through `tickets.services`; this module only shows
the ticket and hands forms to the services."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar, Literal

from django.contrib import admin, messages
from django.contrib.admin.views.main import ORDER_VAR, ChangeList
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Prefetch, QuerySet, Value, When
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.templatetags.static import static
from django.urls import path
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from contracts.admin import NotationSearchMixin
from contracts.models import Priority
from core.dates import datetime_display

from . import services
from .forms import AssignForm, EngineerReplyForm, PhoneContactForm, PhoneIntakeForm, PriorityForm, StatusForm
from .history import history_for_desk
from .models import Attachment, CannedReply, Status, Ticket
from .selectors import (
    canned_replies_active,
    canned_reply_for_ticket,
    customer_language,
    desk_contract_lines,
    desk_other_open_tickets,
    tickets_with_line_notation,
)
from .views import attachment_response


class EscalatedFilter(admin.SimpleListFilter):
    title = _("escalated")
    parameter_name = "escalated"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(escalated_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(escalated_at__isnull=True)
        return queryset


class SlaFilter(admin.SimpleListFilter):
    title = _("SLA")
    parameter_name = "sla"

    def lookups(self, request, model_admin):
        return [("breached", _("breached")), ("due_1h", _("due within 1 h"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "breached":
            return queryset.sla_breached(now)
        if self.value() == "due_1h":
            return queryset.filter(sla_next_due_at__gte=now, sla_next_due_at__lte=now + timedelta(hours=1))
        return queryset


@dataclass(frozen=True)
class QuickFilter:
    """One of the queue's quick filters: `code` in the URL (`?queue=<code>`), its label, and the narrowing."""

    code: str
    label: str
    narrow: Callable[[QuerySet, datetime, object], QuerySet]  # (queryset, now, the engineer) -> queryset


@dataclass(frozen=True)
class DeskQueue:
    """The order of the engineers' queue, contributed by the app that owns the SLA clocks (README "Layers":
    tickets may not import sla, so sla/admin.py registers it with `TicketAdmin.desk_queue_register`).

    `annotate(queryset, now)` adds two annotations to the changelist's queryset: `queue_rank` (0 a clock missed,
    1 a clock at risk, 2 a clock running, 3 none) and `queue_due` (the soonest effective due time of the running
    clocks). The queue is ordered by them, then by priority (critical first); `filters` are quick filters
    placed after "unassigned" (e.g. "at risk")."""

    annotate: Callable[[QuerySet, datetime], QuerySet]
    filters: tuple[QuickFilter, ...] = ()


QUEUE_MISSED, QUEUE_AT_RISK = 0, 1  # DeskQueue's `queue_rank` values the list draws
PRIORITY_RANK = Case(
    When(priority=Priority.CRITICAL, then=Value(0)),
    When(priority=Priority.NON_CRITICAL, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def _quick_filters(queue: DeskQueue | None) -> list[QuickFilter]:
    return [
        QuickFilter("mine", _("mine"), lambda queryset, now, user: queryset.filter(assignee=user)),
        QuickFilter("unassigned", _("unassigned"), lambda queryset, now, user: queryset.filter(assignee=None)),
        *(queue.filters if queue else ()),
        QuickFilter("breached", _("breached"), lambda queryset, now, user: queryset.sla_breached(now)),
        QuickFilter(
            "waiting",
            _("waiting for the customer"),
            lambda queryset, now, user: queryset.filter(status=Status.WAITING),
        ),
    ]


class QueueFilter(admin.SimpleListFilter):
    """The queue's quick filters, in the sidebar and as the row of links above the list (templatetags/desk.py)."""

    title = _("queue")
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [(quick.code, quick.label) for quick in _quick_filters(model_admin.desk_queue)]

    def queryset(self, request, queryset):
        for quick in _quick_filters(TicketAdmin.desk_queue):
            if quick.code == self.value():
                return quick.narrow(queryset, timezone.now(), request.user)
        return queryset


class OpenFilter(admin.SimpleListFilter):
    title = _("open or closed")
    parameter_name = "open"

    def lookups(self, request, model_admin):
        return [("yes", _("open")), ("no", _("closed"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(status=Status.CLOSED)
        if self.value() == "no":
            return queryset.filter(status=Status.CLOSED)
        return queryset


class CappedCountPaginator(Paginator):
    """Counting every open ticket on each view of the list costs more than the page itself: the count stops at
    CAP (the list then offers CAP / per page pages; filters and search narrow it)."""

    CAP = 10_000

    @cached_property
    def count(self) -> int:
        # Unordered: the capped count then reads an index alone instead of sorting first.
        return self.object_list.order_by()[: self.CAP].count()


def _flag(value: bool, label: str) -> str:
    # An icon only where something is wrong (a ✖ on every healthy row read as an alarm): the admin's alert icon,
    # named for screen readers and on hover.
    if not value:
        return ""
    return format_html('<img src="{}" alt="{}" title="{}">', static("admin/img/icon-alert.svg"), label, label)


def _when(value) -> str:
    # The portal's one format (core/dates.py): "3 Dec 2026, 22:38" / "3 gru 2026, 22:38".
    return datetime_display(value) if value else "-"


class QueueChangeList(ChangeList):
    """The ticket list's default order is the queue's (on its annotations, so only here: `ordering` stays a plain
    field for the admin's other uses of it, e.g. a ticket chosen in another model's form); a column the engineer
    sorts by replaces it."""

    def get_ordering(self, request, queryset):
        if ORDER_VAR in self.params:
            return super().get_ordering(request, queryset)
        due = ["queue_rank", "queue_due"] if self.model_admin.desk_queue else []
        return [*due, "queue_priority", "-last_activity_at", "-pk"]


@dataclass(frozen=True)
class DeskPanel:
    """A box that an app above `tickets` adds to the engineers' ticket page (README "Layers"): drawn from
    `template` with `context(ticket)`, its POST views at `<pk>/<name>/` (URL name `admin:tickets_ticket_<name>`)
    from `views(ticket_admin)`. Registered with `TicketAdmin.desk_panel_register` in that app's admin.py.
    `slot` places it: "top" (beside the ticket's facts, above everything), "main" (under the composers, above
    the dialog) or "side" (the side column, before the History)."""

    template: str
    context: Callable[[Ticket], dict]
    views: Callable[["TicketAdmin"], list[tuple[str, Callable]]] | None = None
    slot: Literal["top", "main", "side"] = "side"


@admin.register(Ticket)
class TicketAdmin(NotationSearchMixin, admin.ModelAdmin):
    desk_panels: ClassVar[list[DeskPanel]] = []
    desk_queue: ClassVar[DeskQueue | None] = None

    @classmethod
    def desk_panel_register(cls, panel: DeskPanel) -> None:
        if panel not in cls.desk_panels:
            cls.desk_panels.append(panel)

    @classmethod
    def desk_queue_register(cls, queue: DeskQueue) -> None:
        cls.desk_queue = queue

    paginator = CappedCountPaginator
    # 100 rows of 11 columns: each column is a plain method, so a row costs a few calls rather than the admin's
    # generic field display (choices rebuilt, a static() lookup per icon, the URL resolved again per link).
    list_display = [
        "number_link",
        "title_short",
        "company_nip",
        "plan",
        "priority_label",
        "status_label",
        "assignee",
        "next_due",
        "is_breached",
        "is_escalated",
        "last_activity",
    ]
    list_display_links = None
    empty_value_display = "-"
    list_filter = [
        QueueFilter,
        OpenFilter,
        SlaFilter,
        "status",
        "priority",
        "contract__plan",
        "source",
        EscalatedFilter,
        "assignee",
    ]
    list_select_related = ["company", "contract__plan", "assignee"]
    search_fields = ["=number", "title", "line__serial", "=company__nip", "company__name", "=contract__number"]
    ordering = ["-last_activity_at"]
    list_per_page = 100
    show_full_result_count = False

    # Every HEZO engineer (staff) works the desk; model permissions are for the rest of the back office.
    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return self.has_module_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    # --- the queue (SPEC §7): by the next SLA due time, then priority ---------------------------------

    def get_queryset(self, request):
        queryset = super().get_queryset(request).annotate(queue_priority=PRIORITY_RANK)
        return self.desk_queue.annotate(queryset, timezone.now()) if self.desk_queue else queryset

    def get_changelist(self, request, **kwargs):
        return QueueChangeList

    @admin.display(description=_("number"), ordering="number")
    def number_link(self, obj):
        return format_html('<a href="{}">{}</a>', obj.get_desk_url(), obj.number)

    @admin.display(description=_("title"), ordering="title")
    def title_short(self, obj):
        # Cut to one line by CSS (static/css/queue.css); the whole title on hover and on keyboard focus.
        return format_html('<span class="queue-title" title="{}" tabindex="0">{}</span>', obj.title, obj.title)

    @admin.display(description=_("company"), ordering="company__name")
    def company_nip(self, obj):
        # One line: the name cut by CSS (whole on hover), the NIP always shown.
        return format_html(
            '<span class="queue-org" title="{} · {}"><span class="queue-company">{}</span> '
            '<span class="queue-nip">{}</span></span>',
            obj.company.name,
            obj.company.nip,
            obj.company.name,
            obj.company.nip,
        )

    @admin.display(description=_("plan"), ordering="contract__plan__name")
    def plan(self, obj):
        return obj.contract.plan.name

    @admin.display(description=_("priority"), ordering="priority")
    def priority_label(self, obj):
        return obj.get_priority_display()

    @admin.display(description=_("status"), ordering="status")
    def status_label(self, obj):
        return obj.get_status_display()

    @admin.display(description=_("next SLA due"), ordering="sla_next_due_at")
    def next_due(self, obj):
        # The value the queue is ordered by (DeskQueue's `queue_due`) where the queue is annotated.
        return _when(getattr(obj, "queue_due", obj.sla_next_due_at))

    @admin.display(description=_("SLA"), ordering="queue_rank")
    def is_breached(self, obj):
        # Breached, else at risk (`queue_rank` of the DeskQueue annotation), else nothing.
        rank = getattr(obj, "queue_rank", None)
        if obj.is_sla_breached(timezone.now()) or rank == QUEUE_MISSED:
            return _flag(True, gettext("SLA breached"))
        if rank == QUEUE_AT_RISK:
            label = gettext("SLA at risk")
            return format_html(
                '<img src="{}" alt="" title="{}"> <span class="queue-risk">{}</span>',
                static("admin/img/icon-clock.svg"),
                label,
                gettext("at risk"),
            )
        return ""

    @admin.display(description=_("escalated"), ordering="escalated_at")
    def is_escalated(self, obj):
        return _flag(obj.escalated_at is not None, gettext("escalated"))

    @admin.display(description=_("last activity"), ordering="last_activity_at")
    def last_activity(self, obj):
        return _when(obj.last_activity_at)

    def get_urls(self):
        def wrap(view):
            return self.admin_site.admin_view(require_POST(view))

        actions = [
            ("reply", self.reply_view),
            ("note", self.note_view),
            ("assign", self.assign_view),
            ("status", self.status_view),
            ("priority", self.priority_view),
            ("phone", self.phone_view),
            *(action for panel in self.desk_panels if panel.views for action in panel.views(self)),
        ]
        return [path(f"<int:pk>/{name}/", wrap(view), name=f"tickets_ticket_{name}") for name, view in actions] + [
            path(
                "attachments/<int:attachment_id>/",
                self.admin_site.admin_view(self.attachment_view),
                name="tickets_attachment",
            ),
            *super().get_urls(),
        ]

    def attachment_view(self, request, attachment_id):
        if not self.has_view_permission(request):
            raise Http404
        attachment = Attachment.objects.filter(pk=attachment_id).first()
        if attachment is None:
            raise Http404
        return attachment_response(attachment)

    # --- the ticket page -------------------------------------------------------------------------

    def desk_ticket(self, pk) -> Ticket:
        """The ticket of a desk URL, or 404."""
        if not str(pk).isascii() or not str(pk).isdigit():  # an id typed by hand: not found, not an error
            raise Http404
        ticket = (
            tickets_with_line_notation(
                Ticket.objects.select_related(
                    "company", "contract__plan", "contract__reseller", "line", "partner_company"
                )
            )
            .select_related("assignee", "reporter")
            .filter(pk=pk)
            .first()
        )
        if ticket is None:
            raise Http404
        return ticket

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if not self.has_view_permission(request):
            raise Http404
        ticket = self.desk_ticket(object_id)
        reply_form = None
        if canned_id := request.GET.get("canned"):
            # A canned reply chosen on the page: in the reply composer, in the customer's language, to edit.
            text = canned_reply_for_ticket(canned_id=canned_id, ticket=ticket)
            if text is None:
                messages.error(request, gettext("That canned reply is no longer available."))
            else:
                reply_form = EngineerReplyForm(auto_id="reply_%s", initial={"body": text})
        return self._desk(request, ticket, reply_form=reply_form)

    def _desk(self, request, ticket, **forms):
        dialog = ticket.messages.prefetch_related(
            Prefetch("attachments", queryset=Attachment.objects.order_by("pk"), to_attr="files")
        ).order_by("-created_at", "-pk")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"{ticket.number} · {ticket.title}",
            "ticket": ticket,
            "dialog": dialog,
            "ccs": list(ticket.ccs.all()),
            "events": history_for_desk(list(ticket.events.all())),
            "reply_form": forms.get("reply_form") or EngineerReplyForm(auto_id="reply_%s"),
            "note_form": forms.get("note_form") or EngineerReplyForm(auto_id="note_%s"),
            "canned_replies": canned_replies_active(),
            "customer_language": customer_language(ticket),
            "other_tickets": desk_other_open_tickets(ticket),
            "contract_lines": desk_contract_lines(ticket),
            "assign_form": AssignForm(initial={"assignee": ticket.assignee_id}),
            "status_form": StatusForm(initial={"status": ticket.status}),
            "priority_form": PriorityForm(initial={"priority": ticket.priority}),
            "phone_form": forms.get("phone_form") or PhoneContactForm(auto_id="phone_%s"),
            **{name: value for panel in self.desk_panels for name, value in panel.context(ticket).items()},
            **{
                f"desk_panels_{slot}": [panel.template for panel in self.desk_panels if panel.slot == slot]
                for slot in ("top", "main", "side")
            },
        }
        refused = any(form is not None and form.is_bound for form in forms.values())  # a form sent back with errors
        return TemplateResponse(request, "admin/tickets/ticket/desk.html", context, status=400 if refused else 200)

    def desk_redirect(self, ticket):
        """Back to the ticket's desk page (after a POST, with its message)."""
        return redirect(ticket.get_desk_url())

    def desk_run(self, request, ticket, action: Callable[[], object], success: str):
        """Call a service: its refusal becomes the page's error message, else `success` is shown."""
        try:
            action()
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, success)
        return self.desk_redirect(ticket)

    def reply_view(self, request, pk):
        """The "Reply to the customer" composer: a public message, e-mailed to the reporter and the CCs."""
        return self._compose(request, pk, internal=False)

    def note_view(self, request, pk):
        """The "Internal note" composer: for engineers only, e-mailed to nobody."""
        return self._compose(request, pk, internal=True)

    def _compose(self, request, pk, *, internal: bool):
        ticket = self.desk_ticket(pk)
        name = "note" if internal else "reply"
        form = EngineerReplyForm(request.POST, request.FILES, auto_id=f"{name}_%s")
        if form.is_valid():
            try:
                services.ticket_engineer_reply(
                    ticket=ticket,
                    engineer=request.user,
                    body=form.cleaned_data["body"],
                    internal=internal,
                    attachments=form.cleaned_data["attachments"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                if internal:
                    messages.success(request, gettext("The internal note has been added."))
                else:
                    messages.success(request, gettext("The reply has been sent to the customer."))
                return self.desk_redirect(ticket)
        return self._desk(request, ticket, **{f"{name}_form": form})

    def phone_view(self, request, pk):
        ticket = self.desk_ticket(pk)
        form = PhoneContactForm(request.POST, auto_id="phone_%s")
        if form.is_valid():
            services.ticket_phone_contact_log(ticket=ticket, engineer=request.user, body=form.cleaned_data["body"])
            messages.success(request, gettext("The phone contact has been logged."))
            return self.desk_redirect(ticket)
        return self._desk(request, ticket, phone_form=form)

    def assign_view(self, request, pk):
        ticket = self.desk_ticket(pk)
        if "assign_to_me" in request.POST:
            assignee = request.user
        else:
            form = AssignForm(request.POST)
            if not form.is_valid():
                messages.error(request, gettext("Choose an engineer."))
                return self.desk_redirect(ticket)
            assignee = form.cleaned_data["assignee"]
        return self.desk_run(
            request,
            ticket,
            lambda: services.ticket_assign(ticket=ticket, actor=request.user, assignee=assignee),
            gettext("The assignee has been saved."),
        )

    def status_view(self, request, pk):
        ticket = self.desk_ticket(pk)
        form = StatusForm(request.POST)
        if not form.is_valid():
            messages.error(request, gettext("Choose a status."))
            return self.desk_redirect(ticket)
        return self.desk_run(
            request,
            ticket,
            lambda: services.ticket_status_change(ticket=ticket, actor=request.user, to=form.cleaned_data["status"]),
            gettext("The status has been saved."),
        )

    def priority_view(self, request, pk):
        ticket = self.desk_ticket(pk)
        form = PriorityForm(request.POST)
        if not form.is_valid():
            messages.error(request, gettext("Choose a priority."))
            return self.desk_redirect(ticket)
        return self.desk_run(
            request,
            ticket,
            lambda: services.ticket_priority_change(
                ticket=ticket, actor=request.user, priority=form.cleaned_data["priority"]
            ),
            gettext("The priority has been saved."),
        )

    # --- phone intake: "Add ticket" ---------------------------------------------------------------

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise Http404
        form = PhoneIntakeForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                ticket = services.ticket_create_by_phone(
                    contract=data["contract_number"],
                    serial=data["serial"],
                    engineer=request.user,
                    contact_name=data["contact_name"],
                    contact_email=data["contact_email"],
                    language=data["language"],
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
                messages.success(request, gettext("Ticket %(number)s has been opened.") % {"number": ticket.number})
                return self.desk_redirect(ticket)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Phone intake: new ticket"),
            "form": form,
        }
        return TemplateResponse(
            request, "admin/tickets/ticket/phone_intake.html", context, status=400 if form.errors else 200
        )


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin):
    """Canned replies: PL/EN pairs with placeholders, offered on every ticket page (SPEC §7)."""

    list_display = ["title", "ordering", "active"]
    list_editable = ["ordering", "active"]
    list_filter = ["active"]
    search_fields = ["title", "text_pl", "text_en"]
    fields = ["title", "text_pl", "text_en", "ordering", "active"]
