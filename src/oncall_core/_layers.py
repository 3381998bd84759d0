"""Layers and the arithmetic of their rotation.

A :class:`Layer` is a value; a :class:`Rotation` is that layer bound to a
schedule's zone, which answers in O(1) which turn holds an instant, and
renders the pieces of a window. Nothing here walks from the layer's start.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Literal, NamedTuple
from zoneinfo import ZoneInfo

import attrs

from oncall_core._restrictions import DAY, Restriction, WeekWindows
from oncall_core._time import (
    MAX_OFFSET,
    local_span_to_utc,
    require_aware,
    resolve_wall,
    steady_span,
    to_local,
    wall_to_utc,
)
from oncall_core.errors import InvalidLayer

__all__ = ["ClockKind", "Layer", "Piece", "Rotation"]

ClockKind = Literal["wall", "elapsed"]

MIN_TURN = timedelta(minutes=1)


def _participants(value: Sequence[str]) -> tuple[str, ...]:
    if isinstance(value, str | bytes):
        msg = (
            f"participants must be a sequence of user ids, got the string "
            f"{value!r}; write [{value!r}] for a single participant"
        )
        raise InvalidLayer(msg)
    try:
        people = tuple(value)
    except TypeError:
        msg = f"participants must be a sequence of user ids, got {value!r}"
        raise InvalidLayer(msg) from None
    if not people:
        msg = "participants must name at least one user id, got none"
        raise InvalidLayer(msg)
    for person in people:
        if not isinstance(person, str) or not person.strip():
            msg = f"each participant must be a non-empty user id string, got {person!r}"
            raise InvalidLayer(msg)
    return people


def _restrictions(value: Iterable[Restriction]) -> tuple[Restriction, ...]:
    items = tuple(value)
    for item in items:
        if not isinstance(item, Restriction):
            msg = (
                "restrictions must be Restriction values (Restriction.daily or "
                f"Restriction.weekly), got {item!r}"
            )
            raise InvalidLayer(msg)
    return items


def _start_instant(value: object) -> datetime:
    return require_aware(value, "layer start")


def _optional_aware(value: object) -> datetime | None:
    return None if value is None else require_aware(value, "layer end")


@attrs.frozen
class Layer:
    """One rotation of participants, taking turns from *start*.

    Turn *i* belongs to ``participants[i % len(participants)]``. A turn of
    whole days, or one that divides a day evenly, hands off at the same local
    wall-clock time in the schedule's zone (``clock="wall"``, the default);
    any other turn, or ``clock="elapsed"``, counts elapsed time. A *shift*
    shorter than the turn covers only the start of each turn. *priority*
    orders layers: a larger number is a higher priority.

    Raises:
        InvalidLayer: a field is malformed; the message names the value.
        NaiveDatetime: *start* or *end* has no time zone.
    """

    name: str
    participants: tuple[str, ...] = attrs.field(converter=_participants)
    start: datetime = attrs.field(converter=_start_instant)
    turn: timedelta
    shift: timedelta | None = attrs.field(default=None, kw_only=True)
    restrictions: tuple[Restriction, ...] = attrs.field(
        default=(), kw_only=True, converter=_restrictions
    )
    end: datetime | None = attrs.field(
        default=None, kw_only=True, converter=_optional_aware
    )
    priority: int = attrs.field(default=0, kw_only=True)
    clock: ClockKind = attrs.field(default="wall", kw_only=True)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            msg = f"layer name must be a non-empty string, got {self.name!r}"
            raise InvalidLayer(msg)
        where = f"layer {self.name!r}"
        if not isinstance(self.turn, timedelta) or self.turn < MIN_TURN:
            msg = (
                f"{where}: turn must be a timedelta of at least 1 minute, "
                f"got {self.turn!r}"
            )
            raise InvalidLayer(msg)
        if self.shift is not None and (
            not isinstance(self.shift, timedelta)
            or self.shift <= timedelta(0)
            or self.shift > self.turn
        ):
            msg = (
                f"{where}: shift must be a positive timedelta no longer than the "
                f"turn ({self.turn}), got {self.shift!r}"
            )
            raise InvalidLayer(msg)
        if self.end is not None and self.end <= self.start:
            msg = (
                f"{where}: end ({self.end.isoformat()}) must be after start "
                f"({self.start.isoformat()})"
            )
            raise InvalidLayer(msg)
        if isinstance(self.priority, bool) or not isinstance(self.priority, int):
            msg = f"{where}: priority must be an int, got {self.priority!r}"
            raise InvalidLayer(msg)
        if self.clock not in ("wall", "elapsed"):
            msg = f"{where}: clock must be 'wall' or 'elapsed', got {self.clock!r}"
            raise InvalidLayer(msg)

    @property
    def uses_wall_clock(self) -> bool:
        """Whether handoffs keep the local time (see the class docstring)."""
        if self.clock != "wall":
            return False
        return self.turn % DAY == timedelta(0) or DAY % self.turn == timedelta(0)

    @property
    def shift_length(self) -> timedelta:
        """The covered part of each turn: the shift, or the whole turn."""
        return self.turn if self.shift is None else self.shift


class Piece(NamedTuple):
    """A stretch of one turn of one layer during which it covers someone."""

    start: datetime
    end: datetime
    turn: int
    user: str


class Rotation:
    """A layer bound to a schedule's zone: its turns as arithmetic."""

    __slots__ = (
        "_cycle",
        "_end",
        "_first_wall",
        "_first_wall_utc",
        "_shift",
        "_start",
        "_steady",
        "_turn",
        "_wall",
        "_windows",
        "_zone",
        "layer",
    )

    def __init__(self, layer: Layer, zone: ZoneInfo) -> None:
        self.layer = layer
        self._zone = zone
        self._start = layer.start
        self._end = layer.end
        self._turn = layer.turn
        self._shift = layer.shift_length
        self._cycle = layer.participants
        self._wall = layer.uses_wall_clock
        self._first_wall = to_local(layer.start, zone)
        # The first handoff's wall time written as if it were UTC: adding
        # turns to it and taking away an offset gives instants directly.
        self._first_wall_utc = self._first_wall.replace(tzinfo=UTC)
        # Wall times (as if UTC) between which the zone's offset is steady
        # well beyond them, and that offset; renders walk turns in order.
        self._steady: tuple[datetime, datetime, timedelta] | None = None
        self._windows = (
            WeekWindows.union(layer.restrictions) if layer.restrictions else None
        )

    def user(self, turn: int) -> str:
        """Return whose turn *turn* is."""
        return self._cycle[turn % len(self._cycle)]

    def handoff(self, turn: int) -> datetime:
        """Return the instant turn *turn* starts (turn 0 starts at the layer start).

        On the wall clock, a handoff whose local time is skipped moves forward
        by the gap, but never past a later handoff: a turn that falls wholly
        inside a skipped span has no length.
        """
        if not self._wall:
            return self._start + turn * self._turn
        instant, skipped = self._wall_instant(turn)
        if skipped:
            # No later handoff may come before this one.
            later = turn + 1
            while True:
                later_instant, later_skipped = self._wall_instant(later)
                if not later_skipped:
                    instant = min(instant, later_instant)
                    break
                later += 1
        return max(instant, self._start)

    def _wall_instant(self, turn: int) -> tuple[datetime, bool]:
        """Return the compatible instant of turn *turn*'s local time, and if skipped."""
        wall = self._first_wall_utc + turn * self._turn
        steady = self._steady
        if steady is None or not steady[0] <= wall <= steady[1]:
            since, until, offset = steady_span(self._zone, wall)
            steady = self._steady = (since + MAX_OFFSET, until - MAX_OFFSET, offset)
            if not steady[0] <= wall <= steady[1]:
                return resolve_wall(wall.replace(tzinfo=None), self._zone)
        return wall - steady[2], False

    def shift_end(self, turn: int, opens: datetime, closes: datetime) -> datetime:
        """Return when the shift of *turn* (from *opens* to *closes*) ends."""
        if self._shift == self._turn:
            return closes
        if self._wall:
            wall = self._first_wall + turn * self._turn + self._shift
            ends = wall_to_utc(wall, self._zone)
        else:
            ends = opens + self._shift
        return min(max(ends, opens), closes)

    def turn_at(self, at: datetime) -> int | None:
        """Return the turn holding *at*, or None outside the layer's life."""
        located = self.locate(at)
        return None if located is None else located[0]

    def locate(self, at: datetime) -> tuple[int, datetime, datetime] | None:
        """Return the turn holding *at* with its start and end, or None.

        None means *at* is outside the layer's life. The turn's end is not cut
        at the layer's end. Every answer costs two handoffs, whatever the turn
        (a guess from the wall clock is at most one turn off, near DST).
        """
        if at < self._start or (self._end is not None and at >= self._end):
            return None
        if self._wall:
            elapsed = to_local(at, self._zone) - self._first_wall
        else:
            elapsed = at - self._start
        turn = max(elapsed // self._turn, 0)
        opens, closes = self.handoff(turn), self.handoff(turn + 1)
        while opens > at:
            turn -= 1
            opens, closes = self.handoff(turn), opens
        while closes <= at:
            turn += 1
            opens, closes = closes, self.handoff(turn + 1)
        return turn, opens, closes

    def turn_span(self, turn: int) -> tuple[datetime, datetime]:
        """Return the start and end of turn *turn*, cut at the layer's end."""
        opens, closes = self.handoff(turn), self.handoff(turn + 1)
        if self._end is not None:
            closes = min(closes, self._end)
        return opens, closes

    def covers(self, at: datetime) -> tuple[int, str] | None:
        """Return the (turn, user) covering *at*, or None for a gap."""
        located = self.locate(at)
        if located is None:
            return None
        turn, opens, closes = located
        if self._shift != self._turn and at >= self.shift_end(turn, opens, closes):
            return None
        if self._windows is not None and not self._windows.contains(
            to_local(at, self._zone)
        ):
            return None
        return turn, self.user(turn)

    def piece_at(self, at: datetime) -> tuple[Piece, datetime, datetime] | None:
        """Return the piece covering *at* with its turn's span, or None for a gap.

        The piece is the one :meth:`pieces` yields for any window around *at*
        (before clipping to that window).
        """
        located = self.locate(at)
        if located is None:
            return None
        turn, opens, closes = located
        ends = self.shift_end(turn, opens, closes)
        if self._end is not None:
            closes = min(closes, self._end)
            ends = min(ends, self._end)
        if at >= ends:
            return None
        start, end = opens, ends
        if self._windows is not None:
            span = self._window_at(at, opens, ends)
            if span is None:
                return None
            start, end = span
        return Piece(start, end, turn, self.user(turn)), opens, closes

    def _window_at(
        self, at: datetime, opens: datetime, ends: datetime
    ) -> tuple[datetime, datetime] | None:
        """The restriction window holding *at*, clipped to [opens, ends), or None."""
        assert self._windows is not None
        wall = to_local(at, self._zone)
        found = self._windows.occurrence_at(wall)
        first, last = (wall, wall) if found is None else found
        first, last = first.replace(tzinfo=UTC), last.replace(tzinfo=UTC)
        steady = self._steady
        if steady is None or not (steady[0] <= first and last <= steady[1]):
            since, until, offset = steady_span(self._zone, first)
            steady = self._steady = (since + MAX_OFFSET, until - MAX_OFFSET, offset)
        if steady[0] <= first and last <= steady[1]:
            # No clock change near: the instant is in no window, or in one
            # that is a single span no other window can meet.
            if found is None:
                return None
            return max(first - steady[2], opens), min(last - steady[2], ends)
        # Near a clock change a window may hold the instant twice, or meet
        # its neighbour: render the turn's windows and pick.
        windows = self.window_spans(opens, ends) or []
        holding = [span for span in windows if span[0] <= at < span[1]]
        return holding[0] if holding else None

    def window_spans(
        self, since: datetime, until: datetime
    ) -> list[tuple[datetime, datetime]] | None:
        """Return the restriction windows in [since, until) as UTC spans.

        None means the layer is unrestricted. Spans are sorted, disjoint and
        not touching (windows that meet across a DST change are joined).
        """
        if self._windows is None:
            return None
        first = to_local(since, self._zone) - DAY
        last = to_local(until, self._zone) + DAY
        # Windows come in wall-clock order; across a fall-back their instants
        # are not in that order, so sort before joining what overlaps.
        found = sorted(
            (max(start, since), min(end, until))
            for opens, closes in self._windows.occurrences(first, last)
            for start, end in self._wall_span_to_utc(opens, closes)
        )
        spans: list[tuple[datetime, datetime]] = []
        for start, end in found:
            if start >= end:
                continue
            if spans and start <= spans[-1][1]:
                spans[-1] = (spans[-1][0], max(spans[-1][1], end))
            else:
                spans.append((start, end))
        return spans

    def _wall_span_to_utc(
        self, opens: datetime, closes: datetime
    ) -> Iterable[tuple[datetime, datetime]]:
        """The instants whose wall time is in [opens, closes), as UTC spans.

        Where the zone's offset is steady well around the span (the common
        case, remembered from one window to the next) that is one
        subtraction; near a transition, :func:`local_span_to_utc` decides.
        """
        first = opens.replace(tzinfo=UTC)
        last = closes.replace(tzinfo=UTC)
        steady = self._steady
        if steady is None or not (steady[0] <= first and last <= steady[1]):
            since, until, offset = steady_span(self._zone, first)
            steady = self._steady = (since + MAX_OFFSET, until - MAX_OFFSET, offset)
        if steady[0] <= first and last <= steady[1]:
            return ((first - steady[2], last - steady[2]),)
        return local_span_to_utc(self._zone, opens, closes)

    def pieces(self, since: datetime, until: datetime) -> Iterator[Piece]:
        """Yield the covered pieces of the layer in [since, until), in order."""
        if self._end is not None:
            until = min(until, self._end)
        if until <= since or until <= self._start:
            return
        located = self.locate(max(since, self._start))
        assert located is not None
        turn, opens, closes = located
        windows = self.window_spans(since, until)
        cursor = 0
        while opens < until:
            shift_ends = self.shift_end(turn, opens, closes)
            start, end = max(opens, since), min(shift_ends, until)
            if start < end:
                user = self.user(turn)
                if windows is None:
                    yield Piece(start, end, turn, user)
                else:
                    while cursor < len(windows) and windows[cursor][1] <= start:
                        cursor += 1
                    index = cursor
                    while index < len(windows) and windows[index][0] < end:
                        piece_start = max(start, windows[index][0])
                        piece_end = min(end, windows[index][1])
                        yield Piece(piece_start, piece_end, turn, user)
                        index += 1
            turn += 1
            opens, closes = closes, self.handoff(turn + 1)
