"""Replacements and allowances where people see them: the engineers' ticket page and lists, the customer's
ticket page; and nobody else sees them."""

import re

import pytest
import time_machine
from django.test import Client

from operations.models import AllowanceUse, Replacement
from operations.services import replacement_approve, replacement_overdue_flag, replacement_update
from sla.models import ClockKind, Outcome
from tickets import services as ticket_services
from tickets.models import EventAction
from tickets.tests.factories import make_ticket

from .factories import at, update_fields

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def desk_url(ticket, action=""):
    return f"/admin/tickets/ticket/{ticket.pk}/{action + '/' if action else 'change/'}"


def test_engineer_approves_ships_and_delivers_a_replacement_on_the_desk(cast, contract, login_with_otp):
    with time_machine.travel(at(2026, 11, 24, 10, 0), tick=False) as traveller:
        desk = login_with_otp(cast["engineer"])
        ticket = make_ticket(author=cast["customer"], contract=contract, priority="critical")
        page = text(desk.get(desk_url(ticket)))
        assert "Wymiana (RMA)" in page and "Zatwierdź wymianę" in page

        response = desk.post(
            desk_url(ticket, "rma_approve"),
            {"replacement_serial": "FG100FTK20009999", "carrier": "DHL", "tracking_number": ""},
            follow=True,
        )
        replacement = Replacement.objects.get(ticket=ticket)
        assert response.redirect_chain == [(desk_url(ticket), 302)]
        page = text(response)
        assert "Wymiana została zatwierdzona" in page
        assert f"Wymiana {replacement.pk}, zatwierdzona 24 lis 2026, 10:00" in page
        assert "Termin dostawy: 24 lis 2026, 18:00" in page

        traveller.move_to(at(2026, 11, 24, 17, 0))
        desk = login_with_otp(cast["engineer"])  # hours later: the idle session has ended
        form = {
            "replacement": replacement.pk,
            "replacement_serial": "FG100FTK20009999",
            "carrier": "DHL",
            "tracking_number": "JJD000390007",
            "shipped_at": "2026-11-24T12:00",
            "delivered_at": "2026-11-24T16:30",
            "returned_at": "",
            "agreed_delivery_at": "",
        }
        page = text(desk.post(desk_url(ticket, "rma_update"), form, follow=True))
        assert "Wymiana została zapisana" in page
        assert "Uszkodzone urządzenie ma wrócić do: 1 gru 2026, 16:30" in page

        page = text(
            desk.post(desk_url(ticket, "rma_update"), {**form, "delivered_at": "2026-11-24T15:00"}, follow=True)
        )
        assert "nie można go już zmienić" in page

    replacement.refresh_from_db()
    assert (replacement.tracking_number, replacement.delivered_at) == ("JJD000390007", at(2026, 11, 24, 16, 30))
    assert replacement.delivery_clock.kind == ClockKind.DELIVERY and replacement.delivery_clock.outcome == Outcome.MET
    assert ticket.events.filter(action=EventAction.REPLACEMENT).count() == 2


def test_the_desk_explains_a_refused_approval(cast, contract, login_with_otp):
    desk = login_with_otp(cast["engineer"])
    ticket = make_ticket(author=cast["customer"], contract=contract, priority="question")
    page = text(desk.post(desk_url(ticket, "rma_approve"), {}, follow=True))
    assert "Plan nie obejmuje wymiany sprzętu dla zgłoszeń o priorytecie „pytanie”." in page
    assert not Replacement.objects.exists()


def test_a_replacement_of_another_ticket_cannot_be_updated_through_this_one(cast, contract, login_with_otp):
    desk = login_with_otp(cast["engineer"])
    mine = make_ticket(author=cast["customer"], contract=contract, priority="critical")
    theirs = make_ticket(author=cast["customer"], contract=contract, priority="critical")
    replacement = replacement_approve(ticket=theirs, engineer=cast["engineer"])
    form = {"replacement": replacement.pk, "carrier": "UPS", "replacement_serial": "", "tracking_number": ""}
    assert desk.post(desk_url(mine, "rma_update"), form).status_code == 404
    replacement.refresh_from_db()
    assert replacement.carrier == ""


def test_engineer_records_allowance_uses_until_the_allowance_is_used_up(cast, contract, login_with_otp):
    desk = login_with_otp(cast["engineer"])
    ticket = make_ticket(author=cast["customer"], contract=contract, priority="question")
    page = text(desk.get(desk_url(ticket)))
    assert "Wykorzystanie limitu" in page and "Przegląd konfiguracji i logów 0/2 2" in page
    for _ in range(2):
        response = desk.post(desk_url(ticket, "allowance_use"), {"kind": "config_review", "note": "raport wysłany"})
        assert response.status_code == 302
    page = text(desk.post(desk_url(ticket, "allowance_use"), {"kind": "config_review"}, follow=True))
    assert "Limit „przegląd konfiguracji i logów” został wykorzystany: 2 z 2" in page
    assert "Przegląd konfiguracji i logów 2/2 0" in page
    assert AllowanceUse.objects.count() == 2
    assert list(AllowanceUse.objects.values_list("note", flat=True)) == ["raport wysłany"] * 2


def test_a_hezo_plus_ticket_offers_no_allowance_form(cast, service_plans, company, login_with_otp):
    from contracts.tests.factories import make_contract

    plus = make_contract(customer=company, number="D400004", plan_name="HEZO+", serials=("A30-1",))
    desk = login_with_otp(cast["engineer"])
    ticket = make_ticket(author=cast["customer"], contract=plus, priority="question")
    page = text(desk.get(desk_url(ticket)))
    assert "Dla tej umowy nie obowiązują dziś żadne limity." in page
    assert 'name="kind"' not in page


def test_customers_cannot_use_the_desk_forms(client, cast, contract, login_with_otp):
    ticket = make_ticket(author=cast["customer"], contract=contract, priority="critical")
    login_with_otp(cast["customer"])
    assert client.post(desk_url(ticket, "rma_approve"), {}).status_code == 302  # to the admin login
    assert client.post(desk_url(ticket, "allowance_use"), {"kind": "config_change"}).status_code == 302
    assert not Replacement.objects.exists() and not AllowanceUse.objects.exists()


def test_replacement_and_allowance_lists_in_the_back_office(cast, contract, login_with_otp):
    engineer = cast["engineer"]
    with time_machine.travel(at(2026, 11, 2, 8, 0), tick=False) as traveller:
        late = make_ticket(author=cast["customer"], contract=contract, priority="critical", title="Spóźniony")
        on_time = make_ticket(author=cast["customer"], contract=contract, priority="critical", title="Zwrócony")
        replacements = {ticket: replacement_approve(ticket=ticket, engineer=engineer) for ticket in (late, on_time)}
        traveller.move_to(at(2026, 11, 2, 12, 0))
        for ticket, replacement in replacements.items():
            replacement_update(
                replacement=replacement,
                engineer=engineer,
                **update_fields(
                    replacement,
                    shipped_at=at(2026, 11, 2, 9, 0),
                    delivered_at=at(2026, 11, 2, 11, 0),
                    returned_at=at(2026, 11, 2, 11, 30) if ticket is on_time else None,
                ),
            )
        from operations.services import allowance_use_record

        allowance_use_record(ticket=late, kind="firmware_upgrade", engineer=engineer, note="7.4.5")
    replacement_overdue_flag(now=at(2026, 11, 10, 0, 0))
    desk = login_with_otp(engineer)
    page = text(desk.get("/admin/operations/replacement/"))
    assert late.number in page and on_time.number in page and "Kowalski Systemy" in page
    page = text(desk.get("/admin/operations/replacement/?return_overdue=yes"))
    assert late.number in page and on_time.number not in page
    page = text(desk.get("/admin/operations/allowanceuse/"))
    assert late.number in page and "A100001" in page and "7.4.5" in page
    assert desk.get("/admin/operations/replacement/add/").status_code == 403


# --- the customer's ticket page ------------------------------------------------------------------------


@pytest.fixture
def delivered_ticket(cast, contract):
    engineer = cast["engineer"]
    with time_machine.travel(at(2026, 11, 24, 10, 0), tick=False) as traveller:
        ticket = make_ticket(author=cast["customer"], contract=contract, priority="critical", partner_access=True)
        ticket_services.ticket_engineer_reply(ticket=ticket, engineer=engineer, body="Wysyłamy nowe urządzenie.")
        replacement = replacement_approve(
            ticket=ticket, engineer=engineer, replacement_serial="FG100FTK20009999", carrier="DHL"
        )
        traveller.move_to(at(2026, 11, 24, 17, 0))
        replacement_update(
            replacement=replacement,
            engineer=engineer,
            **update_fields(
                replacement,
                tracking_number="JJD000390007",
                shipped_at=at(2026, 11, 24, 12, 0),
                delivered_at=at(2026, 11, 24, 16, 30),
            ),
        )
    return ticket


def test_the_customer_sees_the_replacement_and_when_and_how_to_return_the_faulty_unit(
    cast, delivered_ticket, login_with_otp
):
    with time_machine.travel(at(2026, 11, 25, 9, 0), tick=False):
        client = login_with_otp(cast["colleague"])
        page = text(client.get(f"/tickets/{delivered_ticket.number}/"))
    assert "Urządzenie zastępcze" in page
    assert "FG100FTK20009999" in page and "DHL JJD000390007" in page
    assert "dostarczone 24 lis 2026, 16:30" in page
    assert "Zwróć uszkodzone urządzenie do 1 gru 2026, 16:30" in page
    assert "W planie HEZO 360 koszt wysyłki zwrotnej ponosisz Ty." in page
    assert "Dostawa urządzenia zastępczego: dotrzymany" in page


def test_an_english_customer_of_hezo_plus_reads_that_hezo_pays(cast, service_plans, company, login_with_otp):
    from contracts.tests.factories import make_contract

    cast["customer"].language = "en"
    cast["customer"].save()
    plus = make_contract(customer=company, number="D400004", plan_name="HEZO+", serials=("A30-1",))
    with time_machine.travel(at(2026, 11, 24, 10, 0), tick=False):
        ticket = make_ticket(author=cast["customer"], contract=plus, priority="critical")
        replacement_approve(ticket=ticket, engineer=cast["engineer"], carrier="DPD")
        client = login_with_otp(cast["customer"])
        page = text(client.get(f"/tickets/{ticket.number}/"))
    assert "Replacement device" in page and "Approved on 24 Nov 2026, " in page and "DPD" in page
    assert "Return the faulty unit" not in page  # not delivered yet: no deadline


def test_another_company_and_an_unconsented_partner_see_nothing_of_it(
    cast, delivered_ticket, other_contract, login_with_otp
):
    for who in ("other", "partner"):
        if who == "partner":
            ticket_services.ticket_partner_access_set(ticket=delivered_ticket, actor=cast["customer"], allowed=False)
        client = login_with_otp(cast[who], with_client=Client())
        assert client.get(f"/tickets/{delivered_ticket.number}/").status_code == 404
        pages = text(client.get("/tickets/")) + (text(client.get("/contracts/")) if who == "other" else "")
        assert delivered_ticket.number not in pages and "FG100FTK20009999" not in pages and "JJD000390007" not in pages
        assert client.get(f"/admin/tickets/ticket/{delivered_ticket.pk}/change/").status_code == 302
        assert client.get("/admin/operations/replacement/").status_code == 302
