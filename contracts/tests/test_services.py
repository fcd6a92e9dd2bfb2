from datetime import date

import pytest
from django.core.exceptions import ValidationError

from contracts.models import Company, Contract, ContractLine, SlaTarget
from contracts.services import LineData, Outcome, company_upsert, contract_line_add, contract_upsert

pytestmark = pytest.mark.django_db


def test_company_upsert_creates_then_updates_by_nip_in_any_notation():
    created, first = company_upsert(nip="PL5260250274", name="Kowalski Systemy")
    updated, second = company_upsert(nip="526-025-02-74", name="Kowalski Systemy Sp. z o.o. ")
    _same, third = company_upsert(nip="5260250274", name="Kowalski Systemy Sp. z o.o.")
    assert (first, second, third) == (Outcome.CREATED, Outcome.UPDATED, Outcome.UNCHANGED)
    assert created.pk == updated.pk
    assert Company.objects.get().name == "Kowalski Systemy Sp. z o.o."
    assert updated.nip_display == "PL5260250274"


def test_company_upsert_refuses_invalid_nip_and_writes_nothing():
    with pytest.raises(ValidationError):
        company_upsert(nip="1234567890", name="Bad NIP Ltd")
    assert not Company.objects.exists()


def test_company_model_refuses_non_canonical_nip():
    with pytest.raises(ValidationError) as excinfo:
        Company(nip="PL5260250274", name="X").full_clean()
    assert "nip" in excinfo.value.message_dict


def test_plans_are_seeded_with_the_sla_table():
    rows = {
        (t.plan.name, t.priority): (t.window, t.first_response_minutes, t.next_reply_minutes, t.replacement_delivery)
        for t in SlaTarget.objects.select_related("plan")
    }
    assert rows == {
        ("HEZO+", "critical"): ("24x7", 60, 60, "nbd"),
        ("HEZO+", "non_critical"): ("8x5", 60, 120, "nbd"),
        ("HEZO+", "question"): ("8x5", 240, 240, "none"),
        ("HEZO 360", "critical"): ("24x7", 60, 60, "hours"),
        ("HEZO 360", "non_critical"): ("8x5", 60, 120, "hours"),
        ("HEZO 360", "question"): ("8x5", 120, 240, "none"),
    }
    assert set(SlaTarget.objects.filter(replacement_delivery="hours").values_list("replacement_hours", flat=True)) == {
        8
    }


def upsert(number="A100001", lines=(("FG100FTK20001234", "FortiGate 100F"),), **overrides):
    data = {
        "number": number,
        "customer_nip": "PL5260250274",
        "customer_name": "Kowalski Systemy Sp. z o.o.",
        "reseller_nip": "7740001454",
        "reseller_name": "Arkanet Sp. z o.o.",
        "plan_name": "HEZO 360",
        "starts_on": date(2025, 3, 1),
        "ends_on": date(2028, 2, 29),
        "lines": [LineData(serial=s, model=m) for s, m in lines],
    }
    data.update(overrides)
    return contract_upsert(**data)


def test_contract_upsert_is_idempotent():
    contract, first = upsert()
    again, second = upsert()
    assert (first, second) == (Outcome.CREATED, Outcome.UNCHANGED)
    assert contract.pk == again.pk
    assert ContractLine.objects.count() == 1


def test_contract_upsert_updates_term_and_adds_new_lines_only():
    upsert()
    contract, outcome = upsert(
        ends_on=date(2029, 2, 28), lines=[("FG100FTK20001234", "FortiGate 100F"), ("FG60F1", "FortiGate 60F")]
    )
    assert outcome == Outcome.UPDATED
    assert contract.ends_on == date(2029, 2, 28)
    assert list(contract.lines.values_list("serial", flat=True)) == ["FG100FTK20001234", "FG60F1"]


def test_contract_upsert_refuses_unknown_plan_and_bad_number_and_writes_nothing():
    with pytest.raises(ValidationError):
        upsert(plan_name="HEZO Gold")
    with pytest.raises(ValidationError):
        upsert(number="A12")
    assert not Contract.objects.exists() and not ContractLine.objects.exists()


def test_service_index_counts_lines_of_a_serial_across_contracts_and_is_never_reused():
    upsert(number="A100001")
    second, _ = upsert(number="B200002", reseller_nip=None, plan_name="HEZO+")
    lines = list(ContractLine.objects.with_serial_line_count().order_by("pk"))
    assert [(line.contract.number, line.notation) for line in lines] == [
        ("A100001", "(H1)-FG100FTK20001234"),
        ("B200002", "(H2)-FG100FTK20001234"),
    ]
    lines[1].delete()
    third = contract_line_add(contract=second, serial_raw=" fg100ftk20001234 ", model="again")
    assert third.service_index == 3
    assert third.serial_raw == "fg100ftk20001234"
    assert ContractLine.objects.get(pk=lines[0].pk).notation == "(H1)-FG100FTK20001234"


def test_a_serial_with_one_line_is_shown_as_h():
    upsert(lines=[("FG60FTK21009876", "FortiGate 60F")])
    line = ContractLine.objects.with_serial_line_count().get()
    assert line.notation == "(H)-FG60FTK21009876"


def test_contract_is_active_within_its_term_both_ends_included():
    contract, _ = upsert(starts_on=date(2025, 1, 1), ends_on=date(2025, 12, 31))
    assert contract.is_active(date(2025, 1, 1)) and contract.is_active(date(2025, 12, 31))
    assert not contract.is_active(date(2024, 12, 31)) and not contract.is_active(date(2026, 1, 1))
