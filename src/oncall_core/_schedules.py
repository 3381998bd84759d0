"""Schedules: layers, overrides and a coverage mode, asked who is on call."""

from __future__ import annotations

import bisect
import enum
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Literal
from zoneinfo import ZoneInfo

import attrs

from oncall_core._layers import Layer, Rotation
from oncall_core._overrides import Override, OverrideKind
from oncall_core._time import load_zone, require_aware, require_window
from oncall_core.errors import InvalidSchedule

__all__ = ["Coverage", "Handoff", "Schedule", "Segment", "Shift", "Source"]

Source = Literal["rotation", "override"]

_TICK = timedelta(microseconds=1)


class Coverage(enum.Enum):
    """Who is on call where layers overlap."""

    ALL_LAYERS = "all_layers"
    """Everyone on call in every active layer (the default)."""
    TOP_LAYER = "top_layer"
    """Only the highest-priority layer that has someone on call."""


@attrs.frozen
class Shift:
    """A stretch of time during which *user* is on call.

    *start* and *end* are UTC. *layer* is the name of the layer the shift
    stands on, or None for an override that stands on no layer (an addition,
    or a take-over in a gap). *turn* is the layer's turn index, or None.
    """

    user: str
    start: datetime
    end: datetime
    layer: str | None
    source: Source
    turn: int | None = attrs.field(default=None, kw_only=True)

    @property
    def duration(self) -> timedelta:
        """How long the shift lasts."""
        return self.end - self.start

    def contains(self, at: datetime) -> bool:
        """Tell whether the instant *at* is inside the shift."""
        return self.start <= at < self.end


@attrs.frozen
class Segment:
    """A stretch of a timeline during which the same users are on call."""

    start: datetime
    end: datetime
    users: frozenset[str]

    @property
    def is_gap(self) -> bool:
        """Whether nobody is on call in the segment."""
        return not self.users


@attrs.frozen
class Handoff:
    """An instant at which who is on call changes."""

    at: datetime
    off: frozenset[str]
    on: frozenset[str]


@attrs.frozen
class _Entry:
    """One person on call during an elementary segment, before merging."""

    rank: int  # position in priority order; override-only entries come last
    layer: int | None
    turn: int | None
    user: str
    source: Source


_Slot = tuple[int, str, Source]  # turn, user, source


def _layers(value: Iterable[Layer]) -> tuple[Layer, ...]:
    if isinstance(value, Layer):
        return (value,)
    items = tuple(value)
    for item in items:
        if not isinstance(item, Layer):
            msg = f"layers must be Layer values, got {item!r}"
            raise InvalidSchedule(msg)
    return items


def _overrides(value: Iterable[Override]) -> tuple[Override, ...]:
    items = tuple(value)
    for item in items:
        if not isinstance(item, Override):
            msg = (
                "overrides must be Override values (Override.replace, take_over, "
                f"add or remove), got {item!r}"
            )
            raise InvalidSchedule(msg)
    return items


def _coverage(value: Coverage | str) -> Coverage:
    if isinstance(value, Coverage):
        return value
    try:
        return Coverage[str(value).upper()]
    except KeyError:
        names = ", ".join(member.name for member in Coverage)
        msg = f"coverage must be one of {names}, got {value!r}"
        raise InvalidSchedule(msg) from None


def _zone_name(value: str | ZoneInfo) -> str:
    if isinstance(value, ZoneInfo):
        return value.key
    load_zone(value)
    return value


@attrs.frozen
class Schedule:
    """Layers of rotations in a time zone, with overrides and a coverage mode.

    Every question is answered by arithmetic on the layers' turns, so asking
    about a date ten years after a layer started costs what asking about
    tomorrow costs. Instants must be aware; answers are in UTC.

    Raises:
        InvalidSchedule: a field is malformed, or two layers share a name.
        UnknownTimeZone: *time_zone* is not an IANA zone.
    """

    name: str
    time_zone: str = attrs.field(converter=_zone_name)
    layers: tuple[Layer, ...] = attrs.field(converter=_layers)
    overrides: tuple[Override, ...] = attrs.field(
        default=(), kw_only=True, converter=_overrides
    )
    coverage: Coverage = attrs.field(
        default=Coverage.ALL_LAYERS, kw_only=True, converter=_coverage
    )
    _rotations: tuple[Rotation, ...] = attrs.field(
        init=False, repr=False, eq=False, hash=False
    )
    _order: tuple[int, ...] = attrs.field(init=False, repr=False, eq=False, hash=False)
    _rank: tuple[int, ...] = attrs.field(init=False, repr=False, eq=False, hash=False)
    _by_start: tuple[tuple[datetime, int], ...] = attrs.field(
        init=False, repr=False, eq=False, hash=False
    )
    _longest_override: timedelta = attrs.field(
        init=False, repr=False, eq=False, hash=False
    )

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            msg = f"schedule name must be a non-empty string, got {self.name!r}"
            raise InvalidSchedule(msg)
        seen: set[str] = set()
        for layer in self.layers:
            if layer.name in seen:
                msg = (
                    f"schedule {self.name!r}: two layers are named {layer.name!r}; "
                    "layer names must be unique within a schedule"
                )
                raise InvalidSchedule(msg)
            seen.add(layer.name)

        zone = load_zone(self.time_zone)
        order = tuple(
            sorted(range(len(self.layers)), key=lambda k: (-self.layers[k].priority, k))
        )
        rank = [0] * len(self.layers)
        for position, index in enumerate(order):
            rank[index] = position
        by_start = tuple(
            sorted((override.start, k) for k, override in enumerate(self.overrides))
        )
        longest = max(
            (override.end - override.start for override in self.overrides),
            default=timedelta(0),
        )
        set_field = object.__setattr__
        set_field(self, "_rotations", tuple(Rotation(lay, zone) for lay in self.layers))
        set_field(self, "_order", order)
        set_field(self, "_rank", tuple(rank))
        set_field(self, "_by_start", by_start)
        set_field(self, "_longest_override", longest)

    # Point queries

    def users_on_call(self, at: datetime) -> tuple[str, ...]:
        """Return who is on call at the instant *at*, without repeats.

        Users come in layer priority order; those on call by an override that
        stands on no layer come last.

        Raises:
            NaiveDatetime: *at* has no time zone.
        """
        at = require_aware(at, "at")
        if not self._active_overrides(at):
            # No override: who each layer covers, in priority order.
            users: dict[str, None] = {}
            for index in self._order:
                covering = self._rotations[index].covers(at)
                if covering is not None:
                    users[covering[1]] = None
                    if self.coverage is Coverage.TOP_LAYER:
                        break
            return tuple(users)
        entries = self._entries_at(at, final=True)
        return tuple(dict.fromkeys(entry.user for entry in entries))

    def on_call(self, at: datetime) -> tuple[Shift, ...]:
        """Return the shifts that cover the instant *at*, in layer priority order.

        These are exactly the shifts of :meth:`shifts` that contain *at*, for
        any window around *at*, with the coverage mode applied.

        Raises:
            NaiveDatetime: *at* has no time zone.
        """
        at = require_aware(at, "at")
        if self._layers_alone(final=True) and not self._active_overrides(at):
            direct = self._pieces_at(at)
            if direct is not None:
                return direct
        entries = self._entries_at(at, final=True)
        if not entries:
            return ()
        # Every shift covering `at` lies inside the turn it stands on, or,
        # for shifts on no layer, inside the overrides that touch `at`.
        since, until = at, at + _TICK
        for entry in entries:
            if entry.layer is not None:
                assert entry.turn is not None
                opens, closes = self._rotations[entry.layer].turn_span(entry.turn)
                since, until = min(since, opens), max(until, closes)
            else:
                opens, closes = self._override_reach(at)
                since, until = min(since, opens), max(until, closes)
        found = [
            shift
            for shift in self._render(since, until, final=True)
            if shift[1].contains(at)
        ]
        found.sort(key=lambda item: (item[0], item[1].user))
        return tuple(shift for _, shift in found)

    # Window queries

    def shifts(
        self, since: datetime, until: datetime, *, final: bool = True
    ) -> list[Shift]:
        """Return the shifts in [since, until), clipped to it, sorted by start.

        Restrictions and overrides are applied. With *final* (the default) the
        coverage mode is applied too, so the shifts containing an instant are
        exactly :meth:`on_call` of it; ``final=False`` keeps every layer's
        shifts, as for a picture of the layers. A new turn always starts a new
        shift.

        Raises:
            NaiveDatetime: *since* or *until* has no time zone.
            InvalidWindow: *until* is before *since*.
        """
        since, until = require_window(since, until)
        rendered = self._render(since, until, final=final)
        rendered.sort(key=lambda item: (item[1].start, item[0], item[1].user))
        return [shift for _, shift in rendered]

    def timeline(self, since: datetime, until: datetime) -> list[Segment]:
        """Return [since, until) cut into segments of the same users on call.

        Segments follow one another without gaps; a segment with no user is
        a gap in coverage. The coverage mode is applied.

        Raises:
            NaiveDatetime: *since* or *until* has no time zone.
            InvalidWindow: *until* is before *since*.
        """
        since, until = require_window(since, until)
        segments: list[Segment] = []
        for start, end, entries in self._sweep(since, until, final=True):
            users = frozenset(entry.user for entry in entries)
            if segments and segments[-1].users == users:
                segments[-1] = Segment(segments[-1].start, end, users)
            else:
                segments.append(Segment(start, end, users))
        return segments

    def handoffs(self, since: datetime, until: datetime) -> list[Handoff]:
        """Return the instants in [since, until) at which who is on call changes.

        *since* itself is one when the users on call just before it differ.

        Raises:
            NaiveDatetime: *since* or *until* has no time zone.
            InvalidWindow: *until* is before *since*.
        """
        since, until = require_window(since, until)
        before = frozenset(self.users_on_call(since - _TICK))
        changes: list[Handoff] = []
        for segment in self.timeline(since, until):
            if segment.users != before:
                changes.append(
                    Handoff(
                        segment.start, before - segment.users, segment.users - before
                    )
                )
                before = segment.users
        return changes

    # The machinery

    def _layers_alone(self, *, final: bool) -> bool:
        """Whether each layer's shifts are final shifts, absent overrides.

        True unless the top-layer mode lets one layer hide another.
        """
        return (
            not final or self.coverage is Coverage.ALL_LAYERS or len(self.layers) <= 1
        )

    def _overrides_touch(self, since: datetime, until: datetime) -> bool:
        """Whether an override's window meets [since, until], ends included."""
        return any(
            override.start <= until and override.end >= since
            for override in self.overrides
        )

    def _pieces_at(self, at: datetime) -> tuple[Shift, ...] | None:
        """Return the shifts at *at* read straight off the layers' pieces.

        None when an override touches one of the turns involved: then only a
        full render knows where each shift starts and ends.
        """
        shifts: list[Shift] = []
        for index in self._order:
            rotation = self._rotations[index]
            found = rotation.piece_at(at)
            if found is None:
                continue
            piece, opens, closes = found
            if self._overrides_touch(opens, closes):
                return None
            shifts.append(
                Shift(
                    piece.user,
                    piece.start,
                    piece.end,
                    rotation.layer.name,
                    "rotation",
                    turn=piece.turn,
                )
            )
            if self.coverage is Coverage.TOP_LAYER:
                break
        return tuple(shifts)

    def _active_overrides(self, at: datetime) -> list[Override]:
        """Return the overrides whose window holds *at*, in the schedule's order."""
        if not self._by_start:
            return []
        lo = bisect.bisect_right(
            self._by_start, at - self._longest_override, key=lambda item: item[0]
        )
        hi = bisect.bisect_right(self._by_start, at, key=lambda item: item[0])
        indexes = sorted(
            k for _, k in self._by_start[lo:hi] if self.overrides[k].end > at
        )
        return [self.overrides[k] for k in indexes]

    def _override_reach(self, at: datetime) -> tuple[datetime, datetime]:
        """Return the span of the overrides that touch *at*, one another, and so on."""
        since, until = at, at + _TICK
        grown = True
        while grown:
            grown = False
            for override in self.overrides:
                if (
                    override.start <= until
                    and override.end >= since
                    and (override.start < since or override.end > until)
                ):
                    since = min(since, override.start)
                    until = max(until, override.end)
                    grown = True
        return since, until

    def _entries_at(self, at: datetime, *, final: bool) -> list[_Entry]:
        slots = [rotation.covers(at) for rotation in self._rotations]
        return self._resolve(slots, self._active_overrides(at), final=final)

    def _resolve(
        self,
        covering: Sequence[tuple[int, str] | None],
        overrides: Sequence[Override],
        *,
        final: bool,
    ) -> list[_Entry]:
        """Apply *overrides* to who each layer covers, then the coverage mode."""
        slots: list[_Slot | None] = [
            None if cover is None else (cover[0], cover[1], "rotation")
            for cover in covering
        ]
        loose: dict[str, None] = {}  # on call on no layer, in order of arrival
        for override in overrides:
            user = override.user
            kind = override.kind
            if kind is OverrideKind.REPLACE:
                for k, slot in enumerate(slots):
                    if slot is not None and slot[1] == override.replaces:
                        slots[k] = (slot[0], user, "override")
                if override.replaces in loose:
                    loose = {
                        (user if name == override.replaces else name): None
                        for name in loose
                    }
            elif kind is OverrideKind.TAKE_OVER:
                occupied = False
                for k, slot in enumerate(slots):
                    if slot is not None:
                        slots[k] = (slot[0], user, "override")
                        occupied = True
                loose = {} if occupied else {user: None}
            elif kind is OverrideKind.ADD:
                loose[user] = None
            else:
                for k, slot in enumerate(slots):
                    if slot is not None and slot[1] == user:
                        slots[k] = None
                loose.pop(user, None)

        entries: list[_Entry] = []
        top_only = final and self.coverage is Coverage.TOP_LAYER
        for index in self._order:
            slot = slots[index]
            if slot is None:
                continue
            entries.append(_Entry(self._rank[index], index, slot[0], slot[1], slot[2]))
            if top_only:
                break
        rank = len(self.layers)
        entries.extend(_Entry(rank, None, None, user, "override") for user in loose)
        return entries

    def _sweep(
        self, since: datetime, until: datetime, *, final: bool
    ) -> Iterator[tuple[datetime, datetime, list[_Entry]]]:
        """Yield the elementary segments of [since, until) and who is on call in each.

        Within an elementary segment no layer and no override changes.
        """
        pieces = [list(rotation.pieces(since, until)) for rotation in self._rotations]
        overrides = [
            override
            for override in self.overrides
            if override.start < until and override.end > since
        ]
        edges = {since, until}
        for layer_pieces in pieces:
            for piece in layer_pieces:
                edges.add(piece.start)
                edges.add(piece.end)
        for override in overrides:
            edges.add(max(override.start, since))
            edges.add(min(override.end, until))

        cursors = [0] * len(pieces)
        for start, end in pairwise(sorted(edges)):
            covering: list[tuple[int, str] | None] = []
            for k, layer_pieces in enumerate(pieces):
                cursor = cursors[k]
                while cursor < len(layer_pieces) and layer_pieces[cursor].end <= start:
                    cursor += 1
                cursors[k] = cursor
                if cursor < len(layer_pieces) and layer_pieces[cursor].start <= start:
                    piece = layer_pieces[cursor]
                    covering.append((piece.turn, piece.user))
                else:
                    covering.append(None)
            active = [o for o in overrides if o.start <= start < o.end]
            yield start, end, self._resolve(covering, active, final=final)

    def _render(
        self, since: datetime, until: datetime, *, final: bool
    ) -> list[tuple[int, Shift]]:
        """Return the shifts of [since, until) with their priority rank, unsorted."""
        names = [layer.name for layer in self.layers]
        if self._layers_alone(final=final) and not self._overrides_touch(since, until):
            # Each layer's pieces are already maximal runs of one turn.
            return [
                (
                    self._rank[index],
                    Shift(
                        piece.user,
                        piece.start,
                        piece.end,
                        names[index],
                        "rotation",
                        turn=piece.turn,
                    ),
                )
                for index, rotation in enumerate(self._rotations)
                for piece in rotation.pieces(since, until)
            ]
        shifts: list[tuple[int, Shift]] = []
        running: dict[tuple[int | None, int | None, str, Source], datetime] = {}
        ranks: dict[tuple[int | None, int | None, str, Source], int] = {}

        def close(
            key: tuple[int | None, int | None, str, Source], end: datetime
        ) -> None:
            layer, turn, user, source = key
            layer_name = None if layer is None else names[layer]
            shift = Shift(user, running.pop(key), end, layer_name, source, turn=turn)
            shifts.append((ranks[key], shift))

        for start, _end, entries in self._sweep(since, until, final=final):
            current = {
                (entry.layer, entry.turn, entry.user, entry.source): entry.rank
                for entry in entries
            }
            for key in [key for key in running if key not in current]:
                close(key, start)
            for key, rank in current.items():
                if key not in running:
                    running[key] = start
                    ranks[key] = rank
        for key in list(running):
            close(key, until)
        return shifts
