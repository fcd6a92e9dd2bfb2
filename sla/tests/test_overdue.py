""" "Clock overdue" has one definition (sla/models.py: SlaClock.is_past_due / is_overdue / is_breached and their
database form SlaClockQuerySet.overdue / SlaClock.past_due_conditions), and every place that shows or acts on
it agrees with it at the boundary: a clock due at 10:00 is on time at 10:00:00 and overdue just after."""

import re
from datetime import datetime, timedelta

import pytest
import time_machine

from sla.businesstime import WARSAW
from sla.models import ClockState, Outcome, SlaClock
from sla.selectors import clocks_for_ticket
from sla.services import sla_scan
from tickets import services
from tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db

OPENED = datetime(2026, 11, 9, 9, 0, tzinfo=WARSAW)  # a Monday; HEZO 360 critical: 1 h, 24x7
DUE = OPENED + timedelta(hours=1)
BEFORE, JUST_AFTER, A_SECOND_AFTER = (
    DUE - timedelta(seconds=1),
    DUE + timedelta(microseconds=1),
    DUE + timedelta(seconds=1),
)


def text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


@pytest.fixture
def ticket(cast, contract):
    with time_machine.travel(OPENED, tick=False):
        ticket = make_ticket(author=cast["customer"], contract=contract, priority="critical")
    assert ticket.clocks.get().due_at == DUE
    return ticket


def test_a_running_clock_is_overdue_strictly_after_its_due_time():
    clock = SlaClock(state=ClockState.RUNNING, due_at=DUE)
    assert [clock.is_overdue(now) for now in (BEFORE, DUE, JUST_AFTER)] == [False, False, True]
    assert [clock.is_breached(now) for now in (BEFORE, DUE, JUST_AFTER)] == [False, False, True]


def test_an_agreed_date_replaces_the_due_time():
    clock = SlaClock(state=ClockState.RUNNING, due_at=DUE, agreed_due_at=DUE + timedelta(hours=2))
    assert not clock.is_overdue(A_SECOND_AFTER)
    assert not clock.is_overdue(DUE + timedelta(hours=2)) and clock.is_overdue(DUE + timedelta(hours=2, seconds=1))


def test_only_a_running_clock_is_overdue_and_a_missed_one_stays_breached():
    assert not SlaClock(state=ClockState.PAUSED, due_at=None).is_overdue(A_SECOND_AFTER)
    stopped = SlaClock(state=ClockState.STOPPED, due_at=DUE, outcome=Outcome.MET)
    assert not stopped.is_overdue(A_SECOND_AFTER) and not stopped.is_breached(A_SECOND_AFTER)
    assert stopped.is_past_due(A_SECOND_AFTER)  # what stopping a clock late asks
    missed = SlaClock(state=ClockState.STOPPED, due_at=DUE, outcome=Outcome.MISSED)
    assert missed.is_breached(BEFORE) and not missed.is_overdue(A_SECOND_AFTER)


def test_the_database_form_agrees_with_the_model_at_the_boundary(cast, contract, ticket):
    with time_machine.travel(OPENED, tick=False):
        agreed = make_ticket(author=cast["customer"], contract=contract, priority="critical", title="Uzgodniony")
        waiting = make_ticket(author=cast["customer"], contract=contract, priority="critical", title="Czeka")
        services.ticket_status_change(ticket=waiting, actor=cast["engineer"], to="waiting")
    SlaClock.objects.filter(ticket=agreed).update(agreed_due_at=DUE + timedelta(hours=2))
    clocks = list(SlaClock.objects.all())
    for now in (BEFORE, DUE, JUST_AFTER, DUE + timedelta(hours=2), DUE + timedelta(hours=2, seconds=1)):
        in_python = {clock.pk for clock in clocks if clock.is_overdue(now)}
        assert set(SlaClock.objects.overdue(now).values_list("pk", flat=True)) == in_python, now
    assert {clock.ticket_id for clock in clocks if clock.is_overdue(A_SECOND_AFTER)} == {ticket.pk}


def test_the_breach_scan_alerts_only_after_the_due_time(ticket, outbox):
    assert sla_scan(now=DUE).breach_emails == 0
    assert sla_scan(now=JUST_AFTER).breach_emails == 1
    ticket.refresh_from_db()
    assert ticket.sla_breached


def test_an_answer_at_the_due_time_meets_the_clock(cast, ticket):
    with time_machine.travel(DUE, tick=False):
        services.ticket_engineer_reply(ticket=ticket, engineer=cast["engineer"], body="Dzień dobry")
    assert ticket.clocks.get().outcome == Outcome.MET


def test_an_answer_just_after_the_due_time_misses_it(cast, ticket):
    with time_machine.travel(A_SECOND_AFTER, tick=False):
        services.ticket_engineer_reply(ticket=ticket, engineer=cast["engineer"], body="Dzień dobry")
    assert ticket.clocks.get().outcome == Outcome.MISSED


def test_pages_get_the_state_at_one_instant(ticket):
    [clock] = clocks_for_ticket(ticket, DUE)
    assert (clock.overdue, clock.breached) == (False, False)
    [clock] = clocks_for_ticket(ticket, JUST_AFTER)
    assert (clock.overdue, clock.breached) == (True, True)


def test_the_customer_page_says_overdue_only_after_the_due_time(cast, ticket, login_with_otp):
    for now, overdue in ((DUE, False), (A_SECOND_AFTER, True)):
        with time_machine.travel(now, tick=False):
            page = text(login_with_otp(cast["customer"]).get(f"/tickets/{ticket.number}/"))
        assert ("Pierwsza reakcja: po terminie od 9 lis 2026, 10:00" in page) is overdue, now
        assert ("Pierwsza reakcja: termin: 9 lis 2026, 10:00" in page) is not overdue, now


def test_the_desk_marks_the_clock_and_the_ticket_breached_only_after_the_due_time(cast, ticket, login_with_otp):
    for now, breached in ((DUE, False), (A_SECOND_AFTER, True)):
        with time_machine.travel(now, tick=False):
            desk = login_with_otp(cast["engineer"])
            page = desk.get(f"/admin/tickets/ticket/{ticket.pk}/change/").content.decode()
            listed = desk.get("/admin/tickets/ticket/?sla=breached").content.decode()
        assert ('class="breached"' in page) is breached, now
        assert (ticket.number in listed) is breached, now
