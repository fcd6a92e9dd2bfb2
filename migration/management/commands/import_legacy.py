import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from migration.services import legacy_import


class Command(BaseCommand):
    help = "Import contracts and open tickets exported from the previous portal (JSON Lines)."

    def add_arguments(self, parser):
        parser.add_argument("export", type=Path, help="the export file, one JSON record a line")
        parser.add_argument("--dry-run", action="store_true", help="validate everything, write nothing")
        parser.add_argument("--report", type=Path, help="write the outcome as JSON to this file")

    def handle(self, *args, export: Path, dry_run: bool, report: Path | None, **options):
        try:
            with export.open(encoding="utf-8", errors="replace") as lines:
                result = legacy_import(lines=lines, today=timezone.localdate(), dry_run=dry_run)
        except OSError as exc:
            raise CommandError(f"Cannot read {export}: {exc.strerror}") from None

        for error in result.errors:
            self.stderr.write(f"line {error['line']}: {error['reason']}")
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
