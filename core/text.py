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
Nor may an address mix scripts or hold a letter that looks like a different Latin one (`drugı.example` with a
dotless ı, `раypal` with a Cyrillic р): Unicode's confusables data (the confusable-homoglyphs package) decides,
so Polish letters (ą, ł, ó, ż…) are fine and look-alikes are refused with a message saying why.

`email_canonical` is the one form of an address that identifies a person (SPEC §3): the local part in NFKC and
case-folded, the domain in IDNA (UTS #46) ASCII, all lower case. Two addresses with the same canonical form are
one identity: registration, login, password reset, e-mail change, CC matching, the importer and every throttle
key compare canonical forms.
"""

import contextlib
import unicodedata

import idna
from confusable_homoglyphs import categories, confusables
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

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
    """Django's validate_email, plus: at most 254 characters, nothing invisible, an encodable domain, no
    look-alike letters (`email_lookalike_check`)."""
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
    email_lookalike_check(value)


def email_canonical(value: str) -> str:
    """The identity of an address: NFKC and case-folded local part, IDNA (UTS #46) domain, lower case. Never
    raises: something that is not an address gets its text case-folded, so it can still key a throttle."""
    value = unicodedata.normalize("NFKC", (value or "").strip())
    local, at, domain = value.rpartition("@")
    if not at:
        return unicodedata.normalize("NFKC", value.casefold())
    local = unicodedata.normalize("NFKC", local.casefold())
    try:
        domain = idna.encode(domain, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        domain = unicodedata.normalize("NFKC", domain.casefold())
    return f"{local}@{domain.lower()}"


def _looks_alike(text: str) -> bool:
    """Scripts mixed, or a non-ASCII letter that Unicode lists as confusable with an ASCII one."""
    scripts = categories.unique_aliases(text) - {"COMMON", "INHERITED"}
    if len(scripts) > 1:
        return True
    for char in {c for c in text if not c.isascii()}:
        found = confusables.is_confusable(char, greedy=True, preferred_aliases=[]) or []
        if any(glyph["c"].isascii() for item in found for glyph in item["homoglyphs"]):
            return True
    return False


def email_lookalike_check(value: str) -> None:
    """Refuse an address that mixes scripts or holds look-alike letters, in either part (the domain also as its
    Unicode form when it is given in IDNA's xn-- form)."""
    local, _at, domain = (value or "").strip().rpartition("@")
    with contextlib.suppress(idna.IDNAError, UnicodeError):
        domain = idna.decode(domain, uts46=True)
    if any(_looks_alike(label) for label in [local, *domain.split(".")]):
        raise ValidationError(
            _(
                "This address contains letters that look like other letters (for example a dotless “ı” instead "
                "of “i”, or a Cyrillic “а” instead of a Latin “a”). Type the address again using the letters of "
                "its real spelling."
            ),
            code="lookalike",
        )
