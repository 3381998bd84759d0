"""The invariants of schedules, checked on drawn schedules, zones and instants."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import assume, given
from hypothesis import strategies as st

from oncall_core import Layer, Restriction, Schedule, Shift, resolve_local
from oncall_core import strategies as ost

# Zones whose gaps are never longer than a turn of 2 h or more: no turn
# there falls wholly inside a skipped span (Pacific/Apia's day is tested in
# the unit tests, where that case is spelled out).
REGULAR_ZONES = tuple(zone for zone in ost.DST_ZONES if zone != "Pacific/Apia")
LONG_WALL_TURNS = tuple(t for t in ost.WALL_TURNS if t >= timedelta(hours=2))


def identity(shift: Shift) -> tuple[str, str | None, str, int | None]:
    return shift.user, shift.layer, shift.source, shift.turn


def join_at(first: list[Shift], second: list[Shift], cut: datetime) -> list[Shift]:
    """Join the pieces of one shift that a window boundary at *cut* split in two."""
    joined = list(first)
    for piece in second:
        match = next(
            (
                k
                for k, earlier in enumerate(joined)
                if earlier.end == cut == piece.start
                and identity(earlier) == identity(piece)
            ),
            None,
        )
        if match is None:
            joined.append(piece)
        else:
            earlier = joined[match]
            joined[match] = Shift(
                earlier.user,
                earlier.start,
                piece.end,
                earlier.layer,
                earlier.source,
                turn=earlier.turn,
            )
    return joined


def canonical(shifts: list[Shift]) -> list[tuple[object, ...]]:
    return sorted((s.start, s.end, *map(str, identity(s))) for s in shifts)


def clip(shift: Shift, since: datetime, until: datetime) -> Shift:
    return Shift(
        shift.user,
        max(shift.start, since),
        min(shift.end, until),
        shift.layer,
        shift.source,
        turn=shift.turn,
    )


@st.composite
def schedule_and_window(
    draw: st.DrawFn,
) -> tuple[Schedule, datetime, datetime, datetime]:
    """Draw a schedule, an instant near its activity, and a window around it."""
    schedule = draw(ost.schedules())
    center = min(layer.start for layer in schedule.layers) + timedelta(days=60)
    at = draw(
        ost.instants(
            (center - timedelta(days=20)).replace(tzinfo=None),
            (center + timedelta(days=20)).replace(tzinfo=None),
        )
    )
    before = draw(st.integers(0, 10 * 24 * 60))
    after = draw(st.integers(1, 10 * 24 * 60))
    since = at - timedelta(minutes=before)
    until = at + timedelta(minutes=after)
    return schedule, at, since, until


class TestRotationFairness:
    """Every participant gets the same share of turns."""

    @given(
        ost.layers(
            restricted=False,
            with_shift=False,
            turn=st.sampled_from((*LONG_WALL_TURNS, timedelta(hours=5))),
        ),
        st.sampled_from(REGULAR_ZONES),
        st.integers(0, 400),
        st.integers(1, 3),
    )
    def test_each_participant_gets_the_same_number_of_turns_per_cycle(
        self, layer: Layer, zone: str, first_turn: int, cycles: int
    ) -> None:
        """Over any whole number of cycles each participant has as many turns."""
        schedule = Schedule("fair", zone, [layer])
        count = cycles * len(layer.participants)
        since = layer.start + first_turn * layer.turn - timedelta(days=2)
        until = layer.start + (first_turn + count) * layer.turn + timedelta(days=2)
        shifts = schedule.shifts(max(since, layer.start), until)
        turns = {
            s.turn: s.user
            for s in shifts
            if s.turn is not None and first_turn <= s.turn < first_turn + count
        }

        assert sorted(turns) == list(range(first_turn, first_turn + count))
        per_user = Counter(turns.values())
        expected = Counter(layer.participants)
        assert per_user == Counter({u: n * cycles for u, n in expected.items()})


class TestTiling:
    """An unrestricted layer covers its whole life, once."""

    @given(
        ost.layers(restricted=False, with_shift=False, with_end=True),
        st.sampled_from(ost.DST_ZONES),
        st.integers(0, 30 * 24),
        st.integers(1, 30 * 24),
    )
    def test_shifts_of_one_layer_tile_its_life_without_gap_or_overlap(
        self, layer: Layer, zone: str, skip_hours: int, window_hours: int
    ) -> None:
        """Consecutive shifts meet exactly, from the window's start to its end."""
        schedule = Schedule("tiles", zone, [layer])
        since = layer.start + timedelta(hours=skip_hours) - timedelta(days=1)
        until = since + timedelta(hours=window_hours)
        assert layer.end is not None
        life_start, life_end = max(since, layer.start), min(until, layer.end)
        assume(life_start < life_end)

        shifts = schedule.shifts(since, until)

        assert shifts[0].start == life_start
        assert shifts[-1].end == life_end
        for earlier, later in pairwise(shifts):
            assert earlier.end == later.start
            assert earlier.start < earlier.end
        timeline = schedule.timeline(life_start, life_end)
        assert not any(segment.is_gap for segment in timeline)


class TestPointQueriesAgreeWithRendering:
    """Answers never depend on how the question is asked."""

    @given(schedule_and_window())
    def test_on_call_is_the_rendered_shifts_that_contain_the_instant(
        self, drawn: tuple[Schedule, datetime, datetime, datetime]
    ) -> None:
        """on_call(t), clipped to a window, is exactly the window's shifts at t."""
        schedule, at, since, until = drawn

        rendered = [s for s in schedule.shifts(since, until) if s.contains(at)]
        asked = [clip(s, since, until) for s in schedule.on_call(at)]

        assert canonical(asked) == canonical(rendered)

    @given(schedule_and_window())
    def test_users_on_call_are_the_users_of_on_call(
        self, drawn: tuple[Schedule, datetime, datetime, datetime]
    ) -> None:
        """users_on_call(t) lists each user of on_call(t) once, in the same order."""
        schedule, at, _, _ = drawn

        users = schedule.users_on_call(at)

        assert users == tuple(dict.fromkeys(s.user for s in schedule.on_call(at)))

    @given(schedule_and_window(), st.integers(0, 2**16 - 1))
    def test_the_timeline_segment_holding_an_instant_has_its_users(
        self, drawn: tuple[Schedule, datetime, datetime, datetime], salt: int
    ) -> None:
        """Timeline segments tile the window and agree with users_on_call."""
        schedule, at, since, until = drawn

        segments = schedule.timeline(since, until)

        assert segments[0].start == since
        assert segments[-1].end == until
        for earlier, later in pairwise(segments):
            assert earlier.end == later.start
            assert earlier.users != later.users
        holding = next(s for s in segments if s.start <= at < s.end)
        assert holding.users == frozenset(schedule.users_on_call(at))
        probe = since + (until - since) * (salt / 2**16)
        holding = next(s for s in segments if s.start <= probe < s.end)
        assert holding.users == frozenset(schedule.users_on_call(probe))

    @given(schedule_and_window())
    def test_handoffs_are_the_changes_of_the_timeline(
        self, drawn: tuple[Schedule, datetime, datetime, datetime]
    ) -> None:
        """Each handoff moves users between the segments that meet at it."""
        schedule, _, since, until = drawn

        handoffs = schedule.handoffs(since, until)
        segments = schedule.timeline(since, until)

        starts = {segment.start: segment for segment in segments}
        for handoff in handoffs:
            before = frozenset(
                schedule.users_on_call(handoff.at - timedelta.resolution)
            )
            after = starts[handoff.at].users
            assert handoff.off == before - after
            assert handoff.on == after - before
        inner = [s.start for s in segments[1:]]
        assert [h.at for h in handoffs if h.at != since] == inner


class TestWindowsCompose:
    """Rendering two adjacent windows is rendering their union."""

    @given(schedule_and_window(), st.integers(0, 10 * 24 * 60))
    def test_shifts_of_a_window_are_the_shifts_of_its_two_halves_joined(
        self,
        drawn: tuple[Schedule, datetime, datetime, datetime],
        further: int,
    ) -> None:
        """shifts(a, c) == shifts(a, b) + shifts(b, c), pieces cut at b joined."""
        schedule, middle, since, _ = drawn
        until = middle + timedelta(minutes=further)

        whole = schedule.shifts(since, until)
        halves = join_at(
            schedule.shifts(since, middle), schedule.shifts(middle, until), middle
        )

        assert canonical(whole) == canonical(halves)


class TestOverridesAreLocal:
    """An override changes nothing outside its window."""

    @given(schedule_and_window(), st.data())
    def test_adding_an_override_leaves_everything_outside_its_window_alone(
        self,
        drawn: tuple[Schedule, datetime, datetime, datetime],
        data: st.DataObject,
    ) -> None:
        """Shifts before and after the override's window are unchanged."""
        schedule, at, since, until = drawn
        extra = data.draw(
            ost.overrides(
                starts=ost.instants(since.replace(tzinfo=None), at.replace(tzinfo=None))
            )
        )
        changed = Schedule(
            schedule.name,
            schedule.time_zone,
            schedule.layers,
            overrides=(*schedule.overrides, extra),
            coverage=schedule.coverage,
        )

        before = max(since, extra.start)
        assert changed.shifts(since, before) == schedule.shifts(since, before)
        after = min(max(since, extra.end), until)
        assert changed.shifts(after, until) == schedule.shifts(after, until)
        outside = data.draw(
            ost.instants(since.replace(tzinfo=None), until.replace(tzinfo=None)).filter(
                lambda t: not extra.start <= t < extra.end
            )
        )
        assert changed.users_on_call(outside) == schedule.users_on_call(outside)


class TestWallClock:
    """Wall-clock turns hand off at the same local time."""

    @given(
        ost.layers(
            restricted=False,
            with_shift=False,
            turn=st.sampled_from(LONG_WALL_TURNS),
        ).filter(lambda layer: layer.clock == "wall"),
        st.sampled_from(REGULAR_ZONES),
        st.integers(0, 800),
    )
    def test_every_handoff_is_at_the_local_time_of_the_start(
        self, layer: Layer, zone: str, first_turn: int
    ) -> None:
        """Handoff i is the compatible resolution of local(start) + i turns."""
        schedule = Schedule("wall", zone, [layer])
        since = layer.start + first_turn * layer.turn
        shifts = schedule.shifts(since, since + 4 * layer.turn)
        first_wall = layer.start.astimezone(ZoneInfo(zone)).replace(tzinfo=None)

        starts = [s for s in shifts if s.start > since]
        assert starts
        for shift in starts:
            assert shift.turn is not None
            wall = first_wall + shift.turn * layer.turn
            assert shift.start == resolve_local(wall, zone)


class TestAgainstAReferenceModel:
    """A slow, obvious model of one layer agrees with the engine."""

    @given(
        ost.layers(
            with_shift=False,
            restricted=False,
            turn=st.sampled_from((*LONG_WALL_TURNS, timedelta(hours=5))),
        ),
        st.sampled_from(REGULAR_ZONES),
        st.integers(0, 3650 * 24),
        st.lists(
            st.tuples(
                st.integers(0, 23),
                st.integers(0, 23),
                st.none() | st.sets(st.integers(0, 6), min_size=1),
            ),
            max_size=2,
        ),
    )
    def test_the_user_at_an_instant_matches_walking_turn_by_turn(
        self,
        layer: Layer,
        zone: str,
        hours_later: int,
        windows: list[tuple[int, int, set[int] | None]],
    ) -> None:
        """The engine's arithmetic agrees with counting handoffs from the start."""
        limits = [
            Restriction.daily(time(a), time(b), weekdays=days) for a, b, days in windows
        ]
        layer = Layer(
            layer.name,
            layer.participants,
            layer.start,
            layer.turn,
            restrictions=limits,
            clock=layer.clock,
        )
        schedule = Schedule("model", zone, [layer])
        at = layer.start + timedelta(hours=hours_later, minutes=7)

        expected = reference_user(layer, zone, at, windows)

        assert schedule.users_on_call(at) == (() if expected is None else (expected,))


def reference_user(
    layer: Layer,
    zone: str,
    at: datetime,
    windows: list[tuple[int, int, set[int] | None]],
) -> str | None:
    """Who the layer covers at *at*, found the slow and obvious way."""
    tz = ZoneInfo(zone)
    first_wall = layer.start.astimezone(tz).replace(tzinfo=None)
    if layer.uses_wall_clock:
        # Jump close, then walk handoff by handoff.
        turn = max(0, int((at - layer.start) / layer.turn) - 3)
        while resolve_local(first_wall + (turn + 1) * layer.turn, zone) <= at:
            turn += 1
    else:
        turn = int((at - layer.start) // layer.turn)
    if windows:
        wall = at.astimezone(tz).replace(tzinfo=None)
        inside = False
        for a, b, days in windows:
            clock = wall.hour * 60 + wall.minute + wall.second / 60
            opens, closes = a * 60, b * 60
            if opens < closes:
                inside |= opens <= clock < closes and (
                    days is None or wall.weekday() in days
                )
            else:  # crosses midnight, or a whole day when equal
                yesterday = (wall.weekday() - 1) % 7
                inside |= clock >= opens and (days is None or wall.weekday() in days)
                inside |= clock < closes and (days is None or yesterday in days)
        if not inside:
            return None
    return layer.participants[turn % len(layer.participants)]


def test_reference_model_sees_a_restriction_gap() -> None:
    """The model itself can say 'nobody' (so the comparison above can fail)."""
    layer = Layer("l", ["ana"], datetime(2024, 1, 1, tzinfo=UTC), timedelta(days=1))
    at = datetime(2024, 1, 3, 20, tzinfo=UTC)
    assert reference_user(layer, "Etc/UTC", at, [(9, 17, None)]) is None
    assert reference_user(layer, "Etc/UTC", at, [(18, 2, None)]) == "ana"
