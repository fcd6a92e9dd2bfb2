"""Where inbound e-mail comes from: an IMAP mailbox (INBOUND_EMAIL_URL, production) or, when none is set, the
embedded default's `var/inbox/*.eml`. A message leaves its source (moved to the processed folder) only after
the transaction that received it has committed; a receiver killed in between reads it again next time and
`inbound_receive` recognises it, so nothing happens twice."""

import contextlib
import imaplib
import logging
import os
import re
from collections import Counter
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings

from .services import inbound_receive

logger = logging.getLogger(__name__)


def _done(counts: Counter, received) -> None:
    counts[received.record.outcome if received.new else "duplicate"] += 1


def mail_receive_directory(directory: Path) -> Counter:
    """Every `*.eml` in `directory`, oldest name first; each is moved to `processed/` once received."""
    counts: Counter = Counter()
    processed = directory / "processed"
    processed.mkdir(parents=True, exist_ok=True)
    for path in sorted(directory.glob("*.eml")):
        try:
            raw = path.read_bytes()
        except FileNotFoundError:  # another receiver took it
            continue
        _done(counts, inbound_receive(raw=raw))
        with contextlib.suppress(FileNotFoundError):
            os.replace(path, processed / path.name)
    return counts


def imap_connect(url: str) -> tuple[imaplib.IMAP4, str]:
    """Log in to `imaps://user:password@host[:port]/FOLDER` (or `imap://`, plain, for a local server)."""
    parts = urlsplit(url)
    if parts.scheme == "imaps":
        connection = imaplib.IMAP4_SSL(parts.hostname, parts.port or 993, timeout=60)
    elif parts.scheme == "imap":
        connection = imaplib.IMAP4(parts.hostname, parts.port or 143, timeout=60)
    else:
        raise ValueError("INBOUND_EMAIL_URL must start with imaps:// or imap://")
    connection.login(unquote(parts.username or ""), unquote(parts.password or ""))
    return connection, unquote(parts.path.lstrip("/")) or "INBOX"


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _imap_done(connection: imaplib.IMAP4, uid: bytes, folder: str) -> None:
    """The message leaves the inbox for the processed folder: MOVE where the server has it, else COPY and
    delete."""
    if "MOVE" in connection.capabilities:
        connection.uid("MOVE", uid, _quoted(folder))
    else:
        connection.uid("COPY", uid, _quoted(folder))
        connection.uid("STORE", uid, "+FLAGS.SILENT", r"(\Deleted)")
        connection.expunge()


def mail_receive_imap(url: str, *, limit: int = 500) -> Counter:
    counts: Counter = Counter()
    connection, folder = imap_connect(url)
    processed = settings.MYHEZO_INBOUND_PROCESSED_FOLDER
    size_limit = settings.MYHEZO_INBOUND_MAX_MB * 1024 * 1024
    try:
        connection.create(_quoted(processed))  # "already exists" is an answer, not an error
        status, _data = connection.select(_quoted(folder))
        if status != "OK":
            raise imaplib.IMAP4.error(f"cannot open the folder {folder!r}")
        status, data = connection.uid("SEARCH", None, "UNDELETED")
        for uid in (data[0] or b"").split()[:limit]:
            # An e-mail over the limit is never downloaded: its header is enough to refuse it.
            status, fetched = connection.uid("FETCH", uid, "(RFC822.SIZE)")
            size_match = re.search(rb"RFC822\.SIZE (\d+)", b" ".join(i for i in fetched if isinstance(i, bytes)))
            size = int(size_match[1]) if size_match else 0
            part = "BODY.PEEK[HEADER]" if size > size_limit else "BODY.PEEK[]"
            status, fetched = connection.uid("FETCH", uid, f"({part})")
            raw = next((item[1] for item in fetched if isinstance(item, tuple)), None)
            if status != "OK" or raw is None:
                continue
            _done(counts, inbound_receive(raw=raw, size=max(size, len(raw))))
            _imap_done(connection, uid, processed)
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            connection.logout()
    return counts


def mail_receive() -> Counter:
    """One run of the receiver over the configured source. Returns how many messages had each outcome."""
    if settings.INBOUND_EMAIL_URL:
        return mail_receive_imap(settings.INBOUND_EMAIL_URL)
    return mail_receive_directory(Path(settings.MYHEZO_INBOUND_DIR))
