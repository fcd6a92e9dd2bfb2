"""One-line text and e-mail addresses (core/text.py): what every form, service and the import apply."""

import pytest
from django.core.exceptions import ValidationError

from core.text import email_address_validate, text_one_line


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  Anna  Maria ", "Anna Maria"),
        ("Anna\r\nBcc: x@example.com", "Anna Bcc: x@example.com"),
        ("Nowak\u202egpj.exe", "Nowakgpj.exe"),  # right-to-left override
        ("Ko\u200bwal\u200dski\ufeff", "Kowalski"),  # zero-width space, joiner, BOM
        ("\u2066Isolated\u2069", "Isolated"),
        ("Line\u2028Separator", "Line Separator"),
        ("Tab\there\x00", "Tab here"),
        ("Zaz\u006f\u0301\u0142\u0107", "Zaz\u00f3\u0142\u0107"),  # NFC: o + combining acute is ó
        ("\u0410nna Ковальская", "\u0410nna Ковальская"),  # other scripts are kept as typed
        ("<b>{{ x }}</b>", "<b>{{ x }}</b>"),  # markup is text; pages escape it
        ("\u200b\u202e\r\n", ""),
    ],
)
def test_text_one_line(raw, clean):
    assert text_one_line(raw) == clean


@pytest.mark.parametrize("address", ["anna@kowalski.example", "a.b+c@xn--d-uga0v4h.example", "jan@łódź.example"])
def test_ordinary_addresses_pass(address):
    email_address_validate(address)


@pytest.mark.parametrize(
    "address",
    [
        "x@example.com\r\nBcc: y@example.com",
        "x@example.com\n",
        "anna@ko\u202ewalski.example",
        "anna@ko\u200bwalski.example",
        "\u202eanna@kowalski.example",
        "anna@kowalski.example\x00",
        "anna @kowalski.example",
        "a" * 64 + "@" + "b" * 186 + ".example",  # 259 characters
        "<script>@example.com",
    ],
)
def test_addresses_with_line_breaks_invisible_characters_or_over_254_characters_are_refused(address):
    with pytest.raises(ValidationError):
        email_address_validate(address)
