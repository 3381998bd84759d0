"""Restrictions: the windows of the week in which a layer may be on call."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator
from datetime import datetime, time, timedelta

import attrs

from oncall_core.errors import InvalidRestriction

__all__ = ["Restriction", "RestrictionKind", "WeekWindows"]

DAY = timedelta(days=1)
WEEK = timedelta(days=7)
_WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class RestrictionKind(enum.Enum):
    """Whether a restriction repeats every day or once a week."""

    DAILY = "daily"
    WEEKLY = "weekly"


def _check_time(value: object, what: str) -> time:
    if not isinstance(value, time):
        msg = f"restriction {what} must be a datetime.time, got {value!r}"
        raise InvalidRestriction(msg)
    if value.tzinfo is not None:
        msg = (
            f"restriction {what} must be a naive time read in the schedule's "
            f"zone, got {value.isoformat()} with tzinfo {value.tzinfo!r}"
        )
        raise InvalidRestriction(msg)
    return value


def _check_weekday(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 6:
        msg = (
            f"restriction {what} must be a weekday number from 0 (Monday) "
            f"to 6 (Sunday), got {value!r}"
        )
        raise InvalidRestriction(msg)
    return value


def _since_midnight(value: time) -> timedelta:
    return timedelta(
        hours=value.hour,
        minutes=value.minute,
        seconds=value.second,
        microseconds=value.microsecond,
    )


@attrs.frozen
class Restriction:
    """A window of local time, repeated daily or weekly, that limits a layer.

    Build one with :meth:`daily` or :meth:`weekly`. Times are naive and read
    in the schedule's zone.
    """

    kind: RestrictionKind
    start: time
    end: time
    weekdays: tuple[int, ...] | None = None
    start_day: int | None = None
    end_day: int | None = None

    @classmethod
    def daily(
        cls, start: time, end: time, *, weekdays: Iterable[int] | None = None
    ) -> Restriction:
        """Return a window from *start* to *end* every day (or on *weekdays*).

        An *end* before *start* crosses midnight, and the window belongs to
        the weekday it starts on; *start* equal to *end* is a whole 24 h.

        Raises:
            InvalidRestriction: a time is not a naive ``time``, or a weekday is
                not 0 (Monday) to 6 (Sunday), or *weekdays* is empty.
        """
        days: tuple[int, ...] | None = None
        if weekdays is not None:
            if isinstance(weekdays, str | bytes):
                msg = f"weekdays must be weekday numbers, got {weekdays!r}"
                raise InvalidRestriction(msg)
            days = tuple(sorted({_check_weekday(day, "weekday") for day in weekdays}))
            if not days:
                msg = "weekdays must name at least one day (0 Monday to 6 Sunday)"
                raise InvalidRestriction(msg)
        return cls(
            RestrictionKind.DAILY,
            _check_time(start, "start"),
            _check_time(end, "end"),
            weekdays=days,
        )

    @classmethod
    def weekly(
        cls, start_day: int, start: time, end_day: int, end: time
    ) -> Restriction:
        """Return a window from *start_day* at *start* to the next *end_day* at *end*.

        Days are ``datetime.weekday()`` numbers (Monday 0). When the start and
        end coincide the window is a full week.

        Raises:
            InvalidRestriction: a day is not 0-6 or a time is not a naive time.
        """
        return cls(
            RestrictionKind.WEEKLY,
            _check_time(start, "start"),
            _check_time(end, "end"),
            start_day=_check_weekday(start_day, "start_day"),
            end_day=_check_weekday(end_day, "end_day"),
        )

    def __attrs_post_init__(self) -> None:
        _check_time(self.start, "start")
        _check_time(self.end, "end")
        if self.kind is RestrictionKind.WEEKLY:
            if self.start_day is None or self.end_day is None:
                msg = "a weekly restriction needs start_day and end_day"
                raise InvalidRestriction(msg)
            _check_weekday(self.start_day, "start_day")
            _check_weekday(self.end_day, "end_day")
        elif self.start_day is not None or self.end_day is not None:
            msg = "a daily restriction takes weekdays, not start_day/end_day"
            raise InvalidRestriction(msg)

    def windows(self) -> tuple[tuple[timedelta, timedelta], ...]:
        """Return the windows as (offset from Monday 00:00, duration) pairs."""
        start = _since_midnight(self.start)
        end = _since_midnight(self.end)
        if self.kind is RestrictionKind.DAILY:
            length = (end - start) % DAY or DAY
            days = self.weekdays if self.weekdays is not None else range(7)
            return tuple((day * DAY + start, length) for day in days)
        assert self.start_day is not None
        assert self.end_day is not None
        opens = self.start_day * DAY + start
        closes = self.end_day * DAY + end
        return (((opens), (closes - opens) % WEEK or WEEK),)

    def __str__(self) -> str:
        if self.kind is RestrictionKind.WEEKLY:
            assert self.start_day is not None
            assert self.end_day is not None
            return (
                f"weekly {_WEEKDAY_NAMES[self.start_day]} {self.start:%H:%M}"
                f" to {_WEEKDAY_NAMES[self.end_day]} {self.end:%H:%M}"
            )
        days = (
            ""
            if self.weekdays is None
            else " on " + ",".join(_WEEKDAY_NAMES[d] for d in self.weekdays)
        )
        return f"daily {self.start:%H:%M}-{self.end:%H:%M}{days}"


@attrs.frozen
class WeekWindows:
    """The union of some restrictions, as disjoint arcs of a 7-day week.

    Arcs are (offset from Monday 00:00, duration), sorted, neither overlapping
    nor touching; an arc may run past the end of the week into the next one.
    """

    arcs: tuple[tuple[timedelta, timedelta], ...]

    @classmethod
    def union(cls, restrictions: Iterable[Restriction]) -> WeekWindows | None:
        """Return the union of *restrictions*, or None if it is the whole week."""
        pieces: list[tuple[timedelta, timedelta]] = []
        for restriction in restrictions:
            for offset, length in restriction.windows():
                end = offset + length
                if end <= WEEK:
                    pieces.append((offset, end))
                else:
                    pieces.append((offset, WEEK))
                    pieces.append((timedelta(0), end - WEEK))
        pieces.sort()
        merged: list[tuple[timedelta, timedelta]] = []
        for start, end in pieces:
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        if merged == [(timedelta(0), WEEK)]:
            return None
        if len(merged) > 1 and merged[0][0] == timedelta(0) and merged[-1][1] == WEEK:
            # The last arc runs on into the first one across Monday 00:00.
            tail_start = merged[-1][0]
            head_end = merged[0][1]
            merged = [*merged[1:-1], (tail_start, head_end + WEEK)]
        return cls(tuple((start, end - start) for start, end in merged))

    def contains(self, wall: datetime) -> bool:
        """Tell whether the wall time *wall* is inside one of the arcs."""
        into_week = wall - datetime.combine(
            wall.date() - timedelta(days=wall.weekday()), time()
        )
        return any((into_week - offset) % WEEK < length for offset, length in self.arcs)

    def occurrence_at(self, wall: datetime) -> tuple[datetime, datetime] | None:
        """Return the arc's wall-time span holding the wall time *wall*, or None."""
        into_week = wall - datetime.combine(
            wall.date() - timedelta(days=wall.weekday()), time()
        )
        for offset, length in self.arcs:
            since_open = (into_week - offset) % WEEK
            if since_open < length:
                opens = wall - since_open
                return opens, opens + length
        return None

    def occurrences(
        self, first: datetime, last: datetime
    ) -> Iterator[tuple[datetime, datetime]]:
        """Yield the arcs' wall-time spans that overlap [first, last), in order."""
        monday = datetime.combine(
            first.date() - timedelta(days=first.weekday()), time()
        )
        week = monday - WEEK  # an arc of last week may run into this one
        while week < last:
            for offset, length in self.arcs:
                opens = week + offset
                closes = opens + length
                if closes > first and opens < last:
                    yield opens, closes
            week += WEEK
