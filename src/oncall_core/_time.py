"""Instants, zones and local wall-clock times.

An instant is an aware ``datetime``; inside the library it is kept in UTC.
A *wall* time is a naive ``datetime`` read on a zone's clock. The functions
here turn one into the other under the rules of RFC 5545 and map a span of
wall-clock time to the instants whose local time falls inside it.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Literal, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from oncall_core.errors import (
    AmbiguousTime,
    InvalidWindow,
    NaiveDatetime,
    NonexistentTime,
    UnknownTimeZone,
)

__all__ = [
    "UTC",
    "Disambiguate",
    "load_zone",
    "local_span_to_utc",
    "offset_at",
    "require_aware",
    "require_window",
    "resolve_local",
    "resolve_wall",
    "steady_span",
    "to_local",
    "wall_to_utc",
]

Disambiguate = Literal["compatible", "earlier", "later", "raise"]

_DISAMBIGUATIONS = ("compatible", "earlier", "later", "raise")

# No zone has ever been further than this from UTC (LMT offsets included),
# so the instants whose local time is near a wall time lie within it.
MAX_OFFSET = timedelta(hours=26)

# Offsets are sampled this far apart to find a zone's transitions; two
# transitions closer than this that return to the same offset would be
# missed (none exists in the tz database for the years it is used on).
_SAMPLE_STEP = timedelta(hours=6)
_YEAR = timedelta(days=365)


@functools.lru_cache(maxsize=512)
def load_zone(name: str) -> ZoneInfo:
    """Return the zone named *name* in the IANA database.

    Raises:
        UnknownTimeZone: *name* is not a zone the database knows.
    """
    if not isinstance(name, str) or not name:
        msg = f"time zone must be an IANA name such as 'Europe/Berlin', got {name!r}"
        raise UnknownTimeZone(msg)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        msg = (
            f"unknown time zone {name!r}: use an IANA name such as "
            "'Europe/Berlin', 'America/New_York' or 'Etc/UTC'"
        )
        raise UnknownTimeZone(msg) from error


def require_aware(value: object, what: str) -> datetime:
    """Return *value* as a UTC instant, refusing anything but an aware datetime.

    Raises:
        NaiveDatetime: *value* is a datetime without a time zone.
        TypeError: *value* is not a datetime at all.
    """
    if not isinstance(value, datetime):
        msg = f"{what} must be an aware datetime, got {value!r}"
        raise TypeError(msg)
    if value.tzinfo is None or value.utcoffset() is None:
        msg = (
            f"{what} must be an aware datetime (with tzinfo), got the naive "
            f"{value.isoformat()}; attach a zone, e.g. tzinfo=datetime.UTC"
        )
        raise NaiveDatetime(msg)
    return value.astimezone(UTC)


def require_window(since: object, until: object) -> tuple[datetime, datetime]:
    """Return [since, until) as UTC instants, refusing one that ends before it starts.

    Raises:
        NaiveDatetime: an end has no time zone.
        InvalidWindow: *until* is before *since*.
    """
    start = require_aware(since, "since")
    end = require_aware(until, "until")
    if end < start:
        msg = (
            f"until ({end.isoformat()}) must not be before since ({start.isoformat()})"
        )
        raise InvalidWindow(msg)
    return start, end


def to_local(instant: datetime, zone: ZoneInfo) -> datetime:
    """Return the naive wall-clock time of the UTC instant *instant* in *zone*."""
    return (instant + offset_at(instant, zone)).replace(tzinfo=None)


def wall_to_utc(wall: datetime, zone: ZoneInfo) -> datetime:
    """Resolve a naive wall time compatibly (RFC 5545), as a UTC instant.

    A skipped wall time moves forward by the length of the gap; a repeated
    one takes its earlier occurrence.
    """
    return resolve_wall(wall, zone)[0]


def resolve_wall(wall: datetime, zone: ZoneInfo) -> tuple[datetime, bool]:
    """Return the compatible UTC instant of *wall* in *zone*, and if it is skipped.

    This is :func:`resolve_local` with ``compatible``, on the cached
    transitions of the zone: its cost does not depend on the date.
    """
    guess = wall.replace(tzinfo=UTC)
    low, high = guess - MAX_OFFSET, guess + MAX_OFFSET
    steady = _steady_offset(zone, low, high)
    if steady is not None:
        return guess - steady, False
    offset = offset_at(low, zone)
    changes = _transitions(zone, low, high)
    if not changes:
        return guess - offset, False
    piece_start = low
    for piece_end, next_offset in changes:
        instant = guess - offset
        if piece_start <= instant < piece_end:
            return instant, False  # the earliest occurrence
        if instant >= piece_end and guess - next_offset < piece_end:
            return instant, True  # in the gap: the offset from before it
        piece_start, offset = piece_end, next_offset
    return guess - offset, False


def resolve_local(
    wall: datetime,
    time_zone: str,
    *,
    disambiguate: Disambiguate = "compatible",
) -> datetime:
    """Return the UTC instant at which clocks in *time_zone* show *wall*.

    *wall* is a naive datetime. When it does not exist (clocks skip it),
    ``compatible`` and ``later`` move it forward by the length of the gap and
    ``earlier`` back by it; when it happens twice, ``compatible`` and
    ``earlier`` take the first occurrence and ``later`` the second. ``raise``
    refuses both cases.

    Raises:
        NonexistentTime: *wall* is skipped and ``disambiguate="raise"``.
        AmbiguousTime: *wall* is repeated and ``disambiguate="raise"``.
        UnknownTimeZone: *time_zone* is not an IANA zone.
        ValueError: *wall* is aware, or *disambiguate* is unknown.
    """
    if disambiguate not in _DISAMBIGUATIONS:
        msg = (
            f"disambiguate must be one of {', '.join(_DISAMBIGUATIONS)}, "
            f"got {disambiguate!r}"
        )
        raise ValueError(msg)
    if not isinstance(wall, datetime) or wall.tzinfo is not None:
        msg = f"wall must be a naive datetime read on the zone's clock, got {wall!r}"
        raise ValueError(msg)
    zone = load_zone(time_zone)
    first = wall.replace(tzinfo=zone, fold=0).utcoffset()
    second = wall.replace(tzinfo=zone, fold=1).utcoffset()
    assert first is not None
    assert second is not None
    if first == second:
        return (wall - first).replace(tzinfo=UTC)

    skipped = first < second  # before a gap the offset is the smaller one
    if disambiguate == "raise":
        if skipped:
            msg = f"{wall.isoformat()} does not exist in {time_zone}: clocks skip it"
            raise NonexistentTime(msg)
        msg = f"{wall.isoformat()} happens twice in {time_zone}: clocks repeat it"
        raise AmbiguousTime(msg)
    # For a gap, the offset from before it (`first`) gives the later instant;
    # for a fold, `first` gives the earlier occurrence.
    take_first = {
        "compatible": True,
        "earlier": not skipped,
        "later": skipped,
    }[disambiguate]
    offset = first if take_first else second
    return (wall - offset).replace(tzinfo=UTC)


def _zone_offset(instant: datetime, zone: ZoneInfo) -> timedelta:
    offset = instant.astimezone(zone).utcoffset()
    assert offset is not None
    return offset


def _first_change(
    zone: ZoneInfo, low: datetime, offset: timedelta, high: datetime
) -> datetime:
    """Return the first whole second in (low, high] whose offset is not *offset*.

    The offset at *low* is *offset* and the one at *high* differs from it.
    """
    below, above = 0, int((high - low).total_seconds())
    while above - below > 1:
        middle = (below + above) // 2
        if _zone_offset(low + timedelta(seconds=middle), zone) == offset:
            below = middle
        else:
            above = middle
    return low + timedelta(seconds=above)


class _Year(NamedTuple):
    """The offsets of a zone through one UTC year."""

    changes: tuple[datetime, ...]
    """The instants at which the offset changes, oldest first."""
    offsets: tuple[timedelta, ...]
    """The offset just before the year, then the one after each change."""


@functools.lru_cache(maxsize=4096)
def _year(zone: ZoneInfo, year: int) -> _Year:
    """Return the transitions of *zone* in the UTC year *year*."""
    begin = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    changes: list[datetime] = []
    # Start a second early, so that a transition at the very start of the
    # year is one of its changes.
    here = begin - timedelta(seconds=1)
    offsets = [_zone_offset(here, zone)]
    offset = offsets[0]
    while here < end:
        there = min(here + _SAMPLE_STEP, end)
        there_offset = _zone_offset(there, zone)
        low = here
        # Several transitions may fall between two samples; find each.
        while offset != there_offset:
            change = _first_change(zone, low, offset, there)
            offset = _zone_offset(change, zone)
            if change < end:
                changes.append(change)
                offsets.append(offset)
            low = change
        here = there
    return _Year(tuple(changes), tuple(offsets))


def offset_at(instant: datetime, zone: ZoneInfo) -> timedelta:
    """Return the UTC offset of *zone* at the UTC instant *instant*."""
    year = _year(zone, instant.year)
    return year.offsets[bisect.bisect_right(year.changes, instant)]


def _steady_offset(
    zone: ZoneInfo, since: datetime, until: datetime
) -> timedelta | None:
    """Return the offset of *zone* through [since, until) if it never changes.

    The span must be shorter than a year; this is the fast path of the
    common case, where no transition is near.
    """
    year = _year(zone, since.year)
    index = bisect.bisect_right(year.changes, since)
    if index < len(year.changes) and year.changes[index] < until:
        return None
    offset = year.offsets[index]
    if until.year != since.year:
        following = _year(zone, until.year)
        if following.offsets[0] != offset or (
            following.changes and following.changes[0] < until
        ):
            return None
    return offset


def steady_span(
    zone: ZoneInfo, instant: datetime
) -> tuple[datetime, datetime, timedelta]:
    """Return (since, until, offset): a span around *instant* with no transition.

    The span reaches at most about a year either side of *instant*; within
    it the offset of *zone* is *offset*.
    """
    number = instant.year
    year = _year(zone, number)
    index = bisect.bisect_right(year.changes, instant)
    offset = year.offsets[index]
    if index > 0:
        since = year.changes[index - 1]
    else:
        before = _year(zone, number - 1)
        since = (
            before.changes[-1]
            if before.changes
            else datetime(number - 1, 1, 1, tzinfo=UTC)
        )
    if index < len(year.changes):
        until = year.changes[index]
    else:
        after = _year(zone, number + 1)
        until = (
            after.changes[0]
            if after.changes
            else datetime(number + 2, 1, 1, tzinfo=UTC)
        )
    return since, until, offset


def _transitions(
    zone: ZoneInfo, since: datetime, until: datetime
) -> list[tuple[datetime, timedelta]]:
    """Return the (instant, offset after) transitions of *zone* in [since, until)."""
    result: list[tuple[datetime, timedelta]] = []
    for number in range(since.year, until.year + 1):
        year = _year(zone, number)
        if not year.changes:
            continue
        lo = bisect.bisect_left(year.changes, since)
        hi = bisect.bisect_left(year.changes, until)
        result.extend(
            zip(year.changes[lo:hi], year.offsets[lo + 1 : hi + 1], strict=True)
        )
    return result


def local_span_to_utc(
    zone: ZoneInfo, first: datetime, last: datetime
) -> Iterator[tuple[datetime, datetime]]:
    """Yield the UTC intervals of the instants whose wall time is in [first, last).

    *first* and *last* are naive wall times in *zone*. A skipped part of the
    span holds no instant; a repeated part holds both occurrences, so a span
    across a fall-back may yield two intervals. Intervals come oldest first,
    disjoint and not touching.
    """
    lo = (first - MAX_OFFSET).replace(tzinfo=UTC)
    hi = (last + MAX_OFFSET).replace(tzinfo=UTC)
    if hi - lo < _YEAR:
        steady = _steady_offset(zone, lo, hi)
        if steady is not None:
            # The common case: no transition near, one interval.
            if first < last:
                yield (
                    (first - steady).replace(tzinfo=UTC),
                    (last - steady).replace(tzinfo=UTC),
                )
            return
    changes = _transitions(zone, lo, hi)
    naive_first = first.replace(tzinfo=UTC)
    naive_last = last.replace(tzinfo=UTC)

    piece_start, offset = lo, offset_at(lo, zone)
    pending: tuple[datetime, datetime] | None = None
    for piece_end, next_offset in [*changes, (hi, offset)]:
        start = max(piece_start, naive_first - offset)
        end = min(piece_end, naive_last - offset)
        if start < end:
            if pending is not None and pending[1] >= start:
                pending = (pending[0], max(pending[1], end))
            else:
                if pending is not None:
                    yield pending
                pending = (start, end)
        piece_start, offset = piece_end, next_offset
    if pending is not None:
        yield pending
