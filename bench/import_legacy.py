#!/usr/bin/env python3
"""Benchmark of `import_legacy` on a realistic export, against the ceiling of bare WeasyPrint.

    .venv/bin/python bench/import_legacy.py [--tickets 300] [--messages 0] [--workers 1 2] [--rounds 3]

The export is generated (`legacy_export_generate`): by default a realistic mix, dialogs of 1 to 60 messages,
about 3 PDF pages on average (`--messages 8` for the old uniform 8 short messages). For each worker count, in
the same run and on the same documents:

- ceiling: the conversations rendered by WeasyPrint alone (`migration.pdf.conversation_pdf`, the same
  template, fonts and data) in a pool of that many processes, no database, no import — PDFs per second;
- import: `manage.py import_legacy --workers N` into a fresh PostgreSQL database — tickets per second;

and the import's rate as a share of the ceiling (the target is ≥ 85 % with 2 workers on 2 cores). A shared
machine's speed drifts from minute to minute, so each measurement pairs a ceiling with an import next to it
(ceiling first in odd rounds, import first in even ones), `--rounds` times; the summary gives the median share
with the lowest and the highest.

Needs PostgreSQL at BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/myhezo_bench, dropped and
created again for each import). Media files go to a temporary directory that is removed afterwards.
"""

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent


def conversations(export: Path) -> list[dict]:
    """What the importer renders for each open ticket of the export (migration.tickets.pdf_data, without the
    database): the same template data, so the ceiling renders the same documents."""
    contracts, result = {}, []
    records = [json.loads(line) for line in export.read_text(encoding="utf-8").splitlines() if line.strip()]
    for record in records:
        if record["type"] == "contract":
            contracts[record["number"]] = record
    for record in records:
        if record["type"] != "ticket" or record["status"] == "closed":
            continue
        customer = contracts[record["contract"]]["customer"]
        result.append(
            {
                "legacy_id": record["legacy_id"],
                "subject": record["subject"],
                "company_name": customer["name"],
                "company_nip": customer["nip"],
                "contract_number": record["contract"],
                "device": f"(H)-{record['serial']}",
                "messages": record["messages"],
            }
        )
    return result


def ceiling(data: list[dict], workers: int) -> tuple[float, int]:
    """Bare WeasyPrint: PDFs per second in `workers` processes (started and warmed up before the clock), and
    the pages rendered (counted after the clock: reading the PDFs is not WeasyPrint's work)."""
    import pypdf

    from migration.rendering import render_many, render_pool

    documents = []
    with render_pool(workers, warm=True) as pool:
        list(render_many(pool, [(n, data[0], "pl") for n in range(workers * 2)]))  # fonts loaded
        started = time.monotonic()
        for _key, document in render_many(pool, ((n, item, "pl") for n, item in enumerate(data))):
            if isinstance(document, Exception):
                raise document
            documents.append(document)
        elapsed = time.monotonic() - started
    pages = sum(len(pypdf.PdfReader(io.BytesIO(document)).pages) for document in documents)
    return len(data) / elapsed, pages


def import_rate(export: Path, workers: int, url: str, tmp: str) -> float:
    parsed = urlparse(url)
    name, host, port, user = parsed.path.lstrip("/"), parsed.hostname, str(parsed.port or 5432), parsed.username
    pg = ["-h", host, "-p", port, "-U", user]
    subprocess.run(["dropdb", *pg, "--if-exists", name], check=True)
    subprocess.run(["createdb", *pg, name], check=True)
    media = Path(tmp) / f"media-{workers}"
    env = {**os.environ, "DATABASE_URL": url, "MYHEZO_VAR_DIR": tmp, "MYHEZO_MEDIA_ROOT": str(media)}
    env.pop("REDIS_URL", None)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v", "0"], env=env, check=True)
    started = time.monotonic()
    result = subprocess.run(
        [*manage, "import_legacy", str(export), "--workers", str(workers)], env=env, capture_output=True, text=True
    )
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        print(result.stdout[-2000:], result.stderr[-3000:], file=sys.stderr)
        raise SystemExit(result.returncode)
    imported = int(result.stdout.split("tickets: imported ")[1].split(",")[0])
    return imported / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=300)
    parser.add_argument("--messages", type=int, default=0, help="0: realistic mix of 1 to 60 (default)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument(
        "--rounds", type=int, default=3, help="measure each worker count this many times, ceiling then import"
    )
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/myhezo_bench")

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "myhezo.settings")
    with tempfile.TemporaryDirectory(prefix="myhezo-bench-") as tmp:
        os.environ.setdefault("MYHEZO_VAR_DIR", tmp)
        import django

        django.setup()
        from django.core.management import call_command

        export = Path(tmp) / "export.jsonl"
        call_command("legacy_export_generate", str(export), tickets=args.tickets, messages=args.messages)
        data = conversations(export)
        messages = [len(item["messages"]) for item in data]
        print(
            f"export: {len(data)} open tickets, {export.stat().st_size / 1e6:.1f} MB, messages per dialog "
            f"{min(messages)}–{max(messages)} (mean {sum(messages) / len(messages):.1f}); {os.cpu_count()} CPUs"
        )
        shares: dict[int, list[float]] = {workers: [] for workers in args.workers}
        for round_ in range(1, args.rounds + 1):
            for workers in args.workers:
                # Ceiling first in odd rounds, import first in even ones: a machine that slows down or speeds up
                # during the run favours neither.
                if round_ % 2:
                    bare, pages = ceiling(data, workers)
                    rate = import_rate(export, workers, url, tmp)
                else:
                    rate = import_rate(export, workers, url, tmp)
                    bare, pages = ceiling(data, workers)
                shares[workers].append(rate / bare)
                print(
                    f"round {round_}, {workers} worker(s): bare WeasyPrint {bare:.2f} PDFs/s "
                    f"({pages / len(data):.1f} pages each), import {rate:.2f} tickets/s = "
                    f"{100 * rate / bare:.0f} % of the ceiling",
                    flush=True,
                )
        for workers, values in shares.items():
            print(
                f"{workers} worker(s), {len(values)} round(s): median {100 * statistics.median(values):.0f} % of "
                f"the ceiling (lowest {100 * min(values):.0f} %, highest {100 * max(values):.0f} %)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
