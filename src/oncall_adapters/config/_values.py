"""The text forms of the configuration's values: durations, times, weekdays.

Each ``parse_*`` reads what a person writes in the file and raises
:class:`~oncall_core.InvalidValue` with a message that starts with what the
value must be (the caller adds the table and the field); each ``format_*``
writes the form that ``parse_*`` reads back to the same value.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from oncall_core import InvalidValue, mask_phone

__all__ = [
    "WEEKDAYS",
    "InvalidEntry",
    "format_duration",
    "format_time",
    "format_weekday",
    "parse_duration",
    "parse_email",
    "parse_instant",
    "parse_phone",
    "parse_time",
    "parse_time_zone",
    "parse_url",
    "parse_weekday",
]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_WEEKDAYS = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)

_SECONDS = r"(\d+(?:[.,]\d{1,6})?)"
_COMPACT = re.compile(rf"(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:{_SECONDS}s)?")
_ISO = re.compile(
    rf"P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:{_SECONDS}S)?)?",
    re.IGNORECASE,
)
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?")
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

_DURATION_FORMS = "such as '30m', '12h', '7d', '1h30m' or ISO 8601 'PT12H'"


class InvalidEntry(InvalidValue):
    """An entry of a table of the user's own keys is malformed; *key* names it."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


def _invalid(message: str) -> InvalidValue:
    return InvalidValue(message)


def _seconds(text: str | None) -> timedelta:
    if not text:
        return timedelta(0)
    exact = Decimal(text.replace(",", "."))
    whole = int(exact)
    return timedelta(seconds=whole, microseconds=int((exact - whole) * 1_000_000))


def parse_duration(value: object) -> timedelta:
    """Return the duration written as *value* (``"1h30m"``, ``"P7D"``).

    The compact form joins whole numbers of weeks (``w``), days (``d``),
    hours (``h``), minutes (``m``) and seconds (``s``, which may have up to
    six decimals); ISO 8601 durations may use weeks, days, hours, minutes
    and seconds. Years and months are refused: they have no fixed length.
    A day is 24 hours; a layer's turn of whole days still hands off at the
    same local time across DST (see ``docs/schedules.md``).

    Raises:
        InvalidValue: *value* is not a string of either form.
    """
    if not isinstance(value, str):
        msg = f"must be a duration {_DURATION_FORMS}, got {value!r}"
        raise _invalid(msg)
    text = "".join(value.split())
    if text[:1] in ("p", "P"):
        date_part = text[1:].upper().split("T", 1)[0]
        if "Y" in date_part or "M" in date_part:
            msg = (
                "years and months have no fixed length: write the duration in "
                f"weeks, days, hours or minutes, got {value!r}"
            )
            raise _invalid(msg)
        found = _ISO.fullmatch(text)
        empty = text.upper() in ("P", "PT") or text.upper().endswith("T")
    else:
        found = _COMPACT.fullmatch(text)
        empty = not text
    if found is None or empty:
        msg = f"must be a duration {_DURATION_FORMS}, got {value!r}"
        raise _invalid(msg)
    weeks, days, hours, minutes, seconds = found.groups()
    return timedelta(
        weeks=int(weeks or 0),
        days=int(days or 0),
        hours=int(hours or 0),
        minutes=int(minutes or 0),
    ) + _seconds(seconds)


def format_duration(value: timedelta) -> str:
    """Return the compact form of *value* (``"1h30m"``, ``"7d"``, ``"0s"``).

    Raises:
        InvalidValue: *value* is negative.
    """
    if value < timedelta(0):
        msg = f"a duration must not be negative, got {value}"
        raise _invalid(msg)
    seconds, micros = value.days * 86_400 + value.seconds, value.microseconds
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, rest = divmod(rest, 60)
    parts = [
        f"{amount}{unit}"
        for amount, unit in ((days, "d"), (hours, "h"), (minutes, "m"))
        if amount
    ]
    if rest or micros:
        fraction = f".{micros:06d}".rstrip("0") if micros else ""
        parts.append(f"{rest}{fraction}s")
    return "".join(parts) or "0s"


def parse_time(value: object) -> time:
    """Return the time of day *value* (``"09:00"``, ``"21:30:15"`` or a TOML time).

    Raises:
        InvalidValue: *value* is not a time of day from 00:00 to 23:59.
    """
    if isinstance(value, time):
        if value.tzinfo is not None:
            msg = f"must be a local time of day without an offset, got {value}"
            raise _invalid(msg)
        return value
    found = _CLOCK.fullmatch(value.strip()) if isinstance(value, str) else None
    if found is None:
        msg = f"must be a time of day such as '09:00' or '21:30', got {value!r}"
        raise _invalid(msg)
    hour, minute, second, fraction = found.groups()
    if int(hour) == 24 and int(minute) == 0:
        msg = f"must be a time of day from 00:00 to 23:59, got {value!r}; write '00:00'"
        raise _invalid(msg)
    try:
        return time(
            int(hour),
            int(minute),
            int(second or 0),
            int((fraction or "").ljust(6, "0") or 0),
        )
    except ValueError:
        msg = f"must be a time of day from 00:00 to 23:59, got {value!r}"
        raise _invalid(msg) from None


def format_time(value: time) -> str:
    """Return *value* as ``HH:MM``, with seconds and fractions only when it has them."""
    if value.microsecond:
        return value.isoformat(timespec="microseconds")
    if value.second:
        return value.isoformat(timespec="seconds")
    return value.isoformat(timespec="minutes")


def parse_weekday(value: object) -> int:
    """Return the weekday number (0 Monday to 6 Sunday) of *value*.

    *value* is a name (``"mon"``, ``"Monday"``) or a number from 0 (Monday)
    to 6 (Sunday), as Python's ``datetime.weekday()`` counts.

    Raises:
        InvalidValue: *value* names no weekday.
    """
    if isinstance(value, str):
        name = value.strip().lower()
        if name in WEEKDAYS:
            return WEEKDAYS.index(name)
        if name in _FULL_WEEKDAYS:
            return _FULL_WEEKDAYS.index(name)
    elif isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 6:
        return value
    msg = (
        "must be a weekday: a name from 'mon' to 'sun', or a number from "
        f"0 (Monday) to 6 (Sunday), got {value!r}"
    )
    raise _invalid(msg)


def format_weekday(value: int) -> str:
    """Return the short name (``"mon"``) of weekday number *value*."""
    return WEEKDAYS[value]


def parse_instant(value: object) -> datetime:
    """Return the datetime *value*: a TOML datetime or an ISO 8601 string.

    The result keeps its offset, or is naive when *value* had none: the
    caller reads a naive one in the schedule's zone.

    Raises:
        InvalidValue: *value* is not a date and time.
    """
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            msg = (
                "must be a date and time such as 2024-03-04T09:00:00+01:00, "
                f"got {value!r}"
            )
            raise _invalid(msg) from None
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        msg = (
            "must be a date and time such as 2024-03-04T09:00:00+01:00, "
            f"got the date {value.isoformat()} alone"
        )
        raise _invalid(msg)
    msg = f"must be a date and time such as 2024-03-04T09:00:00+01:00, got {value!r}"
    raise _invalid(msg)


def parse_time_zone(value: object) -> str:
    """Return *value* if it is an IANA time zone name.

    Raises:
        InvalidValue: the zone database does not know *value*.
    """
    if isinstance(value, str) and value.strip() == value and value:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            pass
        else:
            return value
    msg = (
        "must be an IANA time zone such as 'Europe/Berlin', 'America/New_York' "
        f"or 'Etc/UTC', got {value!r}"
    )
    raise _invalid(msg)


def parse_phone(value: object) -> str:
    """Return *value* if it is an E.164 phone number (``+12015550123``).

    The message of the error masks the number, as logs should.

    Raises:
        InvalidValue: *value* is not a plus, a country code and digits.
    """
    shown = mask_phone(value) if isinstance(value, str) else repr(value)
    if not isinstance(value, str) or not _E164.fullmatch(value):
        msg = (
            "must be an E.164 number such as +12015550123 (a plus, the country "
            f"code, then the number, no spaces), got {shown}"
        )
        raise _invalid(msg)
    if not _valid_for_its_country(value):
        msg = (
            f"{shown} is not a valid number for its country: the Twilio adapter "
            "would refuse it"
        )
        raise _invalid(msg)
    return value


def _valid_for_its_country(number: str) -> bool:
    """Whether ``phonenumbers`` (there with the twilio extra) accepts *number*.

    The same check the Twilio adapter makes, so that a configuration that
    loads is one the adapter sends to; without ``phonenumbers``, the E.164
    shape is all that is checked.
    """
    try:
        import phonenumbers
    except ImportError:  # pragma: no cover - the cli extra brings it
        return True
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return False
    return bool(phonenumbers.is_valid_number(parsed))


def parse_email(value: object) -> str:
    """Return *value* if it looks like an email address.

    Raises:
        InvalidValue: *value* is not ``someone@some.domain``.
    """
    if isinstance(value, str) and _EMAIL.fullmatch(value):
        return value
    msg = f"must be an email address such as ana@example.com, got {value!r}"
    raise _invalid(msg)


def parse_url(value: object) -> str:
    """Return *value* if it is an http(s) URL with a host and no credentials.

    Raises:
        InvalidValue: *value* is not such a URL.
    """
    parts = urlsplit(value) if isinstance(value, str) else None
    if (
        parts is not None
        and parts.scheme in ("http", "https")
        and parts.netloc
        and "@" not in parts.netloc
        and not any(char.isspace() for char in str(value))
    ):
        return str(value)
    msg = (
        "must be an http(s) URL with a host and no user or password, such as "
        f"https://oncall.example.com, got {value!r}"
    )
    raise _invalid(msg)
