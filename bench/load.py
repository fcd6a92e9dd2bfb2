#!/usr/bin/env python3
"""Load benchmark (issue 8): gunicorn with production settings on 127.0.0.1, driven by wrk with a session
cookie, page by page; reports requests/s, p50/p95/p99 and each page's throughput as a share of the trivial
view (`/healthz/`, no database) measured in the same run — the figure that holds from machine to machine.

    apt-get install wrk
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/myhezo_perf REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/load.py [--duration 15] [--connections 4] [--workers 2] [--cold]

No page is remembered: every view draws its page anew from the database. By default the content-keyed
fragments (core/fragments.py: a list row or a dialog message rendered once per exact values and language) of
rows and messages that did not change are reused, as on a portal in use; `--cold` turns them off too
(MYHEZO_FRAGMENT_CACHE_MB=0), so nothing at all is remembered — every view as after a change.

gunicorn runs with exactly the database connection settings docker-compose.yml ships: every `DJANGO_CONN*`
variable of its `x-app` environment, and none from the shell (bench/compose_env.py); the report's header says
which, and what the settings made of them.

The database must be filled by `manage.py bench_seed` first; the user is bench-0@example.com, a customer of
the largest company, and the engineer bench-engineer@example.com (created here).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PORT = 8765
CSRF_COOKIE = "benchCsrfSecret0123456789abcdefg"  # 32 characters, like Django's


def wait_until_up(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - our own http://127.0.0.1
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer on {url}")


def cpu_seconds(pattern: str) -> float:
    """CPU time (user + system) used so far by the processes whose command line contains `pattern`."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if pattern not in (stat.parent / "cmdline").read_bytes().decode(errors="replace"):
                continue
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU time all cores spent busy so far (everything: gunicorn, PostgreSQL, Redis, wrk, the kernel)."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, Path("/proc/stat").read_text().split()[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def wrk(url: str, *, cookie: str | None, duration: int, connections: int) -> dict:
    command = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{duration}s", "-s", str(ROOT / "bench/wrk_report.lua")]
    if cookie:
        # A browser that has been on the portal before also sends its CSRF cookie.
        command += ["-H", f"Cookie: sessionid={cookie}; csrftoken={CSRF_COOKIE}"]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=15, help="seconds per page")
    parser.add_argument("--connections", type=int, default=4, help="concurrent clients")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--only", nargs="*", default=[], help="measure only the pages whose name contains one of these")
    parser.add_argument(
        "--cold",
        action="store_true",
        help="nothing remembered (MYHEZO_FRAGMENT_CACHE_MB=0): no fragment reused either, every view drawn as if "
        "for the first time, the cost of a page whose data just changed; default: each page drawn anew, fragments "
        "of unchanged rows and messages remembered",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("DATABASE_URL must point at the PostgreSQL database filled by bench_seed")

    from bench.compose_env import PREFIX, compose_connection_env

    # docker-compose.yml's connection variables, none of the shell's: for gunicorn (its environment is this one)
    # and for this process, which makes the sessions with the same settings.
    shipped = compose_connection_env()
    for name in [name for name in os.environ if name.startswith(PREFIX)]:
        del os.environ[name]
    os.environ.update(shipped)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "myhezo.settings")
    import django

    django.setup()
    from django.conf import settings

    from bench.sessions import bench_ticket, session_cookie
    from tickets.models import Ticket

    customer = session_cookie("bench-0@example.com")
    engineer = session_cookie("bench-engineer@example.com", staff=True)
    ticket = bench_ticket(messages=50)

    env = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_LOG_LEVEL": "WARNING",
        **({"MYHEZO_FRAGMENT_CACHE_MB": "0"} if args.cold else {}),
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "myhezo.wsgi",
            "-w",
            str(args.workers),
            "-b",
            f"127.0.0.1:{PORT}",
            "--access-logfile",
            "/dev/null",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{PORT}"
    pages = [
        ("trivial view (/healthz/)", "/healthz/", None),
        ("dashboard", "/dashboard/", customer),
        ("/tickets/ first page", "/tickets/", customer),
        ("/tickets/ filtered + search", "/tickets/?q=firmware&status=open", customer),
        ("ticket page, 50 messages", f"/tickets/{ticket.number}/", customer),
        ("admin ticket list (SLA columns)", "/admin/tickets/ticket/?open=yes", engineer),
    ]
    if args.only:
        pages = [pages[0], *(page for page in pages[1:] if any(word in page[0] for word in args.only))]
    try:
        wait_until_up(base + "/healthz/")
        results = []
        for name, path, cookie in pages:
            wrk(base + path, cookie=cookie, duration=2, connections=args.connections)  # warm-up
            app, machine = cpu_seconds("gunicorn"), machine_busy_seconds()
            result = wrk(base + path, cookie=cookie, duration=args.duration, connections=args.connections)
            # Where the time goes: CPU of the gunicorn workers, and of the whole machine, per request.
            result["app_ms"] = 1000 * (cpu_seconds("gunicorn") - app) / max(result["requests"], 1)
            result["machine_ms"] = 1000 * (machine_busy_seconds() - machine) / max(result["requests"], 1)
            results.append((name, result))
    finally:
        server.terminate()
        server.wait(timeout=30)

    ceiling = results[0][1]["rps"]
    database = settings.DATABASES["default"]
    print(
        "connection settings from docker-compose.yml: "
        + (", ".join(f"{name}={value}" for name, value in sorted(shipped.items())) or "none (settings defaults)")
        + f" -> ENGINE {database['ENGINE']}, CONN_MAX_AGE {database['CONN_MAX_AGE']}, "
        f"CONN_HEALTH_CHECKS {database['CONN_HEALTH_CHECKS']}; AUTHENTICATION_BACKENDS "
        + ", ".join(settings.AUTHENTICATION_BACKENDS)
        + "; "
        + ", ".join(m for m in settings.MIDDLEWARE if "OTP" in m)
    )
    print(
        f"{Ticket.objects.count()} tickets; {args.workers} gunicorn workers, {args.connections} connections, "
        f"{args.duration} s per page, {os.cpu_count()} CPUs" + (", nothing remembered (--cold)" if args.cold else "")
    )
    print(
        "| page | req/s | share of trivial | p50 ms | p95 ms | p99 ms | non-2xx | socket errors "
        "| gunicorn CPU ms/req | machine CPU ms/req |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, r in results:
        print(
            f"| {name} | {r['rps']:.0f} | {100 * r['rps'] / ceiling:.1f}% | {r['p50']:.1f} | {r['p95']:.1f} "
            f"| {r['p99']:.1f} | {r['non_2xx']} | {r['socket_errors']} | {r['app_ms']:.2f} | {r['machine_ms']:.2f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
