"""The outbox with a real Celery worker on Redis and PostgreSQL, as in production."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail

from conftest import skip_or_fail
from core import services
from core.models import OutboxEmail
from myhezo.celery import app as celery_app

ROOT = Path(__file__).resolve().parent.parent.parent

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def database_url() -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture
def worker(tmp_path):
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql" or not settings.REDIS_URL:
        skip_or_fail("needs DATABASE_URL (PostgreSQL) and REDIS_URL, as .ci/run sets them")
    queue = f"test-{os.getpid()}-{time.monotonic_ns()}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_ALLOW_ASYNC")}
    env.update(
        DATABASE_URL=database_url(),
        MYHEZO_VAR_DIR=str(tmp_path / "var"),
        MYHEZO_CELERY_QUEUE=queue,
    )
    mail_dir = tmp_path / "var" / "mail"
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "myhezo", "worker", "--pool=solo", "-Q", queue, "--loglevel=INFO"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    previous = celery_app.conf.task_default_queue
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = queue
    try:
        yield mail_dir
    finally:
        celery_app.conf.task_default_queue = previous
        process.terminate()
        output = process.communicate(timeout=30)[0]
        print(output)  # shown by pytest when the test fails


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
    email = services.email_queue(
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
