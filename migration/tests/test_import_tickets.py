"""Open tickets of the previous portal carried over (SPEC §8): outcome of the sample, idempotence, order,
the PDF attached, and a run killed half-way and run again."""

import json
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection
from django.utils import translation

from conftest import skip_or_fail, verify
from migration.generate import legacy_export
from migration.models import ImportRun
from migration.services import legacy_import
from migration.tickets import legacy_pdf_name
from tickets.models import Attachment, Status, Ticket, TicketNumberCounter

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).resolve().parent / "data" / "sample.jsonl"
ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 21)


def run(lines, **kwargs):
    with translation.override("en"):
        return legacy_import(lines=list(lines), today=TODAY, **{"workers": 0, **kwargs})


def media_files(subdir="legacy"):
    root = Path(settings.MEDIA_ROOT) / subdir
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


def test_sample_tickets_are_carried_over_exactly_as_their_records_say(service_plans):
    report = run(SAMPLE.read_text().splitlines())
    assert report.as_dict()["tickets"] == {"imported": 2, "updated": 0, "skipped": 1, "failed": 3}
    notices = {notice["line"]: notice["reason"] for notice in report.notices}
    assert set(notices) == {9} and "closed" in notices[9]
    # Open tickets that cannot be placed are failures, never skips (the expired contract, the foreign serial).
    failures = {error["line"]: (error["code"], error["reason"]) for error in report.errors}
    assert failures[10][0] == "contract_ended" and "C300003" in failures[10][1]
    assert failures[11][0] == "serial_not_on_contract" and "FG999NOTONCONTRACT" in failures[11][1]

    restart = Ticket.objects.get(legacy_id="Z-2023-04211")
    assert restart.title == "FortiGate restartuje się co kilka godzin"
    assert (restart.status, restart.priority, restart.source) == (Status.IN_PROGRESS, "non_critical", "legacy")
    assert restart.created_at.isoformat() == "2023-12-04T08:15:00+00:00"
    assert (restart.reporter_name, restart.reporter_email) == ("Jan Kowalski", "jan.kowalski@example.pl")
    assert restart.partner_access and restart.company.nip == "5260250274"
    assert restart.device == "(H1)-FG100FTK20001234"
    assert restart.number.startswith("HZ-2023-")

    video = Ticket.objects.get(legacy_id="Z-2024-00017")
    assert video.title == '<b>Brak obrazu</b> & dźwięku na A30 — "Teams"'  # byte for byte
    assert (video.status, video.priority, video.partner_access) == (Status.WAITING, "critical", False)
    assert video.device == "(H)-A30-2406-00417" and video.contract.number == "B200002"

    for ticket in (restart, video):
        [first] = ticket.messages.all()
        assert "carried over from the previous portal" in first.body and ticket.legacy_id in first.body
        [pdf] = first.attachments.all()
        assert pdf.name == f"{ticket.legacy_id}.pdf" and pdf.content_type == "application/pdf"
        assert default_storage.open(pdf.file.name).read(5) == b"%PDF-"
        assert not ticket.clocks.exists()  # no retroactive SLA clocks
    assert len(media_files()) == 2


def test_importing_twice_changes_nothing_the_second_time(service_plans):
    lines = SAMPLE.read_text().splitlines()
    run(lines)
    before = list(Ticket.objects.order_by("pk").values_list("pk", "number", "legacy_id", "last_activity_at"))
    files = media_files()
    report = run(lines)
    assert report.as_dict()["tickets"] == {"imported": 0, "updated": 0, "skipped": 3, "failed": 3}
    assert list(Ticket.objects.order_by("pk").values_list("pk", "number", "legacy_id", "last_activity_at")) == before
    assert media_files() == files and Attachment.objects.count() == 2


def test_a_ticket_may_come_before_its_contract(service_plans):
    lines = SAMPLE.read_text().splitlines()
    report = run(reversed(lines))
    assert report.tickets.imported == 2


def test_dry_run_validates_tickets_and_writes_nothing(service_plans):
    report = run(SAMPLE.read_text().splitlines(), dry_run=True)
    assert report.tickets.imported == 2 and report.tickets.skipped == 1 and report.tickets.failed == 3
    assert not Ticket.objects.exists() and media_files() == []


def test_the_reporter_is_linked_to_a_portal_user_and_the_company_sees_the_ticket_at_once(
    service_plans, customer, company, login_with_otp
):
    from accounts.tests.factories import UserFactory

    jan = UserFactory(email="jan.kowalski@example.pl")
    run(SAMPLE.read_text().splitlines())
    assert Ticket.objects.get(legacy_id="Z-2023-04211").reporter == jan
    verify(customer, company)
    client = login_with_otp(customer)
    ticket = Ticket.objects.get(legacy_id="Z-2023-04211")
    page = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert "FortiGate restartuje się co kilka godzin" in page and "Z-2023-04211.pdf" in page
    attachment = ticket.messages.get().attachments.get()
    response = client.get(f"/tickets/{ticket.number}/attachments/{attachment.pk}/")
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF-")


def test_a_pdf_that_cannot_be_made_fails_that_ticket_only(service_plans, monkeypatch):
    from migration import pdf

    real = pdf.conversation_pdf

    def render(data, **kwargs):
        if data["legacy_id"] == "Z-2024-00017":
            raise pdf.PdfRenderError("Z-2024-00017", reason="cpu", limit=300)
        return real(data, **kwargs)

    monkeypatch.setattr(pdf, "conversation_pdf", render)
    report = run(SAMPLE.read_text().splitlines())
    assert report.tickets.imported == 1 and report.tickets.failed == 4
    assert any("Z-2024-00017" in error["reason"] and error["line"] == 8 for error in report.errors)
    assert list(Ticket.objects.values_list("legacy_id", flat=True)) == ["Z-2023-04211"]
    assert len(media_files()) == 1


def test_a_ticket_whose_number_is_taken_fails_and_is_not_taken_as_imported(service_plans):
    """The database's unique index, not a query per ticket, guards the number: a clash (a counter set back by
    hand) must still fail the ticket, not pass it off as imported by another run."""
    run(SAMPLE.read_text().splitlines())
    Ticket.objects.filter(legacy_id="Z-2024-00017").update(legacy_id="Z-2024-00017-old")
    TicketNumberCounter.objects.filter(year=2024).update(last=0)

    report = run(SAMPLE.read_text().splitlines())

    assert report.tickets.failed == 4 and report.tickets.skipped == 2  # the closed one and Z-2023-04211
    error = next(error for error in report.errors if error["line"] == 8)
    assert error["code"] == "save" and "Z-2024-00017" in error["reason"]
    assert not Ticket.objects.filter(legacy_id="Z-2024-00017").exists()


def test_a_ticket_refused_by_the_ticket_services_fails_alone_and_the_rest_of_its_batch_is_imported(
    service_plans, monkeypatch
):
    from django.core.exceptions import ValidationError

    from migration import tickets as importer

    lines = list(legacy_export(tickets=12, messages=1, seed=5))
    bad = json.loads(next(line for line in lines if '"type": "ticket"' in line))["legacy_id"]
    create = importer.tickets_legacy_create
    batches = []

    def refusing(*, tickets):
        batches.append(len(tickets))
        if any(data.legacy_id == bad for data in tickets):
            raise ValidationError("refused")
        return create(tickets=tickets)

    monkeypatch.setattr(importer, "tickets_legacy_create", refusing)
    report = run(lines)

    assert batches[0] == 12  # tried together first, then one at a time
    assert report.tickets.imported == 11 and report.tickets.failed == 1
    assert report.errors[0]["code"] == "save" and bad in report.errors[0]["reason"]
    assert not Ticket.objects.filter(legacy_id=bad).exists() and Ticket.objects.count() == 11
    assert sorted(media_files()) == sorted(
        Path(legacy_pdf_name(t)).name for t in Ticket.objects.values_list("legacy_id", flat=True)
    )  # the refused ticket's PDF is not left behind


def test_generated_export_imports_in_worker_processes(service_plans, tmp_path):
    lines = list(legacy_export(tickets=12, messages=3, seed=3))
    report = run(lines, workers=2)
    assert report.tickets.imported == 12 and report.failed == 0
    assert Ticket.objects.filter(source="legacy").count() == 12
    assert sorted(media_files()) == sorted(
        Path(legacy_pdf_name(t)).name for t in Ticket.objects.values_list("legacy_id", flat=True)
    )


def test_command_shows_progress_records_the_run_and_lists_it_in_admin(
    service_plans, tmp_path, capsys, engineer, login_with_otp
):
    report_path = tmp_path / "report.json"
    with pytest.raises(SystemExit):
        call_command("import_legacy", str(SAMPLE), "--workers", "0", "--report", str(report_path))
    out = capsys.readouterr()
    assert "tickets: 4/4" in out.err  # not a terminal: plain progress lines, over the open tickets
    assert "tickets: imported 2, updated 0, skipped 1, failed 3" in out.out
    assert "line 9: skipped:" in out.out
    saved = json.loads(report_path.read_text())
    assert saved["tickets"]["imported"] == 2 and len(saved["notices"]) == 1
    run_row = ImportRun.objects.get()
    assert run_row.state == "finished" and run_row.count("tickets", "imported") == 2
    engineer.is_superuser = True
    engineer.save()
    desk = login_with_otp(engineer)
    page = desk.get("/admin/migration/importrun/").content.decode()
    assert str(SAMPLE) in page
    detail = desk.get(f"/admin/migration/importrun/{run_row.pk}/change/").content.decode()
    assert "Z-2022-09999" in detail


@pytest.mark.django_db(transaction=True)
def test_an_import_killed_half_way_and_run_again_has_every_ticket_once_and_no_stray_files(service_plans, tmp_path):
    db = settings.DATABASES["default"]
    if connection.vendor != "postgresql":
        skip_or_fail("the kill test runs the importer as a subprocess on PostgreSQL (DATABASE_URL)")
    export = tmp_path / "export.jsonl"
    count = 40
    export.write_text("\n".join(legacy_export(tickets=count, messages=4, seed=2)) + "\n")
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_ALLOW_ASYNC")},
        "DATABASE_URL": f"postgres://{auth}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "MYHEZO_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "MYHEZO_VAR_DIR": str(tmp_path / "var"),
    }
    command = [sys.executable, "manage.py", "import_legacy", str(export), "--workers", "1"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while Ticket.objects.count() < 5 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    assert process.poll() is None, "the import finished before it could be killed: make the export bigger"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    partial = Ticket.objects.count()
    assert 5 <= partial < count

    assert ImportRun.objects.get().state == "running"  # what the killed process left

    finished = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr[-2000:]
    # The killed run shows as interrupted, and the run that completed it says so.
    assert "did not finish (it was killed): it is now marked interrupted" in finished.stdout
    assert list(ImportRun.objects.order_by("started_at").values_list("state", flat=True)) == [
        "interrupted",
        "finished",
    ]
    assert f"tickets: imported {count - partial}, updated 0, skipped {partial}, failed 0" in finished.stdout
    ids = list(Ticket.objects.values_list("legacy_id", flat=True))
    assert len(ids) == len(set(ids)) == count
    referenced = sorted(Path(name).name for name in Attachment.objects.values_list("file", flat=True))
    assert media_files() == referenced and len(referenced) == count
    assert all(Ticket.objects.get(legacy_id=i).messages.get().attachments.count() == 1 for i in ids[:5])
