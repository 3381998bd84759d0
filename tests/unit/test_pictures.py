"""The SVG timeline: valid XML, everyone shown, gaps, overrides and DST visible.

Zone facts used below (Europe/Berlin, 2024): 03-31 02:00 CET -> 03:00 CEST
(01:00Z); 10-27 03:00 CEST -> 02:00 CET (01:00Z). America/New_York, 2024:
03-10 02:00 EST -> 03:00 EDT (07:00Z).
"""

from __future__ import annotations

import doctest
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, time, timedelta
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from oncall_adapters.pictures import timeline_svg
from oncall_core import (
    Coverage,
    InvalidWindow,
    Layer,
    NaiveDatetime,
    Override,
    Restriction,
    Schedule,
    UnknownTimeZone,
)

BERLIN = ZoneInfo("Europe/Berlin")
DAY = timedelta(days=1)
WEEK = timedelta(weeks=1)
SVG = "{http://www.w3.org/2000/svg}"


def payments() -> Schedule:
    """Day and night layers with a gap at weekend mornings, and two overrides."""
    return Schedule(
        "payments",
        "Europe/Berlin",
        [
            Layer(
                "day",
                ["ana", "ben", "chi"],
                datetime(2024, 3, 4, 9, tzinfo=BERLIN),
                WEEK,
                restrictions=[Restriction.daily(time(9), time(18), weekdays=range(5))],
                priority=2,
            ),
            Layer(
                "night",
                ["dev", "eli"],
                datetime(2024, 3, 4, 18, tzinfo=BERLIN),
                DAY,
                restrictions=[Restriction.daily(time(18), time(9))],
                priority=1,
            ),
        ],
        overrides=[
            Override.replace(
                "fay",
                "ben",
                datetime(2024, 4, 2, 13, tzinfo=BERLIN),
                datetime(2024, 4, 2, 18, tzinfo=BERLIN),
            ),
            Override.add(
                "gus",
                datetime(2024, 4, 3, 12, tzinfo=BERLIN),
                datetime(2024, 4, 3, 20, tzinfo=BERLIN),
            ),
        ],
    )


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def texts(root: ET.Element, cls: str | None = None) -> list[str]:
    """Return the own text of every <text> element, or of those of one class."""
    return [
        element.text or ""
        for element in root.iter(f"{SVG}text")
        if cls is None or element.get("class") == cls
    ]


def groups(root: ET.Element, cls: str) -> list[ET.Element]:
    """Return the <g> elements whose class list holds *cls*."""
    return [
        element
        for element in root.iter(f"{SVG}g")
        if cls in (element.get("class") or "").split()
    ]


def tips(root: ET.Element, cls: str) -> list[str]:
    """Return the tooltips of the <g> elements of class *cls*."""
    return [group.findtext(f"{SVG}title") or "" for group in groups(root, cls)]


def hour_ticks(root: ET.Element) -> list[tuple[float, str]]:
    """Return (x, label) of the hour labels on the time axis, left to right."""
    return sorted(
        (float(element.get("x", "0")), element.text or "")
        for element in root.iter(f"{SVG}text")
        if element.get("class") == "hour"
    )


class TestTimelineSvgIsAPicture:
    """The output is one self-contained, accessible SVG document."""

    def test_the_output_parses_as_xml_with_an_svg_root(self) -> None:
        """ElementTree reads it, and its root is an <svg> in the SVG namespace."""
        svg = timeline_svg(
            payments(),
            datetime(2024, 4, 1, tzinfo=BERLIN),
            datetime(2024, 4, 8, tzinfo=BERLIN),
        )

        root = parse(svg)

        assert root.tag == f"{SVG}svg"
        assert root.get("viewBox", "").startswith("0 0 ")

    def test_a_title_and_a_description_come_first_for_screen_readers(self) -> None:
        """<title> and <desc> are the first children, and the root points to them."""
        root = parse(
            timeline_svg(
                payments(),
                datetime(2024, 4, 1, tzinfo=BERLIN),
                datetime(2024, 4, 8, tzinfo=BERLIN),
            )
        )

        title, desc = list(root)[:2]

        assert title.tag == f"{SVG}title"
        assert desc.tag == f"{SVG}desc"
        assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
        assert title.text == (
            "payments: who is on call, Mon 01 Apr 2024 00:00 CEST to "
            "Mon 08 Apr 2024 00:00 CEST"
        )
        assert "Layers: day, night." in (desc.text or "")

    def test_a_given_title_replaces_the_default_one(self) -> None:
        """*title* is used as given, for the <title> and the heading."""
        root = parse(
            timeline_svg(
                payments(),
                datetime(2024, 4, 1, tzinfo=BERLIN),
                datetime(2024, 4, 2, tzinfo=BERLIN),
                title="Payments, this week",
            )
        )

        assert root.findtext(f"{SVG}title") == "Payments, this week"
        assert "Payments, this week" in texts(root)

    def test_the_same_arguments_give_the_same_text(self) -> None:
        """Two equal schedules drawn over one window give identical output."""
        since = datetime(2024, 3, 25, tzinfo=BERLIN)
        until = datetime(2024, 4, 8, tzinfo=BERLIN)

        first = timeline_svg(payments(), since, until)
        second = timeline_svg(payments(), since, until)

        assert first == second

    def test_names_that_look_like_markup_are_escaped(self) -> None:
        """Users, layers and schedule names with <, & and quotes stay text."""
        odd = Schedule(
            'a & <b> "c"',
            "Etc/UTC",
            [
                Layer(
                    "<layer>",
                    ["<script>", "ana & ben", 'o\'neil "x"'],
                    datetime(2024, 1, 1, tzinfo=UTC),
                    DAY,
                )
            ],
        )

        root = parse(
            timeline_svg(
                odd, datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 4, tzinfo=UTC)
            )
        )

        assert {"<script>", "ana & ben", 'o\'neil "x"'} <= set(texts(root, "person"))
        assert "<layer>" in texts(root, "row")
        assert not list(root.iter("script"))


class TestTimelineSvgShowsEveryone:
    """Every user on call in the window appears as text."""

    @pytest.mark.parametrize(
        ("since", "until"),
        [
            (
                datetime(2024, 4, 2, 9, tzinfo=BERLIN),
                datetime(2024, 4, 2, 10, tzinfo=BERLIN),
            ),
            (datetime(2024, 4, 1, tzinfo=BERLIN), datetime(2024, 4, 8, tzinfo=BERLIN)),
            (datetime(2024, 3, 4, tzinfo=BERLIN), datetime(2024, 4, 4, tzinfo=BERLIN)),
        ],
        ids=["an hour", "a week", "a month"],
    )
    def test_every_user_of_the_window_is_written_out(
        self, since: datetime, until: datetime
    ) -> None:
        """The users of the window's shifts, layered and final, are all in the text."""
        schedule = payments()
        users = {s.user for s in schedule.shifts(since, until, final=False)}
        users |= {s.user for s in schedule.shifts(since, until)}

        root = parse(timeline_svg(schedule, since, until))

        assert users
        assert users <= set(texts(root))
        assert sorted(users) == texts(root, "person")

    def test_a_long_window_labels_only_the_bars_wide_enough(self) -> None:
        """Over two weeks, 9-hour day shifts are too narrow for a name; nights not."""
        since = datetime(2024, 3, 4, tzinfo=BERLIN)
        root = parse(timeline_svg(payments(), since, since + 2 * WEEK))

        shift_groups = groups(root, "shift")
        labelled = [g for g in shift_groups if g.find(f"{SVG}text") is not None]

        # Ten day shifts, fourteen nights of which the last is cut to 6 hours.
        assert len(shift_groups) == 10 + 14
        assert len(labelled) == 13

    def test_every_layer_has_a_row_and_overrides_on_no_layer_have_one(
        self,
    ) -> None:
        """Rows are the layers by priority, then overrides, then final coverage."""
        root = parse(
            timeline_svg(
                payments(),
                datetime(2024, 4, 3, tzinfo=BERLIN),
                datetime(2024, 4, 4, tzinfo=BERLIN),
            )
        )

        assert texts(root, "row") == ["day", "night", "overrides", "final coverage"]
        assert any(
            tip.startswith("gus on call, no layer") for tip in tips(root, "shift")
        )

    def test_a_user_has_one_colour_in_every_window(self) -> None:
        """Colours come from the schedule, not the window, and differ per user."""
        schedule = payments()

        def swatches(since: datetime) -> dict[str, str]:
            root = parse(timeline_svg(schedule, since, since + WEEK))
            colours: dict[str, str] = {}
            for group in groups(root, "shift"):
                user = (group.findtext(f"{SVG}title") or "").split(" on call")[0]
                rect = group.find(f"{SVG}rect")
                assert rect is not None
                colours[user] = rect.get("fill", "")
            return colours

        first = swatches(datetime(2024, 3, 4, tzinfo=BERLIN))
        later = swatches(datetime(2024, 4, 1, tzinfo=BERLIN))

        shared = first.keys() & later.keys()
        assert shared
        assert all(first[user] == later[user] for user in shared)
        assert len(set(later.values())) == len(later)


class TestTimelineSvgShowsCoverage:
    """The final row shows gaps and marks the time overrides put people on call."""

    def test_each_gap_of_the_timeline_is_drawn_and_named(self) -> None:
        """Saturday and Sunday 09:00-18:00 have nobody: two hatched, labelled gaps."""
        since = datetime(2024, 4, 6, tzinfo=BERLIN)
        until = datetime(2024, 4, 8, tzinfo=BERLIN)
        schedule = payments()
        expected = [s for s in schedule.timeline(since, until) if s.is_gap]

        root = parse(timeline_svg(schedule, since, until))
        gaps = groups(root, "gap")

        assert len(expected) == 2
        assert len(gaps) == 2
        for group in gaps:
            rect = group.find(f"{SVG}rect")
            assert rect is not None
            assert rect.get("fill") == "url(#oncall-gap)"
            assert group.findtext(f"{SVG}text") == "gap"
        assert tips(root, "gap")[0] == (
            "gap in coverage, nobody on call: Sat 06 Apr 09:00 CEST to 18:00 CEST, 9 h"
        )
        assert "Gaps in coverage: 2, 18 h in all" in (root.findtext(f"{SVG}desc") or "")

    def test_a_window_without_gaps_draws_none(self) -> None:
        """Weekdays are covered all day and night: no gap element at all."""
        root = parse(
            timeline_svg(
                payments(),
                datetime(2024, 4, 2, tzinfo=BERLIN),
                datetime(2024, 4, 4, tzinfo=BERLIN),
            )
        )

        assert groups(root, "gap") == []
        assert "No gap in coverage." in (root.findtext(f"{SVG}desc") or "")

    def test_a_very_short_gap_is_still_visible(self) -> None:
        """A 15-minute gap in a month is drawn at least 3 pixels wide."""
        start = datetime(2024, 3, 1, tzinfo=UTC)
        schedule = Schedule(
            "ops",
            "Etc/UTC",
            [Layer("l", ["ana"], start, DAY)],
            overrides=[
                Override.remove(
                    "ana", start + 10 * DAY, start + 10 * DAY + timedelta(minutes=15)
                )
            ],
        )

        root = parse(timeline_svg(schedule, start, start + 30 * DAY))
        (gap,) = groups(root, "gap")
        rect = gap.find(f"{SVG}rect")

        assert rect is not None
        assert float(rect.get("width", "0")) >= 3

    def test_shifts_put_in_place_by_overrides_have_a_dashed_outline(self) -> None:
        """fay's replacement and gus's addition are dashed, in their rows and final."""
        root = parse(
            timeline_svg(
                payments(),
                datetime(2024, 4, 1, tzinfo=BERLIN),
                datetime(2024, 4, 8, tzinfo=BERLIN),
            )
        )

        marked = [
            (group.findtext(f"{SVG}title") or "").split(" on call")[0]
            for group in groups(root, "override")
            if "shift" in (group.get("class") or "")
        ]
        dashed = [
            rect
            for group in groups(root, "override")
            for rect in group.iter(f"{SVG}rect")
        ]

        assert sorted(marked) == ["fay", "gus"]
        assert all(rect.get("stroke-dasharray") for rect in dashed)
        assert {
            (group.findtext(f"{SVG}title") or "").split(" on call")[0]
            for group in groups(root, "coverage")
            if "override" in (group.get("class") or "")
        } == {"fay", "gus"}

    def test_top_layer_coverage_is_named_in_the_final_row(self) -> None:
        """The final row says which coverage mode chose the people shown."""
        schedule = Schedule(
            "ops",
            "Etc/UTC",
            payments().layers,
            coverage=Coverage.TOP_LAYER,
        )

        root = parse(
            timeline_svg(
                schedule,
                datetime(2024, 4, 1, tzinfo=UTC),
                datetime(2024, 4, 2, tzinfo=UTC),
            )
        )

        assert "who is paged (top layer)" in texts(root)


class TestTimelineSvgTimeAxis:
    """Hour labels are local whole hours, DST changes included: the DST trio."""

    def test_an_ordinary_day_has_each_hour_once_evenly_spaced(self) -> None:
        """1 April in Berlin: 01 to 23, one hour apart each."""
        root = parse(
            timeline_svg(
                payments(),
                datetime(2024, 4, 1, tzinfo=BERLIN),
                datetime(2024, 4, 2, tzinfo=BERLIN),
            )
        )

        ticks = hour_ticks(root)
        steps = {round(b[0] - a[0], 1) for a, b in pairwise(ticks)}

        assert [label for _, label in ticks] == [f"{h:02d}" for h in range(1, 24)]
        assert len(steps) == 1
        assert root.findall(f".//{SVG}line[@class='dst']") == []

    def test_a_skipped_hour_has_no_label_and_its_neighbours_touch(self) -> None:
        """31 March in Berlin: 02 never happens, and 01 to 03 is one hour wide."""
        root = parse(
            timeline_svg(
                payments(),
                datetime(2024, 3, 31, tzinfo=BERLIN),
                datetime(2024, 4, 1, tzinfo=BERLIN),
            )
        )

        ticks = hour_ticks(root)
        x = {label: position for position, label in ticks}
        hour = x["05"] - x["04"]

        assert [label for _, label in ticks][:3] == ["01", "03", "04"]
        assert len(ticks) == 22
        assert x["03"] - x["01"] == pytest.approx(hour, abs=0.02)
        assert "Sun 31 Mar 03:00 CEST: clocks go forward 1 h, CET to CEST" in texts(
            root, "dst"
        )

    def test_a_repeated_hour_is_labelled_twice(self) -> None:
        """27 October in Berlin: 02 happens twice, an hour apart."""
        root = parse(
            timeline_svg(
                payments(),
                datetime(2024, 10, 27, tzinfo=BERLIN),
                datetime(2024, 10, 28, tzinfo=BERLIN),
            )
        )

        ticks = hour_ticks(root)
        twos = [position for position, label in ticks if label == "02"]
        (dst_line,) = root.findall(f".//{SVG}line[@class='dst']")

        assert [label for _, label in ticks][:4] == ["01", "02", "02", "03"]
        assert len(ticks) == 24
        assert twos[1] - twos[0] == pytest.approx(ticks[1][0] - ticks[0][0], abs=0.02)
        assert float(dst_line.get("x1", "0")) == pytest.approx(twos[1], abs=0.02)
        assert "Sun 27 Oct 02:00 CET: clocks go back 1 h, CEST to CET" in texts(
            root, "dst"
        )

    def test_the_axis_follows_the_zone_it_is_given(self) -> None:
        """Drawn for New York, the axis shows New York's change, not Berlin's."""
        root = parse(
            timeline_svg(
                payments(),
                datetime(2024, 3, 10, tzinfo=ZoneInfo("America/New_York")),
                datetime(2024, 3, 11, tzinfo=ZoneInfo("America/New_York")),
                time_zone="America/New_York",
            )
        )

        labels = [label for _, label in hour_ticks(root)]

        assert labels[:3] == ["01", "03", "04"]
        assert texts(root, "dst") == [
            "Sun 10 Mar 03:00 EDT: clocks go forward 1 h, EST to EDT"
        ]
        assert "Times on the clock of America/New_York." in texts(root)[1]

    def test_a_zone_object_draws_what_its_name_draws(self) -> None:
        """time_zone may be a ZoneInfo as well as an IANA name."""
        since = datetime(2024, 3, 30, tzinfo=UTC)
        until = datetime(2024, 4, 1, tzinfo=UTC)

        by_name = timeline_svg(payments(), since, until, time_zone="Asia/Kolkata")
        by_zone = timeline_svg(
            payments(), since, until, time_zone=ZoneInfo("Asia/Kolkata")
        )

        assert by_name == by_zone
        assert by_name != timeline_svg(payments(), since, until)

    def test_a_month_labels_days_not_hours(self) -> None:
        """Over a month hours would not fit: days are labelled by their number."""
        root = parse(
            timeline_svg(
                payments(),
                datetime(2024, 3, 1, tzinfo=BERLIN),
                datetime(2024, 4, 1, tzinfo=BERLIN),
            )
        )

        days = texts(root, "day")

        assert hour_ticks(root) == []
        assert days == [f"{d:02d}" for d in range(1, 32)]

    def test_a_year_labels_months(self) -> None:
        """Over a year, the axis names months."""
        root = parse(
            timeline_svg(
                payments(),
                datetime(2024, 3, 1, tzinfo=BERLIN),
                datetime(2025, 3, 1, tzinfo=BERLIN),
            )
        )

        days = texts(root, "day")

        assert days[0] == "Mar 2024"
        assert days[-1] == "Feb 2025"
        assert len(days) == 12
        assert len(texts(root, "dst")) == 2


class TestTimelineSvgRefuses:
    """Bad arguments are refused with the core's errors."""

    def test_an_empty_window_is_refused(self) -> None:
        """A picture of no time at all would divide by zero: InvalidWindow."""
        at = datetime(2024, 4, 1, tzinfo=BERLIN)

        with pytest.raises(InvalidWindow, match="must be after since"):
            timeline_svg(payments(), at, at)

    def test_a_naive_datetime_is_refused(self) -> None:
        """since without a zone: NaiveDatetime."""
        with pytest.raises(NaiveDatetime):
            timeline_svg(
                payments(), datetime(2024, 4, 1), datetime(2024, 4, 2, tzinfo=UTC)
            )

    def test_an_unknown_zone_is_refused(self) -> None:
        """time_zone must be an IANA name."""
        with pytest.raises(UnknownTimeZone):
            timeline_svg(
                payments(),
                datetime(2024, 4, 1, tzinfo=UTC),
                datetime(2024, 4, 2, tzinfo=UTC),
                time_zone="Mars/Olympus",
            )

    def test_a_schedule_without_layers_is_one_long_gap(self) -> None:
        """No layer, no override: the final row is a single gap, and no one is named."""
        empty = Schedule("empty", "Etc/UTC", [])

        root = parse(
            timeline_svg(
                empty,
                datetime(2024, 1, 1, tzinfo=UTC),
                datetime(2024, 1, 2, tzinfo=UTC),
            )
        )

        assert len(groups(root, "gap")) == 1
        assert texts(root, "person") == []
        assert "nobody is on call in this window" in texts(root)
        assert re.search(r"People on call: nobody\.", root.findtext(f"{SVG}desc") or "")


DOC = Path(__file__).resolve().parents[2] / "docs" / "pictures-and-calendars.md"


def pycon_only(text: str) -> str:
    """Return *text* with each line outside ```pycon blocks blanked, keeping numbers."""
    kept: list[str] = []
    inside = False
    for line in text.splitlines():
        fence = line.strip()
        if not inside and fence == "```pycon":
            inside = True
            kept.append("")
        elif inside and fence == "```":
            inside = False
            kept.append("")
        else:
            kept.append(line if inside else "")
    return "\n".join(kept) + "\n"


class TestPicturesAndCalendarsPage:
    """docs/pictures-and-calendars.md shows real code with its real output."""

    def test_every_example_prints_what_the_page_shows(self) -> None:
        """Each ``>>>`` line runs and prints what the page shows under it."""
        text = pycon_only(DOC.read_text(encoding="utf-8"))
        test = doctest.DocTestParser().get_doctest(
            text, {"__name__": "pictures_md"}, DOC.name, str(DOC), 0
        )
        for example in test.examples:
            # Long descriptions are wrapped on the page to keep its lines short.
            example.options[doctest.NORMALIZE_WHITESPACE] = True
        report: list[str] = []

        results = doctest.DocTestRunner().run(test, out=report.append)

        assert results.attempted > 30, "the page's examples were not found"
        assert results.failed == 0, "".join(report)
