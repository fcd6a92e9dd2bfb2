"""A real mail server for the receiver's tests: a throw-away Dovecot (Debian's `dovecot-imapd`) on 127.0.0.1,
one passwd-file user, maildir under a temporary directory. Skipped without Dovecot on a developer's machine,
a failure in CI (`skip_or_fail`)."""

import grp
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import skip_or_fail

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER, PASSWORD = "pomoc", "test-password"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _config(root: Path, port: int) -> str:
    # As root, Dovecot's login and mail processes must run as unprivileged users: Debian's dovenull/dovecot.
    # As anyone else, everything runs as the current user.
    if os.geteuid() == 0:
        login, internal, mail = "dovenull", "dovecot", "dovecot"
    else:
        login = internal = mail = pwd.getpwuid(os.geteuid()).pw_name
    uid = pwd.getpwnam(mail).pw_uid
    return f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
instance_name = myhezo-test-{port}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = {login}
default_internal_user = {internal}
default_internal_group = {grp.getgrgid(pwd.getpwnam(internal).pw_gid).gr_name}
first_valid_uid = 1
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={pwd.getpwnam(mail).pw_gid} home={root}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service auth {{
  chroot =
}}
"""


class Mailbox:
    """The test user's mailbox on the server: deliver with IMAP APPEND, count what is in a folder."""

    def __init__(self, port: int):
        self.port = port
        self.url = f"imap://{USER}:{PASSWORD}@127.0.0.1:{port}/INBOX"

    def connect(self) -> imaplib.IMAP4:
        connection = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        connection.login(USER, PASSWORD)
        return connection

    def append(self, *raws: bytes, folder: str = "INBOX") -> None:
        connection = self.connect()
        for raw in raws:
            status, data = connection.append(folder, None, None, raw)
            assert status == "OK", data
        connection.logout()

    def count(self, folder: str = "INBOX") -> int:
        connection = self.connect()
        status, data = connection.select(f'"{folder}"', readonly=True)
        connection.logout()
        return int(data[0]) if status == "OK" else 0

    def empty(self) -> None:
        connection = self.connect()
        for folder in ("INBOX", "processed"):
            status, data = connection.select(f'"{folder}"')
            if status == "OK" and int(data[0]):
                connection.store("1:*", "+FLAGS.SILENT", r"(\Deleted)")
                connection.expunge()
        connection.logout()


@pytest.fixture(scope="session")
def dovecot_server():
    if not os.path.exists(DOVECOT):
        skip_or_fail(f"no Dovecot at {DOVECOT} (apt-get install dovecot-imapd)")
    # Not under pytest's tmp_path: Dovecot's unprivileged processes must be able to reach the maildir.
    root = Path(tempfile.mkdtemp(prefix="myhezo-dovecot-"))
    root.chmod(0o755)
    (root / "mail").mkdir()
    if os.geteuid() == 0:
        shutil.chown(root / "mail", "dovecot", "dovecot")
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
    port = _free_port()
    (root / "dovecot.conf").write_text(_config(root, port))
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(root / "dovecot.conf")], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    mailbox = Mailbox(port)
    for _ in range(100):
        try:
            mailbox.connect().logout()
            break
        except (OSError, imaplib.IMAP4.error):
            if process.poll() is not None:
                break
            time.sleep(0.1)
    else:
        process.terminate()
        pytest.fail("Dovecot did not answer")
    if process.poll() is not None:
        log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
        pytest.fail(f"Dovecot did not start: {process.stdout.read().decode()} {log}")
    yield mailbox
    process.terminate()
    process.wait(10)
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def mailbox(dovecot_server, settings):
    """An empty mailbox that the receiver reads (INBOUND_EMAIL_URL)."""
    dovecot_server.empty()
    settings.INBOUND_EMAIL_URL = dovecot_server.url
    return dovecot_server
