"""Pictures of schedules: an SVG timeline of layers, overrides and coverage.

The SVG is written by hand, with every piece of text XML-escaped, so it
needs nothing beyond the standard library and opens in any browser.
"""

from __future__ import annotations

import colorsys
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

import attrs

from oncall_core import Coverage, InvalidWindow, Schedule, Segment, Shift
from oncall_core._time import load_zone, require_aware

__all__ = ["timeline_svg"]

_WIDTH = 1200
_MARGIN = 16
_ROW = 30
_FINAL_ROW = 46
_ROW_GAP = 8
_FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif"

_INK = "#111827"
_MUTED = "#6b7280"
_GRID = "#e5e7eb"
_DAY_LINE = "#9ca3af"
_WEEKEND = "#f3f4f6"
_GAP = "#dc2626"
_DST = "#b45309"

# Strong, distinct colours first; red is kept for gaps and grey for weekends.
_PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#59a14f",
    "#b07aa1",
    "#edc948",
    "#499894",
    "#d37295",
    "#9d7660",
    "#a0cbe8",
    "#ffbe7d",
    "#8cd17d",
    "#d4a6c8",
    "#b6992d",
    "#86bcb6",
    "#fabfd2",
    "#d7b5a6",
)

# XXX: local whole hours are looked for on this grid of UTC, so a zone whose
# offset is not a whole number of quarter hours gets no hour labels
# (docs/pictures-and-calendars.md, Limitations).
_GRID_STEP = timedelta(minutes=15)
_HOUR_STEPS = (1, 2, 3, 4, 6, 12)


def timeline_svg(
    schedule: Schedule,
    since: datetime,
    until: datetime,
    *,
    time_zone: str | ZoneInfo | None = None,
    title: str | None = None,
) -> str:
    """Return an SVG picture of who is on call in [since, until).

    One row per layer, highest priority first, shows its shifts with
    overrides applied (``shifts(final=False)``); a row shows the overrides
    that stand on no layer; the last row shows the final coverage
    (:meth:`Schedule.timeline`), its gaps hatched in red. Shifts that an
    override put in place have a dashed outline. Each user has the same
    colour in every picture of one schedule, and the legend lists everyone
    on call in the window. The time axis shows days and hours on the clock
    of *time_zone* (default: the schedule's zone), so a DST change appears
    as a missing or repeated hour, and is marked with its own line.

    The same arguments always give the same text.

    Raises:
        NaiveDatetime: *since* or *until* has no time zone.
        InvalidWindow: *until* is not after *since*.
        UnknownTimeZone: *time_zone* is not an IANA zone.
    """
    since = require_aware(since, "since")
    until = require_aware(until, "until")
    if until <= since:
        msg = (
            f"a picture needs a window of some length: until ({until.isoformat()}) "
            f"must be after since ({since.isoformat()})"
        )
        raise InvalidWindow(msg)
    if time_zone is None:
        zone = load_zone(schedule.time_zone)
    elif isinstance(time_zone, ZoneInfo):
        zone = time_zone
    else:
        zone = load_zone(time_zone)

    layered = schedule.shifts(since, until, final=False)
    final = schedule.shifts(since, until)
    segments = schedule.timeline(since, until)
    users = sorted({shift.user for shift in layered} | {s.user for s in final})
    colours = _colours(schedule)

    picture = _Picture(schedule, since, until, zone, colours)
    return picture.draw(title, layered, final, segments, users)


def _colours(schedule: Schedule) -> dict[str, str]:
    """Give every user of *schedule* a colour, the same for every window."""
    names: dict[str, None] = {}
    for layer in schedule.layers:
        names.update(dict.fromkeys(layer.participants))
    for override in schedule.overrides:
        names[override.user] = None
        if override.replaces is not None:
            names[override.replaces] = None
    colours: dict[str, str] = {}
    for index, name in enumerate(names):
        if index < len(_PALETTE):
            colours[name] = _PALETTE[index]
        else:
            hue = (index * 0.618033988749895) % 1.0
            red, green, blue = colorsys.hls_to_rgb(hue, 0.62, 0.55)
            colours[name] = (
                f"#{round(red * 255):02x}{round(green * 255):02x}"
                f"{round(blue * 255):02x}"
            )
    return colours


def _text_colour(fill: str) -> str:
    """Return ink or white, whichever reads better on *fill*."""
    channels = [int(fill[k : k + 2], 16) / 255 for k in (1, 3, 5)]
    linear = [
        c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels
    ]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return _INK if luminance > 0.3 else "#ffffff"


def _marks(day: date, rule: str) -> bool:
    """Tell whether *day* starts a "day", a "week" or a "month"."""
    if rule == "week":
        return day.weekday() == 0
    if rule == "month":
        return day.day == 1
    return True


def _text_width(text: str, size: float) -> float:
    """Estimate how wide *text* is drawn; generous, so labels rarely overflow.

    XXX: with no font at hand this is a guess per character; very wide
    characters (CJK, emoji) can overflow a bar (docs/pictures-and-calendars.md,
    Limitations).
    """
    return len(text) * size * 0.62


def _num(value: float) -> str:
    """Format a coordinate with at most two decimals, the same way every time."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _hours(length: timedelta) -> str:
    hours = length / timedelta(hours=1)
    return f"{hours:.1f}".rstrip("0").rstrip(".") + " h"


@attrs.frozen
class _Tick:
    at: datetime
    local: datetime


@attrs.frozen
class _Change:
    """A change of the viewer zone's UTC offset: a DST transition."""

    at: datetime
    before: datetime
    after: datetime


class _Picture:
    """The geometry of one picture, and the SVG text drawn with it."""

    def __init__(
        self,
        schedule: Schedule,
        since: datetime,
        until: datetime,
        zone: ZoneInfo,
        colours: dict[str, str],
    ) -> None:
        self.schedule = schedule
        self.since = since
        self.until = until
        self.zone = zone
        self.zone_name = zone.key or str(zone)
        self.colours = colours
        longest = max(
            [len(layer.name) for layer in schedule.layers] + [len("final coverage")]
        )
        self.label_width = min(max(longest * 8.5 + 24, 130), 220)
        self.left = _MARGIN + self.label_width
        self.right = _WIDTH - _MARGIN - 8
        self.out: list[str] = []

    # Coordinates

    def x(self, at: datetime) -> float:
        span = (self.until - self.since).total_seconds()
        share = (at - self.since).total_seconds() / span
        return self.left + share * (self.right - self.left)

    def pixels(self, length: timedelta) -> float:
        span = (self.until - self.since).total_seconds()
        return length.total_seconds() / span * (self.right - self.left)

    def local(self, at: datetime) -> datetime:
        return at.astimezone(self.zone)

    def when(self, at: datetime, pattern: str = "%a %d %b %H:%M %Z") -> str:
        return self.local(at).strftime(pattern)

    def span_text(self, start: datetime, end: datetime) -> str:
        first, last = self.local(start), self.local(end)
        if first.date() == last.date():
            return f"{self.when(start)} to {last:%H:%M %Z}"
        return f"{self.when(start)} to {self.when(end)}"

    # Writing

    def emit(self, line: str) -> None:
        self.out.append(line)

    def text(
        self,
        x: float,
        y: float,
        content: str,
        *,
        size: float = 12,
        fill: str = _INK,
        anchor: str = "start",
        weight: str | None = None,
        cls: str | None = None,
    ) -> None:
        extra = f' font-weight="{weight}"' if weight else ""
        extra += f' class="{cls}"' if cls else ""
        self.emit(
            f'<text x="{_num(x)}" y="{_num(y)}" font-size="{_num(size)}" '
            f'fill="{fill}" text-anchor="{anchor}"{extra}>{escape(content)}</text>'
        )

    def line(
        self,
        x1: float,
        y1: float,
        x2: float,
        y2: float,
        stroke: str,
        *,
        width: float = 1,
        dash: str | None = None,
        cls: str | None = None,
    ) -> None:
        extra = f' stroke-dasharray="{dash}"' if dash else ""
        extra += f' class="{cls}"' if cls else ""
        self.emit(
            f'<line x1="{_num(x1)}" y1="{_num(y1)}" x2="{_num(x2)}" y2="{_num(y2)}" '
            f'stroke="{stroke}" stroke-width="{_num(width)}"{extra}/>'
        )

    # The whole picture

    def draw(
        self,
        title: str | None,
        layered: Sequence[Shift],
        final: Sequence[Shift],
        segments: Sequence[Segment],
        users: Sequence[str],
    ) -> str:
        heading = title or (
            f"{self.schedule.name}: who is on call, "
            f"{self.when(self.since, '%a %d %b %Y %H:%M %Z')} to "
            f"{self.when(self.until, '%a %d %b %Y %H:%M %Z')}"
        )
        ticks, changes = self.ticks()
        order = sorted(
            range(len(self.schedule.layers)),
            key=lambda k: (-self.schedule.layers[k].priority, k),
        )
        top = 110
        rows_bottom = top + (len(order) + 1) * (_ROW + _ROW_GAP) + 10 + _FINAL_ROW
        dst_bottom = rows_bottom + (18 * len(changes) + 8 if changes else 0)
        body: list[str] = []
        self.out = body

        self.background(top, rows_bottom, ticks)
        self.dst_lines(top, rows_bottom, changes)
        self.axis(top, rows_bottom, ticks)
        y = top
        for index in order:
            layer = self.schedule.layers[index]
            shifts = [s for s in layered if s.layer == layer.name]
            self.row_label(y, _ROW, layer.name, f"layer, priority {layer.priority}")
            self.shift_row(y, shifts)
            y += _ROW + _ROW_GAP
        loose = [s for s in layered if s.layer is None]
        self.row_label(y, _ROW, "overrides", "on no layer")
        self.shift_row(y, loose, empty="no override on no layer in this window")
        y += _ROW + _ROW_GAP
        self.line(_MARGIN, y + 1, self.right, y + 1, _DAY_LINE)
        y += 10
        mode = "top layer" if self.schedule.coverage is Coverage.TOP_LAYER else "all"
        self.row_label(y, _FINAL_ROW, "final coverage", f"who is paged ({mode})")
        self.coverage_row(y, segments, final)
        self.dst_labels(rows_bottom, changes)
        height = self.legend(dst_bottom + 16, users, final, bool(changes))

        self.out = []
        self.header(heading, height, users, segments, changes)
        self.out.extend(body)
        self.emit("</svg>")
        return "\n".join(self.out) + "\n"

    def header(
        self,
        heading: str,
        height: float,
        users: Sequence[str],
        segments: Sequence[Segment],
        changes: Sequence[_Change],
    ) -> None:
        self.emit(
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{_WIDTH}" '
            f'height="{_num(height)}" viewBox="0 0 {_WIDTH} {_num(height)}" '
            f'role="img" aria-labelledby="oncall-title oncall-desc" '
            f'font-family="{_FONT}">'
        )
        self.emit(f'<title id="oncall-title">{escape(heading)}</title>')
        self.emit(
            f'<desc id="oncall-desc">'
            f"{escape(self.description(users, segments, changes))}</desc>"
        )
        self.emit(
            "<defs>"
            '<pattern id="oncall-gap" width="8" height="8" '
            'patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
            f'<rect width="8" height="8" fill="#fee2e2"/>'
            f'<line x1="0" y1="0" x2="0" y2="8" stroke="{_GAP}" stroke-width="3"/>'
            "</pattern></defs>"
        )
        self.emit(f'<rect width="{_WIDTH}" height="{_num(height)}" fill="#ffffff"/>')
        self.text(_MARGIN, 30, heading, size=18, weight="bold")
        mode = (
            "top layer only"
            if self.schedule.coverage is Coverage.TOP_LAYER
            else "all layers"
        )
        self.text(
            _MARGIN,
            50,
            f"Schedule {self.schedule.name} ({self.schedule.time_zone}), "
            f"coverage: {mode}. Times on the clock of {self.zone_name}.",
            size=12,
            fill=_MUTED,
        )

    def description(
        self,
        users: Sequence[str],
        segments: Sequence[Segment],
        changes: Sequence[_Change],
    ) -> str:
        layers = ", ".join(layer.name for layer in self.schedule.layers) or "none"
        parts = [
            f"Who is on call in schedule {self.schedule.name} from "
            f"{self.when(self.since)} to {self.when(self.until)}, times in "
            f"{self.zone_name}.",
            f"Layers: {layers}.",
            f"People on call: {', '.join(users) or 'nobody'}.",
        ]
        gaps = [segment for segment in segments if segment.is_gap]
        if gaps:
            total = sum((g.end - g.start for g in gaps), timedelta(0))
            listed = "; ".join(self.span_text(g.start, g.end) for g in gaps[:10])
            more = f"; and {len(gaps) - 10} more" if len(gaps) > 10 else ""
            parts.append(
                f"Gaps in coverage: {len(gaps)}, {_hours(total)} in all: "
                f"{listed}{more}."
            )
        else:
            parts.append("No gap in coverage.")
        parts.extend(
            f"Clocks change at {self.when(change.at)} ({self.dst_text(change)})."
            for change in changes
        )
        return " ".join(parts)

    # Time axis

    def ticks(self) -> tuple[list[_Tick], list[_Change]]:
        """Return the local whole hours in the window, and the offset changes."""
        ticks: list[_Tick] = []
        changes: list[_Change] = []
        previous = self.local(self.since - timedelta(seconds=1))
        for at in self.grid():
            local = self.local(at)
            if local.utcoffset() != previous.utcoffset():
                change = self.locate_change(previous, local)
                if change.at < self.until:
                    changes.append(change)
            previous = local
            if at < self.until and local.minute == 0 and local.second == 0:
                ticks.append(_Tick(at, local))
        return ticks, changes

    def grid(self) -> Iterator[datetime]:
        epoch = datetime(1970, 1, 1, tzinfo=UTC)
        at = epoch + (self.since - epoch) // _GRID_STEP * _GRID_STEP
        while at < self.until:
            if at >= self.since:
                yield at
            at += _GRID_STEP
        # The last step may be partial: a change inside it is found at until.
        yield self.until

    def locate_change(self, before: datetime, after: datetime) -> _Change:
        low, high = before.astimezone(UTC), after.astimezone(UTC)
        offset = before.utcoffset()
        while high - low > timedelta(seconds=1):
            middle = low + (high - low) / 2
            middle = middle.replace(microsecond=0)
            if middle <= low:
                break
            if self.local(middle).utcoffset() == offset:
                low = middle
            else:
                high = middle
        return _Change(high, self.local(high - timedelta(seconds=1)), self.local(high))

    def days(self) -> list[tuple[date, datetime]]:
        """Return each local date of the window with the instant it starts."""
        first = self.local(self.since).date()
        last = self.local(self.until).date()
        found: list[tuple[date, datetime]] = []
        day = first
        while day <= last + timedelta(days=1):
            # With fold=0 a skipped midnight moves forward and a repeated one
            # is the first, as resolve_local's "compatible" would do.
            midnight = datetime.combine(day, time(0), tzinfo=self.zone)
            found.append((day, midnight.astimezone(UTC)))
            day += timedelta(days=1)
        return found

    def hour_step(self) -> int | None:
        """Return how many hours apart hour labels go, or None for none."""
        for step in _HOUR_STEPS:
            if self.pixels(timedelta(hours=step)) >= 26:
                return step
        return None

    def background(self, top: float, bottom: float, ticks: Sequence[_Tick]) -> None:
        days = self.days()
        per_day = self.pixels(timedelta(days=1))
        for (day, start), (_, end) in pairwise(days):
            if day.weekday() >= 5 and per_day >= 3:
                x1 = max(self.x(start), self.left)
                x2 = min(self.x(end), self.right)
                if x2 > x1:
                    self.emit(
                        f'<rect x="{_num(x1)}" y="{_num(top - 6)}" '
                        f'width="{_num(x2 - x1)}" height="{_num(bottom - top + 6)}" '
                        f'fill="{_WEEKEND}"/>'
                    )
        step = self.hour_step()
        if step is not None and self.pixels(timedelta(hours=step)) >= 20:
            for tick in ticks:
                if tick.local.hour % step == 0 and tick.local.hour != 0:
                    x = self.x(tick.at)
                    self.line(x, top - 6, x, bottom, _GRID)

    def axis(self, top: float, bottom: float, ticks: Sequence[_Tick]) -> None:
        baseline = top - 6
        self.line(self.left, baseline, self.right, baseline, _INK)
        step = self.hour_step()
        minor = next(
            (s for s in _HOUR_STEPS if self.pixels(timedelta(hours=s)) >= 6), None
        )
        for tick in ticks:
            hour = tick.local.hour
            x = self.x(tick.at)
            if hour == 0:
                continue
            if step is not None and hour % step == 0:
                self.line(x, baseline - 6, x, baseline, _INK)
                self.text(
                    x,
                    baseline - 9,
                    f"{hour:02d}",
                    size=10,
                    fill=_MUTED,
                    anchor="middle",
                    cls="hour",
                )
            elif minor is not None and hour % minor == 0:
                self.line(x, baseline - 3, x, baseline, _MUTED)

        lines_on, labels_on, pattern = self.calendar_marks()
        days = self.days()
        for day, start in days:
            if self.since <= start < self.until and _marks(day, lines_on):
                x = self.x(start)
                self.line(x, baseline - 30, x, bottom, _DAY_LINE)
        labelled = [
            (day, start)
            for k, (day, start) in enumerate(days)
            if k == 0 or _marks(day, labels_on)
        ]
        ends = [start for _, start in labelled[1:]] + [self.until]
        for (day, start), end in zip(labelled, ends, strict=True):
            label = day.strftime(pattern)
            x1, x2 = max(self.x(start), self.left), min(self.x(end), self.right)
            if x2 - x1 >= _text_width(label, 11) + 6:
                self.text(
                    x1 + 4, baseline - 22, label, size=11, weight="bold", cls="day"
                )

    def calendar_marks(self) -> tuple[str, str, str]:
        """Return which days get a line, which a label, and the label's format.

        Each is "day", "week" (Mondays) or "month" (the 1st), the finest
        that leaves room to read.
        """
        per_day = self.pixels(timedelta(days=1))
        if per_day >= 110:
            return "day", "day", "%a %d %b"
        if per_day >= 60:
            return "day", "day", "%a %d"
        if per_day >= 22:
            return "day", "day", "%d"
        if per_day * 7 >= 50:
            return "week", "week", "%d %b"
        return "month", "month", "%b %Y"

    def dst_text(self, change: _Change) -> str:
        before, after = change.before.utcoffset(), change.after.utcoffset()
        assert before is not None
        assert after is not None
        moved = after - before
        way = "forward" if moved > timedelta(0) else "back"
        size = abs(moved)
        amount = (
            f"{size // timedelta(hours=1)} h"
            if size % timedelta(hours=1) == timedelta(0)
            else f"{size // timedelta(minutes=1)} min"
        )
        return (
            f"clocks go {way} {amount}, "
            f"{change.before.strftime('%Z')} to {change.after.strftime('%Z')}"
        )

    def dst_lines(self, top: float, bottom: float, changes: Sequence[_Change]) -> None:
        # Drawn behind the rows, so that no line crosses a user's name.
        for k, change in enumerate(changes):
            x = self.x(change.at)
            self.line(
                x,
                top - 14,
                x,
                bottom + 18 * (k + 1),
                _DST,
                width=2,
                dash="5 3",
                cls="dst",
            )

    def dst_labels(self, bottom: float, changes: Sequence[_Change]) -> None:
        for k, change in enumerate(changes):
            x = self.x(change.at)
            label = (
                f"{self.when(change.at, '%a %d %b %H:%M %Z')}: {self.dst_text(change)}"
            )
            width = _text_width(label, 11)
            anchor = "start" if x + width + 6 <= self.right else "end"
            offset = 5 if anchor == "start" else -5
            self.text(
                x + offset,
                bottom + 18 * (k + 1),
                label,
                size=11,
                fill=_DST,
                anchor=anchor,
                cls="dst",
            )

    # Rows

    def row_label(self, y: float, height: float, name: str, note: str) -> None:
        shown = name
        limit = self.label_width - 12
        while shown and _text_width(shown, 13) > limit:
            shown = shown[:-1]
        if shown != name:
            shown = shown[:-1] + "…"
        middle = y + height / 2
        self.text(_MARGIN, middle - 1, shown, size=13, weight="bold", cls="row")
        self.text(_MARGIN, middle + 12, note, size=10, fill=_MUTED)

    def shift_row(self, y: float, shifts: Sequence[Shift], *, empty: str = "") -> None:
        self.emit(
            f'<rect x="{_num(self.left)}" y="{_num(y)}" '
            f'width="{_num(self.right - self.left)}" height="{_ROW}" '
            f'fill="none" stroke="{_GRID}"/>'
        )
        if not shifts:
            self.text(
                self.left + 8,
                y + _ROW / 2 + 4,
                empty or "no shift in this window",
                size=11,
                fill=_MUTED,
            )
            return
        for shift in shifts:
            where = shift.layer or "no layer"
            turn = "" if shift.turn is None else f", turn {shift.turn}"
            tip = (
                f"{shift.user} on call, {where}{turn}"
                f"{' (override)' if shift.source == 'override' else ''}: "
                f"{self.span_text(shift.start, shift.end)}, {_hours(shift.duration)}"
            )
            self.bar(
                shift.start,
                shift.end,
                y + 3,
                _ROW - 6,
                shift.user,
                override=shift.source == "override",
                tip=tip,
            )

    def bar(
        self,
        start: datetime,
        end: datetime,
        y: float,
        height: float,
        user: str,
        *,
        override: bool,
        tip: str,
        kind: str = "shift",
        label_size: float = 12,
    ) -> None:
        x1, x2 = self.x(start), self.x(end)
        width = max(x2 - x1, 1.5)
        fill = self.colours.get(user, "#9ca3af")
        if override and width >= 6:
            stroke = f' stroke="{_INK}" stroke-width="1.5" stroke-dasharray="4 2"'
        elif override:
            stroke = f' stroke="{_INK}" stroke-width="1"'
        else:
            stroke = ' stroke="#ffffff" stroke-width="1"'

        classes = f"{kind} override" if override else kind
        self.emit(f'<g class="{classes}"><title>{escape(tip)}</title>')
        self.emit(
            f'<rect x="{_num(x1)}" y="{_num(y)}" width="{_num(width)}" '
            f'height="{_num(height)}" rx="3" fill="{fill}"{stroke}/>'
        )
        if width >= _text_width(user, label_size) + 8 and height >= label_size + 2:
            self.text(
                x1 + width / 2,
                y + height / 2 + label_size * 0.36,
                user,
                size=label_size,
                fill=_text_colour(fill),
                anchor="middle",
            )
        self.emit("</g>")

    def coverage_row(
        self, y: float, segments: Sequence[Segment], final: Sequence[Shift]
    ) -> None:
        overrides = [shift for shift in final if shift.source == "override"]
        for segment in segments:
            if segment.is_gap:
                self.gap(segment, y)
                continue
            users = sorted(segment.users)
            band = _FINAL_ROW / len(users)
            size = min(12, band - 4)
            for k, user in enumerate(users):
                override = any(
                    s.user == user and s.contains(segment.start) for s in overrides
                )
                others = [other for other in users if other != user]
                tip = (
                    f"{user} on call"
                    f"{', with ' + ', '.join(others) if others else ''}"
                    f"{' (override)' if override else ''}: "
                    f"{self.span_text(segment.start, segment.end)}, "
                    f"{_hours(segment.end - segment.start)}"
                )
                self.bar(
                    segment.start,
                    segment.end,
                    y + k * band,
                    band,
                    user,
                    override=override,
                    tip=tip,
                    kind="coverage",
                    label_size=max(size, 9),
                )

    def gap(self, segment: Segment, y: float) -> None:
        x1, x2 = self.x(segment.start), self.x(segment.end)
        width = max(x2 - x1, 3)
        tip = (
            f"gap in coverage, nobody on call: "
            f"{self.span_text(segment.start, segment.end)}, "
            f"{_hours(segment.end - segment.start)}"
        )
        self.emit(f'<g class="gap"><title>{escape(tip)}</title>')
        self.emit(
            f'<rect x="{_num(x1)}" y="{_num(y)}" width="{_num(width)}" '
            f'height="{_FINAL_ROW}" fill="url(#oncall-gap)" stroke="{_GAP}" '
            f'stroke-width="1.5"/>'
        )
        if width >= _text_width("gap", 12) + 10:
            self.emit(
                f'<rect x="{_num(x1 + width / 2 - 16)}" '
                f'y="{_num(y + _FINAL_ROW / 2 - 9)}" '
                f'width="32" height="18" rx="3" fill="#ffffff"/>'
            )
            self.text(
                x1 + width / 2,
                y + _FINAL_ROW / 2 + 4,
                "gap",
                size=12,
                fill=_GAP,
                anchor="middle",
                weight="bold",
            )
        self.emit("</g>")

    # Legend

    def legend(
        self, y: float, users: Sequence[str], final: Sequence[Shift], dst: bool
    ) -> float:
        """Draw the legend from *y*; return the height of the whole picture."""
        self.text(_MARGIN, y + 12, "People", size=13, weight="bold")
        self.text(_MARGIN, y + 25, "hours of final coverage", size=10, fill=_MUTED)
        totals = {user: timedelta(0) for user in users}
        for shift in final:
            totals[shift.user] = totals.get(shift.user, timedelta(0)) + shift.duration
        x, row = self.left, y
        if not users:
            self.text(
                x, row + 12, "nobody is on call in this window", size=12, fill=_MUTED
            )
        for user in users:
            label = f"{user} {_hours(totals[user])}"
            width = 14 + 6 + _text_width(label, 12) + 18
            if x + width > self.right and x > self.left:
                x, row = self.left, row + 22
            self.emit(
                f'<rect x="{_num(x)}" y="{_num(row + 1)}" width="14" height="14" '
                f'rx="2" fill="{self.colours.get(user, "#9ca3af")}"/>'
            )
            # The name is the text's own content; the hours are a tspan.
            self.emit(
                f'<text x="{_num(x + 20)}" y="{_num(row + 12)}" font-size="12" '
                f'fill="{_INK}" class="person">{escape(user)}'
                f'<tspan dx="5" fill="{_MUTED}">{_hours(totals[user])}</tspan></text>'
            )
            x += width

        row += 36
        self.text(_MARGIN, row + 12, "Key", size=13, weight="bold")
        x = self.left
        keys: list[tuple[str, str]] = [
            (
                f'<rect x="{{x}}" y="{_num(row + 1)}" width="14" height="14" rx="2" '
                f'fill="#ffffff" stroke="{_INK}" stroke-width="1.5" '
                f'stroke-dasharray="4 2"/>',
                "put on call by an override",
            ),
            (
                f'<rect x="{{x}}" y="{_num(row + 1)}" width="14" height="14" '
                f'fill="url(#oncall-gap)" stroke="{_GAP}"/>',
                "gap: nobody on call",
            ),
            (
                f'<rect x="{{x}}" y="{_num(row + 1)}" width="14" height="14" '
                f'fill="{_WEEKEND}" stroke="{_GRID}"/>',
                "weekend",
            ),
            (
                f'<line x1="{{x}}" y1="{_num(row + 8)}" x2="{{x2}}" '
                f'y2="{_num(row + 8)}" stroke="{_DAY_LINE}" stroke-width="1"/>',
                {
                    "day": "midnight",
                    "week": "Monday, 00:00",
                    "month": "1st of the month, 00:00",
                }[self.calendar_marks()[0]],
            ),
        ]
        if dst:
            keys.append(
                (
                    f'<line x1="{{x}}" y1="{_num(row + 8)}" x2="{{x2}}" '
                    f'y2="{_num(row + 8)}" stroke="{_DST}" stroke-width="2" '
                    f'stroke-dasharray="5 3"/>',
                    "clock change (DST)",
                )
            )
        for shape, label in keys:
            self.emit(shape.format(x=_num(x), x2=_num(x + 14)))
            self.text(x + 20, row + 12, label, size=12)
            x += 14 + 6 + _text_width(label, 12) + 22
        return row + 32
