"""What the SLA clocks add to the engineers' desk (registered with the ticket admin, which may not import sla):
the clocks' box on the ticket page, and the queue's order and "at risk" quick filter.

The queue is ordered in the database. `queue_due` is the soonest effective due time of the ticket's running
clocks (`agreed_due_at` or `due_at`, as `SlaClock.effective_due_at`): the column `Ticket.sla_next_due_at`,
which `sla.services.ticket_sla_refresh` sets in the same transaction as every clock change. A correlated
subquery over the clocks computed the same value but cost 3.8 s a page at 100,000 tickets (it is evaluated
per ticket, three times: docs/BENCHMARKS.md "The engineers' queue"). `queue_rank` puts first the tickets past
that time (`core.deadlines.past`, as `SlaClock.is_overdue`), then those with a clock at risk
(`SlaClock.objects.at_risk`, a hashed subplan over the few running clocks at risk), then any other running
clock, then the tickets with none. Every clock kind is covered: the rules read only the clocks' state, due
times and at-risk instant."""

from datetime import datetime

from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When
from django.utils.translation import gettext_lazy as _

from core.deadlines import past
from tickets.admin import DeskPanel, DeskQueue, QuickFilter, TicketAdmin

from .models import SlaClock
from .selectors import clocks_desk_panel

RANK_MISSED, RANK_AT_RISK, RANK_RUNNING, RANK_NONE = 0, 1, 2, 3


def queue_annotate(queryset: QuerySet, now: datetime) -> QuerySet:
    """`queue_due` and `queue_rank` of each ticket (see the module's docstring)."""
    at_risk = SlaClock.objects.at_risk(now).values("ticket_id")
    return queryset.annotate(queue_due=F("sla_next_due_at")).annotate(
        queue_rank=Case(
            When(past("queue_due", now), then=Value(RANK_MISSED)),
            When(Q(pk__in=at_risk), then=Value(RANK_AT_RISK)),
            When(Q(queue_due__isnull=False), then=Value(RANK_RUNNING)),
            default=Value(RANK_NONE),
            output_field=IntegerField(),
        )
    )


def _at_risk(queryset: QuerySet, now: datetime, user) -> QuerySet:
    return queryset.filter(pk__in=SlaClock.objects.at_risk(now).values("ticket_id"))


TicketAdmin.desk_panel_register(DeskPanel(template="sla/_desk_clocks.html", context=clocks_desk_panel, slot="top"))
TicketAdmin.desk_queue_register(
    DeskQueue(annotate=queue_annotate, filters=(QuickFilter("at_risk", _("at risk"), _at_risk),))
)
