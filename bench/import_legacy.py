#!/usr/bin/env python3
"""Benchmark of `import_legacy`: a generated export of N open tickets (default 10,000 with 8 messages each)
imported into a fresh PostgreSQL database, timed, reported as tickets per second.

    .venv/bin/python bench/import_legacy.py [--tickets 10000] [--messages 8] [--workers N]

Needs PostgreSQL at BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/myhezo_bench, dropped and
created again). Media files go to a temporary directory that is removed afterwards.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=8)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()

    url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/myhezo_bench")
    parsed = urlparse(url)
    name, host, port, user = parsed.path.lstrip("/"), parsed.hostname, str(parsed.port or 5432), parsed.username
    pg = ["-h", host, "-p", port, "-U", user]
    subprocess.run(["dropdb", *pg, "--if-exists", name], check=True)
    subprocess.run(["createdb", *pg, name], check=True)

    with tempfile.TemporaryDirectory(prefix="myhezo-bench-") as tmp:
        env = {**os.environ, "DATABASE_URL": url, "MYHEZO_VAR_DIR": tmp, "MYHEZO_MEDIA_ROOT": f"{tmp}/media"}
        env.pop("REDIS_URL", None)
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "-v", "0"], env=env, check=True)
        export = Path(tmp) / "export.jsonl"
        subprocess.run(
            [
                *manage,
                "legacy_export_generate",
                str(export),
                "--tickets",
                str(args.tickets),
                "--messages",
                str(args.messages),
            ],
            env=env,
            check=True,
        )
        size_mb = export.stat().st_size / 1e6
        started = time.monotonic()
        result = subprocess.run(
            [*manage, "import_legacy", str(export), "--workers", str(args.workers)],
            env=env,
            capture_output=True,
            text=True,
        )
        elapsed = time.monotonic() - started
        pdf_mb = sum(f.stat().st_size for f in Path(tmp, "media").rglob("*.pdf")) / 1e6
        print(result.stdout.strip())
        if result.returncode != 0:
            print(result.stderr[-3000:], file=sys.stderr)
            return result.returncode
    print(
        f"{args.tickets} tickets × {args.messages} messages ({size_mb:.1f} MB export, {pdf_mb:.1f} MB of PDFs), "
        f"{args.workers} render workers, {os.cpu_count()} CPUs: {elapsed:.1f} s, {args.tickets / elapsed:.1f} tickets/s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
