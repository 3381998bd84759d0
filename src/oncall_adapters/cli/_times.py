"""Reading times as people type them (``2024-03-29T10:00``, ``now``, ``+2h``).

A time without an offset is read on the clock of a zone (the schedule's, or
``--tz``); a local time that a DST change skips moves forward by the gap and
a repeated one means its first occurrence, as everywhere in oncall. Relative
times (``+2h``, ``-1d12h``) count elapsed time from now.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import attrs

from oncall_adapters.cli._errors import BadInput
from oncall_core import resolve_local
from oncall_core._time import load_zone

__all__ = [
    "FixedClock",
    "format_span",
    "format_when",
    "iso",
    "parse_duration",
    "parse_when",
    "zone_of",
]

_RELATIVE = re.compile(r"(?P<sign>[+-])(?P<amount>(?:\d+[wdhms])+)")
_PART = re.compile(r"(\d+)([wdhms])")
_UNITS = {
    "w": timedelta(weeks=1),
    "d": timedelta(days=1),
    "h": timedelta(hours=1),
    "m": timedelta(minutes=1),
    "s": timedelta(seconds=1),
}
_DAYS = {"yesterday": -1, "today": 0, "tomorrow": 1}


@attrs.frozen
class FixedClock:
    """A clock that always says the same instant: ``--now`` and the demo."""

    instant: datetime

    def now(self) -> datetime:
        """Return the fixed instant."""
        return self.instant


def zone_of(name: str) -> ZoneInfo:
    """Return the IANA zone *name*.

    Raises:
        UnknownTimeZone: *name* is not an IANA zone.
    """
    return load_zone(name)


def parse_duration(text: str) -> timedelta:
    """Read ``2h``, ``1h30m``, ``7d`` or ``1w`` as a length of time.

    Raises:
        BadInput: *text* is not such a duration.
    """
    match = _RELATIVE.fullmatch("+" + text.strip())
    if match is None:
        msg = f"cannot read {text!r} as a duration: use 30m, 2h, 1h30m, 7d or 1w"
        raise BadInput(msg)
    return sum(
        (int(n) * _UNITS[unit] for n, unit in _PART.findall(match["amount"])),
        timedelta(),
    )


def parse_when(text: str, *, zone: ZoneInfo, now: datetime) -> datetime:
    """Read a time as people type it; return it in UTC.

    Accepts ``now``; ``today``, ``tomorrow`` and ``yesterday`` (midnight on
    the clock of *zone*); ``+2h``, ``-30m``, ``+1d12h`` (elapsed time from
    *now*); an ISO 8601 date or date and time, which is read on the clock of
    *zone* unless it has an offset (``2024-03-29T10:00``,
    ``2024-03-29T10:00+01:00``, ``2024-03-29``).

    Raises:
        BadInput: *text* is none of these.
    """
    cleaned = text.strip().lower()
    if cleaned == "now":
        return now.astimezone(UTC)
    if cleaned in _DAYS:
        day = now.astimezone(zone).date() + timedelta(days=_DAYS[cleaned])
        return resolve_local(datetime.combine(day, time()), zone.key)
    relative = _RELATIVE.fullmatch(cleaned)
    if relative is not None:
        length = parse_duration(relative["amount"])
        return (now + length if relative["sign"] == "+" else now - length).astimezone(
            UTC
        )
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        msg = (
            f"cannot read {text!r} as a time: use 2024-03-29T10:00 (on the clock "
            f"of {zone.key}), 2024-03-29T10:00+01:00, 2024-03-29, now, today, "
            "tomorrow, +2h or -30m"
        )
        raise BadInput(msg) from None
    if parsed.tzinfo is None:
        return resolve_local(parsed, zone.key)
    return parsed.astimezone(UTC)


def format_when(at: datetime, zone: ZoneInfo) -> str:
    """Show *at* on the clock of *zone*: ``Tue 2027-01-05 10:00 CET``."""
    return at.astimezone(zone).strftime("%a %Y-%m-%d %H:%M %Z")


def format_span(length: timedelta) -> str:
    """Show a length of time the short way: ``2d 4h``, ``45m``, ``0m``."""
    minutes = round(length / timedelta(minutes=1))
    sign = "-" if minutes < 0 else ""
    days, rest = divmod(abs(minutes), 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [
        f"{n}{unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "m")) if n
    ]
    return sign + (" ".join(parts) or "0m")


def iso(at: datetime | None) -> str | None:
    """Return *at* as ISO 8601 in UTC (``2027-01-05T09:00:00Z``), for JSON."""
    if at is None:
        return None
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")
