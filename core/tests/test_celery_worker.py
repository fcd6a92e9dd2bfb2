"""The outbox with a real Celery worker on Redis and PostgreSQL, as in production."""

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from email import message_from_bytes
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.core import mail
from django.db import connection, transaction

from conftest import skip_or_fail
from core import outbox
from core.models import OutboxEmail
from core.tests.mail_backends import written_messages
from myhezo.celery import app as celery_app

ROOT = Path(__file__).resolve().parent.parent.parent
WORKER_COMMAND = [sys.executable, "-m", "celery", "-A", "myhezo", "worker", "--pool=solo", "--loglevel=INFO"]

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def database_url() -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


class Workers:
    """Celery worker subprocesses on one queue of this test's own, as in production: each sends e-mail
    with the file backend to var/mail/ under the test's tmp directory. A test can kill one and start another."""

    def __init__(self, tmp_path: Path):
        self.tmp_path = tmp_path
        self.queue = f"test-{os.getpid()}-{time.monotonic_ns()}"
        self.mail_dir = tmp_path / "var" / "mail"
        self.processes: list[tuple[subprocess.Popen, Path]] = []

    def start(self, **env_overrides: str) -> subprocess.Popen:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_ALLOW_ASYNC")}
        env.update(
            DATABASE_URL=database_url(),
            MYHEZO_VAR_DIR=str(self.tmp_path / "var"),
            MYHEZO_CELERY_QUEUE=self.queue,
            **env_overrides,
        )
        log = self.tmp_path / f"worker-{len(self.processes) + 1}.log"
        with log.open("w") as output:  # a file, not a pipe that nobody reads and that could fill up
            process = subprocess.Popen(
                [*WORKER_COMMAND, "-Q", self.queue],
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so that kill() takes all of it
            )
        self.processes.append((process, log))
        return process

    def kill(self, process: subprocess.Popen) -> None:
        """SIGKILL: no warm shutdown, no acknowledgement, no rollback sent to the database."""
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for process, log in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    self.kill(process)
            print(f"--- {log.name} ---\n{log.read_text()}")  # shown by pytest on failure
        self.forget_unacked()

    def forget_unacked(self) -> None:
        """A killed worker's unacknowledged message stays in Redis and would be put back on this test's
        queue, which nobody reads, after the visibility timeout (an hour): drop it now. Kombu's Redis transport
        keeps it in the `unacked` hash as [message, exchange, routing key] and indexes it in `unacked_index`."""
        client = redis.Redis.from_url(settings.REDIS_URL)
        for tag, raw in client.hgetall("unacked").items():
            if json.loads(raw)[2] == self.queue:
                client.pipeline().zrem("unacked_index", tag).hdel("unacked", tag).execute()
        client.delete(self.queue)


@pytest.fixture
def workers(tmp_path):
    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        skip_or_fail("needs DATABASE_URL (PostgreSQL) and REDIS_URL, as .ci/run sets them")
    workers = Workers(tmp_path)
    previous = celery_app.conf.task_default_queue
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = workers.queue
    try:
        yield workers
    finally:
        celery_app.conf.task_default_queue = previous
        workers.stop_all()


@pytest.fixture
def worker(workers):
    """One worker running; the directory its e-mails are written to."""
    workers.start()
    return workers.mail_dir


def wait_for(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_contact_message_is_delivered_by_a_real_worker(worker, client):
    response = client.post(
        "/contact/", {"name": "Jan Kowalski", "email": "jan@kowalski.example", "message": "Proszę o telefon."}
    )
    assert response.status_code == 302
    email = OutboxEmail.objects.get()
    assert wait_for(lambda: OutboxEmail.objects.get(pk=email.pk).status == OutboxEmail.Status.SENT)
    files = list(worker.iterdir())
    assert len(files) == 1
    assert "Proszę o telefon." in files[0].read_text()
    assert mail.outbox == []  # sent by the worker's process, not this one


def test_sweep_run_by_the_worker_sends_a_lost_email_exactly_once(worker, settings):
    email = outbox.email_queue(
        to=["helpdesk@example.com"],
        template="core/emails/contact_message",
        context={"contact": {"name": "Jan", "email": "jan@example.com", "message": "Zgubiona wiadomość"}},
        language="pl",
    )
    # Make it look lost: older than the retry delay. The sweep queues it twice more, concurrently with
    # the first delivery task; the row lock and status check let only one of them send it.
    OutboxEmail.objects.filter(pk=email.pk).update(created_at=email.created_at - settings.MYHEZO_OUTBOX_RETRY_AFTER * 2)
    from core.tasks import outbox_sweep

    outbox_sweep.delay()
    outbox_sweep.delay()
    assert wait_for(lambda: OutboxEmail.objects.get(pk=email.pk).status == OutboxEmail.Status.SENT)
    time.sleep(2)  # let the duplicate deliveries run
    assert len(list(worker.iterdir())) == 1


def locked_pending_count() -> int:
    """Pending rows that some other database session holds locked, i.e. is sending right now."""
    with transaction.atomic():
        pending = OutboxEmail.objects.filter(status=OutboxEmail.Status.PENDING)
        return pending.count() - len(pending.select_for_update(skip_locked=True))


def message_ids(mail_dir: Path) -> Counter:
    """How often each Message-ID was written."""
    return Counter(message_from_bytes(message)["Message-ID"] for message in written_messages(mail_dir))


def test_a_worker_killed_mid_send_and_restarted_delivers_every_email_exactly_once(workers, settings):
    for i in range(20):
        outbox.email_queue(
            to=[f"klient{i:02d}@example.com"],
            template="core/emails/contact_message",
            context={"contact": {"name": f"Klient {i:02d}", "email": "jan@example.com", "message": "Dzień dobry"}},
            language="pl",
        )
    # The first worker writes 5 e-mails, then stops inside the 6th send, with that row locked, until killed.
    first = workers.start(DJANGO_SETTINGS_MODULE="core.tests.worker_settings", MYHEZO_TEST_MAIL_HOLD_AFTER="5")
    assert wait_for(lambda: (workers.mail_dir.parent / "mail-held").exists())
    assert OutboxEmail.objects.filter(status=OutboxEmail.Status.SENT).count() == 5
    assert locked_pending_count() == 1
    workers.kill(first)
    # PostgreSQL rolls back the dead worker's transaction when its connection drops: nothing of the
    # interrupted send is left, neither a file nor a counted attempt.
    assert wait_for(lambda: locked_pending_count() == 0)
    assert sum(message_ids(workers.mail_dir).values()) == 5
    assert OutboxEmail.objects.filter(status=OutboxEmail.Status.PENDING, attempts=0).count() == 15

    # Redis keeps the dead worker's unacknowledged task for an hour; the sweep is what recovers it. It
    # queues every pending row again, so e-mails whose first task is still queued get a second one.
    workers.start()
    settings.MYHEZO_OUTBOX_RETRY_AFTER = timedelta(0)
    assert outbox.outbox_sweep() == 15
    assert wait_for(lambda: not OutboxEmail.objects.exclude(status=OutboxEmail.Status.SENT).exists())
    # One worker takes the queue in order: once an e-mail queued last is sent, every duplicate task
    # queued before it has run.
    last = outbox.email_queue(
        to=["ostatni@example.com"],
        template="core/emails/contact_message",
        context={"contact": {"name": "Ostatni", "email": "jan@example.com", "message": "Dzień dobry"}},
        language="pl",
    )
    assert wait_for(lambda: OutboxEmail.objects.get(pk=last.pk).status == OutboxEmail.Status.SENT)

    rows = OutboxEmail.objects.all()
    assert message_ids(workers.mail_dir) == Counter(outbox.outbox_message_id(row) for row in rows)
    assert len(rows) == 21 and {(row.status, row.attempts) for row in rows} == {(OutboxEmail.Status.SENT, 1)}
