"""The serial notation's line count has one definition (contracts/models.py: `lines_per_serial`): how many
contract lines share a canonical serial, on every contract of every company. Its three forms (a subquery per
row, the `with_serial_line_count` annotation, the `serial_line_counts` mapping) and a line's own `notation`
give the same answer; `(H)` for one line, `(Hn)` for several (SPEC §2)."""

import pytest
from django.db.models import OuterRef

from contracts.models import Contract, ContractLine, lines_per_serial, serial_line_count
from contracts.selectors import active_contract_summaries
from contracts.services import contract_line_add
from contracts.tests.factories import make_contract

pytestmark = pytest.mark.django_db

SHARED, ALONE = "FG100FTK20001234", "FG60FTK20005678"


@pytest.fixture
def lines(cast, contract, other_contract):
    """SHARED has a line on the customer's contract and, typed differently, one on another company's; ALONE one."""
    contract_line_add(contract=other_contract, serial_raw=f"  {SHARED.lower()} ", model="the same device again")
    return {(line.contract.number, line.serial): line for line in ContractLine.objects.select_related("contract")}


def _every_form(line: ContractLine) -> set[int]:
    annotated = ContractLine.objects.with_serial_line_count().get(pk=line.pk).serial_line_count
    subquery = (
        Contract.objects.filter(pk=line.contract_id, lines__pk=line.pk)  # as the dashboard reads a contract's lines
        .annotate(n=serial_line_count(OuterRef("lines__serial")))
        .values_list("n", flat=True)
        .get()
    )
    mapping = ContractLine.objects.filter(pk=line.pk).serial_line_counts([line.serial])[line.serial]
    return {annotated, subquery, mapping}


def test_every_form_counts_the_lines_of_a_serial_on_every_contract(lines):
    assert dict(lines_per_serial().values_list("serial", "n")) == {SHARED: 2, ALONE: 1, "FGT40F0000000001": 1}
    assert _every_form(lines[("A100001", SHARED)]) == {2}
    assert _every_form(lines[("B200002", SHARED)]) == {2}
    assert _every_form(lines[("A100001", ALONE)]) == {1}
    assert ContractLine.objects.serial_line_counts(["NO-SUCH-SERIAL"])["NO-SUCH-SERIAL"] == 0


def test_the_notation_is_h_for_one_line_and_hn_for_several_whether_annotated_or_not(lines):
    expected = {
        ("A100001", SHARED): f"(H1)-{SHARED}",
        ("B200002", SHARED): f"(H2)-{SHARED}",
        ("A100001", ALONE): f"(H)-{ALONE}",
        ("B200002", "FGT40F0000000001"): "(H)-FGT40F0000000001",
    }
    assert {key: line.notation for key, line in lines.items()} == expected  # not annotated: one query each
    annotated = ContractLine.objects.with_serial_line_count().select_related("contract")
    assert {(line.contract.number, line.serial): line.notation for line in annotated} == expected


def test_the_dashboard_summary_uses_the_same_count(cast, lines):
    make_contract(customer=cast["customer"].company, number="E500005", serials=(ALONE,))
    summaries = {summary.number: summary for summary in active_contract_summaries(cast["customer"])}
    assert [line.notation for line in summaries["A100001"].lines] == [f"(H1)-{SHARED}", f"(H1)-{ALONE}"]
    assert [line.notation for line in summaries["E500005"].lines] == [f"(H2)-{ALONE}"]
