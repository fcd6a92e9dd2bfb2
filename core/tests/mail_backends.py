"""E-mail backends for tests that run a real Celery worker (core/tests/test_celery_worker.py)."""

import os
import time
from pathlib import Path

from core.mail import OneFilePerEmailBackend

# What the file backend writes after each message (one message a file, but counting messages rather than
# files keeps these tests independent of that).
SEPARATOR = b"\n" + b"-" * 79 + b"\n"


def written_messages(mail_dir: Path) -> list[bytes]:
    """Every message the file backend wrote to mail_dir."""
    return [message for path in mail_dir.iterdir() for message in path.read_bytes().split(SEPARATOR) if message]


class HoldingEmailBackend(OneFilePerEmailBackend):
    """The file backend, which stops for good before writing a message once MYHEZO_TEST_MAIL_HOLD_AFTER
    messages are written, and says so by creating `mail-held` next to the mail directory. The worker is
    then caught mid-send: its row lock taken, nothing written, nothing committed, until the test kills it."""

    def send_messages(self, email_messages):
        hold_after = int(os.environ.get("MYHEZO_TEST_MAIL_HOLD_AFTER", "0"))
        mail_dir = Path(self.file_path)
        if hold_after and len(written_messages(mail_dir)) >= hold_after:
            (mail_dir.parent / "mail-held").touch()
            while True:
                time.sleep(1)
        return super().send_messages(email_messages)
