"""Contract numbers and the serial notation of SPEC §2, as small pure functions.

A line's serial is shown as `(H)-SERIAL` when that serial has one line in the whole system and as
`(Hn)-SERIAL` when it has several (n = the line's service index). Users may type the bare old notation,
`(H)-SERIAL` or `(Hn)-SERIAL`, in any case and with stray spaces.
"""

import contextlib
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .nip import nip_parse

CONTRACT_NUMBER_RE = re.compile(r"[A-Z]\d{6}")
# `(H)-`, `(H2)-`, `( h 2 ) -`: the prefix; the rest is the serial.
NOTATION_PREFIX_RE = re.compile(r"^\(\s*H\s*(\d*)\s*\)\s*-\s*", re.IGNORECASE)


def contract_number_parse(value: str) -> str:
    """`" b200002 "` → `"B200002"`; anything but one letter and six digits is refused."""
    number = (value or "").strip().upper()
    if not CONTRACT_NUMBER_RE.fullmatch(number):
        raise ValidationError(
            _("A contract number is one letter followed by six digits, for example A123456."),
            code="contract_number_format",
        )
    return number


def serial_canonical(raw: str) -> str:
    """The canonical serial: the raw one without surrounding white space, in upper case. Licence keys keep
    their dashes and other characters."""
    return (raw or "").strip().upper()


@dataclass(frozen=True)
class SerialInput:
    serial: str
    index: int | None  # the explicit n of `(Hn)-`, else None


def serial_parse(value: str) -> SerialInput:
    """Read a serial as a user may type it: `FG123`, `(H)-FG123`, `(h2)-fg123`, ` ( H 2 ) - FG123 `."""
    text = (value or "").strip()
    index = None
    match = NOTATION_PREFIX_RE.match(text)
    if match:
        text = text[match.end() :]
        if match.group(1):
            index = int(match.group(1))
            if index < 1:
                raise ValidationError(_("The service index in (Hn) starts at 1."), code="serial_index")
    serial = serial_canonical(text)
    if not serial:
        raise ValidationError(_("Enter the device's serial number."), code="serial_empty")
    return SerialInput(serial=serial, index=index)


def serial_display(serial: str, index: int, lines_with_serial: int) -> str:
    """`(H)-SERIAL` for the only line of its serial, `(Hn)-SERIAL` when the serial has several lines."""
    if lines_with_serial <= 1:
        return f"(H)-{serial}"
    return f"(H{index})-{serial}"


def search_term_alternatives(term: str) -> list[str]:
    """What a search box should also look for when a term is typed in one of the portal's notations: a serial in
    `(H)`/`(Hn)` notation gives the bare serial, a NIP in any usual form (`PL 526-025-02-74`) its 10 digits, a
    contract number in lower case (`c300010`) its canonical form. Engineers then find in admin what customers
    find in the portal."""
    term = (term or "").strip()
    found = []
    if NOTATION_PREFIX_RE.match(term):
        with contextlib.suppress(ValidationError):
            found.append(serial_parse(term).serial)
    if re.fullmatch(r"(?i:pl)?[\d\s-]{10,16}", term):
        with contextlib.suppress(ValidationError):
            found.append(nip_parse(term))
    if CONTRACT_NUMBER_RE.fullmatch(term.upper()) and term != term.upper():
        found.append(term.upper())
    return [alternative for alternative in found if alternative != term]
