"""At-risk warnings (SPEC §5): a running clock is at risk once it has used MYHEZO_SLA_AT_RISK_PERCENT of its
target inside its window; the scan warns each clock once (the assignee, else the SLA mailbox), never after its
breach, and counts e-mails, not clocks."""

import threading
from datetime import datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.utils import translation

from conftest import skip_or_fail
from contracts.tests.factories import make_contract
from sla.businesstime import WARSAW
from sla.models import ClockKind, SlaClock
from sla.selectors import clocks_for_ticket
from sla.services import ScanResult, clock_start, sla_scan
from tickets import services
from tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db

AT_RISK = "sla/emails/clock_at_risk"
BREACHED = "sla/emails/clock_breached"


def at(*args) -> datetime:
    return datetime(*args, tzinfo=WARSAW)


def opened(cast, contract, when, priority):
    with time_machine.travel(when, tick=False):
        return make_ticket(author=cast["customer"], contract=contract, priority=priority)


def test_a_24x7_clock_is_at_risk_after_48_of_its_60_minutes(cast, contract):
    ticket = opened(cast, contract, at(2026, 11, 9, 9, 0), "critical")  # HEZO 360 critical: 1 h, 24x7
    clock = ticket.clocks.get()
    assert clock.at_risk_at == at(2026, 11, 9, 9, 48)
    assert [clock.is_at_risk(now) for now in (at(2026, 11, 9, 9, 47, 59), at(2026, 11, 9, 9, 48))] == [False, True]
    assert not clock.is_at_risk(at(2026, 11, 9, 10, 0, 1))  # overdue now: breached, no longer "at risk"


def test_an_8x5_clock_counts_its_share_inside_the_window(cast, contract):
    # HEZO 360 non_critical first response: 1 h, 8x5. Friday 16:30: 30 min on Friday, 18 more on Monday.
    ticket = opened(cast, contract, at(2026, 11, 27, 16, 30), "non_critical")
    clock = ticket.clocks.get()
    assert (clock.at_risk_at, clock.due_at) == (at(2026, 11, 30, 9, 18), at(2026, 11, 30, 9, 30))


def test_a_paused_clock_is_not_at_risk_and_resuming_counts_what_was_used(cast, contract):
    engineer = cast["engineer"]
    ticket = opened(cast, contract, at(2026, 11, 24, 10, 0), "question")  # 2 h, 8x5: at risk after 96 min
    with time_machine.travel(at(2026, 11, 24, 11, 0), tick=False):
        services.ticket_status_change(ticket=ticket, actor=engineer, to="waiting")  # 60 min used
    clock = ticket.clocks.get()
    assert clock.at_risk_at is None
    with time_machine.travel(at(2026, 11, 25, 10, 0), tick=False):
        services.ticket_reply(ticket=ticket, author=cast["customer"], body="Oto logi.")
    clock.refresh_from_db()
    assert clock.at_risk_at == at(2026, 11, 25, 10, 36)  # the remaining 36 of the 96 minutes


@pytest.mark.parametrize(
    ("priority", "at_risk_at"),
    [
        # HEZO+ non_critical delivery: next business day, 8x5. Wed 11:00 → Thu 17:00 is 6 h + 8 h of window
        # time; 80 % of 14 h is 11 h 12 min: Wednesday's 6 h, then 5 h 12 min on Thursday.
        ("non_critical", at(2026, 11, 26, 14, 12)),
        # HEZO+ critical delivery: next business day in the 24x7 window: 80 % of 30 h is 24 h.
        ("critical", at(2026, 11, 26, 11, 0)),
    ],
)
def test_a_next_business_day_clock_uses_the_share_of_the_time_between_start_and_due(
    cast, company, reseller, priority, at_risk_at
):
    contract = make_contract(customer=company, reseller=reseller, number="P100001", plan_name="HEZO+", serials=("S1",))
    ticket = opened(cast, contract, at(2026, 11, 25, 10, 0), priority)
    clock = clock_start(ticket=ticket, kind=ClockKind.DELIVERY, at=at(2026, 11, 25, 11, 0))
    assert clock.target is None and clock.due_at == at(2026, 11, 26, 17, 0)
    assert clock.at_risk_at == at_risk_at
    assert SlaClock.objects.at_risk(at_risk_at).filter(pk=clock.pk).exists()
    assert not SlaClock.objects.at_risk(at_risk_at - timedelta(seconds=1)).filter(pk=clock.pk).exists()


def test_the_threshold_is_a_setting(cast, contract, settings):
    settings.MYHEZO_SLA_AT_RISK_PERCENT = 50
    ticket = opened(cast, contract, at(2026, 11, 9, 9, 0), "critical")
    assert ticket.clocks.get().at_risk_at == at(2026, 11, 9, 9, 30)


def test_one_warning_to_the_assignee_before_the_breach_then_the_breach_emails(cast, contract, outbox, settings):
    engineer = cast["engineer"]
    engineer.language = "en"
    engineer.save()
    ticket = opened(cast, contract, at(2026, 11, 9, 9, 0), "critical")
    services.ticket_assign(ticket=ticket, actor=engineer, assignee=engineer)
    outbox.mark()
    results = [sla_scan(now=at(2026, 11, 9, 9, minute)) for minute in (47, 48, 49, 55)]
    assert results == [ScanResult(), ScanResult(at_risk_emails=1), ScanResult(), ScanResult()]
    [warning] = outbox.all()
    assert (warning.template, warning.to) == (AT_RISK, [engineer.email])
    assert warning.subject.startswith(f"[{ticket.number}] SLA at risk: first response (")
    assert "is at risk" in warning.body_text

    assert sla_scan(now=at(2026, 11, 9, 10, 0, 1)) == ScanResult(breach_emails=2)
    assert [email.template for email in outbox.all()] == [AT_RISK, BREACHED, BREACHED]
    [on_the_desk] = clocks_for_ticket(ticket, at(2026, 11, 9, 9, 50))  # the clock box's state at 09:50
    assert on_the_desk.at_risk and not on_the_desk.breached


def test_without_an_assignee_the_warning_goes_to_the_sla_mailbox_in_the_engineers_language(
    cast, contract, outbox, settings
):
    settings.MYHEZO_ENGINEERS_LANGUAGE = "pl"
    ticket = opened(cast, contract, at(2026, 11, 9, 9, 0), "critical")
    outbox.mark()
    assert sla_scan(now=at(2026, 11, 9, 9, 50)).at_risk_emails == 1
    [warning] = outbox.all()
    assert warning.to == [settings.MYHEZO_SLA_ALERT_EMAIL]
    assert "Zagrożone SLA" in warning.subject and ticket.number in warning.subject


def test_a_clock_already_breached_when_first_scanned_gets_only_the_breach_email(cast, contract, outbox):
    opened(cast, contract, at(2026, 11, 9, 9, 0), "critical")
    outbox.mark()
    assert sla_scan(now=at(2026, 11, 9, 11, 0)) == ScanResult(breach_emails=1)
    assert sla_scan(now=at(2026, 11, 9, 11, 1)) == ScanResult()
    assert [email.template for email in outbox.all()] == [BREACHED]


def test_sla_scan_command_counts_emails_not_clocks(cast, contract):
    engineer = cast["engineer"]
    breached = opened(cast, contract, at(2026, 11, 9, 8, 0), "critical")  # due 09:00
    services.ticket_assign(ticket=breached, actor=engineer, assignee=engineer)  # mailbox + assignee: 2 e-mails
    for _ in range(3):
        opened(cast, contract, at(2026, 11, 9, 8, 55), "critical")  # due 09:55, at risk from 09:43
    out = StringIO()
    with time_machine.travel(at(2026, 11, 9, 9, 45), tick=False), translation.override("en"):
        call_command("sla_scan", stdout=out)
    assert out.getvalue().strip() == "2 breach e-mails, 3 at-risk e-mails queued"
    out = StringIO()
    with time_machine.travel(at(2026, 11, 9, 9, 46), tick=False), translation.override("pl"):
        call_command("sla_scan", stdout=out)
    assert out.getvalue().strip() == "0 e-maili o przekroczeniu SLA, 0 e-maili ostrzegawczych w kolejce"


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_scans_at_the_same_moment_warn_each_clock_once(cast, contract):
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
            results.append(sla_scan(now=at(2026, 11, 24, 10, 50)).at_risk_emails)
        finally:
            connection.close()

    threads = [threading.Thread(target=scan) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(results) == 5
    warnings = OutboxEmail.objects.filter(template=AT_RISK)
    assert sorted(warnings.values_list("to", flat=True)) == [["sla@myhezo.pl"]] * 5
    assert SlaClock.objects.filter(at_risk_alerted_at__isnull=False).count() == len(tickets)


def test_the_desk_clock_box_shows_at_risk_and_a_24x7_clock_skips_nothing(cast, contract, login_with_otp):
    ticket = opened(cast, contract, at(2026, 11, 9, 9, 0), "critical")  # 24x7
    desk = login_with_otp(cast["engineer"])
    with time_machine.travel(at(2026, 11, 9, 9, 50), tick=False):
        page = desk.get(f"/admin/tickets/ticket/{ticket.pk}/change/").content.decode()
    assert 'data-testid="clock-at-risk">zagrożone<' in page
    assert "Naliczony czas (całą dobę, każdego dnia)" in page
    assert "bez weekendów" not in page
    with time_machine.travel(at(2026, 11, 9, 9, 40), tick=False):
        assert (
            'data-testid="clock-at-risk"' not in desk.get(f"/admin/tickets/ticket/{ticket.pk}/change/").content.decode()
        )


def test_clocks_running_before_the_warnings_arrived_get_their_at_risk_instant(cast, contract):
    import importlib

    from django.apps import apps

    from sla.services import clock_at_risk_at

    backfill = importlib.import_module("sla.migrations.0005_at_risk_backfill")
    ticket = make_ticket(author=cast["customer"], contract=contract, priority="critical")
    clock = ticket.clocks.get()
    expected = clock.at_risk_at
    assert expected is not None and expected == clock_at_risk_at(clock)
    SlaClock.objects.filter(pk=clock.pk).update(at_risk_at=None)  # as deployed: no instant yet
    backfill.forwards(apps, None)
    clock.refresh_from_db()
    assert clock.at_risk_at == expected
