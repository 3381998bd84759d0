"""``who``, ``shifts``, ``timeline`` and ``ics``: schedules, read by people."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from oncall_adapters.calendars import schedule_calendar
from oncall_adapters.cli._context import Context
from oncall_adapters.cli._errors import EXIT_OK, BadInput, NotFound
from oncall_adapters.cli._output import Cell
from oncall_adapters.cli._times import format_span, format_when, iso, parse_duration
from oncall_adapters.pictures import timeline_svg
from oncall_core import Schedule, Segment, Shift

__all__ = ["run_ics", "run_shifts", "run_timeline", "run_who", "window"]

SHIFTS_DAYS = 7
CALENDAR_DAYS = 28


def _names(context: Context) -> dict[str, str]:
    return {user.id: user.name for user in context.repository().users()}


def _layer(shift: Shift) -> str:
    if shift.source == "override":
        return f"{shift.layer} (override)" if shift.layer else "(override)"
    return shift.layer or ""


def _shift_json(shift: Shift, names: Mapping[str, str]) -> dict[str, Any]:
    return {
        "user": shift.user,
        "name": names.get(shift.user, ""),
        "layer": shift.layer,
        "source": shift.source,
        "turn": shift.turn,
        "start": iso(shift.start),
        "end": iso(shift.end),
    }


def window(
    context: Context,
    arguments: argparse.Namespace,
    zone: ZoneInfo,
    default_days: int,
) -> tuple[datetime, datetime]:
    """Read ``--since`` (default now) and ``--until`` (default *default_days* on).

    A relative ``--until`` (``+3d``) counts from ``--since``.
    """
    since = context.when(arguments.since or "now", zone)
    if arguments.until is None:
        return since, since + timedelta(days=default_days)
    if arguments.until.strip().startswith("+"):
        until = since + parse_duration(arguments.until.strip()[1:])
    else:
        until = context.when(arguments.until, zone)
    if until <= since:
        msg = (
            f"--until ({format_when(until, zone)}) must be after --since "
            f"({format_when(since, zone)})"
        )
        raise BadInput(msg)
    return since, until


def run_who(context: Context, arguments: argparse.Namespace) -> int:
    """Show who is on call, on one schedule or all of them, now or ``--at``."""
    output = context.output
    if arguments.schedule is not None:
        schedules = {arguments.schedule: context.schedule(arguments.schedule)}
    else:
        schedules = context.repository().schedules()
        if not schedules:
            msg = "no schedules yet: run `oncall apply FILE` first"
            raise NotFound(msg)
    names = _names(context)

    answers: list[tuple[str, Schedule, ZoneInfo, datetime, tuple[Shift, ...]]] = []
    for schedule_id, schedule in schedules.items():
        zone = context.viewer_zone(schedule.time_zone)
        at = context.when(arguments.at or "now", zone)
        answers.append((schedule_id, schedule, zone, at, schedule.on_call(at)))

    if output.json_mode:
        output.json(
            [
                {
                    "schedule": schedule_id,
                    "time_zone": schedule.time_zone,
                    "at": iso(at),
                    "on_call": [_shift_json(shift, names) for shift in shifts],
                }
                for schedule_id, schedule, _, at, shifts in answers
            ]
        )
        return EXIT_OK

    headings = {format_when(at, zone) for _, _, zone, at, _ in answers}
    if len(headings) == 1:
        output.line(f"On call at {headings.pop()}:")
    rows: list[list[Cell]] = []
    for schedule_id, _, zone, at, shifts in answers:
        label = schedule_id
        if len(headings) > 1:
            label = f"{schedule_id} at {format_when(at, zone)}"
        if not shifts:
            rows.append(
                [label, ("nobody", "red bold"), "", ("a gap in coverage", "red")]
            )
        for shift in shifts:
            rows.append(
                [
                    label,
                    (shift.user, "bold"),
                    names.get(shift.user, ""),
                    _layer(shift),
                    format_when(shift.start, zone),
                    format_when(shift.end, zone),
                ]
            )
    output.table(["SCHEDULE", "USER", "NAME", "LAYER", "FROM", "UNTIL"], rows)
    return EXIT_OK


def _gaps(segments: list[Segment]) -> list[Segment]:
    return [segment for segment in segments if segment.is_gap]


def run_shifts(context: Context, arguments: argparse.Namespace) -> int:
    """List the shifts of a schedule in a window, and its gaps."""
    output = context.output
    schedule = context.schedule(arguments.schedule)
    zone = context.viewer_zone(schedule.time_zone)
    since, until = window(context, arguments, zone, SHIFTS_DAYS)
    shifts = schedule.shifts(since, until)
    if arguments.user is not None:
        shifts = [shift for shift in shifts if shift.user == arguments.user]
    gaps = _gaps(schedule.timeline(since, until))
    names = _names(context)

    if output.json_mode:
        output.json(
            {
                "schedule": arguments.schedule,
                "time_zone": schedule.time_zone,
                "since": iso(since),
                "until": iso(until),
                "shifts": [_shift_json(shift, names) for shift in shifts],
                "gaps": [{"start": iso(g.start), "end": iso(g.end)} for g in gaps],
            }
        )
        return EXIT_OK

    output.line(
        f"Shifts of {arguments.schedule} from {format_when(since, zone)} "
        f"to {format_when(until, zone)}:"
    )
    rows: list[list[Cell]] = [
        [
            format_when(shift.start, zone),
            format_when(shift.end, zone),
            format_span(shift.duration),
            (shift.user, "bold"),
            names.get(shift.user, ""),
            _layer(shift),
        ]
        for shift in shifts
    ]
    output.table(["FROM", "UNTIL", "LENGTH", "USER", "NAME", "LAYER"], rows)
    if not gaps:
        output.line("No gaps in coverage.", "green")
        return EXIT_OK
    output.line()
    output.line(f"{len(gaps)} gap(s) in coverage:", "red bold")
    for gap in gaps:
        output.line(
            f"  {format_when(gap.start, zone)} to {format_when(gap.end, zone)} "
            f"({format_span(gap.end - gap.start)})",
            "red",
        )
    return EXIT_OK


def run_timeline(context: Context, arguments: argparse.Namespace) -> int:
    """Draw a schedule's layers, overrides and coverage as an SVG file."""
    output = context.output
    schedule = context.schedule(arguments.schedule)
    zone = context.viewer_zone(schedule.time_zone)
    since, until = window(context, arguments, zone, SHIFTS_DAYS)
    picture = timeline_svg(schedule, since, until, time_zone=zone)
    path: Path = arguments.out or Path(f"{arguments.schedule}-timeline.svg")
    path.write_text(picture, encoding="utf-8")

    users = sorted({shift.user for shift in schedule.shifts(since, until, final=False)})
    gaps = _gaps(schedule.timeline(since, until))
    if output.json_mode:
        output.json(
            {
                "schedule": arguments.schedule,
                "path": str(path),
                "since": iso(since),
                "until": iso(until),
                "users": users,
                "gaps": len(gaps),
            }
        )
        return EXIT_OK
    output.line(
        f"Wrote the timeline of {arguments.schedule}, {format_when(since, zone)} to "
        f"{format_when(until, zone)}, to {path}."
    )
    output.line(
        f"On call in the window: {', '.join(users) or 'nobody'}; "
        f"{len(gaps)} gap(s). Open it in any browser."
    )
    return EXIT_OK


def run_ics(context: Context, arguments: argparse.Namespace) -> int:
    """Write the shifts of a schedule, or of one user on it, as iCalendar."""
    output = context.output
    schedule = context.schedule(arguments.schedule)
    if arguments.user is not None and context.repository().user(arguments.user) is None:
        msg = f"no user {arguments.user!r}"
        raise NotFound(msg)
    zone = context.viewer_zone(schedule.time_zone)
    since, until = window(context, arguments, zone, CALENDAR_DAYS)
    feed = schedule_calendar(
        schedule,
        since,
        until,
        schedule_id=arguments.schedule,
        user=arguments.user,
        now=context.now(),
    )
    if arguments.out is None:
        output.out.write(feed.decode("utf-8"))
        return EXIT_OK
    arguments.out.write_bytes(feed)
    events = feed.count(b"BEGIN:VEVENT")
    output.note(
        f"Wrote {events} shift(s) of {arguments.schedule}, {format_when(since, zone)} "
        f"to {format_when(until, zone)}, to {arguments.out}."
    )
    return EXIT_OK
