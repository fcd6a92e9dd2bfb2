"""Issue 15: no open ticket lost quietly, identical re-runs, interrupted runs, JSON errors, one language."""

import copy
import json
import os
import random
import shutil
import socket
import subprocess
import sys
from datetime import date
from pathlib import Path

import pypdf
import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import translation

from contracts.models import Company
from migration.generate import PARAGRAPHS
from migration.models import ImportRun
from migration.services import legacy_import
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 21)
CONTRACT = {
    "type": "contract",
    "number": "A100001",
    "customer": {"nip": "PL5260250274", "name": "Kowalski Systemy Sp. z o.o."},
    "reseller": None,
    "plan": "HEZO 360",
    "starts_on": "2025-01-01",
    "ends_on": "2099-12-31",
    "lines": [{"serial": "FG100FTK20001234", "model": "FortiGate 100F"}],
}
TICKET = {
    "type": "ticket",
    "legacy_id": "Z-1",
    "contract": "A100001",
    "serial": "FG100FTK20001234",
    "subject": "Tunel IPsec",
    "status": "open",
    "priority": "question",
    "opened_at": "2024-01-08T09:00:00+01:00",
    "reporter": {"name": "Jan Kowalski", "email": "jan@example.pl"},
    "messages": [{"at": "2024-01-08T09:00:00+01:00", "author": "Jan", "role": "customer", "body": "Dzień dobry"}],
}


def record(base, **changes):
    data = copy.deepcopy(base)
    data.update(changes)
    return json.dumps(data, ensure_ascii=False)


def run(lines, **kwargs):
    with translation.override("en"):
        return legacy_import(lines=list(lines), today=TODAY, **{"workers": 0, **kwargs})


def test_open_tickets_that_cannot_be_placed_fail_with_reasons_and_the_summary_lists_them_first(
    service_plans, tmp_path, capsys
):
    export = tmp_path / "export.jsonl"
    lines = [
        record(CONTRACT),
        record(TICKET),
        record(TICKET, legacy_id="Z-2", contract="Z999999"),  # unknown contract
        record(TICKET, legacy_id="Z-3", serial="FG999NOTHERE"),  # serial not on the contract
        record(TICKET, legacy_id="Z-4", serial="(H3)-FG100FTK20001234"),  # the serial has one service
        record(TICKET, legacy_id="Z-5", subject="A"),
        record(TICKET, legacy_id="Z-5", subject="B"),  # same id, other content
        record(TICKET, legacy_id="Z-6", status="closed"),  # the one skip
        record(TICKET, legacy_id="Z-1"),  # same content again: imported once
    ]
    export.write_text("\n".join(lines) + "\n")
    with pytest.raises(SystemExit) as exit_:
        call_command("import_legacy", str(export), "--workers", "0")
    assert exit_.value.code == 1
    out = capsys.readouterr()
    assert "tickets: imported 1, updated 0, skipped 2, failed 5" in out.out
    failed = [line for line in out.err.splitlines() if not line.startswith("tickets: ")]  # not progress
    assert failed[0] == "FAILED tickets — contract not in the export or failed: 1"
    assert failed[1].startswith("  line 3: Ticket Z-2: contract Z999999 is not in the export")
    assert failed[2:4] == [
        "FAILED tickets — serial number not on the contract: 1",
        "  line 4: Ticket Z-3: serial number FG999NOTHERE is not on contract A100001.",
    ]
    assert failed[4:6] == [
        "FAILED tickets — service index (Hn) not on the contract: 1",
        "  line 5: Ticket Z-4: contract A100001 has no service (H3)-FG100FTK20001234 (the serial has 1).",
    ]
    assert failed[6:9] == [
        "FAILED tickets — legacy id repeated with different content: 2",
        "  line 6: Ticket Z-5 appears 2 times in the export with different content.",
        "  line 7: Ticket Z-5 appears 2 times in the export with different content.",
    ]
    assert "line 8: skipped: Ticket Z-6 is closed" in out.out
    assert list(Ticket.objects.values_list("legacy_id", flat=True)) == ["Z-1"]


@pytest.mark.parametrize("reverse", [False, True], ids=["in-order", "reversed"])
def test_a_company_spelled_two_ways_gets_one_name_one_notice_and_a_rerun_changes_nothing(
    service_plans, tmp_path, reverse
):
    later = record(
        CONTRACT, number="B200002", starts_on="2025-06-01", customer={"nip": "526-025-02-74", "name": "KOWALSKI"}
    )
    same_day = record(
        CONTRACT, number="C300003", starts_on="2025-06-01", customer={"nip": "5260250274", "name": "Kowalski"}
    )
    lines = [record(CONTRACT), later, same_day]
    if reverse:  # whatever order the file is in
        lines.reverse()
    report = run(lines)
    # The contract that starts latest (two on 2025-06-01): the spelling that sorts first, "KOWALSKI".
    assert Company.objects.get(nip="5260250274").name == "KOWALSKI"
    [notice] = report.notices
    assert "NIP 5260250274 in 3 ways" in notice["reason"] and "'KOWALSKI'" in notice["reason"]
    outputs = []
    for _ in range(2):
        export = tmp_path / "export.jsonl"
        export.write_text("\n".join(lines) + "\n")
        report_path = tmp_path / f"report{len(outputs)}.json"
        call_command("import_legacy", str(export), "--workers", "0", "--report", str(report_path))
        outputs.append(report_path.read_bytes())
    assert outputs[0] == outputs[1]  # byte-identical re-runs
    assert json.loads(outputs[0])["contracts"] == {"imported": 0, "updated": 0, "skipped": 3, "failed": 0}


def test_json_errors_give_the_right_column_and_speak_the_language_asked_for(tmp_path, capsys):
    export = tmp_path / "export.jsonl"
    broken = '{"type": "ticket", "legacy_id": "Z-9", "status": 1,'  # the error is after its end
    column = len(broken) + 1
    export.write_text(broken + "\n" + '{"type": "contract" "number": 1}\n')
    for language, expected in (
        ("en", [f"  line 1: Not valid JSON (column {column}): a property name in double quotes was expected."]),
        ("pl", [f"  wiersz 1: Nieprawidłowy JSON (kolumna {column}): oczekiwano nazwy pola w cudzysłowie."]),
    ):
        with pytest.raises(SystemExit):
            call_command("import_legacy", str(export), "--workers", "0", "--language", language)
        err = capsys.readouterr().err
        assert expected[0] in err
    assert "przecinka (,)" in err and "Expecting" not in err and "line" not in err


def test_a_run_whose_process_is_gone_is_marked_interrupted_and_the_next_run_says_so(tmp_path, capsys):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = ImportRun.objects.create(source="old.jsonl", pid=int(dead.stdout), host=socket.gethostname())
    alive = ImportRun.objects.create(source="other.jsonl", pid=os.getpid(), host=socket.gethostname())
    export = tmp_path / "empty.jsonl"
    export.write_text("\n")
    call_command("import_legacy", str(export), "--workers", "0")
    out = capsys.readouterr().out
    assert "The import of old.jsonl started at" in out and "it is now marked interrupted" in out
    stale.refresh_from_db()
    alive.refresh_from_db()
    assert stale.state == "interrupted"
    # On SQLite, a run of a living process is left alone (on PostgreSQL the lock says no other run is alive).
    from django.db import connection

    assert alive.state == ("interrupted" if connection.vendor == "postgresql" else "running")
    assert ImportRun.objects.exclude(pk__in=[stale.pk, alive.pk]).get().state == "finished"


def test_the_command_compiles_missing_translations_so_the_pdf_is_bilingual(service_plans, settings, tmp_path):
    locale = tmp_path / "locale"
    shutil.copytree(Path(settings.BASE_DIR) / "locale", locale, ignore=shutil.ignore_patterns("*.mo"))
    settings.LOCALE_PATHS = [locale]  # no compiled catalog here
    export = tmp_path / "export.jsonl"
    export.write_text(record(CONTRACT) + "\n" + record(TICKET) + "\n")
    call_command("import_legacy", str(export), "--workers", "0")
    assert (locale / "pl" / "LC_MESSAGES" / "django.mo").exists()
    attachment = Ticket.objects.get().messages.get().attachments.get()
    reader = pypdf.PdfReader(default_storage.open(attachment.file.name))
    text = " ".join(reader.pages[0].extract_text().split())
    assert "Firma / Company" in text and "strona 1 z 1 / page 1 of 1" in text


def test_a_valid_500_page_ticket_imports_with_the_default_options(service_plans, tmp_path, capsys):
    """About 1.3 MB of dialog: 500+ pages, ≈25 s of CPU time to render. The default options (a worker per CPU,
    the default CPU and memory limits) carry it over however loaded the machine is."""
    rng = random.Random(15)
    messages = [
        {
            "at": f"2024-01-08T{9 + n % 10:02d}:00:00+01:00",
            "author": "Jan" if n % 2 == 0 else "Inżynier",
            "role": "customer" if n % 2 == 0 else "engineer",
            "body": "\n\n".join(rng.choice(PARAGRAPHS) for _ in range(20)),
        }
        for n in range(420)
    ]
    export = tmp_path / "export.jsonl"
    export.write_text(record(CONTRACT) + "\n" + record(TICKET, messages=messages) + "\n")
    call_command("import_legacy", str(export))  # default options
    assert "tickets: imported 1, updated 0, skipped 0, failed 0" in capsys.readouterr().out
    attachment = Ticket.objects.get().messages.get().attachments.get()
    assert len(pypdf.PdfReader(default_storage.open(attachment.file.name)).pages) >= 500
