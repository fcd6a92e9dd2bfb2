"""What the SLA clocks add to the engineers' desk (registered with the ticket admin, which may not import sla):
the clocks' box on the ticket page, and the queue's order and "at risk" quick filter.

The queue is ordered in the database: per ticket, `queue_due` is the soonest effective due time of its running
clocks (`agreed_due_at` or `due_at`, as `SlaClock.effective_due_at`), and `queue_rank` puts first the tickets
with a clock past due (`core.deadlines.past`, as `SlaClock.is_overdue`), then those with a clock at risk
(`SlaClock.objects.at_risk`), then any other running clock, then the tickets with none. Every clock kind is
covered: the rules read only the clock's state, due times and at-risk instant."""

from datetime import datetime

from django.db.models import Case, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from core.deadlines import past
from tickets.admin import DeskPanel, DeskQueue, QuickFilter, TicketAdmin

from .models import ClockState, SlaClock
from .selectors import clocks_desk_panel

RANK_MISSED, RANK_AT_RISK, RANK_RUNNING, RANK_NONE = 0, 1, 2, 3


def queue_annotate(queryset: QuerySet, now: datetime) -> QuerySet:
    """`queue_due` and `queue_rank` of each ticket (see the module's docstring)."""
    running = SlaClock.objects.filter(ticket=OuterRef("pk"), state=ClockState.RUNNING).order_by()
    soonest = running.annotate(effective_due=Coalesce("agreed_due_at", "due_at")).order_by("effective_due")
    at_risk = SlaClock.objects.at_risk(now).filter(ticket=OuterRef("pk")).order_by()
    return queryset.annotate(queue_due=Subquery(soonest.values("effective_due")[:1])).annotate(
        queue_rank=Case(
            When(past("queue_due", now), then=Value(RANK_MISSED)),
            When(Exists(at_risk), then=Value(RANK_AT_RISK)),
            When(Q(queue_due__isnull=False), then=Value(RANK_RUNNING)),
            default=Value(RANK_NONE),
            output_field=IntegerField(),
        )
    )


def _at_risk(queryset: QuerySet, now: datetime, user) -> QuerySet:
    return queryset.filter(Exists(SlaClock.objects.at_risk(now).filter(ticket=OuterRef("pk"))))


TicketAdmin.desk_panel_register(DeskPanel(template="sla/_desk_clocks.html", context=clocks_desk_panel))
TicketAdmin.desk_queue_register(
    DeskQueue(annotate=queue_annotate, filters=(QuickFilter("at_risk", _("at risk"), _at_risk),))
)
