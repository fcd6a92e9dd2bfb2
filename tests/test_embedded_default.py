"""The embedded default as `make run` starts it: nothing configured, SQLite under var/, e-mails as files
under var/mail/, Celery tasks in-process."""

import subprocess
import sys
from pathlib import Path

from tests.test_project import clean_env

ROOT = Path(__file__).resolve().parent.parent

POST_CONTACT_FORM = """
from django.test import Client
client = Client(HTTP_HOST="127.0.0.1", HTTP_ACCEPT_LANGUAGE="pl")
response = client.post("/contact/", {
    "name": "Zofia Żółkiewska",
    "email": "zofia@example.com",
    "message": "Wiadomość z formularza: proszę o kontakt w sprawie umowy A100001.",
})
print(response.status_code, response.headers.get("Location"))
"""


def run_manage(args, var_dir: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean_env(MYHEZO_VAR_DIR=str(var_dir), DJANGO_DEBUG="1"),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_contact_message_ends_up_as_a_file_in_var_mail(tmp_path):
    var = tmp_path / "var"
    migrate = run_manage(["migrate", "--noinput"], var)
    assert migrate.returncode == 0, migrate.stderr
    assert (var / "db.sqlite3").exists()

    posted = run_manage(["shell", "-v", "0", "-c", POST_CONTACT_FORM], var)
    assert posted.returncode == 0, posted.stderr
    assert posted.stdout.split() == ["302", "/contact/"]

    files = list((var / "mail").iterdir())
    assert len(files) == 1
    text = files[0].read_text()
    assert "To: pomoc@myhezo.pl" in text
    assert "Reply-To: zofia@example.com" in text
    assert "A100001" in text or "QTEwMDAwMQ" in text  # plain or base64-encoded body


def test_demo_data_loads_twice_and_prints_the_logins(tmp_path):
    var = tmp_path / "var"
    assert run_manage(["migrate", "--noinput"], var).returncode == 0
    first = run_manage(["demo_data"], var)
    second = run_manage(["demo_data"], var)
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert "klient@example.com" in first.stdout and "password:" in first.stdout
    assert first.stdout == second.stdout
    count = run_manage(["shell", "-v", "0", "-c", "from accounts.models import User; print(User.objects.count())"], var)
    assert count.stdout.strip() == "2"
