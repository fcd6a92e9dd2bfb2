"""What may be attached to a ticket (SPEC §4): an allowlist of types checked on the name and on the
content, size and count limits from settings, and a display name that is safe to show and to send."""

import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

HEAD_BYTES = 64 * 1024


def _text(head: bytes) -> bool:
    # Logs and configs: any text encoding, but never a NUL byte (which every binary format has early on).
    return b"\x00" not in head


def _starts(*signatures: bytes) -> Callable[[bytes], bool]:
    return lambda head: head.startswith(signatures)


def _webp(head: bytes) -> bool:
    return head[:4] == b"RIFF" and head[8:12] == b"WEBP"


def _tar(head: bytes) -> bool:
    return head[257:262] == b"ustar"


PCAP = _starts(b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")

# extension → (content type it is served as, check of its first bytes). HTML, SVG and scripts are not
# here on purpose: nothing uploaded may ever be rendered by a browser.
ALLOWED_TYPES: dict[str, tuple[str, Callable[[bytes], bool]]] = {
    ".txt": ("text/plain", _text),
    ".log": ("text/plain", _text),
    ".conf": ("text/plain", _text),
    ".cfg": ("text/plain", _text),
    ".ini": ("text/plain", _text),
    ".csv": ("text/csv", _text),
    ".json": ("application/json", _text),
    ".yaml": ("text/plain", _text),
    ".yml": ("text/plain", _text),
    ".pdf": ("application/pdf", _starts(b"%PDF-")),
    ".png": ("image/png", _starts(b"\x89PNG\r\n\x1a\n")),
    ".jpg": ("image/jpeg", _starts(b"\xff\xd8\xff")),
    ".jpeg": ("image/jpeg", _starts(b"\xff\xd8\xff")),
    ".gif": ("image/gif", _starts(b"GIF87a", b"GIF89a")),
    ".webp": ("image/webp", _webp),
    ".zip": ("application/zip", _starts(b"PK\x03\x04", b"PK\x05\x06")),
    ".gz": ("application/gzip", _starts(b"\x1f\x8b")),
    ".tgz": ("application/gzip", _starts(b"\x1f\x8b")),
    ".tar": ("application/x-tar", _tar),
    ".7z": ("application/x-7z-compressed", _starts(b"7z\xbc\xaf\x27\x1c")),
    ".pcap": ("application/vnd.tcpdump.pcap", PCAP),
    ".cap": ("application/vnd.tcpdump.pcap", PCAP),
    ".pcapng": ("application/octet-stream", _starts(b"\x0a\x0d\x0d\x0a")),
}


@dataclass(frozen=True)
class CheckedFile:
    file: UploadedFile
    name: str
    size: int
    content_type: str


def safe_name(raw: str) -> str:
    """The name to show and to send: no directories, no control or direction-changing characters
    (which can disguise `exe.txt` as `txt.exe`), at most 255 characters with the extension kept."""
    name = raw.replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFC", name)
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp"))
    name = name.strip().strip(".").strip() or "attachment"
    if len(name) > 255:
        suffix = PurePath(name).suffix[:20]
        name = name[: 255 - len(suffix)] + suffix
    return name


def allowed_extensions() -> str:
    return ", ".join(sorted(ALLOWED_TYPES))


def attachment_check(file: UploadedFile) -> CheckedFile:
    name = safe_name(file.name or "")
    extension = PurePath(name).suffix.lower()
    if extension not in ALLOWED_TYPES:
        raise ValidationError(
            _("“%(name)s” is not a file type the portal accepts. Allowed: %(allowed)s."),
            code="file_type",
            params={"name": name, "allowed": allowed_extensions()},
        )
    if file.size > settings.MYHEZO_ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            _("“%(name)s” is larger than %(limit)s."),
            code="file_size",
            params={"name": name, "limit": filesizeformat(settings.MYHEZO_ATTACHMENT_MAX_BYTES)},
        )
    content_type, looks_right = ALLOWED_TYPES[extension]
    file.seek(0)
    head = file.read(HEAD_BYTES)
    file.seek(0)
    if not head or not looks_right(head):
        raise ValidationError(
            _("“%(name)s” is empty or its content is not a %(extension)s file."),
            code="file_content",
            params={"name": name, "extension": extension},
        )
    return CheckedFile(file=file, name=name, size=file.size, content_type=content_type)


def attachments_check(files: Iterable[UploadedFile]) -> list[CheckedFile]:
    """Every file checked; all the problems reported at once so the user fixes them in one go."""
    files = list(files)
    limit = settings.MYHEZO_ATTACHMENT_MAX_FILES
    errors: list[ValidationError] = []
    if len(files) > limit:
        errors.append(
            ValidationError(
                _("Attach at most %(limit)d files to one message."), code="file_count", params={"limit": limit}
            )
        )
    checked = []
    for file in files:
        try:
            checked.append(attachment_check(file))
        except ValidationError as error:
            errors.append(error)
    if errors:
        raise ValidationError(errors)
    return checked
