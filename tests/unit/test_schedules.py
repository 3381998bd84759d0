"""Overrides, coverage modes, shifts and the shape of answers, on small schedules."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from oncall_core import (
    Coverage,
    InvalidLayer,
    InvalidSchedule,
    Layer,
    Override,
    Restriction,
    Schedule,
    Shift,
)

MONDAY = datetime(2024, 1, 1, tzinfo=UTC)  # a Monday, in a zone without DST
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


def at(day: int, hour: float = 0) -> datetime:
    """An instant *day* days and *hour* hours after MONDAY."""
    return MONDAY + day * DAY + timedelta(hours=hour)


def daily(name: str, people: list[str], **options: object) -> Layer:
    return Layer(name, people, MONDAY, DAY, **options)  # type: ignore[arg-type]


def utc_schedule(
    *layers: Layer,
    overrides: tuple[Override, ...] = (),
    coverage: Coverage = Coverage.ALL_LAYERS,
) -> Schedule:
    return Schedule("team", "Etc/UTC", layers, overrides=overrides, coverage=coverage)


class TestReplace:
    """replace(X, Y): X takes Y's time, and only Y's."""

    def test_replacement_takes_the_replaced_users_time_on_their_layer(self) -> None:
        """Within the window X is on call in Y's place, marked as an override."""
        schedule = utc_schedule(
            daily("primary", ["ana", "ben"]),
            overrides=(Override.replace("eve", "ana", at(0, 10), at(0, 12)),),
        )

        assert schedule.users_on_call(at(0, 11)) == ("eve",)
        assert schedule.on_call(at(0, 11)) == (
            Shift("eve", at(0, 10), at(0, 12), "primary", "override", turn=0),
        )
        assert schedule.users_on_call(at(0, 12)) == ("ana",)

    def test_replacing_someone_not_on_call_changes_nothing(self) -> None:
        """Replacing ben while ana is on call leaves ana on call."""
        schedule = utc_schedule(
            daily("primary", ["ana", "ben"]),
            overrides=(Override.replace("eve", "ben", at(0, 10), at(0, 12)),),
        )

        assert schedule.users_on_call(at(0, 11)) == ("ana",)
        assert schedule.shifts(at(0), at(1)) == [
            Shift("ana", at(0), at(1), "primary", "rotation", turn=0)
        ]

    def test_the_replaced_users_shift_is_cut_around_the_window(self) -> None:
        """ana's day becomes three shifts: ana, eve, ana."""
        schedule = utc_schedule(
            daily("primary", ["ana", "ben"]),
            overrides=(Override.replace("eve", "ana", at(0, 10), at(0, 12)),),
        )

        shifts = schedule.shifts(at(0), at(1))

        assert [(s.user, s.start, s.end, s.source) for s in shifts] == [
            ("ana", at(0), at(0, 10), "rotation"),
            ("eve", at(0, 10), at(0, 12), "override"),
            ("ana", at(0, 12), at(1), "rotation"),
        ]

    def test_replacements_chain_in_order(self) -> None:
        """eve replaces ana, then fay replaces eve: fay is on call."""
        schedule = utc_schedule(
            daily("primary", ["ana"]),
            overrides=(
                Override.replace("eve", "ana", at(0), at(1)),
                Override.replace("fay", "eve", at(0, 6), at(0, 8)),
            ),
        )

        assert schedule.users_on_call(at(0, 7)) == ("fay",)
        assert schedule.users_on_call(at(0, 9)) == ("eve",)


class TestTakeOver:
    """take_over(X): X replaces everyone, and covers the gaps."""

    def test_take_over_replaces_everyone_on_every_layer(self) -> None:
        """Both layers' people give way to X, each shift keeping its layer."""
        schedule = utc_schedule(
            daily("day", ["ana"]),
            daily("shadow", ["ben"]),
            overrides=(Override.take_over("eve", at(0, 10), at(0, 12)),),
        )

        shifts = schedule.on_call(at(0, 11))

        assert [(s.user, s.layer) for s in shifts] == [
            ("eve", "day"),
            ("eve", "shadow"),
        ]
        assert schedule.users_on_call(at(0, 11)) == ("eve",)

    def test_take_over_in_a_gap_stands_on_no_layer(self) -> None:
        """Where no layer covers anyone, X is on call with layer None."""
        business = daily(
            "business", ["ana"], restrictions=(Restriction.daily(time(9), time(17)),)
        )
        schedule = utc_schedule(
            business, overrides=(Override.take_over("eve", at(0, 16), at(0, 18)),)
        )

        shifts = schedule.shifts(at(0, 15), at(0, 19))

        assert [(s.user, s.start, s.end, s.layer) for s in shifts] == [
            ("ana", at(0, 15), at(0, 16), "business"),
            ("eve", at(0, 16), at(0, 17), "business"),
            ("eve", at(0, 17), at(0, 18), None),
        ]
        timeline = schedule.timeline(at(0, 15), at(0, 19))
        assert [(s.start, s.users) for s in timeline] == [
            (at(0, 15), frozenset({"ana"})),
            (at(0, 16), frozenset({"eve"})),
            (at(0, 18), frozenset()),
        ]


class TestAddAndRemove:
    """add(X) puts X on call too; remove(X) takes X off, replaced by nobody."""

    def test_an_added_user_is_on_call_too_and_listed_after_the_layers(self) -> None:
        """The addition stands on no layer and comes after layer users."""
        schedule = utc_schedule(
            daily("primary", ["ana"]),
            overrides=(Override.add("eve", at(0, 10), at(0, 12)),),
        )

        assert schedule.users_on_call(at(0, 11)) == ("ana", "eve")
        assert schedule.on_call(at(0, 11))[1] == Shift(
            "eve", at(0, 10), at(0, 12), None, "override"
        )

    def test_a_removed_user_leaves_a_gap(self) -> None:
        """Nobody replaces a removed user."""
        schedule = utc_schedule(
            daily("primary", ["ana"]),
            overrides=(Override.remove("ana", at(0, 10), at(0, 12)),),
        )

        assert schedule.users_on_call(at(0, 11)) == ()
        assert [s.is_gap for s in schedule.timeline(at(0, 9), at(0, 13))] == [
            False,
            True,
            False,
        ]

    def test_the_later_override_wins_where_they_stack(self) -> None:
        """add then remove: off; remove then add: on."""
        window = (at(0, 10), at(0, 12))
        add_then_remove = utc_schedule(
            daily("primary", ["ana"]),
            overrides=(Override.add("eve", *window), Override.remove("eve", *window)),
        )
        remove_then_add = utc_schedule(
            daily("primary", ["ana"]),
            overrides=(Override.remove("ana", *window), Override.add("ana", *window)),
        )

        assert add_then_remove.users_on_call(at(0, 11)) == ("ana",)
        assert remove_then_add.on_call(at(0, 11)) == (
            Shift("ana", at(0, 10), at(0, 12), None, "override"),
        )

    def test_additions_of_one_user_that_touch_make_one_shift(self) -> None:
        """Two back-to-back additions of eve read as one shift."""
        schedule = utc_schedule(
            daily("primary", ["ana"]),
            overrides=(
                Override.add("eve", at(0, 10), at(0, 12)),
                Override.add("eve", at(0, 12), at(0, 14)),
            ),
        )

        eve = [s for s in schedule.shifts(at(0), at(1)) if s.user == "eve"]

        assert eve == [Shift("eve", at(0, 10), at(0, 14), None, "override")]
        assert schedule.on_call(at(0, 13))[1] == eve[0]


class TestCoverage:
    """Which layers are on call where they overlap."""

    def layers(self) -> tuple[Layer, Layer]:
        return (
            daily("primary", ["ana"], priority=1),
            daily("secondary", ["ben"]),
        )

    def test_all_layers_puts_everyone_of_every_active_layer_on_call(self) -> None:
        """The default pages both layers, highest priority first."""
        primary, secondary = self.layers()
        schedule = utc_schedule(secondary, primary)

        assert schedule.coverage is Coverage.ALL_LAYERS
        assert schedule.users_on_call(at(0, 1)) == ("ana", "ben")

    def test_top_layer_keeps_only_the_highest_priority_layer(self) -> None:
        """A larger priority number wins."""
        primary, secondary = self.layers()
        schedule = utc_schedule(secondary, primary, coverage=Coverage.TOP_LAYER)

        assert schedule.users_on_call(at(0, 1)) == ("ana",)
        assert [s.user for s in schedule.shifts(at(0), at(1))] == ["ana"]

    def test_top_layer_ties_go_to_the_layer_listed_first(self) -> None:
        """Equal priorities: the first layer listed is on top."""
        schedule = utc_schedule(
            daily("first", ["ana"]),
            daily("second", ["ben"]),
            coverage=Coverage.TOP_LAYER,
        )

        assert schedule.users_on_call(at(0, 1)) == ("ana",)

    def test_removing_the_top_layers_person_lets_the_next_layer_on_call(self) -> None:
        """Overrides apply before the coverage mode chooses a layer."""
        primary, secondary = self.layers()
        schedule = utc_schedule(
            primary,
            secondary,
            overrides=(Override.remove("ana", at(0, 2), at(0, 4)),),
            coverage=Coverage.TOP_LAYER,
        )

        assert schedule.users_on_call(at(0, 3)) == ("ben",)
        assert schedule.on_call(at(0, 3)) == (
            Shift("ben", at(0, 2), at(0, 4), "secondary", "rotation", turn=0),
        )

    def test_a_top_layer_gap_falls_through_to_the_next_layer(self) -> None:
        """Outside the top layer's restriction, the next layer is on call."""
        business = daily(
            "business",
            ["ana"],
            priority=1,
            restrictions=(Restriction.daily(time(9), time(17)),),
        )
        schedule = utc_schedule(
            business, daily("always", ["ben"]), coverage=Coverage.TOP_LAYER
        )

        assert schedule.users_on_call(at(0, 10)) == ("ana",)
        assert schedule.users_on_call(at(0, 20)) == ("ben",)

    def test_non_final_shifts_keep_every_layer_under_top_layer(self) -> None:
        """shifts(final=False) is the picture of the layers before coverage."""
        primary, secondary = self.layers()
        schedule = utc_schedule(primary, secondary, coverage=Coverage.TOP_LAYER)

        shifts = schedule.shifts(at(0), at(1), final=False)

        assert [(s.user, s.layer) for s in shifts] == [
            ("ana", "primary"),
            ("ben", "secondary"),
        ]

    def test_coverage_accepts_its_name(self) -> None:
        """'top_layer' and 'TOP_LAYER' both name Coverage.TOP_LAYER."""
        schedule = Schedule("s", "Etc/UTC", [], coverage="top_layer")  # type: ignore[arg-type]

        assert schedule.coverage is Coverage.TOP_LAYER
        with pytest.raises(InvalidSchedule, match="'bottom'"):
            Schedule("s", "Etc/UTC", [], coverage="bottom")  # type: ignore[arg-type]


class TestTurnsAndShifts:
    """How a layer's turns become shifts."""

    def test_a_shift_shorter_than_the_turn_leaves_the_rest_uncovered(self) -> None:
        """A 12 h shift in a 24 h turn covers the first 12 h."""
        schedule = utc_schedule(daily("primary", ["ana", "ben"], shift=12 * HOUR))

        assert schedule.users_on_call(at(0, 11)) == ("ana",)
        assert schedule.users_on_call(at(0, 13)) == ()
        assert [(s.user, s.start, s.end) for s in schedule.shifts(at(0), at(2))] == [
            ("ana", at(0), at(0, 12)),
            ("ben", at(1), at(1, 12)),
        ]

    def test_a_new_turn_starts_a_new_shift_even_for_the_same_user(self) -> None:
        """A one-person rotation still hands off to itself every turn."""
        schedule = utc_schedule(daily("primary", ["ana"]))

        shifts = schedule.shifts(at(0), at(3))

        assert [(s.start, s.turn) for s in shifts] == [
            (at(0), 0),
            (at(1), 1),
            (at(2), 2),
        ]
        assert len(schedule.timeline(at(0), at(3))) == 1
        assert schedule.handoffs(at(0, 1), at(3)) == []

    def test_a_layer_covers_nothing_before_its_start_or_after_its_end(self) -> None:
        """The layer's life is [start, end)."""
        schedule = utc_schedule(daily("primary", ["ana"], end=at(2, 6)))

        assert schedule.users_on_call(at(-1)) == ()
        assert schedule.users_on_call(at(2, 5)) == ("ana",)
        assert schedule.users_on_call(at(2, 6)) == ()
        assert schedule.shifts(at(-1), at(5))[-1].end == at(2, 6)

    def test_a_participant_listed_twice_takes_two_turns_per_cycle(self) -> None:
        """Turn i belongs to participants[i % n], repeats included."""
        schedule = utc_schedule(daily("primary", ["ana", "ana", "ben"]))

        users = [s.user for s in schedule.shifts(at(0), at(6))]

        assert users == ["ana", "ana", "ben", "ana", "ana", "ben"]

    def test_a_query_far_in_the_future_answers_by_arithmetic(self) -> None:
        """Turn 36,525 of a daily rotation, a century on, belongs to the right user."""
        schedule = utc_schedule(daily("primary", ["ana", "ben", "chi"]))

        (shift,) = schedule.on_call(at(36525, 3))

        assert shift.turn == 36525
        assert shift.user == ["ana", "ben", "chi"][36525 % 3]

    def test_handoffs_name_who_goes_off_and_who_comes_on(self) -> None:
        """The handoff at a turn boundary moves ana off and ben on."""
        schedule = utc_schedule(daily("primary", ["ana", "ben"]))

        (handoff,) = schedule.handoffs(at(0, 12), at(1, 12))

        assert handoff.at == at(1)
        assert handoff.off == frozenset({"ana"})
        assert handoff.on == frozenset({"ben"})

    def test_a_handoff_at_the_window_start_is_reported(self) -> None:
        """since itself counts when who is on call changes there."""
        schedule = utc_schedule(daily("primary", ["ana", "ben"]))

        assert [h.at for h in schedule.handoffs(at(1), at(2))] == [at(1)]

    def test_an_empty_window_has_no_shifts(self) -> None:
        """since == until is a valid, empty question."""
        schedule = utc_schedule(daily("primary", ["ana"]))

        assert schedule.shifts(at(1), at(1)) == []
        assert schedule.timeline(at(1), at(1)) == []


class TestConstruction:
    """Schedules and layers check what they are given."""

    def test_layer_names_must_be_unique_within_a_schedule(self) -> None:
        """Shifts name their layer, so two layers cannot share a name."""
        with pytest.raises(InvalidSchedule, match="'primary'"):
            utc_schedule(daily("primary", ["ana"]), daily("primary", ["ben"]))

    def test_a_zoneinfo_is_accepted_for_the_time_zone(self) -> None:
        """A ZoneInfo is read as its IANA key."""
        schedule = Schedule("s", ZoneInfo("Europe/Berlin"), [])  # type: ignore[arg-type]

        assert schedule.time_zone == "Europe/Berlin"

    def test_participants_given_as_a_string_are_refused(self) -> None:
        """'ana' is not the list ['a', 'n', 'a']."""
        with pytest.raises(InvalidLayer, match=r"\['ana'\]"):
            Layer("primary", "ana", MONDAY, DAY)

    def test_layers_must_be_layers(self) -> None:
        """A schedule refuses anything but Layer values, naming what it got."""
        with pytest.raises(InvalidSchedule, match="'ana'"):
            Schedule("s", "Etc/UTC", ["ana"])  # type: ignore[list-item]

    def test_an_elapsed_clock_is_used_for_turns_that_do_not_divide_a_day(self) -> None:
        """5 h turns count elapsed time even when the wall clock is asked for."""
        assert not Layer("l", ["ana"], MONDAY, 5 * HOUR).uses_wall_clock
        assert Layer("l", ["ana"], MONDAY, 8 * HOUR).uses_wall_clock
        assert Layer("l", ["ana"], MONDAY, 14 * DAY).uses_wall_clock
        assert not Layer("l", ["ana"], MONDAY, DAY, clock="elapsed").uses_wall_clock

    def test_results_are_in_utc(self) -> None:
        """Whatever zone the question uses, answers come back in UTC."""
        schedule = utc_schedule(daily("primary", ["ana"]))
        asked = at(0, 5).astimezone(ZoneInfo("Asia/Kolkata"))

        (shift,) = schedule.on_call(asked)

        assert shift.start.tzinfo is UTC
        assert shift.end.tzinfo is UTC


class TestWindowsAcrossAFallBack:
    """Restriction windows inside a repeated hour keep both their occurrences."""

    def test_two_windows_in_the_repeated_hour_are_both_rendered(self) -> None:
        """01:00-01:20 and 01:40-02:00 in New York on 2024-11-03, each twice."""
        new_york = ZoneInfo("America/New_York")
        layer = Layer(
            "p",
            ["ana"],
            datetime(2024, 11, 1, tzinfo=new_york),
            DAY,
            restrictions=(
                Restriction.daily(time(1), time(1, 20)),
                Restriction.daily(time(1, 40), time(2)),
            ),
        )
        schedule = Schedule("s", "America/New_York", [layer])
        asked = datetime(2024, 11, 3, 5, 50, tzinfo=UTC)  # 01:50 EDT

        spans = [
            (s.start, s.end)
            for s in schedule.shifts(datetime(2024, 11, 3, 4, tzinfo=UTC), at(310))
            if s.start.date() == asked.date()
        ]

        assert schedule.users_on_call(asked) == ("ana",)
        assert [s.user for s in schedule.on_call(asked)] == ["ana"]
        # 01:40-02:00 EDT ends at 06:00 UTC, where 01:00-01:20 EST begins:
        # the two meet, so they are one shift.
        assert spans == [
            (
                datetime(2024, 11, 3, 5, tzinfo=UTC),
                datetime(2024, 11, 3, 5, 20, tzinfo=UTC),
            ),
            (asked - timedelta(minutes=10), datetime(2024, 11, 3, 6, 20, tzinfo=UTC)),
            (
                datetime(2024, 11, 3, 6, 40, tzinfo=UTC),
                datetime(2024, 11, 3, 7, tzinfo=UTC),
            ),
        ]
