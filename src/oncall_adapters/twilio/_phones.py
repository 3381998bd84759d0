"""Phone numbers at the adapter's edge: validated with ``phonenumbers``, masked."""

from __future__ import annotations

import re

import phonenumbers

from oncall_core import mask_phone
from oncall_core.errors import OncallError

__all__ = ["InvalidPhoneNumber", "e164", "mask_digits"]

_WHATSAPP = "whatsapp:"
# Runs of 7 or more digits, with an optional plus, that stand alone (not
# inside a SID such as AC0123456789...): long enough to be a number.
_DIGIT_RUNS = re.compile(r"(?<!\w)\+?\d{7,}(?!\w)")


class InvalidPhoneNumber(OncallError, ValueError):
    """A phone number is not a valid international (E.164) number."""


def e164(number: str, what: str = "phone number") -> str:
    """Return *number* in E.164 form (``+4915112345678``), checked by ``phonenumbers``.

    A ``whatsapp:`` prefix is dropped; spaces and dashes are tolerated and
    removed. The number must carry its country code and be valid for it.

    Raises:
        InvalidPhoneNumber: the number cannot be read or is not valid; the
            message shows it masked.
    """
    if not isinstance(number, str):
        msg = f"{what} must be a string such as +4915112345678, got {type(number)}"
        raise InvalidPhoneNumber(msg)
    raw = number.removeprefix(_WHATSAPP).strip()
    shown = mask_phone(raw)
    if not raw.startswith("+"):
        msg = (
            f"{what} must be international, a plus then the country code "
            f"(+4915112345678), got {shown}"
        )
        raise InvalidPhoneNumber(msg)
    try:
        parsed = phonenumbers.parse(raw, None)
    except phonenumbers.NumberParseException:
        msg = f"{what} {shown} cannot be read as a phone number"
        raise InvalidPhoneNumber(msg) from None
    if not phonenumbers.is_valid_number(parsed):
        msg = f"{what} {shown} is not a valid number for its country"
        raise InvalidPhoneNumber(msg)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def mask_digits(text: str) -> str:
    """Return *text* with every run of seven or more digits masked like a phone."""
    return _DIGIT_RUNS.sub(lambda match: mask_phone(match.group()), text)
