import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from contracts.nip import nip_display, nip_parse


@pytest.mark.parametrize(
    "typed",
    ["5260250274", "PL5260250274", "pl 526-025-02-74", "526 025 02 74", "526-025-02-74", " PL 5260250274 "],
)
def test_any_usual_notation_gives_the_canonical_ten_digits(typed):
    assert nip_parse(typed) == "5260250274"


def test_wrong_check_digit_is_refused_with_a_message_in_the_users_language():
    with pytest.raises(ValidationError) as excinfo:
        nip_parse("1234567890")
    assert excinfo.value.code == "nip_checksum"
    with translation.override("en"):
        assert "check digit" in excinfo.value.messages[0]
    with translation.override("pl"):
        assert "cyfra kontrolna" in excinfo.value.messages[0]


@pytest.mark.parametrize("typed", ["", "526025027", "52602502744", "DE5260250274", "526O250274"])
def test_wrong_length_or_characters_are_refused(typed):
    with pytest.raises(ValidationError) as excinfo:
        nip_parse(typed)
    assert excinfo.value.code in {"nip_format", "nip_checksum"}


def test_display_is_pl_and_ten_digits():
    assert nip_display("5260250274") == "PL5260250274"
