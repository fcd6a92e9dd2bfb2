"""The Polish tax id (NIP): parsing and display, SPEC §2."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.exceptions import InvalidChecksum
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.pl import nip as stdnum_nip


def nip_parse(value: str) -> str:
    """Return the canonical 10 digits of a NIP typed in any usual form.

    `PL5260250274`, `pl 526-025-02-74` and `526 025 02 74` all give `5260250274`. Raises
    ValidationError with a message for the user when it is not a valid NIP.
    """
    try:
        return stdnum_nip.validate(value or "")
    except InvalidChecksum:
        raise ValidationError(
            _("This NIP is not valid: its check digit does not match. Please check it."),
            code="nip_checksum",
        ) from None
    except StdnumError:
        raise ValidationError(
            _("Enter the NIP as 10 digits, optionally preceded by PL (for example PL5260250274)."),
            code="nip_format",
        ) from None


def nip_display(nip: str) -> str:
    """The canonical NIP as shown to people: `PL` + 10 digits."""
    return f"PL{nip}"


def validate_canonical_nip(value: str) -> None:
    """Model-level check: the stored value is already canonical."""
    if nip_parse(value) != value:
        raise ValidationError(_("Store the NIP as its 10 digits."), code="nip_not_canonical")
