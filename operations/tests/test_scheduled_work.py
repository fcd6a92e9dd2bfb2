"""HEZO 360 scheduled work (SPEC §6): a remote configuration change carried out within 7 calendar days of the
request, an on-site installation within 14; agreed and recorded on the desk, watched by an SLA clock like any
other (overdue, one breach e-mail), shown to the customer."""

import re
from datetime import datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client

from operations.models import ScheduledWork, ScheduledWorkKind
from operations.services import scheduled_work_agree, scheduled_work_date_change, scheduled_work_done
from sla.models import ClockKind, ClockState, Outcome, SlaClock
from sla.services import ScanResult, sla_scan
from tickets.models import EventAction
from tickets.tests.factories import make_ticket
from tickets.tests.history import desk_line

from .factories import at

pytestmark = pytest.mark.django_db

REMOTE, ONSITE = ScheduledWorkKind.REMOTE_CHANGE, ScheduledWorkKind.ONSITE_INSTALL

fromiso = datetime.fromisoformat


def text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def desk_url(ticket, action=""):
    return f"/admin/tickets/ticket/{ticket.pk}/{action + '/' if action else 'change/'}"


@pytest.fixture
def ticket(cast, contract):
    with time_machine.travel(at(2026, 11, 24, 10, 0), tick=False):
        return make_ticket(author=cast["customer"], contract=contract, priority="question", partner_access=True)


@pytest.mark.parametrize(("kind", "days"), [(REMOTE, 7), (ONSITE, 14)])
def test_the_date_may_be_agreed_up_to_the_limit_and_not_a_minute_later(cast, ticket, kind, days):
    engineer = cast["engineer"]
    requested = at(2026, 11, 24, 10, 0)
    with time_machine.travel(at(2026, 11, 24, 11, 0), tick=False):
        with pytest.raises(ValidationError) as refused:
            scheduled_work_agree(
                ticket=ticket,
                engineer=engineer,
                kind=kind,
                requested_at=requested,
                agreed_for=requested + timedelta(days=days, minutes=1),
            )
        latest = {7: "1 gru 2026, 10:00", 14: "8 gru 2026, 10:00"}[days]
        assert refused.value.code == "too_late"
        assert f"w ciągu {days} dni: uzgodnij termin nie późniejszy niż {latest}" in refused.value.messages[0]
        assert not ScheduledWork.objects.exists() and not SlaClock.objects.filter(kind=ClockKind.SCHEDULED).exists()
        assert not ticket.events.filter(action=EventAction.SCHEDULED).exists()

        work = scheduled_work_agree(
            ticket=ticket,
            engineer=engineer,
            kind=kind,
            requested_at=requested,
            agreed_for=requested + timedelta(days=days),
        )
    clock = work.clock
    assert (clock.kind, clock.window, clock.state) == (ClockKind.SCHEDULED, "24x7", ClockState.RUNNING)
    assert (clock.started_at, clock.due_at, clock.target) == (requested, work.agreed_for, timedelta(days=days))
    event = ticket.events.get(action=EventAction.SCHEDULED)
    assert (event.new_value, event.data["kind"]) == ("agreed", kind)
    assert fromiso(event.data["agreed_for"]) == work.agreed_for
    ticket.refresh_from_db()
    assert ticket.sla_next_due_at == ticket.clocks.get(kind=ClockKind.RESPONSE).due_at  # the sooner clock


def test_calendar_days_keep_the_wall_clock_time_across_the_dst_change(cast, contract):
    with time_machine.travel(at(2026, 10, 20, 9, 0), tick=False):
        ticket = make_ticket(author=cast["customer"], contract=contract, priority="question")
        work = scheduled_work_agree(
            ticket=ticket, engineer=cast["engineer"], kind=ONSITE, agreed_for=at(2026, 11, 3, 9, 0)
        )  # 14 days later, CET instead of CEST: 337 real hours
    assert work.requested_at == at(2026, 10, 20, 9, 0)
    assert work.clock.target == timedelta(days=14, hours=1)


def test_hezo_plus_is_refused_with_a_clear_message(cast, service_plans, company, login_with_otp):
    from contracts.tests.factories import make_contract

    plus = make_contract(customer=company, number="D400004", plan_name="HEZO+", serials=("A30-1",))
    ticket = make_ticket(author=cast["customer"], contract=plus, priority="question")
    with pytest.raises(ValidationError) as refused:
        scheduled_work_agree(
            ticket=ticket, engineer=cast["engineer"], kind=REMOTE, agreed_for=ticket.created_at + timedelta(days=2)
        )
    assert refused.value.messages == [
        "Plan HEZO+ umowy D400004 nie obejmuje planowej pracy „zdalna zmiana konfiguracji”: mają ją tylko umowy "
        "HEZO 360."
    ]
    assert not ScheduledWork.objects.exists()
    response = login_with_otp(cast["engineer"]).get(desk_url(ticket))
    assert "Plan tej umowy nie obejmuje prac planowych." in text(response)
    assert "scheduled_agree" not in response.content.decode()


def test_done_by_the_agreed_date_is_met_and_a_later_one_missed(cast, ticket):
    engineer = cast["engineer"]
    with time_machine.travel(at(2026, 11, 24, 11, 0), tick=False) as traveller:
        on_time = scheduled_work_agree(
            ticket=ticket, engineer=engineer, kind=REMOTE, agreed_for=at(2026, 11, 26, 10, 0)
        )
        late = scheduled_work_agree(ticket=ticket, engineer=engineer, kind=ONSITE, agreed_for=at(2026, 11, 27, 12, 0))
        traveller.move_to(at(2026, 11, 28, 9, 0))
        scheduled_work_done(scheduled_work=on_time, engineer=engineer, done_at=at(2026, 11, 26, 10, 0))  # exactly
        scheduled_work_done(scheduled_work=late, engineer=engineer)  # now: a day late
        with pytest.raises(ValidationError) as refused:
            scheduled_work_date_change(scheduled_work=late, engineer=engineer, agreed_for=at(2026, 11, 29, 9, 0))
        assert refused.value.code == "done"
    on_time.refresh_from_db()
    late.refresh_from_db()
    assert (on_time.clock.state, on_time.clock.outcome) == (ClockState.STOPPED, Outcome.MET)
    assert (late.clock.outcome, late.done_at) == (Outcome.MISSED, at(2026, 11, 28, 9, 0))
    assert late.agreed_for == at(2026, 11, 27, 12, 0)
    ticket.refresh_from_db()
    assert ticket.sla_breached
    done = list(ticket.events.filter(action=EventAction.SCHEDULED))[2:]
    assert [(event.new_value, event.data["outcome"]) for event in done] == [("done", "met"), ("done", "missed")]
    assert desk_line(done[1], "en").after == "carried out on 28 Nov 2026, 09:00 (missed)"
    assert desk_line(done[0], "pl").sentence == "Zdalna zmiana konfiguracji wykonana 26 lis 2026, 10:00."


def test_a_new_date_stays_within_the_limit_of_the_request_and_is_kept_in_the_history(cast, ticket, outbox):
    engineer = cast["engineer"]
    with time_machine.travel(at(2026, 11, 24, 11, 0), tick=False):
        work = scheduled_work_agree(
            ticket=ticket,
            engineer=engineer,
            kind=REMOTE,
            requested_at=at(2026, 11, 24, 10, 0),
            agreed_for=at(2026, 11, 26, 10, 0),
        )
        with pytest.raises(ValidationError) as refused:
            scheduled_work_date_change(scheduled_work=work, engineer=engineer, agreed_for=at(2026, 12, 1, 10, 1))
        assert refused.value.code == "too_late"
        outbox.mark()
        scheduled_work_date_change(scheduled_work=work, engineer=engineer, agreed_for=at(2026, 12, 1, 10, 0))
    work.refresh_from_db()
    assert work.agreed_for == at(2026, 12, 1, 10, 0)
    assert (work.clock.due_at, work.clock.target) == (at(2026, 12, 1, 10, 0), timedelta(days=7))
    event = ticket.events.filter(action=EventAction.SCHEDULED).last()
    assert (event.new_value, fromiso(event.data["old"]), fromiso(event.data["agreed_for"])) == (
        "date_changed",
        at(2026, 11, 26, 10, 0),
        at(2026, 12, 1, 10, 0),
    )
    english = desk_line(event, "en")
    assert (english.before, english.after) == (
        "remote configuration change: 26 Nov 2026, 10:00",
        "remote configuration change: 1 Dec 2026, 10:00",
    )
    [email] = outbox.all()  # the reporter, in Polish (no CCs)
    assert email.to == [cast["customer"].email]
    assert email.subject == f"[{ticket.number}] Uzgodniony termin: zdalna zmiana konfiguracji do 1 gru 2026, 10:00"
    assert "uzgodniliśmy, że zdalna zmiana konfiguracji zostanie wykonana do 1 gru 2026, 10:00" in email.body_text


def test_the_clock_is_overdue_like_any_other_and_the_breach_scan_sends_one_email(cast, ticket, outbox, settings):
    engineer = cast["engineer"]
    with time_machine.travel(at(2026, 11, 24, 11, 0), tick=False) as traveller:
        work = scheduled_work_agree(ticket=ticket, engineer=engineer, kind=REMOTE, agreed_for=at(2026, 11, 27, 14, 0))
        ticket.clocks.filter(kind=ClockKind.RESPONSE).update(state=ClockState.STOPPED, outcome=Outcome.MET)
        traveller.move_to(at(2026, 11, 27, 14, 0))
        # Due at 14:00 is on time at 14:00, but 80 % of the agreed stretch is used: one at-risk warning, no breach.
        assert sla_scan() == ScanResult(breach_emails=0, at_risk_emails=1)
        assert not work.clock.is_overdue(at(2026, 11, 27, 14, 0))
        outbox.mark()
        for minute in (1, 2, 30):
            traveller.move_to(at(2026, 11, 27, 14, minute))
            sla_scan()
    work.clock.refresh_from_db()
    assert work.clock.is_overdue(at(2026, 11, 27, 14, 1))
    assert SlaClock.objects.overdue(at(2026, 11, 27, 14, 1)).get() == work.clock
    alerts = outbox.all()
    assert sorted(email.to[0] for email in alerts) == [settings.MYHEZO_SLA_ALERT_EMAIL]  # nobody assigned
    assert alerts[0].subject == f"[{ticket.number}] Przekroczone SLA: prace planowe (Kowalski Systemy Sp. z o.o.)"
    assert "Zegar „prace planowe” zgłoszenia" in alerts[0].body_text
    ticket.refresh_from_db()
    assert ticket.sla_breached


@pytest.fixture
def agreed(cast, ticket):
    with time_machine.travel(at(2026, 11, 24, 11, 0), tick=False):
        scheduled_work_agree(
            ticket=ticket, engineer=cast["engineer"], kind=REMOTE, agreed_for=at(2026, 12, 5, 10, 0) - timedelta(days=4)
        )
        scheduled_work_agree(ticket=ticket, engineer=cast["engineer"], kind=ONSITE, agreed_for=at(2026, 12, 5, 10, 0))
    return ticket


def test_the_customer_the_colleague_and_the_consented_partner_see_the_agreed_dates(cast, agreed, login_with_otp):
    with time_machine.travel(at(2026, 11, 25, 9, 0), tick=False):
        for who in ("customer", "colleague", "partner"):
            page = text(login_with_otp(cast[who], with_client=Client()).get(f"/tickets/{agreed.number}/"))
            assert "Prace planowe" in page, who
            assert "Zdalna zmiana konfiguracji: uzgodniony termin 1 gru 2026, 10:00" in page, who
            assert "Instalacja na miejscu: uzgodniony termin 5 gru 2026, 10:00" in page, who


def test_an_english_customer_reads_it_in_english_done_or_overdue(cast, agreed, login_with_otp):
    cast["customer"].language = "en"
    cast["customer"].save()
    _remote, onsite = ScheduledWork.objects.filter(ticket=agreed).order_by("agreed_for")
    with time_machine.travel(at(2026, 12, 2, 9, 0), tick=False):
        scheduled_work_done(scheduled_work=onsite, engineer=cast["engineer"])
        page = text(login_with_otp(cast["customer"]).get(f"/tickets/{agreed.number}/"))
    assert "Scheduled work" in page
    assert "Remote configuration change agreed for 1 Dec 2026, 10:00 overdue" in page
    assert "On-site installation carried out on 2 Dec 2026, 09:00" in page
    assert "Scheduled work: overdue since 1 Dec 2026, 10:00" in page  # the SLA box reads right for it too


def test_another_company_and_an_unconsented_partner_get_404(cast, agreed, other_contract, login_with_otp):
    from tickets import services as ticket_services

    ticket_services.ticket_partner_access_set(ticket=agreed, actor=cast["customer"], allowed=False)
    for who in ("other", "partner"):
        client = login_with_otp(cast[who], with_client=Client())
        assert client.get(f"/tickets/{agreed.number}/").status_code == 404
        assert client.get("/admin/operations/scheduledwork/").status_code == 302


def test_the_engineer_agrees_moves_and_completes_on_the_desk(cast, ticket, login_with_otp):
    with time_machine.travel(at(2026, 11, 24, 11, 0), tick=False):
        desk = login_with_otp(cast["engineer"])
        response = desk.get(desk_url(ticket))
        assert "Prace planowe (HEZO 360)" in text(response)
        assert 'value="Zapisz uzgodniony termin"' in response.content.decode()

        form = {"kind": REMOTE, "requested_at": "2026-11-24T10:00", "agreed_for": "2026-12-01T10:01"}
        page = text(desk.post(desk_url(ticket, "scheduled_agree"), form, follow=True))
        assert "uzgodnij termin nie późniejszy niż 1 gru 2026, 10:00" in page
        assert not ScheduledWork.objects.exists()

        form["agreed_for"] = "2026-12-01T10:00"
        page = text(desk.post(desk_url(ticket, "scheduled_agree"), form, follow=True))
        assert "Uzgodniony termin został zapisany, a jego zegar biegnie." in page
        work = ScheduledWork.objects.get()
        assert (work.requested_at, work.agreed_for, work.engineer) == (
            at(2026, 11, 24, 10, 0),
            at(2026, 12, 1, 10, 0),
            cast["engineer"],
        )

        change = {"scheduled_work": work.pk, "agreed_for": "2026-11-30T15:00"}
        page = text(desk.post(desk_url(ticket, "scheduled_date_change"), change, follow=True))
        assert "Nowy termin został zapisany." in page

        page = text(
            desk.post(desk_url(ticket, "scheduled_done"), {"scheduled_work": work.pk, "done_at": ""}, follow=True)
        )
        assert "Praca została zapisana jako wykonana." in page
        assert "wykonano 24 lis 2026, 11:00 (dotrzymany)" in page
    work.refresh_from_db()
    assert work.agreed_for == at(2026, 11, 30, 15, 0) and work.clock.outcome == Outcome.MET


def test_scheduled_work_of_another_ticket_cannot_be_changed_through_this_one(cast, contract, login_with_otp):
    mine = make_ticket(author=cast["customer"], contract=contract, priority="question")
    theirs = make_ticket(author=cast["customer"], contract=contract, priority="question")
    work = scheduled_work_agree(
        ticket=theirs, engineer=cast["engineer"], kind=REMOTE, agreed_for=theirs.created_at + timedelta(days=1)
    )
    desk = login_with_otp(cast["engineer"])
    assert desk.post(desk_url(mine, "scheduled_done"), {"scheduled_work": work.pk}).status_code == 404
    work.refresh_from_db()
    assert work.done_at is None
