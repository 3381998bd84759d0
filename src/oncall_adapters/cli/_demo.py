"""``oncall demo``: a sample schedule, asked who is on call, around a DST change."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import TextIO
from zoneinfo import ZoneInfo

from oncall_core import (
    Layer,
    Override,
    Restriction,
    Schedule,
    Shift,
    resolve_local,
)
from oncall_core._time import load_zone

__all__ = ["run_demo", "sample_schedule"]

ZONE = "Europe/Berlin"
WEEKDAYS = range(5)


def _local(text: str) -> datetime:
    return resolve_local(datetime.fromisoformat(text), ZONE)


def sample_schedule() -> Schedule:
    """Return the demo's schedule: day, night and weekend layers, one override.

    A payments team in Berlin: four people take the weekday business hours a
    week each, three take weekday nights a night each, two split weekends,
    and chi covers Tuesday afternoon for ana.
    """
    return Schedule(
        "payments",
        ZONE,
        [
            Layer(
                "day",
                ["ana", "ben", "chi", "dev"],
                _local("2024-03-04T09:00"),
                timedelta(days=7),
                restrictions=[Restriction.daily(time(9), time(18), weekdays=WEEKDAYS)],
                priority=2,
            ),
            Layer(
                "night",
                ["eli", "fay", "gus"],
                _local("2024-03-04T18:00"),
                timedelta(days=1),
                restrictions=[
                    Restriction.daily(time(18), time(9), weekdays=range(4)),
                ],
                priority=1,
            ),
            Layer(
                "weekend",
                ["hal", "ivy"],
                _local("2024-03-01T18:00"),
                timedelta(days=7),
                restrictions=[Restriction.weekly(4, time(18), 0, time(9))],
                priority=1,
            ),
        ],
        overrides=[
            Override.replace(
                "chi", "ana", _local("2024-04-02T13:00"), _local("2024-04-02T18:00")
            ),
        ],
    )


def _duration(length: timedelta) -> str:
    if length % timedelta(days=7) == timedelta(0):
        weeks = length // timedelta(days=7)
        return f"{weeks} week" + ("s" if weeks > 1 else "")
    if length % timedelta(days=1) == timedelta(0):
        return f"{length.days} day" + ("s" if length.days > 1 else "")
    return f"{length / timedelta(hours=1):g} h"


def _when(instant: datetime, zone: ZoneInfo) -> str:
    return instant.astimezone(zone).strftime("%a %d %b %H:%M %Z")


def _who(shifts: tuple[Shift, ...]) -> str:
    if not shifts:
        return "nobody (a gap in coverage)"
    return ", ".join(
        f"{shift.user} ({shift.layer or 'override'}"
        + (", override" if shift.source == "override" and shift.layer else "")
        + ")"
        for shift in shifts
    )


def run_demo(*, now: str, days: int, viewer_zone: str | None, out: TextIO) -> None:
    """Print who is on call at *now*, and the timeline of the next *days* days."""
    schedule = sample_schedule()
    zone = load_zone(viewer_zone or schedule.time_zone)
    if days < 1:
        msg = f"--days must be at least 1, got {days}"
        raise ValueError(msg)
    instant = resolve_local(datetime.fromisoformat(now), schedule.time_zone)
    until = instant + timedelta(days=days)

    write = out.write
    write(
        f"Schedule {schedule.name!r} in {schedule.time_zone}, "
        f"coverage {schedule.coverage.name}; times in {zone.key}\n"
    )
    for layer in schedule.layers:
        limits = "; ".join(str(r) for r in layer.restrictions) or "always"
        write(
            f"  layer {layer.name:<8} turn {_duration(layer.turn)}, "
            f"{', '.join(layer.participants)} ({limits})\n"
        )
    write(f"\nOn call now, {_when(instant, zone)}: {_who(schedule.on_call(instant))}\n")

    segments = schedule.timeline(instant, until)
    write(f"\nTimeline for the next {days} day(s):\n")
    width = max(len(_when(s.start, zone)) for s in segments)
    write(f"  {'from':<{width}}  {'to':<{width}}  on call\n")
    for segment in segments:
        users = ", ".join(sorted(segment.users)) or "-- gap --"
        write(
            f"  {_when(segment.start, zone):<{width}}  "
            f"{_when(segment.end, zone):<{width}}  {users}\n"
        )

    gaps = [s for s in segments if s.is_gap]
    covered = sum((s.end - s.start for s in segments if not s.is_gap), timedelta())
    write(
        f"\nCovered {covered / (until - instant):.0%} of the window, "
        f"{len(gaps)} gap(s); {len(schedule.handoffs(instant, until))} handoff(s).\n"
    )
    write(
        "\nTry next:\n"
        "  oncall demo --now 2024-03-30T20:00 --days 2   "
        "(the night clocks spring forward)\n"
        "  oncall demo --tz America/New_York             "
        "(the same answers, read in New York)\n"
    )
