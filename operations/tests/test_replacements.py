"""Replacements (SPEC §5, §6): approval starts the delivery clock, delivery stops it and sets the return
deadline, the reminder goes once 2 days before, the overdue flag once after."""

import threading
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection

from conftest import skip_or_fail
from operations.models import Replacement
from operations.services import (
    replacement_approve,
    replacement_overdue_flag,
    replacement_reminders_send,
    replacement_update,
)
from sla.models import ClockKind, ClockState, Outcome, SlaClock
from sla.services import sla_scan
from tickets import services as ticket_services
from tickets.models import EventAction, TicketEvent
from tickets.tests.factories import make_ticket
from tickets.tests.history import desk_line

from .factories import at, update_fields

pytestmark = pytest.mark.django_db


def delivered(replacement, engineer, *, shipped, delivered, **changes):
    return replacement_update(
        replacement=replacement,
        engineer=engineer,
        **update_fields(replacement, shipped_at=shipped, delivered_at=delivered, **changes),
    )


def test_hezo_plus_critical_approved_before_christmas_is_due_the_next_business_day_at_17(cast, plus_contract, outbox):
    with time_machine.travel(at(2026, 12, 23, 10, 0), tick=False) as traveller:
        ticket = make_ticket(author=cast["customer"], contract=plus_contract, priority="critical")
        ticket_services.ticket_engineer_reply(ticket=ticket, engineer=cast["engineer"], body="Proszę o zdjęcie.")
        traveller.move_to(at(2026, 12, 23, 11, 0))
        outbox.mark()
        replacement = replacement_approve(
            ticket=ticket, engineer=cast["engineer"], replacement_serial="A30-2412-00999", carrier="DHL"
        )
    clock = replacement.delivery_clock
    assert (clock.kind, clock.state, clock.target) == (ClockKind.DELIVERY, ClockState.RUNNING, None)
    assert clock.due_at == at(2026, 12, 28, 17, 0)  # 24–27 December: holidays and a weekend (SPEC §5 example)
    assert replacement.approved_at == at(2026, 12, 23, 11, 0) and replacement.approved_by == cast["engineer"]
    assert replacement.hezo_pays_return_shipping is True
    assert [e.template for e in outbox.all()] == ["operations/emails/replacement_approved"]  # to the reporter
    event = TicketEvent.objects.filter(ticket=ticket, action=EventAction.REPLACEMENT).get()
    # Stored as codes and values, drawn in the reader's language (tickets/history.py).
    assert event.actor == cast["engineer"] and event.data["due"] == at(2026, 12, 28, 17, 0).isoformat()
    assert "28 gru 2026, 17:00" in desk_line(event, "pl").after
    assert "28 Dec 2026, 17:00" in desk_line(event, "en").after
    ticket.refresh_from_db()
    assert ticket.sla_next_due_at == at(2026, 12, 28, 17, 0)  # the delivery clock is the one running


def test_hezo_360_critical_gets_8_real_hours_across_the_spring_dst_change(cast, contract):
    with time_machine.travel(at(2026, 3, 28, 22, 0), tick=False):
        ticket = make_ticket(author=cast["customer"], contract=contract, priority="critical")
        replacement = replacement_approve(ticket=ticket, engineer=cast["engineer"])
    # 22:00 CET + 8 real hours = 06:00 CET = 07:00 CEST (the clocks jump at 02:00).
    assert replacement.delivery_clock.due_at == at(2026, 3, 29, 7, 0)
    assert replacement.delivery_clock.target == timedelta(hours=8)
    assert replacement.hezo_pays_return_shipping is False  # HEZO 360: the customer pays


def test_hezo_360_non_critical_counts_8_hours_in_the_business_window(cast, contract):
    with time_machine.travel(at(2026, 11, 27, 15, 0), tick=False):  # Friday afternoon
        ticket = make_ticket(author=cast["customer"], contract=contract, priority="non_critical")
        replacement = replacement_approve(ticket=ticket, engineer=cast["engineer"])
    assert replacement.delivery_clock.due_at == at(2026, 11, 30, 15, 0)  # 2 h on Friday, 6 h on Monday


def test_approval_is_refused_for_a_question_and_for_a_closed_ticket_and_writes_nothing(cast, contract):
    question = make_ticket(author=cast["customer"], contract=contract, priority="question")
    with pytest.raises(ValidationError) as refused:
        replacement_approve(ticket=question, engineer=cast["engineer"])
    assert refused.value.messages == [
        "Plan nie obejmuje wymiany sprzętu dla zgłoszeń o priorytecie „pytanie”. "
        "Jeśli urządzenie jest uszkodzone, najpierw zmień priorytet."
    ]
    closed = make_ticket(author=cast["customer"], contract=contract, priority="critical")
    ticket_services.ticket_close(ticket=closed, actor=cast["customer"])
    with pytest.raises(ValidationError, match="zamkniętego"):
        replacement_approve(ticket=closed, engineer=cast["engineer"])
    with pytest.raises(ValidationError):
        replacement_approve(ticket=question, engineer=cast["customer"])  # customers cannot approve
    assert not Replacement.objects.exists()
    assert not SlaClock.objects.filter(kind=ClockKind.DELIVERY).exists()
    assert not TicketEvent.objects.filter(action=EventAction.REPLACEMENT).exists()


def test_a_second_approval_waits_for_the_first_delivery(cast, contract):
    engineer = cast["engineer"]
    ticket = make_ticket(author=cast["customer"], contract=contract, priority="critical")
    first = replacement_approve(ticket=ticket, engineer=engineer)
    with pytest.raises(ValidationError, match=f"Wymiana {first.pk}"):
        replacement_approve(ticket=ticket, engineer=engineer)
    now = first.approved_at + timedelta(minutes=30)
    with time_machine.travel(now + timedelta(minutes=1), tick=False):
        delivered(first, engineer, shipped=now - timedelta(minutes=10), delivered=now)
        second = replacement_approve(ticket=ticket, engineer=engineer)  # the replacement was faulty too
    assert second.delivery_clock_id != first.delivery_clock_id


def test_delivered_late_is_missed_and_sets_the_return_deadline_seven_calendar_days_later(cast, contract):
    engineer = cast["engineer"]
    with time_machine.travel(at(2026, 11, 24, 10, 0), tick=False) as traveller:
        ticket = make_ticket(author=cast["customer"], contract=contract, priority="critical")
        ticket_services.ticket_engineer_reply(ticket=ticket, engineer=engineer, body="Potwierdzamy usterkę.")
        replacement = replacement_approve(ticket=ticket, engineer=engineer)  # due 18:00 (24x7)
        traveller.move_to(at(2026, 11, 24, 17, 59))
        ticket.refresh_from_db()
        assert not ticket.sla_breached
        traveller.move_to(at(2026, 11, 24, 20, 0))
        replacement = delivered(
            replacement,
            engineer,
            shipped=at(2026, 11, 24, 12, 0),
            delivered=at(2026, 11, 24, 19, 30),
            carrier="DHL",
            tracking_number="JJD000390007",
        )
    clock = SlaClock.objects.get(pk=replacement.delivery_clock_id)
    assert (clock.state, clock.outcome, clock.stopped_at) == (
        ClockState.STOPPED,
        Outcome.MISSED,
        at(2026, 11, 24, 19, 30),
    )
    assert replacement.return_due_at == at(2026, 12, 1, 19, 30)
    ticket.refresh_from_db()
    assert ticket.sla_breached
    history = TicketEvent.objects.filter(ticket=ticket, action=EventAction.REPLACEMENT).order_by("pk").last()
    assert history.data["changes"]["delivery_outcome"] == "missed"
    assert "JJD000390007" in desk_line(history, "pl").after and "przekroczony" in desk_line(history, "pl").after
    assert "missed" in desk_line(history, "en").after


def test_delivered_in_time_is_met_and_the_deadline_keeps_the_wall_clock_across_dst(cast, contract):
    engineer = cast["engineer"]
    with time_machine.travel(at(2026, 10, 22, 10, 0), tick=False):
        ticket = make_ticket(author=cast["customer"], contract=contract, priority="critical")
        replacement = replacement_approve(ticket=ticket, engineer=engineer)
    with time_machine.travel(at(2026, 10, 22, 17, 0), tick=False):
        replacement = delivered(
            replacement, engineer, shipped=at(2026, 10, 22, 11, 0), delivered=at(2026, 10, 22, 16, 0)
        )
    assert replacement.delivery_clock.outcome == Outcome.MET
    assert replacement.return_due_at == at(2026, 10, 29, 16, 0)  # CET after 25 October, still 16:00 in Warsaw


def test_a_later_date_agreed_with_the_customer_moves_the_due_time_and_no_breach_is_alerted(cast, contract, outbox):
    engineer = cast["engineer"]
    with time_machine.travel(at(2026, 11, 24, 10, 0), tick=False) as traveller:
        ticket = make_ticket(author=cast["customer"], contract=contract, priority="critical")
        ticket_services.ticket_engineer_reply(ticket=ticket, engineer=engineer, body="Wysyłamy urządzenie.")
        replacement = replacement_approve(ticket=ticket, engineer=engineer)  # due 18:00
        with pytest.raises(ValidationError, match="późniejszy"):
            replacement_update(
                replacement=replacement,
                engineer=engineer,
                **update_fields(replacement, agreed_delivery_at=at(2026, 11, 24, 17, 0)),
            )
        replacement = replacement_update(
            replacement=replacement,
            engineer=engineer,
            **update_fields(replacement, agreed_delivery_at=at(2026, 11, 25, 12, 0)),
        )
        assert replacement.delivery_clock.effective_due_at == at(2026, 11, 25, 12, 0)
        outbox.mark()
        traveller.move_to(at(2026, 11, 24, 19, 0))
        assert sla_scan().breach_emails == 0
        ticket.refresh_from_db()
        assert ticket.sla_next_due_at == at(2026, 11, 25, 12, 0) and not ticket.sla_breached
        traveller.move_to(at(2026, 11, 25, 11, 0))
        replacement = delivered(
            replacement, engineer, shipped=at(2026, 11, 25, 8, 0), delivered=at(2026, 11, 25, 10, 45)
        )
        with pytest.raises(ValidationError, match="nie można już uzgodnić"):
            replacement_update(
                replacement=replacement,
                engineer=engineer,
                **update_fields(replacement, agreed_delivery_at=at(2026, 11, 26, 12, 0)),
            )
    assert replacement.delivery_clock.outcome == Outcome.MET
    # No breach alert; only the customer's "delivered" e-mail (SPEC §6).
    assert [e.template for e in outbox.all()] == ["operations/emails/replacement_delivered"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"delivered_at": at(2026, 11, 24, 15, 0)}, "kiedy wymiana została wysłana"),
        ({"shipped_at": at(2026, 11, 24, 16, 0), "delivered_at": at(2026, 11, 24, 15, 0)}, "zanim została wysłana"),
        ({"shipped_at": at(2026, 11, 24, 9, 0), "delivered_at": at(2026, 11, 24, 9, 30)}, "zanim została zatwierdzona"),
        ({"returned_at": at(2026, 11, 24, 15, 0)}, "Najpierw zapisz dostarczenie"),
        (
            {
                "shipped_at": at(2026, 11, 24, 11, 0),
                "delivered_at": at(2026, 11, 24, 15, 0),
                "returned_at": at(2026, 11, 24, 14, 0),
            },
            "zanim wymiana została dostarczona",
        ),
        ({"shipped_at": at(2026, 11, 24, 18, 0)}, "nie może być w przyszłości"),
    ],
)
def test_impossible_orders_of_events_are_refused_and_change_nothing(cast, contract, changes, message):
    engineer = cast["engineer"]
    with time_machine.travel(at(2026, 11, 24, 10, 0), tick=False) as traveller:
        ticket = make_ticket(author=cast["customer"], contract=contract, priority="critical")
        replacement = replacement_approve(ticket=ticket, engineer=engineer)
        traveller.move_to(at(2026, 11, 24, 17, 0))
        with pytest.raises(ValidationError, match=message):
            replacement_update(replacement=replacement, engineer=engineer, **update_fields(replacement, **changes))
    replacement.refresh_from_db()
    assert (replacement.shipped_at, replacement.delivered_at, replacement.returned_at) == (None, None, None)
    assert SlaClock.objects.get(pk=replacement.delivery_clock_id).state == ClockState.RUNNING


def test_a_recorded_delivery_cannot_be_moved(cast, contract):
    engineer = cast["engineer"]
    with time_machine.travel(at(2026, 11, 24, 10, 0), tick=False) as traveller:
        ticket = make_ticket(author=cast["customer"], contract=contract, priority="critical")
        replacement = replacement_approve(ticket=ticket, engineer=engineer)
        traveller.move_to(at(2026, 11, 24, 17, 0))
        replacement = delivered(
            replacement, engineer, shipped=at(2026, 11, 24, 11, 0), delivered=at(2026, 11, 24, 16, 0)
        )
        with pytest.raises(ValidationError, match="zatrzymało zegar SLA"):
            replacement_update(
                replacement=replacement,
                engineer=engineer,
                **update_fields(replacement, delivered_at=at(2026, 11, 24, 12, 0)),
            )
        # The rest can still be completed: the faulty unit comes back.
        replacement = replacement_update(
            replacement=replacement,
            engineer=engineer,
            **update_fields(replacement, returned_at=at(2026, 11, 24, 16, 30)),
        )
    assert replacement.returned_at == at(2026, 11, 24, 16, 30)


def _delivered_replacement(cast, contract, *, delivered_on):
    """A critical ticket's replacement delivered at `delivered_on` (approved and shipped the hours before)."""
    engineer = cast["engineer"]
    with time_machine.travel(delivered_on - timedelta(hours=3), tick=False) as traveller:
        ticket = make_ticket(author=cast["customer"], contract=contract, priority="critical")
        replacement = replacement_approve(ticket=ticket, engineer=engineer, replacement_serial="FG100FTK20009999")
        traveller.move_to(delivered_on)
        return delivered(replacement, engineer, shipped=delivered_on - timedelta(hours=2), delivered=delivered_on)


def test_the_reminder_goes_once_two_days_before_the_deadline_however_often_the_job_runs(cast, contract, outbox):
    replacement = _delivered_replacement(cast, contract, delivered_on=at(2026, 11, 2, 10, 0))
    assert replacement.return_due_at == at(2026, 11, 9, 10, 0)
    outbox.mark()
    assert replacement_reminders_send(now=at(2026, 11, 7, 9, 59)) == 0
    sent = [replacement_reminders_send(now=at(2026, 11, 7, 10, 0))]
    for hour in range(11, 24):
        sent.append(replacement_reminders_send(now=at(2026, 11, 7, hour, 0)))
    sent.append(replacement_reminders_send(now=at(2026, 11, 9, 9, 0)))
    assert sent[0] == 1 and sum(sent) == 1
    [email] = outbox.all()
    assert email.to == ["anna@kowalski.example"] and email.language == "pl"
    assert replacement.ticket.number in email.subject and "9 lis 2026" in email.subject
    assert "9 lis 2026, 10:00" in " ".join(email.body_text.split())
    assert "koszt" in email.body_text and "HEZO 360" in email.body_text  # the customer pays for HEZO 360
    replacement.refresh_from_db()
    assert replacement.reminder_sent_at == at(2026, 11, 7, 10, 0)


def test_the_reminder_is_in_the_reporters_language_and_tells_hezo_plus_customers_hezo_pays(cast, plus_contract, outbox):
    cast["customer"].language = "en"
    cast["customer"].save()
    replacement = _delivered_replacement(cast, plus_contract, delivered_on=at(2026, 11, 2, 10, 0))
    outbox.mark()
    assert replacement_reminders_send(now=at(2026, 11, 7, 12, 0)) == 1
    [email] = outbox.all()
    assert email.language == "en"
    assert email.subject == f"[{replacement.ticket.number}] Please return the faulty unit by 9 Nov 2026"
    assert "prepaid waybill" in email.body_text and "HEZO pays the return shipping" in email.body_html


def test_no_reminder_for_a_returned_unit_and_two_calendar_days_before_across_dst(cast, contract, outbox):
    returned = _delivered_replacement(cast, contract, delivered_on=at(2026, 10, 18, 10, 0))
    with time_machine.travel(at(2026, 10, 18, 13, 0), tick=False):
        replacement_update(
            replacement=returned,
            engineer=cast["engineer"],
            **update_fields(returned, returned_at=at(2026, 10, 18, 12, 0)),
        )
    later = _delivered_replacement(cast, contract, delivered_on=at(2026, 10, 19, 10, 0))
    assert later.return_due_at == at(2026, 10, 26, 10, 0)  # CEST → CET, still 10:00 in Warsaw
    outbox.mark()
    # Saturday 24 October 10:00 CEST is 2 calendar days, but 49 real hours, before the deadline.
    assert replacement_reminders_send(now=at(2026, 10, 24, 9, 59)) == 0
    assert replacement_reminders_send(now=at(2026, 10, 24, 10, 0)) == 1
    assert [e.subject for e in outbox.all()] == [
        f"[{later.ticket.number}] Prosimy o zwrot uszkodzonego urządzenia do 26 paź 2026"
    ]
    assert replacement_overdue_flag(now=at(2026, 11, 30)) == 1  # only the one not returned


def test_overdue_is_flagged_once_after_the_deadline(cast, contract):
    replacement = _delivered_replacement(cast, contract, delivered_on=at(2026, 11, 2, 10, 0))
    assert replacement_overdue_flag(now=at(2026, 11, 9, 9, 59)) == 0
    assert replacement_overdue_flag(now=at(2026, 11, 9, 10, 0)) == 0  # due back at 10:00: still on time
    assert replacement_overdue_flag(now=at(2026, 11, 9, 10, 0, 1)) == 1
    assert replacement_overdue_flag(now=at(2026, 11, 9, 11, 0)) == 0
    assert replacement_reminders_send(now=at(2026, 11, 9, 11, 0)) == 0  # too late for a reminder
    replacement.refresh_from_db()
    assert replacement.overdue_flagged_at == at(2026, 11, 9, 10, 0, 1)
    assert replacement.is_return_overdue(now=at(2026, 11, 9, 11, 0))


def test_the_beat_task_and_the_command_run_the_same_job(cast, contract, outbox, settings):
    from operations.tasks import rma_reminders

    assert settings.CELERY_BEAT_SCHEDULE["rma-reminders"]["task"] == "operations.tasks.rma_reminders"
    _delivered_replacement(cast, contract, delivered_on=at(2026, 11, 2, 10, 0))
    with time_machine.travel(at(2026, 11, 7, 10, 30), tick=False):
        assert tuple(rma_reminders.delay().get()) == (1, 0)
        assert tuple(rma_reminders.delay().get()) == (0, 0)
    out = StringIO()
    with time_machine.travel(at(2026, 11, 10, 10, 30), tick=False):
        call_command("rma_reminders", stdout=out)
    assert out.getvalue() == "Return reminders queued: 0; replacements flagged overdue: 1\n"
    assert Replacement.objects.get().overdue_flagged_at == at(2026, 11, 10, 10, 30)


@pytest.mark.django_db(transaction=True)
def test_four_jobs_at_the_same_moment_send_each_reminder_once(cast, contract):
    if connection.vendor != "postgresql":
        skip_or_fail("concurrency needs PostgreSQL's row locks (DATABASE_URL, as CI sets it)")
    from core.models import OutboxEmail

    for day in (2, 3):
        _delivered_replacement(cast, contract, delivered_on=at(2026, 11, day, 10, 0))
    barrier = threading.Barrier(4)
    results = []

    def run():
        barrier.wait()
        try:
            results.append(replacement_reminders_send(now=at(2026, 11, 8, 12, 0)))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(results) == 2
    assert OutboxEmail.objects.filter(template="operations/emails/return_reminder").count() == 2
