"""Input hygiene shared by every form, service and the legacy import: one-line text fields and e-mail
addresses.

A one-line field (a name, a company, a ticket title) never carries a line break (which would split an
e-mail header or a CSV cell), a bidi override or isolate (U+202A–U+202E, U+2066–U+2069, which reorder what
follows them: `raport\u202egpj.exe` reads as `raportexe.jpg`) or a zero-width character (U+200B–U+200D,
U+2060, U+FEFF, which make two different strings look the same). They are removed; letters of any script
are kept as typed (a Cyrillic "А" is somebody's name, not an attack), and pages escape everything.

An e-mail address is Django's `validate_email`, at most 254 characters (RFC 5321, and the columns), with no
invisible character anywhere and a domain that IDNA can encode: `anna@ko\u200bwalski.example` would look
like one domain and be delivered to another, and a domain with a bidi override cannot be sent to at all.
"""

import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

EMAIL_MAX_LENGTH = 254
# Line and paragraph separators and control characters become spaces; format characters (bidi controls,
# zero-width characters, the soft hyphen) are dropped.
_SPACE_CATEGORIES = frozenset({"Cc", "Zl", "Zp"})
_DROP_CATEGORIES = frozenset({"Cf", "Cs", "Co", "Cn"})


def text_one_line(value: str) -> str:
    """A single line of visible text: NFC, no control or format characters, white space collapsed."""
    value = unicodedata.normalize("NFC", value or "")
    kept = []
    for char in value:
        category = unicodedata.category(char)
        if category in _SPACE_CATEGORIES:
            kept.append(" ")
        elif category not in _DROP_CATEGORIES:
            kept.append(char)
    return " ".join("".join(kept).split())


def email_address_validate(value: str) -> None:
    """Django's validate_email, plus: at most 254 characters, nothing invisible, an encodable domain."""
    invalid = ValidationError(validate_email.message, code="invalid", params={"value": value})
    if not isinstance(value, str) or len(value) > EMAIL_MAX_LENGTH:
        raise invalid
    if any(char.isspace() or unicodedata.category(char)[0] in "CZ" for char in value):
        raise invalid
    validate_email(value)
    try:
        value.rpartition("@")[2].encode("idna")
    except UnicodeError:
        raise invalid from None
