"""Calendar feeds: they parse, hold exactly the shifts, and keep their UIDs.

Zone facts used below (Europe/Berlin, 2024): 03-31 02:00 CET -> 03:00 CEST
(01:00Z). CET is +01:00, CEST +02:00.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import attrs
import pytest
from icalendar import Calendar, Event

from oncall_adapters.calendars import (
    PRODID,
    schedule_calendar,
    shift_uid,
    user_calendar,
)
from oncall_core import (
    InvalidWindow,
    Layer,
    NaiveDatetime,
    Override,
    Restriction,
    Schedule,
)

BERLIN = ZoneInfo("Europe/Berlin")
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
WEEK = timedelta(weeks=1)
NOW = datetime(2024, 3, 1, 12, tzinfo=UTC)


def payments() -> Schedule:
    """A daily primary handing off at 09:00, a weekday secondary, two overrides."""
    return Schedule(
        "payments",
        "Europe/Berlin",
        [
            Layer(
                "primary",
                ["ana", "ben", "chi"],
                datetime(2024, 3, 25, 9, tzinfo=BERLIN),
                DAY,
            ),
            Layer(
                "secondary",
                ["dev", "ana"],
                datetime(2024, 3, 25, 9, tzinfo=BERLIN),
                WEEK,
                restrictions=[Restriction.daily(time(9), time(17), weekdays=range(5))],
            ),
        ],
        overrides=[
            Override.replace(
                "eli",
                "chi",
                datetime(2024, 3, 30, 12, tzinfo=BERLIN),
                datetime(2024, 3, 30, 18, tzinfo=BERLIN),
            ),
            Override.add(
                "fay",
                datetime(2024, 4, 1, 20, tzinfo=BERLIN),
                datetime(2024, 4, 1, 23, tzinfo=BERLIN),
            ),
        ],
    )


def events(feed: bytes) -> list[Event]:
    return list(Calendar.from_ical(feed).walk("VEVENT"))


def spans(feed: bytes) -> list[tuple[str, datetime, datetime]]:
    """Return (user, start, end) of each event, in the feed's order."""
    return [
        (
            str(event["X-ONCALL-USER"]),
            event.decoded("DTSTART"),
            event.decoded("DTEND"),
        )
        for event in events(feed)
    ]


class TestScheduleCalendar:
    """A schedule's feed: one event per final shift."""

    since = datetime(2024, 3, 29, 9, tzinfo=BERLIN)
    until = datetime(2024, 4, 3, 9, tzinfo=BERLIN)

    def feed(self, *, user: str | None = None, name: str | None = None) -> bytes:
        return schedule_calendar(
            payments(),
            self.since,
            self.until,
            schedule_id="sch-1",
            user=user,
            name=name,
            now=NOW,
        )

    def test_the_feed_is_a_published_calendar(self) -> None:
        """It parses, and names its product, version, method and display name."""
        calendar = Calendar.from_ical(self.feed())

        assert calendar.name == "VCALENDAR"
        assert str(calendar["PRODID"]) == PRODID
        assert str(calendar["VERSION"]) == "2.0"
        assert str(calendar["METHOD"]) == "PUBLISH"
        assert str(calendar["X-WR-CALNAME"]) == "payments on call"
        assert str(calendar["X-WR-TIMEZONE"]) == "Europe/Berlin"

    def test_the_feed_holds_exactly_the_shifts_of_the_window(self) -> None:
        """Same users, starts and ends, in the same order, and as many."""
        shifts = payments().shifts(self.since, self.until)

        found = spans(self.feed())

        assert len(found) == len(shifts) > 5
        assert found == [(s.user, s.start, s.end) for s in shifts]

    def test_times_are_written_in_utc(self) -> None:
        """Every DTSTART and DTEND is a UTC date-time, written with a Z."""
        text = self.feed().decode()
        lines = [
            line
            for line in text.splitlines()
            if line.startswith(("DTSTART", "DTEND", "DTSTAMP"))
        ]

        assert lines
        assert all(line.endswith("Z") and ";" not in line for line in lines)
        for event in events(self.feed()):
            assert event.decoded("DTSTART").utcoffset() == timedelta(0)

    def test_each_event_is_transparent_and_says_what_it_is(self) -> None:
        """TRANSP is TRANSPARENT; summary and description name layer and source."""
        found = events(self.feed())
        replaced = [e for e in found if str(e["X-ONCALL-USER"]) == "eli"]
        added = [e for e in found if str(e["X-ONCALL-USER"]) == "fay"]
        plain = next(e for e in found if str(e["SUMMARY"]) == "ana on call — primary")

        assert {str(e["TRANSP"]) for e in found} == {"TRANSPARENT"}
        assert [str(e["SUMMARY"]) for e in replaced] == [
            "eli on call — primary (override)"
        ]
        assert [str(e["SUMMARY"]) for e in added] == ["fay on call — override"]
        assert "Layer: primary, turn " in str(plain["DESCRIPTION"])
        assert "Source: rotation" in str(plain["DESCRIPTION"])
        assert "Layer: none" in str(added[0]["DESCRIPTION"])
        assert "Source: override" in str(added[0]["DESCRIPTION"])

    def test_the_same_arguments_give_the_same_bytes(self) -> None:
        """DTSTAMP comes from *now*, so nothing in the feed depends on the clock."""
        assert self.feed() == self.feed()

    def test_dtstamp_defaults_to_the_window_start(self) -> None:
        """Without *now*, every event is stamped with *since*."""
        feed = schedule_calendar(
            payments(), self.since, self.until, schedule_id="sch-1"
        )

        stamps = {event.decoded("DTSTAMP") for event in events(feed)}

        assert stamps == {self.since.astimezone(UTC)}

    def test_a_user_filter_keeps_only_that_users_shifts(self) -> None:
        """user="ana": ana's shifts of the window, in both layers, and no others."""
        shifts = [
            s for s in payments().shifts(self.since, self.until) if s.user == "ana"
        ]

        feed = self.feed(user="ana")

        assert spans(feed) == [(s.user, s.start, s.end) for s in shifts]
        assert {s.layer for s in shifts} == {"primary", "secondary"}
        assert str(Calendar.from_ical(feed)["X-WR-CALNAME"]) == "payments: ana on call"

    def test_a_user_with_no_shift_gets_an_empty_calendar(self) -> None:
        """An unknown user is not an error: the feed is valid and holds nothing."""
        feed = self.feed(user="zoe")

        assert events(feed) == []
        assert Calendar.from_ical(feed).name == "VCALENDAR"

    def test_a_name_replaces_the_default_one(self) -> None:
        """*name* is the calendar's display name."""
        feed = self.feed(name="Payments on-call (prod)")

        assert (
            str(Calendar.from_ical(feed)["X-WR-CALNAME"]) == "Payments on-call (prod)"
        )


class TestUids:
    """The same shift always has the same UID, and two shifts never share one."""

    def test_uids_are_unique_within_a_feed(self) -> None:
        """A month of two layers and overrides: no UID appears twice."""
        since = datetime(2024, 3, 25, tzinfo=BERLIN)

        uids = [
            str(e["UID"])
            for e in events(
                schedule_calendar(
                    payments(), since, since + 30 * DAY, schedule_id="sch-1", now=NOW
                )
            )
        ]

        assert len(uids) > 40
        assert len(set(uids)) == len(uids)

    def test_a_shift_keeps_its_uid_in_every_window_that_holds_it(self) -> None:
        """Two overlapping windows give the shifts they share the same UIDs."""
        schedule = payments()
        first = events(
            schedule_calendar(
                schedule,
                datetime(2024, 3, 29, 9, tzinfo=BERLIN),
                datetime(2024, 4, 3, 9, tzinfo=BERLIN),
                schedule_id="sch-1",
                now=NOW,
            )
        )
        later = events(
            schedule_calendar(
                schedule,
                datetime(2024, 3, 31, 9, tzinfo=BERLIN),
                datetime(2024, 4, 6, 9, tzinfo=BERLIN),
                schedule_id="sch-1",
                now=NOW + DAY,
            )
        )

        def by_span(found: list[Event]) -> dict[tuple[datetime, datetime, str], str]:
            return {
                (
                    e.decoded("DTSTART"),
                    e.decoded("DTEND"),
                    str(e["X-ONCALL-USER"]),
                ): str(e["UID"])
                for e in found
            }

        first_uids, later_uids = by_span(first), by_span(later)
        shared = first_uids.keys() & later_uids.keys()

        assert len(shared) >= 3
        assert all(first_uids[key] == later_uids[key] for key in shared)

    def test_a_shift_cut_by_the_window_start_keeps_the_whole_shifts_uid(self) -> None:
        """Starting the window mid-shift changes DTSTART, not the UID."""
        schedule = payments()
        whole_start = datetime(2024, 3, 29, 9, tzinfo=BERLIN)
        (whole,) = [
            e
            for e in events(
                schedule_calendar(
                    schedule,
                    whole_start,
                    whole_start + DAY,
                    schedule_id="sch-1",
                    now=NOW,
                )
            )
            if str(e["X-ONCALL-LAYER"]) == "primary"
        ]
        (cut,) = [
            e
            for e in events(
                schedule_calendar(
                    schedule,
                    whole_start + 5 * HOUR,
                    whole_start + DAY,
                    schedule_id="sch-1",
                    now=NOW,
                )
            )
            if str(e["X-ONCALL-LAYER"]) == "primary"
        ]

        assert cut.decoded("DTSTART") == (whole_start + 5 * HOUR).astimezone(UTC)
        assert str(cut["UID"]) == str(whole["UID"])

    def test_the_uid_names_the_schedule_layer_turn_user_source_and_start(
        self,
    ) -> None:
        """Changing any one of them changes the UID; nothing else does."""
        shift = payments().shifts(
            datetime(2024, 3, 29, 9, tzinfo=BERLIN),
            datetime(2024, 3, 30, 9, tzinfo=BERLIN),
        )[0]
        uid = shift_uid("sch-1", shift)
        changed = [
            shift_uid("sch-2", shift),
            shift_uid("sch-1", attrs.evolve(shift, layer="other")),
            shift_uid("sch-1", attrs.evolve(shift, turn=99)),
            shift_uid("sch-1", attrs.evolve(shift, user="zoe")),
            shift_uid("sch-1", attrs.evolve(shift, source="override")),
            shift_uid("sch-1", attrs.evolve(shift, start=shift.start + HOUR)),
        ]

        assert uid.endswith("@oncall")
        assert len({uid, *changed}) == 7
        assert shift_uid("sch-1", attrs.evolve(shift, end=shift.end + HOUR)) == uid


class TestAcrossDst:
    """The spring-forward weekend in Berlin: a 23-hour day in the feed."""

    def test_a_daily_handoff_at_0900_moves_an_hour_earlier_in_utc(self) -> None:
        """09:00 CET is 08:00Z, 09:00 CEST is 07:00Z; the turn across is 23 hours."""
        schedule = Schedule(
            "ops",
            "Europe/Berlin",
            [
                Layer(
                    "primary",
                    ["ana", "ben", "chi"],
                    datetime(2024, 3, 29, 9, tzinfo=BERLIN),
                    DAY,
                )
            ],
        )

        feed = schedule_calendar(
            schedule,
            datetime(2024, 3, 29, 9, tzinfo=BERLIN),
            datetime(2024, 4, 1, 9, tzinfo=BERLIN),
            schedule_id="ops",
            now=NOW,
        )

        assert spans(feed) == [
            (
                "ana",
                datetime(2024, 3, 29, 8, tzinfo=UTC),
                datetime(2024, 3, 30, 8, tzinfo=UTC),
            ),
            (
                "ben",
                datetime(2024, 3, 30, 8, tzinfo=UTC),
                datetime(2024, 3, 31, 7, tzinfo=UTC),
            ),
            (
                "chi",
                datetime(2024, 3, 31, 7, tzinfo=UTC),
                datetime(2024, 4, 1, 7, tzinfo=UTC),
            ),
        ]
        assert "DTSTART:20240331T070000Z" in feed.decode()
        ben = events(feed)[1]
        assert "Sat 30 Mar 09:00 CET to Sun 31 Mar 09:00 CEST" in str(
            ben["DESCRIPTION"]
        )

    def test_the_feed_matches_shifts_through_the_change_with_overrides(self) -> None:
        """A week around the change, with both layers and overrides: shift for shift."""
        since = datetime(2024, 3, 28, tzinfo=BERLIN)
        until = datetime(2024, 4, 4, tzinfo=BERLIN)
        shifts = payments().shifts(since, until)

        feed = schedule_calendar(payments(), since, until, schedule_id="sch-1", now=NOW)

        assert spans(feed) == [(s.user, s.start, s.end) for s in shifts]


class TestUserCalendar:
    """One user's shifts across schedules, in one feed."""

    def schedules(self) -> dict[str, Schedule]:
        other = Schedule(
            "database",
            "America/New_York",
            [
                Layer(
                    "dba",
                    ["ana", "gus"],
                    datetime(2024, 3, 25, 8, tzinfo=ZoneInfo("America/New_York")),
                    DAY,
                )
            ],
        )
        return {"sch-1": payments(), "sch-2": other}

    since = datetime(2024, 3, 29, tzinfo=UTC)
    until = datetime(2024, 4, 5, tzinfo=UTC)

    def test_it_holds_the_users_shifts_of_every_schedule_by_start(self) -> None:
        """ana's shifts of both schedules, sorted by start, and nobody else's."""
        schedules = self.schedules()
        expected = sorted(
            (s.start, s.end)
            for schedule in schedules.values()
            for s in schedule.shifts(self.since, self.until)
            if s.user == "ana"
        )

        feed = user_calendar(schedules, "ana", self.since, self.until, now=NOW)
        found = spans(feed)

        assert {user for user, _, _ in found} == {"ana"}
        assert sorted((start, end) for _, start, end in found) == expected
        assert [start for _, start, _ in found] == sorted(
            start for start, _ in expected
        )
        assert {str(e["X-ONCALL-SCHEDULE"]) for e in events(feed)} == {"sch-1", "sch-2"}
        assert str(Calendar.from_ical(feed)["X-WR-CALNAME"]) == "ana on call"

    def test_its_uids_are_those_of_the_schedule_feeds(self) -> None:
        """A shift has one UID, in the user's feed and in its schedule's feed."""
        schedules = self.schedules()
        per_schedule = {
            str(e["UID"])
            for schedule_id, schedule in schedules.items()
            for e in events(
                schedule_calendar(
                    schedule,
                    self.since,
                    self.until,
                    schedule_id=schedule_id,
                    user="ana",
                    now=NOW,
                )
            )
        }

        uids = [
            str(e["UID"])
            for e in events(
                user_calendar(schedules, "ana", self.since, self.until, now=NOW)
            )
        ]

        assert len(uids) == len(set(uids)) == len(per_schedule)
        assert set(uids) == per_schedule

    def test_summaries_name_the_schedule(self) -> None:
        """In a feed that mixes schedules, each summary says which one."""
        summaries = {
            str(e["SUMMARY"])
            for e in events(
                user_calendar(self.schedules(), "ana", self.since, self.until, now=NOW)
            )
        }

        assert "ana on call — database: dba" in summaries
        assert "ana on call — payments: primary" in summaries

    def test_no_schedules_give_an_empty_calendar(self) -> None:
        """An empty mapping is a valid feed with no events."""
        feed = user_calendar({}, "ana", self.since, self.until, now=NOW)

        assert events(feed) == []


class TestRefuses:
    """Bad windows and stamps are refused with the core's errors."""

    def test_a_window_that_ends_before_it_starts_is_refused(self) -> None:
        """until before since: InvalidWindow, for both kinds of feed."""
        since = datetime(2024, 4, 2, tzinfo=UTC)

        with pytest.raises(InvalidWindow):
            schedule_calendar(payments(), since, since - DAY, schedule_id="sch-1")
        with pytest.raises(InvalidWindow):
            user_calendar({}, "ana", since, since - DAY)

    def test_a_naive_now_is_refused(self) -> None:
        """now without a zone: NaiveDatetime."""
        since = datetime(2024, 4, 2, tzinfo=UTC)

        with pytest.raises(NaiveDatetime):
            schedule_calendar(
                payments(),
                since,
                since + DAY,
                schedule_id="sch-1",
                now=datetime(2024, 4, 2),
            )
