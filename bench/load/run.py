#!/usr/bin/env python3
"""Load test: gunicorn on 127.0.0.1 with production settings (PostgreSQL, Redis), locust headless with N
verified customers for D seconds reading pages and opening tickets; then checks that no response was a 5xx
or a connection error and that every ticket the load test was given a number for exists.

    .venv/bin/python bench/load/run.py [--users 50] [--duration 60] [--spawn-rate 10]
    make load-test USERS=50 DURATION=60

Needs REDIS_URL (the Celery broker and the throttles' cache, as in production) and PostgreSQL: a fresh
database at LOAD_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/myhezo_load, dropped and created
again), or with --database-url an existing, migrated one (the pytest variant uses its test database). E-mails
are queued on a Celery queue of the run's own, which is deleted afterwards: no worker sends them. Exit status
0 when every check passed.

gunicorn runs as docker-compose.yml's web service does: 3 sync workers, and exactly the database connection
settings compose ships (every `DJANGO_CONN*` variable of its `x-app` environment, none from the shell:
bench/compose_env.py, as for bench/load.py).
"""

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

from bench.compose_env import with_compose_connection  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, *, timeout_s: float, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own http://127.0.0.1 URL
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout_s} s")


def fresh_database(url: str) -> None:
    parsed = urlparse(url)
    pg = ["-h", parsed.hostname, "-p", str(parsed.port or 5432), "-U", parsed.username]
    name = parsed.path.lstrip("/")
    subprocess.run(["dropdb", *pg, "--if-exists", name], check=True)
    subprocess.run(["createdb", *pg, name], check=True)


def server_env(database_url: str, var_dir: Path, queue: str, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_ALLOW_ASYNC", "PYTEST"))}
    env.update(
        DATABASE_URL=database_url,
        MYHEZO_VAR_DIR=str(var_dir),
        MYHEZO_MEDIA_ROOT=str(var_dir / "media"),
        MYHEZO_CELERY_QUEUE=queue,
        DJANGO_DEBUG="0",
        DJANGO_SETTINGS_MODULE="myhezo.settings",
        **extra,
    )
    return env


def gunicorn(env: dict, port: int, log: Path, *, workers: int = 3, threads: int = 1) -> subprocess.Popen:
    """gunicorn as docker-compose runs it (3 sync workers), in a process group of its own so that it can be
    stopped whole."""
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "myhezo.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--timeout",
        "60",
        "--graceful-timeout",
        "10",
    ]
    with log.open("w") as output:
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def run(args) -> int:
    redis_url = os.environ.get("REDIS_URL", "")
    if not redis_url:
        print("load test: set REDIS_URL (production runs on Redis)", file=sys.stderr)
        return 2
    database_url = args.database_url or os.environ.get(
        "LOAD_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/myhezo_load"
    )
    queue = f"load-{os.getpid()}-{time.monotonic_ns()}"
    with tempfile.TemporaryDirectory(prefix="myhezo-load-") as tmp_name:
        tmp = Path(tmp_name)
        # The connection settings docker-compose.yml ships, for gunicorn as for the set-up.
        env = with_compose_connection(server_env(database_url, tmp / "var", queue, REDIS_URL=redis_url))
        print(
            "connection settings from docker-compose.yml: "
            + (", ".join(f"{name}={value}" for name, value in env.items() if name.startswith("DJANGO_CONN")) or "none")
        )
        if not args.database_url:
            fresh_database(database_url)
            subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
        sessions, created, summary = tmp / "sessions.json", tmp / "created.jsonl", tmp / "summary.json"
        created.touch()
        setup_env = {k: v for k, v in env.items() if k != "REDIS_URL"}  # set-up e-mails go to files, in-process
        subprocess.run(
            [sys.executable, str(HERE / "prepare.py"), "setup", "--users", str(args.users), "--out", str(sessions)],
            cwd=ROOT,
            env=setup_env,
            check=True,
        )
        port = args.port or free_port()
        log = tmp / "gunicorn.log"
        server = gunicorn(env, port, log)
        try:
            wait_for(f"http://127.0.0.1:{port}/healthz/", timeout_s=60, process=server)
            started = time.monotonic()
            locust = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "locust",
                    "-f",
                    str(HERE / "locustfile.py"),
                    "--headless",
                    "--users",
                    str(args.users),
                    "--spawn-rate",
                    str(args.spawn_rate),
                    "--run-time",
                    f"{args.duration}s",
                    "--stop-timeout",
                    "30",
                    "--host",
                    f"http://127.0.0.1:{port}",
                    "--only-summary",
                    "--loglevel",
                    "WARNING",
                ],
                cwd=ROOT,
                env={**env, "LOAD_SESSIONS": str(sessions), "LOAD_CREATED": str(created), "LOAD_SUMMARY": str(summary)},
                capture_output=True,
                text=True,
                timeout=args.duration + 120,
            )
            elapsed = time.monotonic() - started
        finally:
            stop(server)
            try:
                import redis

                # The run's queued e-mails (nobody will send them) and kombu's bindings of its queue.
                redis.Redis.from_url(redis_url).delete(
                    queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}"
                )
            except Exception as exc:  # the checks below matter more than this clean-up
                print(f"load test: could not delete queue {queue}: {exc!r}", file=sys.stderr)
        print((locust.stdout + locust.stderr)[-3000:])
        if not summary.exists():
            print(locust.stderr[-4000:], file=sys.stderr)
            print("FAILED: locust wrote no summary", file=sys.stderr)
            return 1
        result = json.loads(summary.read_text())
        statuses, errors = result["statuses"], result["errors"]
        total = sum(statuses.values())
        server_errors = {code: n for code, n in statuses.items() if code.startswith("5")}
        unexpected = {code: n for code, n in statuses.items() if code not in ("200", "302")}
        print(
            f"{args.users} users, {elapsed:.0f} s: {total} responses ({total / max(elapsed, 1):.1f}/s), "
            f"by status {dict(sorted(statuses.items()))}, connection errors {errors or 'none'}"
        )
        verified = subprocess.run(
            [sys.executable, str(HERE / "prepare.py"), "verify", "--created", str(created)], cwd=ROOT, env=setup_env
        )
        failed = []
        if server_errors:
            failed.append(f"5xx responses: {server_errors}")
        if unexpected:
            failed.append(f"responses other than 200/302: {unexpected}")
        if errors:
            failed.append(f"connection errors: {errors}")
        if total == 0 or not created.read_text().strip():
            failed.append("no requests or no ticket was opened")
        if verified.returncode != 0:
            failed.append("created tickets missing")
        if failed:
            print("FAILED: " + "; ".join(failed), file=sys.stderr)
            print(log.read_text()[-4000:], file=sys.stderr)
            return 1
        print("load test passed")
        return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=int, default=60, help="seconds")
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--database-url", help="an existing, migrated database instead of a fresh one")
    return run(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
