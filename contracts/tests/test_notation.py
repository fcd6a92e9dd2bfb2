import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from contracts.notation import contract_number_parse, serial_canonical, serial_display, serial_parse

# Serials as manufacturers and licence keys write them: letters, digits, dashes and a few other signs.
serials = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_/.#", min_size=1, max_size=40
)
canonical_serials = serials.map(serial_canonical)


@pytest.mark.parametrize(
    ("typed", "serial", "index"),
    [
        ("FG1234567890", "FG1234567890", None),
        ("fg1234567890", "FG1234567890", None),
        ("(H)-FG1234567890", "FG1234567890", None),
        ("(h)-fg1234567890", "FG1234567890", None),
        ("(H2)-FG1234567890", "FG1234567890", 2),
        ("  ( h 12 ) -  FG1234567890 ", "FG1234567890", 12),
        ("ABCD-1234-efgh-5678", "ABCD-1234-EFGH-5678", None),
        ("(H1)-A30-2406-00417", "A30-2406-00417", 1),
    ],
)
def test_serial_parse_examples(typed, serial, index):
    parsed = serial_parse(typed)
    assert (parsed.serial, parsed.index) == (serial, index)


@pytest.mark.parametrize("typed", ["", "   ", "(H)-", "(H2)-  "])
def test_serial_parse_refuses_an_empty_serial(typed):
    with pytest.raises(ValidationError):
        serial_parse(typed)


def test_serial_parse_refuses_index_zero():
    with pytest.raises(ValidationError):
        serial_parse("(H0)-FG1")


def test_display_examples():
    assert serial_display("FG1234567890", 1, 1) == "(H)-FG1234567890"
    assert serial_display("FG1234567890", 2, 2) == "(H2)-FG1234567890"
    assert serial_display("FG1234567890", 1, 3) == "(H1)-FG1234567890"


@given(serial=canonical_serials, index=st.integers(min_value=1, max_value=999), count=st.integers(1, 5))
def test_display_then_parse_round_trips(serial, index, count):
    parsed = serial_parse(serial_display(serial, index, count))
    assert parsed.serial == serial
    assert parsed.index == (None if count == 1 else index)


@given(
    serial=serials,
    index=st.none() | st.integers(min_value=1, max_value=99),
    upper_prefix=st.booleans(),
    spaces=st.sampled_from(["", " ", "  ", "\t"]),
)
def test_parse_tolerates_case_and_stray_spaces(serial, index, upper_prefix, spaces):
    h = "H" if upper_prefix else "h"
    prefix = f"({spaces}{h}{spaces}{index if index else ''}{spaces}){spaces}-{spaces}"
    typed = f"{spaces}{prefix}{serial.swapcase()}{spaces}"
    parsed = serial_parse(typed)
    assert parsed.serial == serial_canonical(serial)
    assert parsed.index == index


@given(serial=serials)
def test_bare_old_notation_is_the_canonical_serial_and_keeps_dashes(serial):
    parsed = serial_parse(f"  {serial.lower()} ")
    assert parsed.serial == serial.upper()
    assert parsed.serial.count("-") == serial.count("-")
    assert parsed.index is None


@pytest.mark.parametrize(
    ("typed", "number"), [("A123456", "A123456"), (" b200002 ", "B200002"), ("z000001", "Z000001")]
)
def test_contract_number_is_trimmed_and_upper_cased(typed, number):
    assert contract_number_parse(typed) == number


@pytest.mark.parametrize("typed", ["", "A12345", "A1234567", "1234567", "AB12345", "A12 3456", "Ą123456"])
def test_contract_number_refuses_other_shapes(typed):
    with pytest.raises(ValidationError):
        contract_number_parse(typed)
