"""Clocks on a ticket through its life, with time travel, and the breach alerts."""

import threading
from datetime import datetime, timedelta

import pytest
import time_machine
from django.db import connection

from conftest import skip_or_fail
from sla.businesstime import WARSAW
from sla.models import ClockKind, ClockState, Outcome, SlaClock
from sla.services import sla_scan
from tickets import services
from tickets.models import Status
from tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db


def at(*args) -> datetime:
    return datetime(*args, tzinfo=WARSAW)


def clocks(ticket):
    return list(SlaClock.objects.filter(ticket=ticket).order_by("started_at", "pk"))


def test_a_ticket_from_friday_afternoon_to_a_late_engineer_gives_exactly_one_breach_email(
    cast, contract, outbox, settings
):
    engineer, customer = cast["engineer"], cast["customer"]
    with time_machine.travel(at(2026, 11, 27, 16, 30), tick=False) as traveller:
        ticket = make_ticket(author=customer, contract=contract, priority="non_critical")  # HEZO 360: 1 h / 2 h, 8x5
        services.ticket_assign(ticket=ticket, actor=engineer, assignee=engineer)
        [response] = clocks(ticket)
        assert response.due_at == at(2026, 11, 30, 9, 30)  # 30 min on Friday, 30 on Monday

        traveller.move_to(at(2026, 11, 28, 12, 0))  # Saturday: nothing is late
        assert sla_scan().breach_emails == 0

        traveller.move_to(at(2026, 11, 30, 9, 15))
        services.ticket_engineer_reply(ticket=ticket, engineer=engineer, body="Proszę o logi.")
        response.refresh_from_db()
        assert (response.state, response.outcome) == (ClockState.STOPPED, Outcome.MET)

        traveller.move_to(at(2026, 11, 30, 10, 0))
        services.ticket_reply(ticket=ticket, author=customer, body="Logi w załączniku.")
        reply = clocks(ticket)[-1]
        assert (reply.kind, reply.due_at) == (ClockKind.REPLY, at(2026, 11, 30, 12, 0))

        outbox.mark()
        for minute in (11 * 60, 12 * 60 + 1, 12 * 60 + 2, 12 * 60 + 30):
            traveller.move_to(at(2026, 11, 30) + timedelta(minutes=minute))
            sla_scan()
        traveller.move_to(at(2026, 11, 30, 13, 0))
        services.ticket_engineer_reply(ticket=ticket, engineer=engineer, body="Przepraszamy za zwłokę.")
        traveller.move_to(at(2026, 11, 30, 13, 5))
        sla_scan()

    alerts = [email for email in outbox.all() if "SLA" in email.subject]
    assert sorted(email.to[0] for email in alerts) == sorted([settings.MYHEZO_SLA_ALERT_EMAIL, engineer.email])
    assert all(ticket.number in email.subject for email in alerts)
    reply.refresh_from_db()
    assert reply.outcome == Outcome.MISSED
    ticket.refresh_from_db()
    assert ticket.sla_breached and ticket.sla_next_due_at is None


def test_no_clock_runs_while_waiting_for_the_customer_or_closed_and_reopening_starts_a_reply_clock(cast, contract):
    engineer, customer = cast["engineer"], cast["customer"]
    with time_machine.travel(at(2026, 11, 24, 10, 0), tick=False) as traveller:
        ticket = make_ticket(author=customer, contract=contract, priority="question")  # 2 h / 4 h, 8x5
        traveller.move_to(at(2026, 11, 24, 11, 0))
        services.ticket_status_change(ticket=ticket, actor=engineer, to=Status.WAITING)  # 1 h counted
        [response] = clocks(ticket)
        assert (response.state, response.due_at) == (ClockState.PAUSED, None)

        traveller.move_to(at(2026, 11, 25, 16, 30))  # a day and a half later the customer answers
        services.ticket_reply(ticket=ticket, author=customer, body="Oto konfiguracja.")
        response.refresh_from_db()
        assert response.state == ClockState.RUNNING
        assert response.due_at == at(2026, 11, 26, 9, 30)  # the hour left: 30 min today, 30 tomorrow
        assert len(clocks(ticket)) == 1  # no reply clock before the first response

        traveller.move_to(at(2026, 11, 25, 16, 45))
        services.ticket_close(ticket=ticket, actor=customer)
        response.refresh_from_db()
        assert (response.state, response.outcome) == (ClockState.STOPPED, Outcome.CANCELLED)

        traveller.move_to(at(2026, 12, 1, 10, 0))
        services.ticket_reopen(ticket=ticket, actor=customer)
        reply = clocks(ticket)[-1]
        assert (reply.kind, reply.state, reply.due_at) == (ClockKind.REPLY, ClockState.RUNNING, at(2026, 12, 1, 14, 0))
        ticket.refresh_from_db()
        assert ticket.sla_next_due_at == at(2026, 12, 1, 14, 0)


def test_targets_are_copied_at_opening_and_a_priority_change_recomputes_from_the_start(cast, contract):
    from contracts.models import SlaTarget

    with time_machine.travel(at(2026, 11, 24, 16, 30), tick=False) as traveller:
        ticket = make_ticket(author=cast["customer"], contract=contract, priority="question")  # 2 h, 8x5
        SlaTarget.objects.filter(plan=contract.plan).update(first_response_minutes=600)  # edited later
        [clock] = clocks(ticket)
        assert clock.due_at == at(2026, 11, 25, 10, 30)
        traveller.move_to(at(2026, 11, 24, 16, 45))
        services.ticket_priority_change(ticket=ticket, actor=cast["engineer"], priority="critical")  # 1 h, 24x7
        clock.refresh_from_db()
        assert (clock.window, clock.due_at) == ("24x7", at(2026, 11, 24, 17, 30))


def test_a_phone_contact_is_a_first_response(cast, contract):
    ticket = make_ticket(author=cast["customer"], contract=contract)
    services.ticket_phone_contact_log(ticket=ticket, engineer=cast["engineer"], body="Rozmowa z klientem")
    [clock] = clocks(ticket)
    assert clock.outcome == Outcome.MET


def test_an_internal_note_does_not_stop_the_clock(cast, contract):
    ticket = make_ticket(author=cast["customer"], contract=contract)
    services.ticket_engineer_reply(ticket=ticket, engineer=cast["engineer"], body="Notatka", internal=True)
    [clock] = clocks(ticket)
    assert clock.state == ClockState.RUNNING


@pytest.mark.django_db(transaction=True)
def test_two_scans_at_the_same_moment_alert_each_clock_once(cast, contract):
    if connection.vendor != "postgresql":
        skip_or_fail("concurrency needs PostgreSQL's row locks (DATABASE_URL, as CI sets it)")
    from core.models import OutboxEmail

    with time_machine.travel(at(2026, 11, 24, 10, 0), tick=False):
        tickets = [make_ticket(author=cast["customer"], contract=contract, priority="critical") for _ in range(5)]
    barrier = threading.Barrier(4)
    results = []

    def scan():
        barrier.wait()
        try:
            results.append(sla_scan(now=at(2026, 11, 24, 12, 0)).breach_emails)
        finally:
            connection.close()

    threads = [threading.Thread(target=scan) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(results) == 5
    alerts = OutboxEmail.objects.filter(template="sla/emails/clock_breached")
    assert alerts.count() == 5
    assert sorted(SlaClock.objects.values_list("ticket_id", flat=True)) == sorted(t.pk for t in tickets)


def test_a_ticket_without_copied_targets_gets_them_with_its_first_clock(cast, contract):
    # As a ticket carried over from the previous portal will be: no targets, no clocks.
    from sla.models import SlaClock as Clock

    ticket = make_ticket(author=cast["customer"], contract=contract, priority="question")
    Clock.objects.filter(ticket=ticket).delete()
    type(ticket).objects.filter(pk=ticket.pk).update(sla_targets={})
    ticket.refresh_from_db()
    services.ticket_reply(ticket=ticket, author=cast["customer"], body="Czy jest postęp?")
    [reply] = clocks(ticket)
    ticket.refresh_from_db()
    assert reply.kind == ClockKind.REPLY and reply.target == timedelta(hours=4)
    assert ticket.sla_targets["question"]["next_reply_minutes"] == 240
