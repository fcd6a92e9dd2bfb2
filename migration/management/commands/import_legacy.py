import json
import os
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from migration.models import ImportRun
from migration.services import ImportAlreadyRunning, legacy_import


class _Progress:
    """A bar on a terminal; on a log (not a terminal) a plain line every few seconds."""

    def __init__(self, stream, *, every_s: float = 5.0):
        self.stream = stream
        self.every_s = every_s
        self.bar = None
        self.last = 0.0
        self.started = time.monotonic()

    def __call__(self, done: int, total: int) -> None:
        if self.stream.isatty():
            if self.bar is None:
                from tqdm import tqdm

                self.bar = tqdm(total=total, unit="ticket", file=self.stream, desc="tickets")
            self.bar.update(done - self.bar.n)
            return
        now = time.monotonic()
        if done == total or now - self.last >= self.every_s:
            self.last = now
            rate = done / max(now - self.started, 1e-9)
            self.stream.write(f"tickets: {done}/{total} ({rate:.1f}/s)\n")
            self.stream.flush()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class Command(BaseCommand):
    help = "Import contracts and open tickets exported from the previous portal (JSON Lines)."

    def add_arguments(self, parser):
        parser.add_argument("export", type=Path, help="the export file, one JSON record a line")
        parser.add_argument("--dry-run", action="store_true", help="validate everything, write nothing")
        parser.add_argument("--report", type=Path, help="write the outcome as JSON to this file")
        parser.add_argument(
            "--workers",
            type=int,
            default=os.cpu_count() or 1,
            help="processes rendering the tickets' PDFs (default: the number of CPUs; 0 renders in this one)",
        )

    def handle(self, *args, export: Path, dry_run: bool, report: Path | None, workers: int, **options):
        from migration.pdf import pdf_environment_warning

        warning = pdf_environment_warning()
        if warning:
            self.stderr.write(self.style.WARNING(warning))
        run = None if dry_run else ImportRun.objects.create(source=str(export), dry_run=dry_run)
        progress = _Progress(sys.stderr)
        try:
            # utf-8-sig: a byte order mark that Windows tools put first is not part of line 1's JSON. Bytes
            # that are not UTF-8 become U+FFFD, so one bad byte does not stop the run.
            with export.open(encoding="utf-8-sig", errors="replace") as lines:
                result = legacy_import(
                    lines=lines, today=timezone.localdate(), dry_run=dry_run, workers=workers, progress=progress
                )
        except OSError as exc:
            self._finish(run, None)
            raise CommandError(f"Cannot read {export}: {exc.strerror}") from None
        except ImportAlreadyRunning as exc:
            self._finish(run, None)
            raise CommandError(str(exc)) from None
        finally:
            progress.close()
        if warning:
            result.warnings.append(warning)
        self._finish(run, result)

        for error in result.errors:
            self.stderr.write(f"line {error['line']}: {error['reason']}")
        for notice in result.notices:
            self.stdout.write(f"line {notice['line']}: skipped: {notice['reason']}")
        for kind in ("contracts", "tickets"):
            counts = getattr(result, kind)
            self.stdout.write(
                f"{kind}: imported {counts.imported}, updated {counts.updated}, "
                f"skipped {counts.skipped}, failed {counts.failed}"
            )
        if dry_run:
            self.stdout.write("dry run: nothing was written")
        if report:
            report.write_text(json.dumps(result.as_dict(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        if result.failed:
            raise SystemExit(1)

    @staticmethod
    def _finish(run: ImportRun | None, result) -> None:
        if run is None:
            return
        run.state = ImportRun.State.FINISHED if result is not None else ImportRun.State.INTERRUPTED
        run.finished_at = timezone.now()
        run.report = result.as_dict() if result is not None else {}
        run.save()
