"""The DST trio: an ordinary day, a repeated hour and a skipped hour, on real zones.

Every expected instant is a literal UTC datetime computed by hand from the rules of the
schedule contract and from these zone facts (``TestZoneFacts`` checks them):

- America/New_York, 2024: 03-10 02:00 EST -> 03:00 EDT (07:00Z);
  11-03 02:00 EDT -> 01:00 EST (06:00Z). EST is -05:00, EDT -04:00.
- Europe/Berlin, 2024: 03-31 02:00 CET -> 03:00 CEST (01:00Z);
  10-27 03:00 CEST -> 02:00 CET (01:00Z). CET is +01:00, CEST +02:00.
- Australia/Lord_Howe, 2024 (a 30 minute shift): 04-07 02:00 +11:00 -> 01:30 +10:30
  (04-06 15:00Z); 10-06 02:00 +10:30 -> 02:30 +11:00 (10-05 15:30Z).
- Asia/Kolkata: +05:30 all year, no DST.
- Pacific/Apia, 2011: 12-29 24:00 -10:00 -> 12-31 00:00 +14:00 (12-30 10:00Z); the whole
  local day 2011-12-30 does not exist.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from oncall_core import (
    AmbiguousTime,
    Handoff,
    InvalidLayer,
    InvalidOverride,
    InvalidRestriction,
    InvalidWindow,
    Layer,
    NaiveDatetime,
    NonexistentTime,
    OncallError,
    Override,
    Restriction,
    Schedule,
    Segment,
    Shift,
    UnknownTimeZone,
    resolve_local,
)

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
KOLKATA = ZoneInfo("Asia/Kolkata")
APIA = ZoneInfo("Pacific/Apia")

USERS = ("alice", "bob", "carol")
DAY = timedelta(days=1)
WEEK = timedelta(weeks=1)
HOUR = timedelta(hours=1)


def make_schedule(
    zone: str,
    start: datetime,
    turn: timedelta,
    participants: Sequence[str] = USERS,
    **options: object,
) -> Schedule:
    """One layer named "primary" in a schedule read in ``zone``."""
    layer = Layer("primary", list(participants), start, turn, **options)
    return Schedule("dst", zone, [layer])


def spans(shifts: Iterable[Shift]) -> list[tuple[str, datetime, datetime]]:
    """(user, start, end) of each shift."""
    return [(s.user, s.start, s.end) for s in shifts]


def windows(shifts: Iterable[Shift]) -> list[tuple[datetime, datetime]]:
    """(start, end) of each shift."""
    return [(s.start, s.end) for s in shifts]


def rotation(handoffs: Sequence[datetime]) -> list[tuple[str, datetime, datetime]]:
    """The shifts of alice, bob, carol taking the turns between the given handoffs."""
    return list(zip(USERS, handoffs, handoffs[1:], strict=False))


def segments(
    timeline: Iterable[Segment],
) -> list[tuple[datetime, datetime, frozenset[str]]]:
    """(start, end, users) of each segment."""
    return [(s.start, s.end, s.users) for s in timeline]


def changes(
    handoffs: Iterable[Handoff],
) -> list[tuple[datetime, frozenset[str], frozenset[str]]]:
    """(at, off, on) of each handoff."""
    return [(h.at, h.off, h.on) for h in handoffs]


def who(*users: str) -> frozenset[str]:
    """A set of user ids."""
    return frozenset(users)


def renderings(value: object) -> set[str]:
    """The usual ways a message could spell ``value``."""
    found = {str(value), repr(value)}
    if isinstance(value, datetime):
        found.add(value.isoformat())
        if value.tzinfo is not None:
            found |= {str(value.astimezone(UTC)), value.astimezone(UTC).isoformat()}
    return found


def assert_names(error: BaseException, value: object) -> None:
    """The error message spells the offending value."""
    message = str(error)
    assert any(text in message for text in renderings(value)), (
        f"{message!r} does not name {value!r}"
    )


class TestZoneFacts:
    """The tz database facts the hand-computed expectations rely on."""

    @pytest.mark.parametrize(
        ("zone", "before", "after", "offset_before", "offset_after"),
        [
            (NEW_YORK, (2024, 3, 10, 6, 59), (2024, 3, 10, 7), -5 * 60, -4 * 60),
            (NEW_YORK, (2024, 11, 3, 5, 59), (2024, 11, 3, 6), -4 * 60, -5 * 60),
            (BERLIN, (2024, 3, 31, 0, 59), (2024, 3, 31, 1), 60, 120),
            (BERLIN, (2024, 10, 27, 0, 59), (2024, 10, 27, 1), 120, 60),
            (LORD_HOWE, (2024, 4, 6, 14, 59), (2024, 4, 6, 15), 660, 630),
            (LORD_HOWE, (2024, 10, 5, 15, 29), (2024, 10, 5, 15, 30), 630, 660),
            (KOLKATA, (2024, 3, 10, 6, 59), (2024, 11, 3, 6), 330, 330),
            (APIA, (2011, 12, 30, 9, 59), (2011, 12, 30, 10), -10 * 60, 14 * 60),
        ],
    )
    def test_zone_changes_offset_at_the_documented_utc_instant(
        self,
        zone: ZoneInfo,
        before: tuple[int, ...],
        after: tuple[int, ...],
        offset_before: int,
        offset_after: int,
    ) -> None:
        """Each zone has the offsets the expectations below were computed from."""
        ahead = datetime(*before, tzinfo=UTC).astimezone(zone).utcoffset()
        behind = datetime(*after, tzinfo=UTC).astimezone(zone).utcoffset()
        assert ahead == timedelta(minutes=offset_before)
        assert behind == timedelta(minutes=offset_after)


# Four consecutive handoffs at 09:00 local; the middle turn straddles the change.
DAILY_TRIO = [
    pytest.param(
        "America/New_York",
        datetime(2024, 3, 8, 9, tzinfo=NEW_YORK),
        [
            datetime(2024, 3, 8, 14, tzinfo=UTC),
            datetime(2024, 3, 9, 14, tzinfo=UTC),
            datetime(2024, 3, 10, 13, tzinfo=UTC),
            datetime(2024, 3, 11, 13, tzinfo=UTC),
        ],
        [timedelta(hours=24), timedelta(hours=23), timedelta(hours=24)],
        id="new_york_spring_forward",
    ),
    pytest.param(
        "America/New_York",
        datetime(2024, 11, 1, 9, tzinfo=NEW_YORK),
        [
            datetime(2024, 11, 1, 13, tzinfo=UTC),
            datetime(2024, 11, 2, 13, tzinfo=UTC),
            datetime(2024, 11, 3, 14, tzinfo=UTC),
            datetime(2024, 11, 4, 14, tzinfo=UTC),
        ],
        [timedelta(hours=24), timedelta(hours=25), timedelta(hours=24)],
        id="new_york_fall_back",
    ),
    pytest.param(
        "Europe/Berlin",
        datetime(2024, 3, 29, 9, tzinfo=BERLIN),
        [
            datetime(2024, 3, 29, 8, tzinfo=UTC),
            datetime(2024, 3, 30, 8, tzinfo=UTC),
            datetime(2024, 3, 31, 7, tzinfo=UTC),
            datetime(2024, 4, 1, 7, tzinfo=UTC),
        ],
        [timedelta(hours=24), timedelta(hours=23), timedelta(hours=24)],
        id="berlin_spring_forward",
    ),
    pytest.param(
        "Europe/Berlin",
        datetime(2024, 10, 25, 9, tzinfo=BERLIN),
        [
            datetime(2024, 10, 25, 7, tzinfo=UTC),
            datetime(2024, 10, 26, 7, tzinfo=UTC),
            datetime(2024, 10, 27, 8, tzinfo=UTC),
            datetime(2024, 10, 28, 8, tzinfo=UTC),
        ],
        [timedelta(hours=24), timedelta(hours=25), timedelta(hours=24)],
        id="berlin_fall_back",
    ),
    pytest.param(
        "Australia/Lord_Howe",
        datetime(2024, 10, 4, 9, tzinfo=LORD_HOWE),
        [
            datetime(2024, 10, 3, 22, 30, tzinfo=UTC),
            datetime(2024, 10, 4, 22, 30, tzinfo=UTC),
            datetime(2024, 10, 5, 22, tzinfo=UTC),
            datetime(2024, 10, 6, 22, tzinfo=UTC),
        ],
        [timedelta(hours=24), timedelta(hours=23, minutes=30), timedelta(hours=24)],
        id="lord_howe_spring_forward",
    ),
    pytest.param(
        "Australia/Lord_Howe",
        datetime(2024, 4, 5, 9, tzinfo=LORD_HOWE),
        [
            datetime(2024, 4, 4, 22, tzinfo=UTC),
            datetime(2024, 4, 5, 22, tzinfo=UTC),
            datetime(2024, 4, 6, 22, 30, tzinfo=UTC),
            datetime(2024, 4, 7, 22, 30, tzinfo=UTC),
        ],
        [timedelta(hours=24), timedelta(hours=24, minutes=30), timedelta(hours=24)],
        id="lord_howe_fall_back",
    ),
    pytest.param(
        "Asia/Kolkata",
        datetime(2024, 3, 8, 9, tzinfo=KOLKATA),
        [
            datetime(2024, 3, 8, 3, 30, tzinfo=UTC),
            datetime(2024, 3, 9, 3, 30, tzinfo=UTC),
            datetime(2024, 3, 10, 3, 30, tzinfo=UTC),
            datetime(2024, 3, 11, 3, 30, tzinfo=UTC),
        ],
        [timedelta(hours=24), timedelta(hours=24), timedelta(hours=24)],
        id="kolkata_same_days_as_new_york_spring",
    ),
    pytest.param(
        "Asia/Kolkata",
        datetime(2024, 11, 1, 9, tzinfo=KOLKATA),
        [
            datetime(2024, 11, 1, 3, 30, tzinfo=UTC),
            datetime(2024, 11, 2, 3, 30, tzinfo=UTC),
            datetime(2024, 11, 3, 3, 30, tzinfo=UTC),
            datetime(2024, 11, 4, 3, 30, tzinfo=UTC),
        ],
        [timedelta(hours=24), timedelta(hours=24), timedelta(hours=24)],
        id="kolkata_same_days_as_new_york_fall",
    ),
]

# Four consecutive handoffs on Mondays at 09:00 local.
WEEKLY_TRIO = [
    pytest.param(
        "America/New_York",
        datetime(2024, 2, 26, 9, tzinfo=NEW_YORK),
        [
            datetime(2024, 2, 26, 14, tzinfo=UTC),
            datetime(2024, 3, 4, 14, tzinfo=UTC),
            datetime(2024, 3, 11, 13, tzinfo=UTC),
            datetime(2024, 3, 18, 13, tzinfo=UTC),
        ],
        [timedelta(hours=168), timedelta(hours=167), timedelta(hours=168)],
        id="new_york_spring_forward",
    ),
    pytest.param(
        "America/New_York",
        datetime(2024, 10, 21, 9, tzinfo=NEW_YORK),
        [
            datetime(2024, 10, 21, 13, tzinfo=UTC),
            datetime(2024, 10, 28, 13, tzinfo=UTC),
            datetime(2024, 11, 4, 14, tzinfo=UTC),
            datetime(2024, 11, 11, 14, tzinfo=UTC),
        ],
        [timedelta(hours=168), timedelta(hours=169), timedelta(hours=168)],
        id="new_york_fall_back",
    ),
    pytest.param(
        "Europe/Berlin",
        datetime(2024, 3, 18, 9, tzinfo=BERLIN),
        [
            datetime(2024, 3, 18, 8, tzinfo=UTC),
            datetime(2024, 3, 25, 8, tzinfo=UTC),
            datetime(2024, 4, 1, 7, tzinfo=UTC),
            datetime(2024, 4, 8, 7, tzinfo=UTC),
        ],
        [timedelta(hours=168), timedelta(hours=167), timedelta(hours=168)],
        id="berlin_spring_forward",
    ),
    pytest.param(
        "Europe/Berlin",
        datetime(2024, 10, 14, 9, tzinfo=BERLIN),
        [
            datetime(2024, 10, 14, 7, tzinfo=UTC),
            datetime(2024, 10, 21, 7, tzinfo=UTC),
            datetime(2024, 10, 28, 8, tzinfo=UTC),
            datetime(2024, 11, 4, 8, tzinfo=UTC),
        ],
        [timedelta(hours=168), timedelta(hours=169), timedelta(hours=168)],
        id="berlin_fall_back",
    ),
    pytest.param(
        "Australia/Lord_Howe",
        datetime(2024, 9, 23, 9, tzinfo=LORD_HOWE),
        [
            datetime(2024, 9, 22, 22, 30, tzinfo=UTC),
            datetime(2024, 9, 29, 22, 30, tzinfo=UTC),
            datetime(2024, 10, 6, 22, tzinfo=UTC),
            datetime(2024, 10, 13, 22, tzinfo=UTC),
        ],
        [
            timedelta(hours=168),
            timedelta(hours=167, minutes=30),
            timedelta(hours=168),
        ],
        id="lord_howe_spring_forward",
    ),
    pytest.param(
        "Australia/Lord_Howe",
        datetime(2024, 3, 25, 9, tzinfo=LORD_HOWE),
        [
            datetime(2024, 3, 24, 22, tzinfo=UTC),
            datetime(2024, 3, 31, 22, tzinfo=UTC),
            datetime(2024, 4, 7, 22, 30, tzinfo=UTC),
            datetime(2024, 4, 14, 22, 30, tzinfo=UTC),
        ],
        [
            timedelta(hours=168),
            timedelta(hours=168, minutes=30),
            timedelta(hours=168),
        ],
        id="lord_howe_fall_back",
    ),
    pytest.param(
        "Asia/Kolkata",
        datetime(2024, 2, 26, 9, tzinfo=KOLKATA),
        [
            datetime(2024, 2, 26, 3, 30, tzinfo=UTC),
            datetime(2024, 3, 4, 3, 30, tzinfo=UTC),
            datetime(2024, 3, 11, 3, 30, tzinfo=UTC),
            datetime(2024, 3, 18, 3, 30, tzinfo=UTC),
        ],
        [timedelta(hours=168), timedelta(hours=168), timedelta(hours=168)],
        id="kolkata_same_weeks_as_new_york_spring",
    ),
]

# Four consecutive handoffs at 09:00, 21:00, 09:00, 21:00 local.
TWELVE_HOUR_TRIO = [
    pytest.param(
        "America/New_York",
        datetime(2024, 3, 9, 9, tzinfo=NEW_YORK),
        [
            datetime(2024, 3, 9, 14, tzinfo=UTC),
            datetime(2024, 3, 10, 2, tzinfo=UTC),
            datetime(2024, 3, 10, 13, tzinfo=UTC),
            datetime(2024, 3, 11, 1, tzinfo=UTC),
        ],
        [timedelta(hours=12), timedelta(hours=11), timedelta(hours=12)],
        id="new_york_spring_forward",
    ),
    pytest.param(
        "America/New_York",
        datetime(2024, 11, 2, 9, tzinfo=NEW_YORK),
        [
            datetime(2024, 11, 2, 13, tzinfo=UTC),
            datetime(2024, 11, 3, 1, tzinfo=UTC),
            datetime(2024, 11, 3, 14, tzinfo=UTC),
            datetime(2024, 11, 4, 2, tzinfo=UTC),
        ],
        [timedelta(hours=12), timedelta(hours=13), timedelta(hours=12)],
        id="new_york_fall_back",
    ),
    pytest.param(
        "Europe/Berlin",
        datetime(2024, 3, 30, 9, tzinfo=BERLIN),
        [
            datetime(2024, 3, 30, 8, tzinfo=UTC),
            datetime(2024, 3, 30, 20, tzinfo=UTC),
            datetime(2024, 3, 31, 7, tzinfo=UTC),
            datetime(2024, 3, 31, 19, tzinfo=UTC),
        ],
        [timedelta(hours=12), timedelta(hours=11), timedelta(hours=12)],
        id="berlin_spring_forward",
    ),
    pytest.param(
        "Europe/Berlin",
        datetime(2024, 10, 26, 9, tzinfo=BERLIN),
        [
            datetime(2024, 10, 26, 7, tzinfo=UTC),
            datetime(2024, 10, 26, 19, tzinfo=UTC),
            datetime(2024, 10, 27, 8, tzinfo=UTC),
            datetime(2024, 10, 27, 20, tzinfo=UTC),
        ],
        [timedelta(hours=12), timedelta(hours=13), timedelta(hours=12)],
        id="berlin_fall_back",
    ),
    pytest.param(
        "Australia/Lord_Howe",
        datetime(2024, 10, 5, 9, tzinfo=LORD_HOWE),
        [
            datetime(2024, 10, 4, 22, 30, tzinfo=UTC),
            datetime(2024, 10, 5, 10, 30, tzinfo=UTC),
            datetime(2024, 10, 5, 22, tzinfo=UTC),
            datetime(2024, 10, 6, 10, tzinfo=UTC),
        ],
        [timedelta(hours=12), timedelta(hours=11, minutes=30), timedelta(hours=12)],
        id="lord_howe_spring_forward",
    ),
    pytest.param(
        "Australia/Lord_Howe",
        datetime(2024, 4, 6, 9, tzinfo=LORD_HOWE),
        [
            datetime(2024, 4, 5, 22, tzinfo=UTC),
            datetime(2024, 4, 6, 10, tzinfo=UTC),
            datetime(2024, 4, 6, 22, 30, tzinfo=UTC),
            datetime(2024, 4, 7, 10, 30, tzinfo=UTC),
        ],
        [timedelta(hours=12), timedelta(hours=12, minutes=30), timedelta(hours=12)],
        id="lord_howe_fall_back",
    ),
    pytest.param(
        "Asia/Kolkata",
        datetime(2024, 3, 9, 9, tzinfo=KOLKATA),
        [
            datetime(2024, 3, 9, 3, 30, tzinfo=UTC),
            datetime(2024, 3, 9, 15, 30, tzinfo=UTC),
            datetime(2024, 3, 10, 3, 30, tzinfo=UTC),
            datetime(2024, 3, 10, 15, 30, tzinfo=UTC),
        ],
        [timedelta(hours=12), timedelta(hours=12), timedelta(hours=12)],
        id="kolkata_same_days_as_new_york_spring",
    ),
]


class TestDailyWallClockTurn:
    """A daily turn hands off at the same local time, so its UTC length follows DST."""

    @pytest.mark.parametrize(("zone", "start", "handoffs", "lengths"), DAILY_TRIO)
    def test_daily_turn_hands_off_at_the_same_local_time_every_day(
        self,
        zone: str,
        start: datetime,
        handoffs: list[datetime],
        lengths: list[timedelta],
    ) -> None:
        """Handoffs stay at 09:00 local, so the turn over the change changes length."""
        shifts = make_schedule(zone, start, DAY).shifts(handoffs[0], handoffs[-1])
        assert spans(shifts) == rotation(handoffs)
        assert [s.turn for s in shifts] == [0, 1, 2]
        assert [s.end - s.start for s in shifts] == lengths

    def test_daily_turn_lasts_23_hours_on_spring_forward_day(self) -> None:
        """New York, 2024-03-09 09:00 EST to 2024-03-10 09:00 EDT is 23 hours."""
        schedule = make_schedule(
            "America/New_York", datetime(2024, 3, 9, 9, tzinfo=NEW_YORK), DAY
        )
        [shift] = schedule.on_call(datetime(2024, 3, 10, 12, 59, 59, tzinfo=UTC))
        assert (shift.user, shift.start, shift.end) == (
            "alice",
            datetime(2024, 3, 9, 14, tzinfo=UTC),
            datetime(2024, 3, 10, 13, tzinfo=UTC),
        )
        assert shift.end - shift.start == timedelta(hours=23)

    def test_daily_turn_lasts_25_hours_on_fall_back_day(self) -> None:
        """New York, 2024-11-02 09:00 EDT to 2024-11-03 09:00 EST is 25 hours."""
        schedule = make_schedule(
            "America/New_York", datetime(2024, 11, 2, 9, tzinfo=NEW_YORK), DAY
        )
        [shift] = schedule.on_call(datetime(2024, 11, 3, 13, 30, tzinfo=UTC))
        assert (shift.user, shift.start, shift.end) == (
            "alice",
            datetime(2024, 11, 2, 13, tzinfo=UTC),
            datetime(2024, 11, 3, 14, tzinfo=UTC),
        )
        assert shift.end - shift.start == timedelta(hours=25)

    def test_handoffs_read_back_as_nine_o_clock_local_on_both_sides_of_the_change(
        self,
    ) -> None:
        """Every Berlin handoff over the spring change is 09:00 on the wall clock."""
        schedule = make_schedule(
            "Europe/Berlin", datetime(2024, 3, 29, 9, tzinfo=BERLIN), DAY
        )
        shifts = schedule.shifts(
            datetime(2024, 3, 29, 8, tzinfo=UTC), datetime(2024, 4, 2, 7, tzinfo=UTC)
        )
        assert [s.start.astimezone(BERLIN).time() for s in shifts] == [time(9)] * 4

    def test_two_day_turn_keeps_the_local_time_and_lasts_47_hours(self) -> None:
        """A turn of whole days is wall clock: 03-09 09:00 EST to 03-11 09:00 EDT."""
        schedule = make_schedule(
            "America/New_York", datetime(2024, 3, 9, 9, tzinfo=NEW_YORK), 2 * DAY
        )
        shifts = schedule.shifts(
            datetime(2024, 3, 9, 14, tzinfo=UTC), datetime(2024, 3, 13, 13, tzinfo=UTC)
        )
        assert spans(shifts) == [
            (
                "alice",
                datetime(2024, 3, 9, 14, tzinfo=UTC),
                datetime(2024, 3, 11, 13, tzinfo=UTC),
            ),
            (
                "bob",
                datetime(2024, 3, 11, 13, tzinfo=UTC),
                datetime(2024, 3, 13, 13, tzinfo=UTC),
            ),
        ]

    def test_layer_start_in_another_zone_is_read_in_the_schedule_zone(self) -> None:
        """A start at 15:00 CET is 09:00 in New York; the handoffs stay at 09:00."""
        schedule = make_schedule(
            "America/New_York", datetime(2024, 3, 9, 15, tzinfo=BERLIN), DAY
        )
        shifts = schedule.shifts(
            datetime(2024, 3, 9, 14, tzinfo=UTC), datetime(2024, 3, 11, 13, tzinfo=UTC)
        )
        assert spans(shifts) == rotation(
            [
                datetime(2024, 3, 9, 14, tzinfo=UTC),
                datetime(2024, 3, 10, 13, tzinfo=UTC),
                datetime(2024, 3, 11, 13, tzinfo=UTC),
            ]
        )


class TestWeeklyWallClockTurn:
    """A weekly turn hands off on the same weekday and local time every week."""

    @pytest.mark.parametrize(("zone", "start", "handoffs", "lengths"), WEEKLY_TRIO)
    def test_weekly_turn_hands_off_on_monday_at_nine_local_every_week(
        self,
        zone: str,
        start: datetime,
        handoffs: list[datetime],
        lengths: list[timedelta],
    ) -> None:
        """The week over the change is an hour (or half an hour) shorter or longer."""
        shifts = make_schedule(zone, start, WEEK).shifts(handoffs[0], handoffs[-1])
        assert spans(shifts) == rotation(handoffs)
        assert [s.turn for s in shifts] == [0, 1, 2]
        assert [s.end - s.start for s in shifts] == lengths


class TestTwelveHourWallClockTurn:
    """A 12 h turn divides the day, so it keeps 09:00 and 21:00 local."""

    @pytest.mark.parametrize(("zone", "start", "handoffs", "lengths"), TWELVE_HOUR_TRIO)
    def test_twelve_hour_turn_keeps_nine_and_twenty_one_local(
        self,
        zone: str,
        start: datetime,
        handoffs: list[datetime],
        lengths: list[timedelta],
    ) -> None:
        """The night turn over the change is shorter or longer than 12 hours."""
        schedule = make_schedule(zone, start, timedelta(hours=12))
        shifts = schedule.shifts(handoffs[0], handoffs[-1])
        assert spans(shifts) == rotation(handoffs)
        assert [s.end - s.start for s in shifts] == lengths
        local = ZoneInfo(zone)
        assert [s.start.astimezone(local).time() for s in shifts] == [
            time(9),
            time(21),
            time(9),
        ]


class TestHourlyWallClockTurn:
    """Turns that divide a day evenly, shorter than the gap or the repeat."""

    def test_hourly_turn_at_the_skipped_hour_has_zero_length_and_yields_no_shift(
        self,
    ) -> None:
        """New York 2024-03-10: carol's 02:00 turn vanishes, the rotation goes on."""
        schedule = make_schedule(
            "America/New_York", datetime(2024, 3, 10, 0, tzinfo=NEW_YORK), HOUR
        )
        shifts = schedule.shifts(
            datetime(2024, 3, 10, 5, tzinfo=UTC), datetime(2024, 3, 10, 9, tzinfo=UTC)
        )
        assert spans(shifts) == [
            (
                "alice",
                datetime(2024, 3, 10, 5, tzinfo=UTC),
                datetime(2024, 3, 10, 6, tzinfo=UTC),
            ),
            (
                "bob",
                datetime(2024, 3, 10, 6, tzinfo=UTC),
                datetime(2024, 3, 10, 7, tzinfo=UTC),
            ),
            (
                "alice",
                datetime(2024, 3, 10, 7, tzinfo=UTC),
                datetime(2024, 3, 10, 8, tzinfo=UTC),
            ),
            (
                "bob",
                datetime(2024, 3, 10, 8, tzinfo=UTC),
                datetime(2024, 3, 10, 9, tzinfo=UTC),
            ),
        ]
        assert [s.turn for s in shifts] == [0, 1, 3, 4]

    def test_hourly_turn_leaves_no_gap_over_the_skipped_hour(self) -> None:
        """The timeline over the New York spring-forward night has no empty segment."""
        schedule = make_schedule(
            "America/New_York", datetime(2024, 3, 10, 0, tzinfo=NEW_YORK), HOUR
        )
        timeline = schedule.timeline(
            datetime(2024, 3, 10, 5, tzinfo=UTC), datetime(2024, 3, 10, 9, tzinfo=UTC)
        )
        assert segments(timeline) == [
            (
                datetime(2024, 3, 10, 5, tzinfo=UTC),
                datetime(2024, 3, 10, 6, tzinfo=UTC),
                who("alice"),
            ),
            (
                datetime(2024, 3, 10, 6, tzinfo=UTC),
                datetime(2024, 3, 10, 7, tzinfo=UTC),
                who("bob"),
            ),
            (
                datetime(2024, 3, 10, 7, tzinfo=UTC),
                datetime(2024, 3, 10, 8, tzinfo=UTC),
                who("alice"),
            ),
            (
                datetime(2024, 3, 10, 8, tzinfo=UTC),
                datetime(2024, 3, 10, 9, tzinfo=UTC),
                who("bob"),
            ),
        ]

    def test_hourly_turn_at_one_o_clock_lasts_two_hours_on_fall_back_day(
        self,
    ) -> None:
        """New York 2024-11-03: 01:00 is the EDT one, 02:00 is EST, so bob has 2 h."""
        schedule = make_schedule(
            "America/New_York", datetime(2024, 11, 3, 0, tzinfo=NEW_YORK), HOUR
        )
        shifts = schedule.shifts(
            datetime(2024, 11, 3, 4, tzinfo=UTC), datetime(2024, 11, 3, 8, tzinfo=UTC)
        )
        assert spans(shifts) == [
            (
                "alice",
                datetime(2024, 11, 3, 4, tzinfo=UTC),
                datetime(2024, 11, 3, 5, tzinfo=UTC),
            ),
            (
                "bob",
                datetime(2024, 11, 3, 5, tzinfo=UTC),
                datetime(2024, 11, 3, 7, tzinfo=UTC),
            ),
            (
                "carol",
                datetime(2024, 11, 3, 7, tzinfo=UTC),
                datetime(2024, 11, 3, 8, tzinfo=UTC),
            ),
        ]
        assert [s.turn for s in shifts] == [0, 1, 2]

    def test_hourly_turn_over_lord_howe_half_hour_gap_lasts_half_an_hour(
        self,
    ) -> None:
        """Lord Howe 2024-10-06: 02:00 moves to 02:30 (+11:00), carol keeps 30 min."""
        schedule = make_schedule(
            "Australia/Lord_Howe", datetime(2024, 10, 6, 0, tzinfo=LORD_HOWE), HOUR
        )
        shifts = schedule.shifts(
            datetime(2024, 10, 5, 13, 30, tzinfo=UTC),
            datetime(2024, 10, 5, 17, tzinfo=UTC),
        )
        assert spans(shifts) == [
            (
                "alice",
                datetime(2024, 10, 5, 13, 30, tzinfo=UTC),
                datetime(2024, 10, 5, 14, 30, tzinfo=UTC),
            ),
            (
                "bob",
                datetime(2024, 10, 5, 14, 30, tzinfo=UTC),
                datetime(2024, 10, 5, 15, 30, tzinfo=UTC),
            ),
            (
                "carol",
                datetime(2024, 10, 5, 15, 30, tzinfo=UTC),
                datetime(2024, 10, 5, 16, tzinfo=UTC),
            ),
            (
                "alice",
                datetime(2024, 10, 5, 16, tzinfo=UTC),
                datetime(2024, 10, 5, 17, tzinfo=UTC),
            ),
        ]


class TestElapsedClock:
    """Elapsed-time turns keep their exact length whatever DST does."""

    def test_forced_elapsed_daily_turn_lasts_24_hours_over_spring_forward(
        self,
    ) -> None:
        """clock="elapsed": 09:00 EST, then 10:00 EDT, exactly 24 hours apart."""
        schedule = make_schedule(
            "America/New_York",
            datetime(2024, 3, 9, 9, tzinfo=NEW_YORK),
            DAY,
            clock="elapsed",
        )
        shifts = schedule.shifts(
            datetime(2024, 3, 9, 14, tzinfo=UTC), datetime(2024, 3, 11, 14, tzinfo=UTC)
        )
        assert spans(shifts) == rotation(
            [
                datetime(2024, 3, 9, 14, tzinfo=UTC),
                datetime(2024, 3, 10, 14, tzinfo=UTC),
                datetime(2024, 3, 11, 14, tzinfo=UTC),
            ]
        )

    def test_forced_elapsed_daily_turn_lasts_24_hours_over_fall_back(self) -> None:
        """clock="elapsed": 09:00 EDT, then 08:00 EST, exactly 24 hours apart."""
        schedule = make_schedule(
            "America/New_York",
            datetime(2024, 11, 2, 9, tzinfo=NEW_YORK),
            DAY,
            clock="elapsed",
        )
        shifts = schedule.shifts(
            datetime(2024, 11, 2, 13, tzinfo=UTC), datetime(2024, 11, 4, 13, tzinfo=UTC)
        )
        assert spans(shifts) == rotation(
            [
                datetime(2024, 11, 2, 13, tzinfo=UTC),
                datetime(2024, 11, 3, 13, tzinfo=UTC),
                datetime(2024, 11, 4, 13, tzinfo=UTC),
            ]
        )

    def test_forced_elapsed_twelve_hour_turn_drifts_to_ten_local_in_berlin(
        self,
    ) -> None:
        """clock="elapsed": 21:00 CET, then 10:00 CEST and 22:00 CEST, 12 h apart."""
        schedule = make_schedule(
            "Europe/Berlin",
            datetime(2024, 3, 30, 21, tzinfo=BERLIN),
            timedelta(hours=12),
            clock="elapsed",
        )
        shifts = schedule.shifts(
            datetime(2024, 3, 30, 20, tzinfo=UTC), datetime(2024, 3, 31, 20, tzinfo=UTC)
        )
        assert spans(shifts) == rotation(
            [
                datetime(2024, 3, 30, 20, tzinfo=UTC),
                datetime(2024, 3, 31, 8, tzinfo=UTC),
                datetime(2024, 3, 31, 20, tzinfo=UTC),
            ]
        )

    def test_forced_elapsed_weekly_turn_lasts_168_hours_over_fall_back(self) -> None:
        """clock="elapsed": Monday 09:00 CEST, then Monday 08:00 CET in Berlin."""
        schedule = make_schedule(
            "Europe/Berlin",
            datetime(2024, 10, 21, 9, tzinfo=BERLIN),
            WEEK,
            clock="elapsed",
        )
        [shift] = schedule.on_call(datetime(2024, 10, 27, 12, tzinfo=UTC))
        assert (shift.start, shift.end) == (
            datetime(2024, 10, 21, 7, tzinfo=UTC),
            datetime(2024, 10, 28, 7, tzinfo=UTC),
        )

    def test_thirty_six_hour_turn_is_elapsed_time_over_spring_forward(self) -> None:
        """A 36 h turn is elapsed: 09:00 EST, then 22:00 EDT the next day."""
        schedule = make_schedule(
            "America/New_York",
            datetime(2024, 3, 9, 9, tzinfo=NEW_YORK),
            timedelta(hours=36),
        )
        shifts = schedule.shifts(
            datetime(2024, 3, 9, 14, tzinfo=UTC), datetime(2024, 3, 12, 14, tzinfo=UTC)
        )
        assert spans(shifts) == rotation(
            [
                datetime(2024, 3, 9, 14, tzinfo=UTC),
                datetime(2024, 3, 11, 2, tzinfo=UTC),
                datetime(2024, 3, 12, 14, tzinfo=UTC),
            ]
        )

    def test_five_hour_turn_is_elapsed_time_over_fall_back(self) -> None:
        """A 5 h turn is elapsed: 23:00 EDT, 03:00 EST, 08:00 EST on 2024-11-03."""
        schedule = make_schedule(
            "America/New_York",
            datetime(2024, 11, 2, 23, tzinfo=NEW_YORK),
            timedelta(hours=5),
        )
        shifts = schedule.shifts(
            datetime(2024, 11, 3, 3, tzinfo=UTC), datetime(2024, 11, 3, 18, tzinfo=UTC)
        )
        assert spans(shifts) == rotation(
            [
                datetime(2024, 11, 3, 3, tzinfo=UTC),
                datetime(2024, 11, 3, 8, tzinfo=UTC),
                datetime(2024, 11, 3, 13, tzinfo=UTC),
                datetime(2024, 11, 3, 18, tzinfo=UTC),
            ]
        )

    def test_five_hour_turn_is_elapsed_time_over_lord_howe_half_hour_gap(
        self,
    ) -> None:
        """A 5 h turn from 22:00 +10:30 hands off at 03:30 +11:00, not 03:00."""
        schedule = make_schedule(
            "Australia/Lord_Howe",
            datetime(2024, 10, 5, 22, tzinfo=LORD_HOWE),
            timedelta(hours=5),
        )
        shifts = schedule.shifts(
            datetime(2024, 10, 5, 11, 30, tzinfo=UTC),
            datetime(2024, 10, 5, 21, 30, tzinfo=UTC),
        )
        assert spans(shifts) == rotation(
            [
                datetime(2024, 10, 5, 11, 30, tzinfo=UTC),
                datetime(2024, 10, 5, 16, 30, tzinfo=UTC),
                datetime(2024, 10, 5, 21, 30, tzinfo=UTC),
            ]
        )


class TestShiftShorterThanTurn:
    """A shift shorter than the turn is measured like the turn."""

    def test_wall_clock_night_shift_lasts_11_hours_over_spring_forward(self) -> None:
        """Daily turn at 20:00 with a 12 h shift: 20:00 EST to 08:00 EDT is 11 h."""
        schedule = make_schedule(
            "America/New_York",
            datetime(2024, 3, 8, 20, tzinfo=NEW_YORK),
            DAY,
            shift=timedelta(hours=12),
        )
        shifts = schedule.shifts(
            datetime(2024, 3, 9, 1, tzinfo=UTC), datetime(2024, 3, 11, 12, tzinfo=UTC)
        )
        assert spans(shifts) == [
            (
                "alice",
                datetime(2024, 3, 9, 1, tzinfo=UTC),
                datetime(2024, 3, 9, 13, tzinfo=UTC),
            ),
            (
                "bob",
                datetime(2024, 3, 10, 1, tzinfo=UTC),
                datetime(2024, 3, 10, 12, tzinfo=UTC),
            ),
            (
                "carol",
                datetime(2024, 3, 11, 0, tzinfo=UTC),
                datetime(2024, 3, 11, 12, tzinfo=UTC),
            ),
        ]

    def test_wall_clock_night_shift_lasts_13_hours_over_fall_back(self) -> None:
        """Daily turn at 20:00 with a 12 h shift: 20:00 EDT to 08:00 EST is 13 h."""
        schedule = make_schedule(
            "America/New_York",
            datetime(2024, 11, 1, 20, tzinfo=NEW_YORK),
            DAY,
            shift=timedelta(hours=12),
        )
        shifts = schedule.shifts(
            datetime(2024, 11, 2, 0, tzinfo=UTC), datetime(2024, 11, 4, 13, tzinfo=UTC)
        )
        assert spans(shifts) == [
            (
                "alice",
                datetime(2024, 11, 2, 0, tzinfo=UTC),
                datetime(2024, 11, 2, 12, tzinfo=UTC),
            ),
            (
                "bob",
                datetime(2024, 11, 3, 0, tzinfo=UTC),
                datetime(2024, 11, 3, 13, tzinfo=UTC),
            ),
            (
                "carol",
                datetime(2024, 11, 4, 1, tzinfo=UTC),
                datetime(2024, 11, 4, 13, tzinfo=UTC),
            ),
        ]

    def test_elapsed_night_shift_lasts_12_hours_over_spring_forward(self) -> None:
        """clock="elapsed": the shift from 20:00 EST ends 12 h later, at 09:00 EDT."""
        schedule = make_schedule(
            "America/New_York",
            datetime(2024, 3, 9, 20, tzinfo=NEW_YORK),
            DAY,
            shift=timedelta(hours=12),
            clock="elapsed",
        )
        shifts = schedule.shifts(
            datetime(2024, 3, 10, 1, tzinfo=UTC), datetime(2024, 3, 10, 14, tzinfo=UTC)
        )
        assert spans(shifts) == [
            (
                "alice",
                datetime(2024, 3, 10, 1, tzinfo=UTC),
                datetime(2024, 3, 10, 13, tzinfo=UTC),
            )
        ]

    def test_shift_ending_in_the_gap_is_clamped_to_its_turn(self) -> None:
        """Turn at 03:00, shift 23.5 h: 02:30 is skipped, so the shift ends at 03:00."""
        schedule = make_schedule(
            "America/New_York",
            datetime(2024, 3, 9, 3, tzinfo=NEW_YORK),
            DAY,
            shift=timedelta(hours=23, minutes=30),
        )
        shifts = schedule.shifts(
            datetime(2024, 3, 9, 8, tzinfo=UTC), datetime(2024, 3, 11, 7, tzinfo=UTC)
        )
        assert spans(shifts) == [
            (
                "alice",
                datetime(2024, 3, 9, 8, tzinfo=UTC),
                datetime(2024, 3, 10, 7, tzinfo=UTC),
            ),
            (
                "bob",
                datetime(2024, 3, 10, 7, tzinfo=UTC),
                datetime(2024, 3, 11, 6, 30, tzinfo=UTC),
            ),
        ]


class TestHandoffAtAnOddLocalTime:
    """Handoffs at a local time that is skipped or repeated on the change day."""

    def test_handoff_at_skipped_0230_happens_at_0330_edt(self) -> None:
        """New York daily 02:30: on 2024-03-10 the handoff is at 03:30 EDT (07:30Z)."""
        schedule = make_schedule(
            "America/New_York", datetime(2024, 3, 8, 2, 30, tzinfo=NEW_YORK), DAY
        )
        shifts = schedule.shifts(
            datetime(2024, 3, 8, 7, 30, tzinfo=UTC),
            datetime(2024, 3, 11, 6, 30, tzinfo=UTC),
        )
        assert spans(shifts) == rotation(
            [
                datetime(2024, 3, 8, 7, 30, tzinfo=UTC),
                datetime(2024, 3, 9, 7, 30, tzinfo=UTC),
                datetime(2024, 3, 10, 7, 30, tzinfo=UTC),
                datetime(2024, 3, 11, 6, 30, tzinfo=UTC),
            ]
        )
        moved = shifts[2].start.astimezone(NEW_YORK)
        assert (moved.time(), moved.utcoffset()) == (time(3, 30), timedelta(hours=-4))

    def test_handoff_after_the_skipped_day_returns_to_0230(self) -> None:
        """New York daily 02:30: on 2024-03-11 the handoff is 02:30 EDT again."""
        schedule = make_schedule(
            "America/New_York", datetime(2024, 3, 8, 2, 30, tzinfo=NEW_YORK), DAY
        )
        [shift] = schedule.on_call(datetime(2024, 3, 11, 12, tzinfo=UTC))
        assert (shift.user, shift.start, shift.turn) == (
            "alice",
            datetime(2024, 3, 11, 6, 30, tzinfo=UTC),
            3,
        )

    def test_handoff_at_repeated_0130_uses_the_earlier_edt_occurrence(self) -> None:
        """New York daily 01:30: on 2024-11-03 the handoff is 01:30 EDT (05:30Z)."""
        schedule = make_schedule(
            "America/New_York", datetime(2024, 11, 2, 1, 30, tzinfo=NEW_YORK), DAY
        )
        shifts = schedule.shifts(
            datetime(2024, 11, 2, 5, 30, tzinfo=UTC),
            datetime(2024, 11, 4, 6, 30, tzinfo=UTC),
        )
        assert spans(shifts) == rotation(
            [
                datetime(2024, 11, 2, 5, 30, tzinfo=UTC),
                datetime(2024, 11, 3, 5, 30, tzinfo=UTC),
                datetime(2024, 11, 4, 6, 30, tzinfo=UTC),
            ]
        )
        assert [s.end - s.start for s in shifts] == [
            timedelta(hours=24),
            timedelta(hours=25),
        ]

    def test_handoff_at_skipped_0230_in_berlin_happens_at_0330_cest(self) -> None:
        """Berlin daily 02:30: 03-31 02:30 does not exist, so 03:30 CEST (01:30Z)."""
        schedule = make_schedule(
            "Europe/Berlin", datetime(2024, 3, 30, 2, 30, tzinfo=BERLIN), DAY
        )
        shifts = schedule.shifts(
            datetime(2024, 3, 30, 1, 30, tzinfo=UTC),
            datetime(2024, 4, 1, 0, 30, tzinfo=UTC),
        )
        assert spans(shifts) == rotation(
            [
                datetime(2024, 3, 30, 1, 30, tzinfo=UTC),
                datetime(2024, 3, 31, 1, 30, tzinfo=UTC),
                datetime(2024, 4, 1, 0, 30, tzinfo=UTC),
            ]
        )

    def test_handoff_at_repeated_0230_in_berlin_uses_the_cest_occurrence(self) -> None:
        """Berlin daily 02:30: 10-27 02:30 happens twice; the CEST one is 00:30Z."""
        schedule = make_schedule(
            "Europe/Berlin", datetime(2024, 10, 26, 2, 30, tzinfo=BERLIN), DAY
        )
        shifts = schedule.shifts(
            datetime(2024, 10, 26, 0, 30, tzinfo=UTC),
            datetime(2024, 10, 28, 1, 30, tzinfo=UTC),
        )
        assert spans(shifts) == rotation(
            [
                datetime(2024, 10, 26, 0, 30, tzinfo=UTC),
                datetime(2024, 10, 27, 0, 30, tzinfo=UTC),
                datetime(2024, 10, 28, 1, 30, tzinfo=UTC),
            ]
        )

    def test_handoff_in_lord_howe_half_hour_gap_moves_forward_30_minutes(
        self,
    ) -> None:
        """Lord Howe daily 02:15: on 2024-10-06 it is 02:45 +11:00 (10-05 15:45Z)."""
        schedule = make_schedule(
            "Australia/Lord_Howe",
            datetime(2024, 10, 5, 2, 15, tzinfo=LORD_HOWE),
            DAY,
        )
        shifts = schedule.shifts(
            datetime(2024, 10, 4, 15, 45, tzinfo=UTC),
            datetime(2024, 10, 6, 15, 15, tzinfo=UTC),
        )
        assert spans(shifts) == rotation(
            [
                datetime(2024, 10, 4, 15, 45, tzinfo=UTC),
                datetime(2024, 10, 5, 15, 45, tzinfo=UTC),
                datetime(2024, 10, 6, 15, 15, tzinfo=UTC),
            ]
        )

    def test_handoff_in_lord_howe_repeated_half_hour_uses_the_earlier_one(
        self,
    ) -> None:
        """Lord Howe daily 01:45: on 2024-04-07 it is 01:45 +11:00 (04-06 14:45Z)."""
        schedule = make_schedule(
            "Australia/Lord_Howe",
            datetime(2024, 4, 6, 1, 45, tzinfo=LORD_HOWE),
            DAY,
        )
        shifts = schedule.shifts(
            datetime(2024, 4, 5, 14, 45, tzinfo=UTC),
            datetime(2024, 4, 7, 15, 15, tzinfo=UTC),
        )
        assert spans(shifts) == rotation(
            [
                datetime(2024, 4, 5, 14, 45, tzinfo=UTC),
                datetime(2024, 4, 6, 14, 45, tzinfo=UTC),
                datetime(2024, 4, 7, 15, 15, tzinfo=UTC),
            ]
        )


class TestRestrictionsAcrossDst:
    """Restriction windows are read by membership of the local wall-clock time."""

    def test_daily_window_on_the_skipped_hour_covers_nothing_that_day(self) -> None:
        """New York daily 02:00-03:00: 1 h on 03-09 and 03-11, nothing on 03-10."""
        schedule = make_schedule(
            "America/New_York",
            datetime(2024, 3, 1, 0, tzinfo=NEW_YORK),
            DAY,
            participants=["alice"],
            restrictions=[Restriction.daily(time(2), time(3))],
        )
        shifts = schedule.shifts(
            datetime(2024, 3, 9, 5, tzinfo=UTC), datetime(2024, 3, 12, 4, tzinfo=UTC)
        )
        assert windows(shifts) == [
            (datetime(2024, 3, 9, 7, tzinfo=UTC), datetime(2024, 3, 9, 8, tzinfo=UTC)),
            (
                datetime(2024, 3, 11, 6, tzinfo=UTC),
                datetime(2024, 3, 11, 7, tzinfo=UTC),
            ),
        ]
        assert schedule.users_on_call(datetime(2024, 3, 10, 6, 59, tzinfo=UTC)) == ()
        assert schedule.users_on_call(datetime(2024, 3, 10, 7, tzinfo=UTC)) == ()

    def test_daily_window_on_the_repeated_hour_covers_both_occurrences(self) -> None:
        """New York daily 01:00-02:00 on 2024-11-03 covers 05:00Z-07:00Z (2 hours)."""
        schedule = make_schedule(
            "America/New_York",
            datetime(2024, 10, 1, 0, tzinfo=NEW_YORK),
            DAY,
            participants=["alice"],
            restrictions=[Restriction.daily(time(1), time(2))],
        )
        shifts = schedule.shifts(
            datetime(2024, 11, 2, 4, tzinfo=UTC), datetime(2024, 11, 5, 5, tzinfo=UTC)
        )
        assert windows(shifts) == [
            (
                datetime(2024, 11, 2, 5, tzinfo=UTC),
                datetime(2024, 11, 2, 6, tzinfo=UTC),
            ),
            (
                datetime(2024, 11, 3, 5, tzinfo=UTC),
                datetime(2024, 11, 3, 7, tzinfo=UTC),
            ),
            (
                datetime(2024, 11, 4, 6, tzinfo=UTC),
                datetime(2024, 11, 4, 7, tzinfo=UTC),
            ),
        ]

    def test_repeated_hour_window_is_on_call_in_both_occurrences(self) -> None:
        """01:30 EDT (05:30Z) and 01:30 EST (06:30Z) are both inside 01:00-02:00."""
        schedule = make_schedule(
            "America/New_York",
            datetime(2024, 10, 1, 0, tzinfo=NEW_YORK),
            DAY,
            participants=["alice"],
            restrictions=[Restriction.daily(time(1), time(2))],
        )
        assert schedule.users_on_call(datetime(2024, 11, 3, 5, 30, tzinfo=UTC)) == (
            "alice",
        )
        assert schedule.users_on_call(datetime(2024, 11, 3, 6, 30, tzinfo=UTC)) == (
            "alice",
        )
        assert schedule.users_on_call(datetime(2024, 11, 3, 7, tzinfo=UTC)) == ()
        assert schedule.users_on_call(datetime(2024, 11, 3, 4, 59, tzinfo=UTC)) == ()

    def test_repeated_hour_window_makes_one_timeline_segment_and_two_handoffs(
        self,
    ) -> None:
        """Around 2024-11-03 the timeline is gap, alice for 2 hours, gap."""
        schedule = make_schedule(
            "America/New_York",
            datetime(2024, 10, 1, 0, tzinfo=NEW_YORK),
            DAY,
            participants=["alice"],
            restrictions=[Restriction.daily(time(1), time(2))],
        )
        since = datetime(2024, 11, 3, 4, tzinfo=UTC)
        until = datetime(2024, 11, 3, 8, tzinfo=UTC)
        assert segments(schedule.timeline(since, until)) == [
            (since, datetime(2024, 11, 3, 5, tzinfo=UTC), who()),
            (
                datetime(2024, 11, 3, 5, tzinfo=UTC),
                datetime(2024, 11, 3, 7, tzinfo=UTC),
                who("alice"),
            ),
            (datetime(2024, 11, 3, 7, tzinfo=UTC), until, who()),
        ]
        assert changes(schedule.handoffs(since, until)) == [
            (datetime(2024, 11, 3, 5, tzinfo=UTC), who(), who("alice")),
            (datetime(2024, 11, 3, 7, tzinfo=UTC), who("alice"), who()),
        ]

    def test_berlin_window_on_skipped_and_repeated_hour(self) -> None:
        """Berlin daily 02:00-03:00: nothing on 03-31, two hours on 10-27."""
        restrictions = [Restriction.daily(time(2), time(3))]
        spring = make_schedule(
            "Europe/Berlin",
            datetime(2024, 3, 1, 0, tzinfo=BERLIN),
            DAY,
            participants=["alice"],
            restrictions=restrictions,
        )
        autumn = make_schedule(
            "Europe/Berlin",
            datetime(2024, 10, 1, 0, tzinfo=BERLIN),
            DAY,
            participants=["alice"],
            restrictions=restrictions,
        )
        assert windows(
            spring.shifts(
                datetime(2024, 3, 29, 23, tzinfo=UTC),
                datetime(2024, 4, 1, 22, tzinfo=UTC),
            )
        ) == [
            (
                datetime(2024, 3, 30, 1, tzinfo=UTC),
                datetime(2024, 3, 30, 2, tzinfo=UTC),
            ),
            (datetime(2024, 4, 1, 0, tzinfo=UTC), datetime(2024, 4, 1, 1, tzinfo=UTC)),
        ]
        assert windows(
            autumn.shifts(
                datetime(2024, 10, 25, 22, tzinfo=UTC),
                datetime(2024, 10, 28, 23, tzinfo=UTC),
            )
        ) == [
            (
                datetime(2024, 10, 26, 0, tzinfo=UTC),
                datetime(2024, 10, 26, 1, tzinfo=UTC),
            ),
            (
                datetime(2024, 10, 27, 0, tzinfo=UTC),
                datetime(2024, 10, 27, 2, tzinfo=UTC),
            ),
            (
                datetime(2024, 10, 28, 1, tzinfo=UTC),
                datetime(2024, 10, 28, 2, tzinfo=UTC),
            ),
        ]

    def test_lord_howe_window_on_skipped_half_hour_covers_nothing(self) -> None:
        """Lord Howe daily 02:00-02:30: 30 min on 10-05 and 10-07, none on 10-06."""
        schedule = make_schedule(
            "Australia/Lord_Howe",
            datetime(2024, 10, 1, 0, tzinfo=LORD_HOWE),
            DAY,
            participants=["alice"],
            restrictions=[Restriction.daily(time(2), time(2, 30))],
        )
        shifts = schedule.shifts(
            datetime(2024, 10, 4, 13, 30, tzinfo=UTC),
            datetime(2024, 10, 7, 13, tzinfo=UTC),
        )
        assert windows(shifts) == [
            (
                datetime(2024, 10, 4, 15, 30, tzinfo=UTC),
                datetime(2024, 10, 4, 16, tzinfo=UTC),
            ),
            (
                datetime(2024, 10, 6, 15, tzinfo=UTC),
                datetime(2024, 10, 6, 15, 30, tzinfo=UTC),
            ),
        ]

    def test_lord_howe_window_on_repeated_half_hour_covers_an_hour(self) -> None:
        """Lord Howe daily 01:30-02:00 on 2024-04-07 covers 04-06 14:30Z-15:30Z."""
        schedule = make_schedule(
            "Australia/Lord_Howe",
            datetime(2024, 4, 1, 0, tzinfo=LORD_HOWE),
            DAY,
            participants=["alice"],
            restrictions=[Restriction.daily(time(1, 30), time(2))],
        )
        shifts = schedule.shifts(
            datetime(2024, 4, 5, 13, tzinfo=UTC),
            datetime(2024, 4, 8, 13, 30, tzinfo=UTC),
        )
        assert windows(shifts) == [
            (
                datetime(2024, 4, 5, 14, 30, tzinfo=UTC),
                datetime(2024, 4, 5, 15, tzinfo=UTC),
            ),
            (
                datetime(2024, 4, 6, 14, 30, tzinfo=UTC),
                datetime(2024, 4, 6, 15, 30, tzinfo=UTC),
            ),
            (
                datetime(2024, 4, 7, 15, tzinfo=UTC),
                datetime(2024, 4, 7, 15, 30, tzinfo=UTC),
            ),
        ]

    def test_kolkata_window_at_two_covers_one_hour_on_the_new_york_change_day(
        self,
    ) -> None:
        """Asia/Kolkata daily 02:00-03:00 on 2024-03-10 is 03-09 20:30Z-21:30Z."""
        schedule = make_schedule(
            "Asia/Kolkata",
            datetime(2024, 3, 1, 0, tzinfo=KOLKATA),
            DAY,
            participants=["alice"],
            restrictions=[Restriction.daily(time(2), time(3))],
        )
        shifts = schedule.shifts(
            datetime(2024, 3, 9, 18, 30, tzinfo=UTC),
            datetime(2024, 3, 10, 18, 30, tzinfo=UTC),
        )
        assert windows(shifts) == [
            (
                datetime(2024, 3, 9, 20, 30, tzinfo=UTC),
                datetime(2024, 3, 9, 21, 30, tzinfo=UTC),
            )
        ]

    def test_window_half_inside_the_gap_covers_only_its_existing_half(self) -> None:
        """Daily 01:30-02:30 on 2024-03-10 New York covers 01:30-02:00 EST only."""
        schedule = make_schedule(
            "America/New_York",
            datetime(2024, 3, 1, 0, tzinfo=NEW_YORK),
            DAY,
            participants=["alice"],
            restrictions=[Restriction.daily(time(1, 30), time(2, 30))],
        )
        shifts = schedule.shifts(
            datetime(2024, 3, 10, 5, tzinfo=UTC), datetime(2024, 3, 11, 4, tzinfo=UTC)
        )
        assert windows(shifts) == [
            (
                datetime(2024, 3, 10, 6, 30, tzinfo=UTC),
                datetime(2024, 3, 10, 7, tzinfo=UTC),
            )
        ]

    def test_window_starting_inside_the_gap_covers_from_three_edt(self) -> None:
        """Daily 02:30-03:30 on 2024-03-10 New York covers 03:00-03:30 EDT only."""
        schedule = make_schedule(
            "America/New_York",
            datetime(2024, 3, 1, 0, tzinfo=NEW_YORK),
            DAY,
            participants=["alice"],
            restrictions=[Restriction.daily(time(2, 30), time(3, 30))],
        )
        shifts = schedule.shifts(
            datetime(2024, 3, 10, 5, tzinfo=UTC), datetime(2024, 3, 11, 4, tzinfo=UTC)
        )
        assert windows(shifts) == [
            (
                datetime(2024, 3, 10, 7, tzinfo=UTC),
                datetime(2024, 3, 10, 7, 30, tzinfo=UTC),
            )
        ]

    def test_window_crossing_midnight_lasts_7_hours_over_spring_forward(self) -> None:
        """Daily 22:00-06:00: 03-09 22:00 EST to 03-10 06:00 EDT, in bob's turn."""
        schedule = make_schedule(
            "America/New_York",
            datetime(2024, 3, 8, 9, tzinfo=NEW_YORK),
            DAY,
            restrictions=[Restriction.daily(time(22), time(6))],
        )
        shifts = schedule.shifts(
            datetime(2024, 3, 10, 0, tzinfo=UTC), datetime(2024, 3, 10, 12, tzinfo=UTC)
        )
        assert spans(shifts) == [
            (
                "bob",
                datetime(2024, 3, 10, 3, tzinfo=UTC),
                datetime(2024, 3, 10, 10, tzinfo=UTC),
            )
        ]
        assert [s.turn for s in shifts] == [1]

    def test_window_crossing_midnight_lasts_9_hours_over_fall_back(self) -> None:
        """Daily 22:00-06:00: 11-02 22:00 EDT to 11-03 06:00 EST, in bob's turn."""
        schedule = make_schedule(
            "America/New_York",
            datetime(2024, 11, 1, 9, tzinfo=NEW_YORK),
            DAY,
            restrictions=[Restriction.daily(time(22), time(6))],
        )
        shifts = schedule.shifts(
            datetime(2024, 11, 3, 0, tzinfo=UTC), datetime(2024, 11, 3, 13, tzinfo=UTC)
        )
        assert spans(shifts) == [
            (
                "bob",
                datetime(2024, 11, 3, 2, tzinfo=UTC),
                datetime(2024, 11, 3, 11, tzinfo=UTC),
            )
        ]

    def test_window_crossing_midnight_lasts_8_hours_in_kolkata(self) -> None:
        """Daily 22:00-06:00 in Kolkata: 03-09 16:30Z to 03-10 00:30Z."""
        schedule = make_schedule(
            "Asia/Kolkata",
            datetime(2024, 3, 8, 9, tzinfo=KOLKATA),
            DAY,
            restrictions=[Restriction.daily(time(22), time(6))],
        )
        shifts = schedule.shifts(
            datetime(2024, 3, 9, 12, tzinfo=UTC), datetime(2024, 3, 10, 3, tzinfo=UTC)
        )
        assert spans(shifts) == [
            (
                "bob",
                datetime(2024, 3, 9, 16, 30, tzinfo=UTC),
                datetime(2024, 3, 10, 0, 30, tzinfo=UTC),
            )
        ]

    def test_midnight_crossing_window_belongs_to_the_weekday_it_starts_on(
        self,
    ) -> None:
        """Friday-only 22:00-06:00 in Berlin is Fri 22:00 to Sat 06:00, nothing else."""
        schedule = make_schedule(
            "Europe/Berlin",
            datetime(2024, 6, 3, 0, tzinfo=BERLIN),
            WEEK,
            participants=["alice"],
            restrictions=[Restriction.daily(time(22), time(6), weekdays=[4])],
        )
        shifts = schedule.shifts(
            datetime(2024, 6, 9, 22, tzinfo=UTC), datetime(2024, 6, 16, 22, tzinfo=UTC)
        )
        assert windows(shifts) == [
            (
                datetime(2024, 6, 14, 20, tzinfo=UTC),
                datetime(2024, 6, 15, 4, tzinfo=UTC),
            )
        ]

    def test_weekday_window_skips_the_weekend_around_spring_forward(self) -> None:
        """Mon-Fri 09:00-17:00: Friday is EST, Monday is EDT, the weekend is empty."""
        schedule = make_schedule(
            "America/New_York",
            datetime(2024, 3, 4, 0, tzinfo=NEW_YORK),
            WEEK,
            participants=["alice", "bob"],
            restrictions=[
                Restriction.daily(time(9), time(17), weekdays=[0, 1, 2, 3, 4])
            ],
        )
        shifts = schedule.shifts(
            datetime(2024, 3, 8, 5, tzinfo=UTC), datetime(2024, 3, 12, 4, tzinfo=UTC)
        )
        assert spans(shifts) == [
            (
                "alice",
                datetime(2024, 3, 8, 14, tzinfo=UTC),
                datetime(2024, 3, 8, 22, tzinfo=UTC),
            ),
            (
                "bob",
                datetime(2024, 3, 11, 13, tzinfo=UTC),
                datetime(2024, 3, 11, 21, tzinfo=UTC),
            ),
        ]

    def test_sunday_only_window_covers_the_repeated_hour_twice(self) -> None:
        """Sunday-only 01:00-02:00: 2 h on Sunday 2024-11-03, none on Sat or Mon."""
        schedule = make_schedule(
            "America/New_York",
            datetime(2024, 10, 1, 0, tzinfo=NEW_YORK),
            DAY,
            participants=["alice"],
            restrictions=[Restriction.daily(time(1), time(2), weekdays=[6])],
        )
        shifts = schedule.shifts(
            datetime(2024, 11, 2, 4, tzinfo=UTC), datetime(2024, 11, 5, 5, tzinfo=UTC)
        )
        assert windows(shifts) == [
            (datetime(2024, 11, 3, 5, tzinfo=UTC), datetime(2024, 11, 3, 7, tzinfo=UTC))
        ]

    def test_full_day_window_on_spring_forward_sunday_lasts_23_hours(self) -> None:
        """Sunday-only 00:00-00:00 is the whole local Sunday 2024-03-10: 23 hours."""
        schedule = make_schedule(
            "America/New_York",
            datetime(2024, 3, 4, 0, tzinfo=NEW_YORK),
            timedelta(weeks=2),
            participants=["alice"],
            restrictions=[Restriction.daily(time(0), time(0), weekdays=[6])],
        )
        shifts = schedule.shifts(
            datetime(2024, 3, 4, 5, tzinfo=UTC), datetime(2024, 3, 17, 4, tzinfo=UTC)
        )
        assert windows(shifts) == [
            (datetime(2024, 3, 10, 5, tzinfo=UTC), datetime(2024, 3, 11, 4, tzinfo=UTC))
        ]
        assert shifts[0].end - shifts[0].start == timedelta(hours=23)

    def test_weekend_window_loses_an_hour_over_spring_forward(self) -> None:
        """Weekly Fri 18:00 to Mon 09:00: Fri 18:00 EST to Mon 09:00 EDT is 62 h."""
        schedule = make_schedule(
            "America/New_York",
            datetime(2024, 3, 6, 12, tzinfo=NEW_YORK),
            WEEK,
            participants=["alice"],
            restrictions=[Restriction.weekly(4, time(18), 0, time(9))],
        )
        shifts = schedule.shifts(
            datetime(2024, 3, 6, 17, tzinfo=UTC), datetime(2024, 3, 13, 16, tzinfo=UTC)
        )
        assert windows(shifts) == [
            (
                datetime(2024, 3, 8, 23, tzinfo=UTC),
                datetime(2024, 3, 11, 13, tzinfo=UTC),
            )
        ]
        assert shifts[0].end - shifts[0].start == timedelta(hours=62)

    def test_weekend_window_gains_an_hour_over_fall_back(self) -> None:
        """Weekly Fri 18:00 to Mon 09:00: Fri 18:00 EDT to Mon 09:00 EST is 64 h."""
        schedule = make_schedule(
            "America/New_York",
            datetime(2024, 10, 30, 12, tzinfo=NEW_YORK),
            WEEK,
            participants=["alice"],
            restrictions=[Restriction.weekly(4, time(18), 0, time(9))],
        )
        shifts = schedule.shifts(
            datetime(2024, 10, 30, 16, tzinfo=UTC),
            datetime(2024, 11, 6, 17, tzinfo=UTC),
        )
        assert windows(shifts) == [
            (
                datetime(2024, 11, 1, 22, tzinfo=UTC),
                datetime(2024, 11, 4, 14, tzinfo=UTC),
            )
        ]
        assert shifts[0].end - shifts[0].start == timedelta(hours=64)

    def test_weekend_window_in_berlin_over_spring_forward(self) -> None:
        """Weekly Fri 18:00 CET (17:00Z) to Mon 09:00 CEST (07:00Z) in Berlin."""
        schedule = make_schedule(
            "Europe/Berlin",
            datetime(2024, 3, 27, 12, tzinfo=BERLIN),
            WEEK,
            participants=["alice"],
            restrictions=[Restriction.weekly(4, time(18), 0, time(9))],
        )
        shifts = schedule.shifts(
            datetime(2024, 3, 27, 11, tzinfo=UTC), datetime(2024, 4, 3, 10, tzinfo=UTC)
        )
        assert windows(shifts) == [
            (datetime(2024, 3, 29, 17, tzinfo=UTC), datetime(2024, 4, 1, 7, tzinfo=UTC))
        ]

    def test_weekly_window_with_equal_ends_is_a_full_week(self) -> None:
        """Weekly Mon 09:00 to Mon 09:00 restricts nothing, DST change included."""
        schedule = make_schedule(
            "America/New_York",
            datetime(2024, 3, 4, 9, tzinfo=NEW_YORK),
            WEEK,
            participants=["alice", "bob"],
            restrictions=[Restriction.weekly(0, time(9), 0, time(9))],
        )
        shifts = schedule.shifts(
            datetime(2024, 3, 4, 14, tzinfo=UTC), datetime(2024, 3, 18, 13, tzinfo=UTC)
        )
        assert spans(shifts) == [
            (
                "alice",
                datetime(2024, 3, 4, 14, tzinfo=UTC),
                datetime(2024, 3, 11, 13, tzinfo=UTC),
            ),
            (
                "bob",
                datetime(2024, 3, 11, 13, tzinfo=UTC),
                datetime(2024, 3, 18, 13, tzinfo=UTC),
            ),
        ]


class TestSkippedLocalDayInApia:
    """Pacific/Apia skipped 2011-12-30: no gap, no overlap, the rotation goes on."""

    START = datetime(2011, 12, 27, 9, tzinfo=APIA)

    def test_turn_on_the_skipped_day_yields_no_shift_and_rotation_continues(
        self,
    ) -> None:
        """Alice's turn 3 (12-30 09:00) has zero length; bob's turn 4 follows carol."""
        schedule = make_schedule("Pacific/Apia", self.START, DAY)
        shifts = schedule.shifts(
            datetime(2011, 12, 27, 19, tzinfo=UTC),
            datetime(2011, 12, 31, 19, tzinfo=UTC),
        )
        assert spans(shifts) == [
            (
                "alice",
                datetime(2011, 12, 27, 19, tzinfo=UTC),
                datetime(2011, 12, 28, 19, tzinfo=UTC),
            ),
            (
                "bob",
                datetime(2011, 12, 28, 19, tzinfo=UTC),
                datetime(2011, 12, 29, 19, tzinfo=UTC),
            ),
            (
                "carol",
                datetime(2011, 12, 29, 19, tzinfo=UTC),
                datetime(2011, 12, 30, 19, tzinfo=UTC),
            ),
            (
                "bob",
                datetime(2011, 12, 30, 19, tzinfo=UTC),
                datetime(2011, 12, 31, 19, tzinfo=UTC),
            ),
        ]
        assert [s.turn for s in shifts] == [0, 1, 2, 4]

    def test_shifts_abut_with_no_gap_and_no_overlap(self) -> None:
        """Each shift ends exactly where the next begins, none is empty."""
        schedule = make_schedule("Pacific/Apia", self.START, DAY)
        shifts = schedule.shifts(
            datetime(2011, 12, 27, 19, tzinfo=UTC),
            datetime(2012, 1, 3, 19, tzinfo=UTC),
        )
        assert len(shifts) == 7
        assert all(s.start < s.end for s in shifts)
        assert [s.end for s in shifts[:-1]] == [s.start for s in shifts[1:]]

    def test_timeline_has_no_empty_segment_over_the_skipped_day(self) -> None:
        """From 12-29 00:00Z to 12-31 00:00Z: bob, carol, bob, and no gap."""
        schedule = make_schedule("Pacific/Apia", self.START, DAY)
        timeline = schedule.timeline(
            datetime(2011, 12, 29, 0, tzinfo=UTC), datetime(2011, 12, 31, 0, tzinfo=UTC)
        )
        assert segments(timeline) == [
            (
                datetime(2011, 12, 29, 0, tzinfo=UTC),
                datetime(2011, 12, 29, 19, tzinfo=UTC),
                who("bob"),
            ),
            (
                datetime(2011, 12, 29, 19, tzinfo=UTC),
                datetime(2011, 12, 30, 19, tzinfo=UTC),
                who("carol"),
            ),
            (
                datetime(2011, 12, 30, 19, tzinfo=UTC),
                datetime(2011, 12, 31, 0, tzinfo=UTC),
                who("bob"),
            ),
        ]

    def test_handoffs_over_the_skipped_day(self) -> None:
        """Bob to carol on 12-29 09:00 -10:00, carol to bob on 12-31 09:00 +14:00."""
        schedule = make_schedule("Pacific/Apia", self.START, DAY)
        handoffs = schedule.handoffs(
            datetime(2011, 12, 29, 0, tzinfo=UTC), datetime(2011, 12, 31, 0, tzinfo=UTC)
        )
        assert changes(handoffs) == [
            (datetime(2011, 12, 29, 19, tzinfo=UTC), who("bob"), who("carol")),
            (datetime(2011, 12, 30, 19, tzinfo=UTC), who("carol"), who("bob")),
        ]

    def test_carol_is_on_call_on_both_sides_of_the_jump(self) -> None:
        """Carol covers 12-29 23:59 -10:00 and 12-31 00:00 +14:00, then bob at 09:00."""
        schedule = make_schedule("Pacific/Apia", self.START, DAY)
        assert schedule.users_on_call(
            datetime(2011, 12, 30, 9, 59, 59, tzinfo=UTC)
        ) == ("carol",)
        assert schedule.users_on_call(datetime(2011, 12, 30, 10, tzinfo=UTC)) == (
            "carol",
        )
        assert schedule.users_on_call(
            datetime(2011, 12, 30, 18, 59, 59, tzinfo=UTC)
        ) == ("carol",)
        assert schedule.users_on_call(datetime(2011, 12, 30, 19, tzinfo=UTC)) == (
            "bob",
        )

    def test_same_user_on_both_sides_gets_two_shifts_but_one_segment(self) -> None:
        """With alice and bob, alice has turns 2 and 4 back to back: two shifts."""
        schedule = make_schedule(
            "Pacific/Apia", self.START, DAY, participants=["alice", "bob"]
        )
        since = datetime(2011, 12, 29, 19, tzinfo=UTC)
        until = datetime(2011, 12, 31, 19, tzinfo=UTC)
        shifts = schedule.shifts(since, until)
        assert [(s.user, s.start, s.end, s.turn) for s in shifts] == [
            ("alice", since, datetime(2011, 12, 30, 19, tzinfo=UTC), 2),
            ("alice", datetime(2011, 12, 30, 19, tzinfo=UTC), until, 4),
        ]
        assert segments(schedule.timeline(since, until)) == [
            (since, until, who("alice"))
        ]
        assert (
            schedule.handoffs(
                datetime(2011, 12, 29, 20, tzinfo=UTC),
                datetime(2011, 12, 31, 18, tzinfo=UTC),
            )
            == []
        )

    def test_twelve_hour_turns_on_the_skipped_day_both_vanish(self) -> None:
        """12 h from 12-29 09:00: the 12-30 09:00 and 21:00 turns have no length.

        12-30 21:00 moved forward by the 24 h gap would be 12-31 21:00, after the
        12-31 09:00 handoff, so it is held back to it: turn 3 is empty too.
        """
        schedule = make_schedule(
            "Pacific/Apia",
            datetime(2011, 12, 29, 9, tzinfo=APIA),
            timedelta(hours=12),
        )
        shifts = schedule.shifts(
            datetime(2011, 12, 29, 19, tzinfo=UTC),
            datetime(2011, 12, 31, 19, tzinfo=UTC),
        )
        assert [(s.user, s.start, s.end, s.turn) for s in shifts] == [
            (
                "alice",
                datetime(2011, 12, 29, 19, tzinfo=UTC),
                datetime(2011, 12, 30, 7, tzinfo=UTC),
                0,
            ),
            (
                "bob",
                datetime(2011, 12, 30, 7, tzinfo=UTC),
                datetime(2011, 12, 30, 19, tzinfo=UTC),
                1,
            ),
            (
                "bob",
                datetime(2011, 12, 30, 19, tzinfo=UTC),
                datetime(2011, 12, 31, 7, tzinfo=UTC),
                4,
            ),
            (
                "carol",
                datetime(2011, 12, 31, 7, tzinfo=UTC),
                datetime(2011, 12, 31, 19, tzinfo=UTC),
                5,
            ),
        ]
        assert all(
            segment.users
            for segment in schedule.timeline(
                datetime(2011, 12, 29, 19, tzinfo=UTC),
                datetime(2011, 12, 31, 19, tzinfo=UTC),
            )
        )


class TestResolveLocal:
    """resolve_local turns a wall-clock time into a UTC instant."""

    @pytest.mark.parametrize(
        ("wall", "zone", "disambiguate", "expected"),
        [
            pytest.param(
                datetime(2024, 3, 10, 2, 30),
                "America/New_York",
                "compatible",
                datetime(2024, 3, 10, 7, 30, tzinfo=UTC),
                id="new_york_gap_compatible",
            ),
            pytest.param(
                datetime(2024, 3, 10, 2, 30),
                "America/New_York",
                "later",
                datetime(2024, 3, 10, 7, 30, tzinfo=UTC),
                id="new_york_gap_later",
            ),
            pytest.param(
                datetime(2024, 3, 10, 2, 30),
                "America/New_York",
                "earlier",
                datetime(2024, 3, 10, 6, 30, tzinfo=UTC),
                id="new_york_gap_earlier",
            ),
            pytest.param(
                datetime(2024, 11, 3, 1, 30),
                "America/New_York",
                "compatible",
                datetime(2024, 11, 3, 5, 30, tzinfo=UTC),
                id="new_york_fold_compatible",
            ),
            pytest.param(
                datetime(2024, 11, 3, 1, 30),
                "America/New_York",
                "earlier",
                datetime(2024, 11, 3, 5, 30, tzinfo=UTC),
                id="new_york_fold_earlier",
            ),
            pytest.param(
                datetime(2024, 11, 3, 1, 30),
                "America/New_York",
                "later",
                datetime(2024, 11, 3, 6, 30, tzinfo=UTC),
                id="new_york_fold_later",
            ),
            pytest.param(
                datetime(2024, 3, 31, 2, 30),
                "Europe/Berlin",
                "compatible",
                datetime(2024, 3, 31, 1, 30, tzinfo=UTC),
                id="berlin_gap_compatible",
            ),
            pytest.param(
                datetime(2024, 3, 31, 2, 30),
                "Europe/Berlin",
                "earlier",
                datetime(2024, 3, 31, 0, 30, tzinfo=UTC),
                id="berlin_gap_earlier",
            ),
            pytest.param(
                datetime(2024, 10, 27, 2, 30),
                "Europe/Berlin",
                "compatible",
                datetime(2024, 10, 27, 0, 30, tzinfo=UTC),
                id="berlin_fold_compatible",
            ),
            pytest.param(
                datetime(2024, 10, 27, 2, 30),
                "Europe/Berlin",
                "later",
                datetime(2024, 10, 27, 1, 30, tzinfo=UTC),
                id="berlin_fold_later",
            ),
            pytest.param(
                datetime(2024, 10, 6, 2, 15),
                "Australia/Lord_Howe",
                "compatible",
                datetime(2024, 10, 5, 15, 45, tzinfo=UTC),
                id="lord_howe_gap_compatible",
            ),
            pytest.param(
                datetime(2024, 10, 6, 2, 15),
                "Australia/Lord_Howe",
                "later",
                datetime(2024, 10, 5, 15, 45, tzinfo=UTC),
                id="lord_howe_gap_later",
            ),
            pytest.param(
                datetime(2024, 10, 6, 2, 15),
                "Australia/Lord_Howe",
                "earlier",
                datetime(2024, 10, 5, 15, 15, tzinfo=UTC),
                id="lord_howe_gap_earlier",
            ),
            pytest.param(
                datetime(2024, 4, 7, 1, 45),
                "Australia/Lord_Howe",
                "compatible",
                datetime(2024, 4, 6, 14, 45, tzinfo=UTC),
                id="lord_howe_fold_compatible",
            ),
            pytest.param(
                datetime(2024, 4, 7, 1, 45),
                "Australia/Lord_Howe",
                "earlier",
                datetime(2024, 4, 6, 14, 45, tzinfo=UTC),
                id="lord_howe_fold_earlier",
            ),
            pytest.param(
                datetime(2024, 4, 7, 1, 45),
                "Australia/Lord_Howe",
                "later",
                datetime(2024, 4, 6, 15, 15, tzinfo=UTC),
                id="lord_howe_fold_later",
            ),
            pytest.param(
                datetime(2011, 12, 30, 12),
                "Pacific/Apia",
                "compatible",
                datetime(2011, 12, 30, 22, tzinfo=UTC),
                id="apia_skipped_day_compatible",
            ),
            pytest.param(
                datetime(2011, 12, 30, 12),
                "Pacific/Apia",
                "later",
                datetime(2011, 12, 30, 22, tzinfo=UTC),
                id="apia_skipped_day_later",
            ),
            pytest.param(
                datetime(2011, 12, 30, 12),
                "Pacific/Apia",
                "earlier",
                datetime(2011, 12, 29, 22, tzinfo=UTC),
                id="apia_skipped_day_earlier",
            ),
        ],
    )
    def test_gap_and_fold_resolve_per_the_requested_option(
        self, wall: datetime, zone: str, disambiguate: str, expected: datetime
    ) -> None:
        """Gap: compatible = later = shifted forward; earlier = shifted back."""
        resolved = resolve_local(wall, zone, disambiguate=disambiguate)
        assert resolved == expected
        assert resolved.tzinfo is UTC

    @pytest.mark.parametrize(
        "disambiguate", ["compatible", "earlier", "later", "raise"]
    )
    @pytest.mark.parametrize(
        ("wall", "zone", "expected"),
        [
            pytest.param(
                datetime(2024, 3, 12, 9),
                "America/New_York",
                datetime(2024, 3, 12, 13, tzinfo=UTC),
                id="new_york_ordinary",
            ),
            pytest.param(
                datetime(2024, 3, 10, 2, 30),
                "Asia/Kolkata",
                datetime(2024, 3, 9, 21, tzinfo=UTC),
                id="kolkata_on_new_york_gap_day",
            ),
            pytest.param(
                datetime(2024, 11, 3, 1, 30),
                "Asia/Kolkata",
                datetime(2024, 11, 2, 20, tzinfo=UTC),
                id="kolkata_on_new_york_fold_day",
            ),
        ],
    )
    def test_ordinary_time_resolves_the_same_with_every_option(
        self, wall: datetime, zone: str, expected: datetime, disambiguate: str
    ) -> None:
        """A local time that exists once needs no disambiguation, even with raise."""
        assert resolve_local(wall, zone, disambiguate=disambiguate) == expected

    def test_default_is_compatible(self) -> None:
        """Without an option, New York 2024-03-10 02:30 resolves to 03:30 EDT."""
        assert resolve_local(
            datetime(2024, 3, 10, 2, 30), "America/New_York"
        ) == datetime(2024, 3, 10, 7, 30, tzinfo=UTC)

    def test_raise_on_a_gap_raises_nonexistent_time_naming_the_time(self) -> None:
        """New York 2024-03-10 02:30 with raise is NonexistentTime."""
        wall = datetime(2024, 3, 10, 2, 30)
        with pytest.raises(NonexistentTime) as caught:
            resolve_local(wall, "America/New_York", disambiguate="raise")
        assert_names(caught.value, wall)

    def test_raise_on_a_fold_raises_ambiguous_time_naming_the_time(self) -> None:
        """New York 2024-11-03 01:30 with raise is AmbiguousTime."""
        wall = datetime(2024, 11, 3, 1, 30)
        with pytest.raises(AmbiguousTime) as caught:
            resolve_local(wall, "America/New_York", disambiguate="raise")
        assert_names(caught.value, wall)

    def test_raise_on_apia_skipped_day_raises_nonexistent_time(self) -> None:
        """Any time on Apia's 2011-12-30 does not exist."""
        wall = datetime(2011, 12, 30, 12)
        with pytest.raises(NonexistentTime) as caught:
            resolve_local(wall, "Pacific/Apia", disambiguate="raise")
        assert_names(caught.value, wall)

    def test_unknown_zone_raises_unknown_time_zone_naming_it(self) -> None:
        """A zone that is not in the IANA database is refused by name."""
        with pytest.raises(UnknownTimeZone, match="Mars/Olympus_Mons"):
            resolve_local(datetime(2024, 3, 10, 2, 30), "Mars/Olympus_Mons")


class TestQueriesAroundTheChange:
    """on_call, users_on_call, shifts, timeline and handoffs agree around a change."""

    def make(self) -> Schedule:
        """New York, daily at 09:00, alice from Friday 2024-03-08."""
        return make_schedule(
            "America/New_York", datetime(2024, 3, 8, 9, tzinfo=NEW_YORK), DAY
        )

    def test_users_on_call_switch_exactly_at_nine_edt(self) -> None:
        """Bob until 2024-03-10 12:59:59Z, carol from 13:00Z (09:00 EDT)."""
        schedule = self.make()
        assert schedule.users_on_call(
            datetime(2024, 3, 10, 12, 59, 59, tzinfo=UTC)
        ) == ("bob",)
        assert schedule.users_on_call(datetime(2024, 3, 10, 13, tzinfo=UTC)) == (
            "carol",
        )
        assert schedule.users_on_call(datetime(2024, 3, 10, 7, tzinfo=UTC)) == ("bob",)

    def test_on_call_returns_the_whole_23_hour_shift(self) -> None:
        """At 03:00 EDT bob's rotation shift runs 03-09 14:00Z to 03-10 13:00Z."""
        [shift] = self.make().on_call(datetime(2024, 3, 10, 7, tzinfo=UTC))
        assert (
            shift.user,
            shift.start,
            shift.end,
            shift.layer,
            shift.source,
            shift.turn,
        ) == (
            "bob",
            datetime(2024, 3, 9, 14, tzinfo=UTC),
            datetime(2024, 3, 10, 13, tzinfo=UTC),
            "primary",
            "rotation",
            1,
        )

    def test_on_call_is_the_rendered_shift_containing_the_instant(self) -> None:
        """on_call(t) equals the shift of shifts(a, b) that contains t."""
        schedule = self.make()
        at = datetime(2024, 3, 10, 7, tzinfo=UTC)
        rendered = schedule.shifts(
            datetime(2024, 3, 8, 14, tzinfo=UTC), datetime(2024, 3, 12, 13, tzinfo=UTC)
        )
        assert list(schedule.on_call(at)) == [
            s for s in rendered if s.start <= at < s.end
        ]

    def test_shifts_are_clipped_to_the_query_window(self) -> None:
        """shifts(03-10 00:00Z, 03-10 20:00Z): bob then carol, clipped at both ends."""
        shifts = self.make().shifts(
            datetime(2024, 3, 10, 0, tzinfo=UTC), datetime(2024, 3, 10, 20, tzinfo=UTC)
        )
        assert [(s.user, s.start, s.end, s.turn) for s in shifts] == [
            (
                "bob",
                datetime(2024, 3, 10, 0, tzinfo=UTC),
                datetime(2024, 3, 10, 13, tzinfo=UTC),
                1,
            ),
            (
                "carol",
                datetime(2024, 3, 10, 13, tzinfo=UTC),
                datetime(2024, 3, 10, 20, tzinfo=UTC),
                2,
            ),
        ]

    def test_returned_instants_are_in_utc(self) -> None:
        """Shift, segment and handoff datetimes carry tzinfo=timezone.utc."""
        schedule = self.make()
        since = datetime(2024, 3, 9, 9, tzinfo=NEW_YORK)
        until = datetime(2024, 3, 11, 9, tzinfo=NEW_YORK)
        instants = [t for s in schedule.shifts(since, until) for t in (s.start, s.end)]
        instants += [
            t for s in schedule.timeline(since, until) for t in (s.start, s.end)
        ]
        instants += [h.at for h in schedule.handoffs(since, until)]
        assert instants
        assert all(t.tzinfo is UTC for t in instants)

    def test_timeline_around_spring_forward(self) -> None:
        """Alice, then bob for 23 h, then carol, with no gap."""
        timeline = self.make().timeline(
            datetime(2024, 3, 9, 12, tzinfo=UTC), datetime(2024, 3, 11, 12, tzinfo=UTC)
        )
        assert segments(timeline) == [
            (
                datetime(2024, 3, 9, 12, tzinfo=UTC),
                datetime(2024, 3, 9, 14, tzinfo=UTC),
                who("alice"),
            ),
            (
                datetime(2024, 3, 9, 14, tzinfo=UTC),
                datetime(2024, 3, 10, 13, tzinfo=UTC),
                who("bob"),
            ),
            (
                datetime(2024, 3, 10, 13, tzinfo=UTC),
                datetime(2024, 3, 11, 12, tzinfo=UTC),
                who("carol"),
            ),
        ]

    def test_handoffs_around_spring_forward(self) -> None:
        """Handoffs at 09:00 EST (14:00Z), then 09:00 EDT (13:00Z) twice."""
        handoffs = self.make().handoffs(
            datetime(2024, 3, 9, 12, tzinfo=UTC), datetime(2024, 3, 11, 20, tzinfo=UTC)
        )
        assert changes(handoffs) == [
            (datetime(2024, 3, 9, 14, tzinfo=UTC), who("alice"), who("bob")),
            (datetime(2024, 3, 10, 13, tzinfo=UTC), who("bob"), who("carol")),
            (datetime(2024, 3, 11, 13, tzinfo=UTC), who("carol"), who("alice")),
        ]

    def test_handoffs_include_since_when_the_set_changes_there(self) -> None:
        """A window opening at 09:00 EDT on 03-10 starts with bob handing to carol."""
        handoffs = self.make().handoffs(
            datetime(2024, 3, 10, 13, tzinfo=UTC), datetime(2024, 3, 10, 20, tzinfo=UTC)
        )
        assert changes(handoffs) == [
            (datetime(2024, 3, 10, 13, tzinfo=UTC), who("bob"), who("carol"))
        ]

    def test_handoffs_include_the_layer_start_from_nobody(self) -> None:
        """At the layer start the set goes from nobody to alice."""
        handoffs = self.make().handoffs(
            datetime(2024, 3, 8, 14, tzinfo=UTC), datetime(2024, 3, 8, 20, tzinfo=UTC)
        )
        assert changes(handoffs) == [
            (datetime(2024, 3, 8, 14, tzinfo=UTC), who(), who("alice"))
        ]

    def test_handoffs_exclude_since_when_nothing_changes_there(self) -> None:
        """A window opening one hour after the handoff has no handoff in it."""
        handoffs = self.make().handoffs(
            datetime(2024, 3, 10, 14, tzinfo=UTC), datetime(2024, 3, 11, 12, tzinfo=UTC)
        )
        assert handoffs == []

    def test_handoffs_around_fall_back(self) -> None:
        """Handoffs at 09:00 EDT (13:00Z) then 09:00 EST (14:00Z)."""
        schedule = make_schedule(
            "America/New_York", datetime(2024, 11, 1, 9, tzinfo=NEW_YORK), DAY
        )
        handoffs = schedule.handoffs(
            datetime(2024, 11, 2, 0, tzinfo=UTC), datetime(2024, 11, 4, 0, tzinfo=UTC)
        )
        assert changes(handoffs) == [
            (datetime(2024, 11, 2, 13, tzinfo=UTC), who("alice"), who("bob")),
            (datetime(2024, 11, 3, 14, tzinfo=UTC), who("bob"), who("carol")),
        ]

    def test_on_call_in_both_occurrences_of_the_repeated_hour_is_the_same_shift(
        self,
    ) -> None:
        """01:30 EDT and 01:30 EST on 2024-11-03 fall in bob's 25 hour shift."""
        schedule = make_schedule(
            "America/New_York", datetime(2024, 11, 1, 9, tzinfo=NEW_YORK), DAY
        )
        first = schedule.on_call(datetime(2024, 11, 3, 5, 30, tzinfo=UTC))
        second = schedule.on_call(datetime(2024, 11, 3, 6, 30, tzinfo=UTC))
        assert first == second
        assert [(s.user, s.start, s.end) for s in first] == [
            (
                "bob",
                datetime(2024, 11, 2, 13, tzinfo=UTC),
                datetime(2024, 11, 3, 14, tzinfo=UTC),
            )
        ]

    def test_lord_howe_handoff_moves_by_half_an_hour(self) -> None:
        """Lord Howe 2024-04-07 09:00 +10:30 is 04-06 22:30Z: bob until then, carol."""
        schedule = make_schedule(
            "Australia/Lord_Howe", datetime(2024, 4, 5, 9, tzinfo=LORD_HOWE), DAY
        )
        assert schedule.users_on_call(datetime(2024, 4, 6, 22, 29, tzinfo=UTC)) == (
            "bob",
        )
        assert schedule.users_on_call(datetime(2024, 4, 6, 22, 30, tzinfo=UTC)) == (
            "carol",
        )


class TestErrors:
    """Malformed input raises the documented error, naming the offending value."""

    START = datetime(2024, 3, 8, 9, tzinfo=NEW_YORK)

    @pytest.mark.parametrize(
        "error",
        [
            NaiveDatetime,
            UnknownTimeZone,
            InvalidLayer,
            InvalidRestriction,
            InvalidOverride,
            InvalidWindow,
            NonexistentTime,
            AmbiguousTime,
        ],
    )
    def test_errors_are_oncall_errors_and_value_errors(
        self, error: type[Exception]
    ) -> None:
        """Every documented error class derives from OncallError and ValueError."""
        assert issubclass(error, OncallError)
        assert issubclass(error, ValueError)

    def test_naive_layer_start_is_refused(self) -> None:
        """A layer start without a zone raises NaiveDatetime."""
        naive = datetime(2024, 3, 10, 2, 30)
        with pytest.raises(NaiveDatetime) as caught:
            Layer("primary", ["alice"], naive, DAY)
        assert_names(caught.value, naive)

    def test_naive_layer_end_is_refused(self) -> None:
        """A layer end without a zone raises NaiveDatetime."""
        naive = datetime(2024, 3, 20, 9)
        with pytest.raises(NaiveDatetime) as caught:
            Layer("primary", ["alice"], self.START, DAY, end=naive)
        assert_names(caught.value, naive)

    def test_naive_override_start_is_refused(self) -> None:
        """An override window without a zone raises NaiveDatetime."""
        naive = datetime(2024, 3, 10, 1)
        with pytest.raises(NaiveDatetime) as caught:
            Override.add("dave", naive, datetime(2024, 3, 10, 9, tzinfo=UTC))
        assert_names(caught.value, naive)

    def test_naive_query_instant_is_refused(self) -> None:
        """on_call with a naive instant raises NaiveDatetime."""
        schedule = make_schedule("America/New_York", self.START, DAY)
        naive = datetime(2024, 3, 10, 2, 30)
        with pytest.raises(NaiveDatetime) as caught:
            schedule.on_call(naive)
        assert_names(caught.value, naive)

    def test_naive_query_window_is_refused(self) -> None:
        """shifts with a naive bound raises NaiveDatetime."""
        schedule = make_schedule("America/New_York", self.START, DAY)
        naive = datetime(2024, 3, 11, 2, 30)
        with pytest.raises(NaiveDatetime) as caught:
            schedule.shifts(datetime(2024, 3, 10, tzinfo=UTC), naive)
        assert_names(caught.value, naive)

    def test_unknown_schedule_zone_is_refused(self) -> None:
        """A schedule in a zone that does not exist raises UnknownTimeZone."""
        with pytest.raises(UnknownTimeZone, match="America/Gotham"):
            make_schedule("America/Gotham", self.START, DAY)

    @pytest.mark.parametrize(
        "turn", [timedelta(0), timedelta(hours=-24)], ids=["zero", "negative"]
    )
    def test_turn_that_is_not_positive_is_refused(self, turn: timedelta) -> None:
        """A turn <= 0 raises InvalidLayer naming the turn."""
        with pytest.raises(InvalidLayer) as caught:
            make_schedule("America/New_York", self.START, turn)
        assert_names(caught.value, turn)

    def test_shift_longer_than_turn_is_refused(self) -> None:
        """A 25 h shift in a daily turn raises InvalidLayer naming the shift."""
        shift = timedelta(hours=25)
        with pytest.raises(InvalidLayer) as caught:
            make_schedule("America/New_York", self.START, DAY, shift=shift)
        assert_names(caught.value, shift)

    def test_layer_without_participants_is_refused(self) -> None:
        """An empty participant list raises InvalidLayer that says so."""
        with pytest.raises(InvalidLayer, match=r"(?i)participant"):
            make_schedule("America/New_York", self.START, DAY, participants=[])

    @pytest.mark.parametrize(
        "end",
        [
            datetime(2024, 3, 8, 9, tzinfo=NEW_YORK),
            datetime(2024, 3, 8, 13, tzinfo=UTC),
        ],
        ids=["equal_to_start", "before_start"],
    )
    def test_layer_end_not_after_start_is_refused(self, end: datetime) -> None:
        """A layer whose end <= start raises InvalidLayer naming the end."""
        with pytest.raises(InvalidLayer) as caught:
            make_schedule("America/New_York", self.START, DAY, end=end)
        assert_names(caught.value, end)

    @pytest.mark.parametrize("weekday", [7, -1])
    def test_daily_restriction_with_a_bad_weekday_is_refused(
        self, weekday: int
    ) -> None:
        """Weekdays run 0 (Monday) to 6 (Sunday); others raise InvalidRestriction."""
        with pytest.raises(InvalidRestriction, match=rf"(?<!\d){weekday}(?!\d)"):
            Restriction.daily(time(9), time(17), weekdays=[0, weekday])

    def test_weekly_restriction_with_a_bad_day_is_refused(self) -> None:
        """A weekly end day of 9 raises InvalidRestriction naming it."""
        with pytest.raises(InvalidRestriction, match=r"(?<!\d)9(?!\d)"):
            Restriction.weekly(4, time(18), 9, time(8))

    def test_daily_restriction_with_an_aware_time_is_refused(self) -> None:
        """Windows are read in the schedule's zone, so an aware time is refused."""
        aware = time(9, tzinfo=UTC)
        with pytest.raises(InvalidRestriction) as caught:
            Restriction.daily(aware, time(17))
        assert_names(caught.value, aware)

    def test_weekly_restriction_with_an_aware_time_is_refused(self) -> None:
        """An aware end time in a weekly window raises InvalidRestriction."""
        aware = time(9, tzinfo=NEW_YORK)
        with pytest.raises(InvalidRestriction) as caught:
            Restriction.weekly(4, time(18), 0, aware)
        assert_names(caught.value, aware)

    @pytest.mark.parametrize(
        "end",
        [
            datetime(2024, 3, 10, 7, tzinfo=UTC),
            datetime(2024, 3, 10, 6, tzinfo=UTC),
        ],
        ids=["equal_to_start", "before_start"],
    )
    def test_override_ending_before_it_starts_is_refused(self, end: datetime) -> None:
        """An override with end <= start raises InvalidOverride naming the end."""
        with pytest.raises(InvalidOverride) as caught:
            Override.add("dave", datetime(2024, 3, 10, 7, tzinfo=UTC), end)
        assert_names(caught.value, end)

    def test_override_replacing_its_own_user_is_refused(self) -> None:
        """replace(alice, alice) raises InvalidOverride naming alice."""
        with pytest.raises(InvalidOverride, match="alice"):
            Override.replace(
                "alice",
                "alice",
                datetime(2024, 3, 10, 6, tzinfo=UTC),
                datetime(2024, 3, 10, 8, tzinfo=UTC),
            )

    @pytest.mark.parametrize("query", ["shifts", "timeline", "handoffs"])
    def test_query_window_ending_before_it_starts_is_refused(self, query: str) -> None:
        """A query window whose until is before since raises InvalidWindow."""
        schedule = make_schedule("America/New_York", self.START, DAY)
        since = datetime(2024, 3, 11, 13, tzinfo=UTC)
        until = datetime(2024, 3, 10, 13, tzinfo=UTC)
        with pytest.raises(InvalidWindow) as caught:
            getattr(schedule, query)(since, until)
        assert_names(caught.value, until)
