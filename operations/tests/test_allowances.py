"""HEZO 360 allowances per contract year (SPEC §6): recorded by engineers, refused past the allowance,
shown to customers on the Contracts page."""

import re
import threading
from datetime import date

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection

from conftest import skip_or_fail
from contracts.models import ServicePlan
from contracts.tests.factories import make_contract
from operations.models import AllowanceKind, AllowanceUse, PlanAllowance
from operations.selectors import allowances_for_contracts
from operations.services import allowance_use_record
from tickets.models import EventAction, TicketEvent
from tickets.tests.factories import make_ticket
from tickets.tests.history import desk_line

from .factories import at

pytestmark = pytest.mark.django_db

CHANGE = AllowanceKind.CONFIG_CHANGE


def test_the_plans_are_seeded_as_data(service_plans):
    assert sorted(PlanAllowance.objects.values_list("plan__name", "kind", "per_year")) == [
        ("HEZO 360", "config_change", 5),
        ("HEZO 360", "config_review", 2),
        ("HEZO 360", "firmware_upgrade", 2),
    ]
    assert dict(ServicePlan.objects.values_list("name", "hezo_pays_return_shipping")) == {
        "HEZO 360": False,
        "HEZO+": True,
    }


def test_the_fifth_change_is_accepted_the_sixth_refused_with_nothing_written_and_a_new_year_resets(cast, contract):
    engineer = cast["engineer"]
    assert contract.starts_on == date(2025, 3, 1)
    with time_machine.travel(at(2026, 2, 27, 12, 0), tick=False) as traveller:
        ticket = make_ticket(author=cast["customer"], contract=contract, priority="question")
        for n in range(5):
            allowance_use_record(ticket=ticket, kind=CHANGE, engineer=engineer, note=f"reguła {n}")
        allowance_use_record(ticket=ticket, kind=AllowanceKind.FIRMWARE_UPGRADE, engineer=engineer)
        events = TicketEvent.objects.filter(ticket=ticket, action=EventAction.ALLOWANCE).count()

        with pytest.raises(ValidationError) as refused:
            allowance_use_record(ticket=ticket, kind=CHANGE, engineer=engineer)
        assert refused.value.messages == [
            "Limit „zdalna zmiana konfiguracji” został wykorzystany: 5 z 5 w roku umowy 1 mar 2025 – 28 lut 2026 "
            "umowy A100001."
        ]
        assert AllowanceUse.objects.filter(kind=CHANGE).count() == 5
        assert TicketEvent.objects.filter(ticket=ticket, action=EventAction.ALLOWANCE).count() == events

        traveller.move_to(at(2026, 3, 1, 0, 5))  # the second contract year
        use = allowance_use_record(ticket=ticket, kind=CHANGE, engineer=engineer, note="nowy rok")
    assert use.contract == contract and use.engineer == engineer and use.used_at == at(2026, 3, 1, 0, 5)
    [row] = [r for r in allowances_for_contracts([contract], date(2026, 3, 1))[contract.pk] if r.kind == CHANGE]
    assert (row.used, row.remaining, row.year.first_day, row.year.last_day) == (
        1,
        4,
        date(2026, 3, 1),
        date(2027, 2, 28),
    )
    last = TicketEvent.objects.filter(ticket=ticket, action=EventAction.ALLOWANCE).last()
    assert (last.new_value, last.data, last.actor) == ("config_change", {"used": 1, "per_year": 5}, engineer)
    assert desk_line(last, "pl").after == "zdalna zmiana konfiguracji (1/5)"
    assert desk_line(last, "en").after == "remote configuration change (1/5)"


def test_the_year_follows_the_date_in_warsaw(cast, contract):
    review = AllowanceKind.CONFIG_REVIEW
    with time_machine.travel(at(2026, 2, 28, 23, 30), tick=False) as traveller:
        ticket = make_ticket(author=cast["customer"], contract=contract, priority="question")
        for _ in range(2):
            allowance_use_record(ticket=ticket, kind=review, engineer=cast["engineer"])
        with pytest.raises(ValidationError, match="2 z 2"):
            allowance_use_record(ticket=ticket, kind=review, engineer=cast["engineer"])
        # 00:30 on 1 March in Warsaw is still 28 February in UTC: the new contract year has begun.
        traveller.move_to(at(2026, 3, 1, 0, 30))
        allowance_use_record(ticket=ticket, kind=review, engineer=cast["engineer"])
    assert AllowanceUse.objects.count() == 3


def test_a_plan_without_the_kind_an_ended_contract_and_a_customer_are_refused(cast, contract):
    plus = make_contract(customer=contract.customer, number="D400004", plan_name="HEZO+", serials=("A30-1",))
    ticket = make_ticket(author=cast["customer"], contract=plus, priority="question")
    with pytest.raises(ValidationError, match="Plan HEZO\\+ umowy D400004 nie obejmuje „aktualizacja firmware”"):
        allowance_use_record(ticket=ticket, kind=AllowanceKind.FIRMWARE_UPGRADE, engineer=cast["engineer"])
    with pytest.raises(ValidationError, match="Wybierz"):
        allowance_use_record(ticket=ticket, kind="coffee", engineer=cast["engineer"])
    mine = make_ticket(author=cast["customer"], contract=contract, priority="question")
    with pytest.raises(ValidationError):
        allowance_use_record(ticket=mine, kind=CHANGE, engineer=cast["customer"])
    contract.ends_on = date(2026, 6, 30)
    contract.save()
    with (
        time_machine.travel(at(2026, 7, 1, 9, 0), tick=False),
        pytest.raises(ValidationError, match="zakończyła się 30 cze 2026"),
    ):
        allowance_use_record(ticket=mine, kind=CHANGE, engineer=cast["engineer"])
    assert not AllowanceUse.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_engineers_racing_for_the_last_use_get_one_each_at_most(service_plans, cast, contract):
    if connection.vendor != "postgresql":
        skip_or_fail("concurrency needs PostgreSQL's row locks (DATABASE_URL, as CI sets it)")
    ticket = make_ticket(author=cast["customer"], contract=contract, priority="question")
    allowance_use_record(ticket=ticket, kind=AllowanceKind.CONFIG_REVIEW, engineer=cast["engineer"])
    barrier = threading.Barrier(4)
    outcomes = []

    def record():
        barrier.wait()
        try:
            allowance_use_record(ticket=ticket, kind=AllowanceKind.CONFIG_REVIEW, engineer=cast["engineer"])
            outcomes.append("ok")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=record) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok", "refused", "refused", "refused"]
    assert AllowanceUse.objects.filter(kind=AllowanceKind.CONFIG_REVIEW).count() == 2


# --- the Contracts page ----------------------------------------------------------------------------------


def _text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def test_customers_see_used_and_remaining_for_the_current_contract_year(
    client, cast, contract, login_with_otp, django_assert_num_queries
):
    with time_machine.travel(at(2026, 11, 24, 10, 0), tick=False):
        ticket = make_ticket(author=cast["customer"], contract=contract, priority="question")
        for kind in (CHANGE, CHANGE, AllowanceKind.FIRMWARE_UPGRADE):
            allowance_use_record(ticket=ticket, kind=kind, engineer=cast["engineer"])
        login_with_otp(cast["customer"])
        # user with the OTP device check, contracts, lines, plan allowances, allowance uses (session: cache)
        with django_assert_num_queries(5):
            page = _text(client.get("/contracts/"))
    assert "rok umowy 1 mar 2026 – 28 lut 2027" in page
    assert "Zdalna zmiana konfiguracji 5 2 3" in page
    assert "Przegląd konfiguracji i logów 2 0 2" in page
    assert "Aktualizacja firmware 2 1 1" in page


def test_the_contracts_page_query_count_does_not_grow_with_contracts_or_uses(
    client, cast, contract, company, login_with_otp, django_assert_num_queries
):
    login_with_otp(cast["customer"])
    with django_assert_num_queries(5):
        client.get("/contracts/")
    with time_machine.travel(at(2026, 11, 24, 10, 0), tick=False):
        for n in range(6):
            other = make_contract(customer=company, number=f"F6000{n:02d}", serials=(f"FG-{n}-A",))
            ticket = make_ticket(author=cast["customer"], contract=other, priority="question")
            allowance_use_record(ticket=ticket, kind=CHANGE, engineer=cast["engineer"])
            allowance_use_record(ticket=ticket, kind=AllowanceKind.CONFIG_REVIEW, engineer=cast["engineer"])
        make_contract(customer=company, number="G700007", plan_name="HEZO+", serials=("A30-7",))
        login_with_otp(cast["customer"])
        with django_assert_num_queries(5):
            page = _text(client.get("/contracts/"))
    assert page.count("Zdalna zmiana konfiguracji 5 1 4") == 6
    assert page.count("Zdalna zmiana konfiguracji 5 0 5") == 1  # A100001


def test_another_companys_customer_sees_none_of_it(client, cast, contract, other_contract, login_with_otp):
    ticket = make_ticket(author=cast["customer"], contract=contract, priority="question")
    allowance_use_record(ticket=ticket, kind=CHANGE, engineer=cast["engineer"])
    login_with_otp(cast["other"])
    page = _text(client.get("/contracts/"))
    assert "B200002" in page and "A100001" not in page
    assert "Zdalna zmiana konfiguracji 5 0 5" in page and "5 1 4" not in page  # their own, untouched
