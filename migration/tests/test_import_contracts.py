import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import translation

from contracts.models import Company, Contract, ContractLine
from migration.services import legacy_import

pytestmark = pytest.mark.django_db

# A copy of ../shared/legacy/sample.jsonl, so the tests run from any checkout; kept equal to it below.
SAMPLE = Path(__file__).resolve().parent / "data" / "sample.jsonl"
SHARED_SAMPLE = Path(__file__).resolve().parents[3] / "shared" / "legacy" / "sample.jsonl"
TODAY = date(2026, 11, 21)


@pytest.fixture
def sample(tmp_path):
    return shutil.copy(SAMPLE, tmp_path / "sample.jsonl")


def test_the_copy_of_the_sample_is_the_shared_one():
    if not SHARED_SAMPLE.exists():
        pytest.skip(f"no shared/ beside this checkout ({SHARED_SAMPLE})")
    assert SAMPLE.read_bytes() == SHARED_SAMPLE.read_bytes()


def run(lines, **kwargs):
    with translation.override("en"):
        return legacy_import(lines=lines, today=TODAY, workers=0, **kwargs)


def test_sample_imports_with_the_outcome_its_records_call_for(sample):
    report = run(Path(sample).read_text().splitlines())
    assert report.as_dict()["contracts"] == {"imported": 2, "updated": 0, "skipped": 1, "failed": 1}
    # Open tickets that cannot be placed fail (lines 10, 11), listed first; then the bad JSON and the contract.
    assert report.as_dict()["tickets"] == {"imported": 2, "updated": 0, "skipped": 1, "failed": 3}
    assert [e["line"] for e in report.errors] == [10, 11, 5, 4]
    assert "customer.nip" in report.errors[3]["reason"] and "check digit" in report.errors[3]["reason"]
    assert "Not valid JSON" in report.errors[2]["reason"]

    assert sorted(Contract.objects.values_list("number", flat=True)) == ["A100001", "B200002"]
    assert Company.objects.get(nip="5260250274").name == "Kowalski Systemy Sp. z o.o."
    assert Contract.objects.get(number="A100001").reseller.nip == "7740001454"
    assert Contract.objects.get(number="B200002").reseller is None
    notations = {
        (line.contract.number, line.notation)
        for line in ContractLine.objects.with_serial_line_count().select_related("contract")
    }
    assert notations == {
        ("A100001", "(H1)-FG100FTK20001234"),
        ("A100001", "(H)-FG60FTK21009876"),
        ("B200002", "(H)-A30-2406-00417"),
        ("B200002", "(H2)-FG100FTK20001234"),
    }
    assert not Company.objects.filter(nip="9512359848").exists()  # only on the expired contract


def test_importing_twice_changes_nothing(sample):
    lines = Path(sample).read_text().splitlines()
    run(lines)
    before = list(ContractLine.objects.values_list("pk", "contract__number", "serial", "service_index", "model"))
    report = run(lines)
    assert report.as_dict()["contracts"] == {"imported": 0, "updated": 0, "skipped": 3, "failed": 1}
    assert (
        list(ContractLine.objects.values_list("pk", "contract__number", "serial", "service_index", "model")) == before
    )


def test_dry_run_validates_everything_and_writes_nothing(sample):
    report = run(Path(sample).read_text().splitlines(), dry_run=True)
    assert report.contracts.imported == 2 and report.failed == 4
    assert not Contract.objects.exists() and not Company.objects.exists()


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ({"type": "contract"}, "ends_on"),
        ({"type": "contract", "number": "A1", "ends_on": "2027-01-01"}, "customer"),
        ({"type": "contract", "number": "A100009", "ends_on": "31.12.2027"}, "ISO date"),
        ({"type": "invoice"}, "Unknown record type"),
        ([1, 2], "Unknown record type"),
        (
            {
                "type": "contract",
                "number": "A100009",
                "customer": {"nip": "5260250274", "name": "K"},
                "plan": "HEZO+",
                "starts_on": "2025-01-01",
                "ends_on": "2027-01-01",
                "lines": [],
            },
            "at least one line",
        ),
        (
            {
                "type": "contract",
                "number": "A100009",
                "customer": {"nip": "5260250274", "name": "K"},
                "plan": "HEZO Gold",
                "starts_on": "2025-01-01",
                "ends_on": "2027-01-01",
                "lines": [{"serial": "X1"}],
            },
            "Unknown service plan",
        ),
    ],
)
def test_a_bad_record_is_reported_with_its_line_and_does_not_stop_the_rest(record, reason):
    good = {
        "type": "contract",
        "number": "E500005",
        "customer": {"nip": "5260250274", "name": "Kowalski"},
        "reseller": None,
        "plan": "HEZO+",
        "starts_on": "2025-01-01",
        "ends_on": "2027-01-01",
        "lines": [{"serial": "A30-1", "model": "A30"}],
    }
    report = run([json.dumps(record), "", json.dumps(good)])
    assert [e["line"] for e in report.errors] == [1]
    assert reason in report.errors[0]["reason"]
    assert list(Contract.objects.values_list("number", flat=True)) == ["E500005"]


def test_command_prints_summary_writes_report_and_exits_1_on_failures(sample, tmp_path, capsys):
    report_path = tmp_path / "report.json"
    with pytest.raises(SystemExit) as excinfo:
        call_command("import_legacy", str(sample), "--report", str(report_path), "--workers", "0")
    assert excinfo.value.code == 1
    out = capsys.readouterr()
    assert "contracts: imported 2, updated 0, skipped 1, failed 1" in out.out
    assert "line 4:" in out.err and "line 5:" in out.err
    report = json.loads(report_path.read_text())
    assert set(report) == {"contracts", "tickets", "errors", "notices", "warnings"}
    assert report["contracts"]["imported"] == 2


def test_command_exits_0_when_nothing_failed(tmp_path):
    export = tmp_path / "ok.jsonl"
    export.write_text(
        json.dumps(
            {
                "type": "contract",
                "number": "E500005",
                "customer": {"nip": "5260250274", "name": "Kowalski"},
                "plan": "HEZO+",
                "starts_on": "2025-01-01",
                "ends_on": "2099-01-01",
                "lines": [{"serial": "A30-1", "model": "A30"}],
            }
        )
        + "\n"
    )
    call_command("import_legacy", str(export))
    assert Contract.objects.filter(number="E500005").exists()


def test_command_refuses_a_missing_file(tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("import_legacy", str(tmp_path / "missing.jsonl"))
