from pathlib import Path

from django.core.management.base import BaseCommand

from migration.generate import legacy_export


class Command(BaseCommand):
    help = "Write a synthetic legacy export (JSON Lines) of any size, for benchmarks and tests."

    def add_arguments(self, parser):
        parser.add_argument("output", type=Path)
        parser.add_argument("--tickets", type=int, default=10_000)
        parser.add_argument(
            "--messages", type=int, default=8, help="messages per ticket; 0 for a realistic mix of 1 to 60 (≈3 pages)"
        )
        parser.add_argument("--contracts", type=int, default=None, help="default: one per five tickets")
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, output: Path, tickets: int, messages: int, contracts: int | None, seed: int, **options):
        with output.open("w", encoding="utf-8") as out:
            for line in legacy_export(tickets=tickets, messages=messages or None, contracts=contracts, seed=seed):
                out.write(line + "\n")
        each = f"{messages} messages each" if messages else "1 to 60 messages each"
        self.stdout.write(f"{output}: {tickets} tickets with {each}")
