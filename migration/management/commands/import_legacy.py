import json
import os
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from migration.pdf_limits import DEFAULT_CPU_S, DEFAULT_MEMORY_MB
from migration.records import FAILURE_CODES, ImportReport
from migration.services import (
    ImportAlreadyRunning,
    import_lock,
    import_run_finish,
    import_run_start,
    import_runs_stale_mark,
    legacy_import,
)
from migration.tickets import RenderLimits
from migration.translations import translations_ready


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

                self.bar = tqdm(total=total, unit="ticket", file=self.stream, desc=_("tickets"))
            self.bar.update(done - self.bar.n)
            return
        now = time.monotonic()
        if done == total or now - self.last >= self.every_s:
            self.last = now
            rate = done / max(now - self.started, 1e-9)
            self.stream.write(
                _("tickets: %(done)s/%(total)s (%(rate)s/s)") % {"done": done, "total": total, "rate": f"{rate:.1f}"}
                + "\n"
            )
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
            help="processes rendering the tickets' PDFs, each render within the limits below (default: the "
            "number of CPUs; 0 renders in this process WITHOUT limits, for a ticket that failed on them)",
        )
        parser.add_argument(
            "--cpu-limit",
            type=float,
            default=DEFAULT_CPU_S,
            help=f"CPU seconds one ticket's PDF may take in a worker (default {DEFAULT_CPU_S}; not wall-clock time)",
        )
        parser.add_argument(
            "--memory-limit",
            type=int,
            default=DEFAULT_MEMORY_MB,
            help=f"MB of memory a render worker may use (default {DEFAULT_MEMORY_MB})",
        )
        parser.add_argument(
            "--language",
            choices=["en", "pl"],
            default="en",
            help="language of the output and the report's reasons (default en); the PDFs are always bilingual",
        )

    def handle(self, *args, export: Path, language: str, **options):
        with translation.override(language):
            self._handle(export, **options)

    def _handle(
        self,
        export: Path,
        *,
        dry_run: bool,
        report: Path | None,
        workers: int,
        cpu_limit: float,
        memory_limit: int,
        **options,
    ) -> None:
        from migration.rendering import pdf_environment_warning

        if not translations_ready():
            raise CommandError(
                _(
                    "The Polish translations could not be compiled (locale/pl/LC_MESSAGES/django.mo): the PDFs' "
                    "headings would come out in English only. Run `python manage.py messages_compile` and look at "
                    "its errors."
                )
            )
        if not export.is_file():
            raise CommandError(_("Cannot read %(file)s: no such file.") % {"file": export})
        warning = pdf_environment_warning()
        if warning:
            self.stderr.write(self.style.WARNING(warning))
        limits = RenderLimits(cpu_s=cpu_limit, memory_mb=memory_limit)
        progress = _Progress(sys.stderr)
        run = None
        result = None
        try:
            with import_lock():
                for stale in import_runs_stale_mark():
                    self.stdout.write(
                        self.style.WARNING(
                            _(
                                "The import of %(file)s started at %(started)s UTC did not finish (it was killed): "
                                "it is now marked interrupted. This run completes it; nothing is imported twice."
                            )
                            % {"file": stale.source, "started": f"{stale.started_at:%Y-%m-%d %H:%M:%S}"}
                        )
                    )
                run = None if dry_run else import_run_start(source=str(export))
                # utf-8-sig: a byte order mark that Windows tools put first is not part of line 1's JSON. Bytes
                # that are not UTF-8 become U+FFFD, so one bad byte does not stop the run.
                with export.open(encoding="utf-8-sig", errors="replace") as lines:
                    result = legacy_import(
                        lines=lines,
                        today=timezone.localdate(),
                        dry_run=dry_run,
                        workers=workers,
                        limits=limits,
                        progress=progress,
                    )
        except OSError as exc:
            raise CommandError(_("Cannot read %(file)s: %(error)s") % {"file": export, "error": exc.strerror}) from None
        except ImportAlreadyRunning as exc:
            raise CommandError(str(exc)) from None
        finally:
            progress.close()
            if run is not None:
                if result is not None and warning:
                    result.warnings.append(warning)
                import_run_finish(run=run, report=result)
        self._summary(result, dry_run=dry_run)
        if report:
            report.write_text(json.dumps(result.as_dict(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        if result.failed:
            raise SystemExit(1)

    def _summary(self, result: ImportReport, *, dry_run: bool) -> None:
        """Failed records first, grouped by reason (tickets first); then notices; then the counts."""
        kinds = {"tickets": _("tickets"), "contracts": _("contracts"), "": _("lines")}
        for kind, code, errors in result.failures_by_reason():
            self.stderr.write(
                self.style.ERROR(
                    _("FAILED %(kind)s — %(reason)s: %(count)s")
                    % {"kind": kinds[kind], "reason": _(FAILURE_CODES.get(code, code)), "count": len(errors)}
                )
            )
            for error in errors:
                self.stderr.write(_("  line %(line)s: %(reason)s") % error)
        for notice in result.notices:
            label = _("skipped") if notice["code"] == "skipped" else _("notice")
            self.stdout.write(_("line %(line)s: %(label)s: %(reason)s") % {**notice, "label": label})
        for kind in ("contracts", "tickets"):
            counts = getattr(result, kind)
            self.stdout.write(
                _("%(kind)s: imported %(imported)s, updated %(updated)s, skipped %(skipped)s, failed %(failed)s")
                % {"kind": kinds[kind], **counts.__dict__}
            )
        if dry_run:
            self.stdout.write(_("dry run: nothing was written"))
        if result.failed:
            self.stderr.write(
                self.style.ERROR(
                    _("%(count)s records failed (listed above by reason): the exit status is 1.")
                    % {"count": result.failed}
                )
            )
