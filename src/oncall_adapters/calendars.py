"""Calendar feeds: a schedule's shifts, or one user's, as RFC 5545 iCalendar.

Each shift is one event, in UTC, with a UID that names the shift rather than
the feed, so a calendar that subscribes to the feed, or imports it again,
updates its events instead of adding copies.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vDuration

from oncall_core import Schedule, Shift
from oncall_core._time import load_zone, require_aware, require_window

__all__ = ["PRODID", "schedule_calendar", "shift_uid", "user_calendar"]

PRODID = "-//oncall//oncall_adapters.calendars//EN"
"""The product identifier every feed carries."""

_REFRESH = timedelta(hours=1)


def shift_uid(schedule_id: str, shift: Shift) -> str:
    """Return the UID of the event for *shift* of the schedule *schedule_id*.

    It is derived from the schedule id and the shift's layer, turn, user,
    source and start, and from nothing else: the same shift gets the same UID
    in every feed and at every call.
    """
    key = "\x1f".join(
        [
            schedule_id,
            shift.layer if shift.layer is not None else "",
            str(shift.turn) if shift.turn is not None else "",
            shift.user,
            shift.source,
            shift.start.isoformat(),
        ]
    )
    return hashlib.sha256(key.encode()).hexdigest()[:32] + "@oncall"


def schedule_calendar(
    schedule: Schedule,
    since: datetime,
    until: datetime,
    *,
    schedule_id: str,
    user: str | None = None,
    name: str | None = None,
    now: datetime | None = None,
) -> bytes:
    """Return an iCalendar feed of the shifts of *schedule* in [since, until).

    One event per shift of ``schedule.shifts(since, until)`` (the final
    shifts, coverage mode applied), or only *user*'s. Events start and end
    in UTC, exactly where the shifts do, so a shift cut by the window is cut
    in the feed too; its UID is still the whole shift's. *schedule_id* is
    the stable id the host knows the schedule by (its name may change).
    *name* is the calendar's display name. *now* is the DTSTAMP of every
    event (default: *since*), so the same arguments give the same bytes.

    Raises:
        NaiveDatetime: *since*, *until* or *now* has no time zone.
        InvalidWindow: *until* is before *since*.
    """
    since, until = require_window(since, until)
    stamp = require_aware(now if now is not None else since, "now")
    default = f"{schedule.name}: {user} on call" if user else f"{schedule.name} on call"
    calendar = _calendar(name or default, time_zone=schedule.time_zone)
    for shift in _shifts(schedule, since, until, user):
        calendar.add_component(
            _event(
                schedule,
                schedule_id,
                shift,
                stamp,
                whole=_whole(schedule, shift, since),
            )
        )
    return _serialize(calendar)


def user_calendar(
    schedules: Mapping[str, Schedule],
    user: str,
    since: datetime,
    until: datetime,
    *,
    name: str | None = None,
    now: datetime | None = None,
) -> bytes:
    """Return an iCalendar feed of *user*'s shifts across *schedules*.

    *schedules* maps each schedule's id to the schedule. The events are
    those of :func:`schedule_calendar` for each schedule with this *user*,
    with the same UIDs, sorted by start; their summaries name the schedule.

    Raises:
        NaiveDatetime: *since*, *until* or *now* has no time zone.
        InvalidWindow: *until* is before *since*.
    """
    since, until = require_window(since, until)
    stamp = require_aware(now if now is not None else since, "now")
    found: list[tuple[datetime, str, int, Schedule, Shift]] = []
    for schedule_id, schedule in schedules.items():
        for index, shift in enumerate(_shifts(schedule, since, until, user)):
            found.append((shift.start, schedule_id, index, schedule, shift))
    found.sort(key=lambda item: item[:3])

    calendar = _calendar(name or f"{user} on call")
    for _, schedule_id, _, schedule, shift in found:
        whole = _whole(schedule, shift, since)
        calendar.add_component(
            _event(schedule, schedule_id, shift, stamp, whole=whole, named=True)
        )
    return _serialize(calendar)


def _serialize(calendar: Calendar) -> bytes:
    # icalendar leaves to_ical untyped.
    feed: bytes = calendar.to_ical()
    return feed


def _shifts(
    schedule: Schedule, since: datetime, until: datetime, user: str | None
) -> Iterable[Shift]:
    shifts = schedule.shifts(since, until)
    if user is None:
        return shifts
    return [shift for shift in shifts if shift.user == user]


def _whole(schedule: Schedule, shift: Shift, since: datetime) -> Shift:
    """Return *shift* as it is outside any window: not cut at its start.

    Only a shift that starts at the window's start, *since*, can be cut;
    the shift that :meth:`Schedule.on_call` finds there with the same layer,
    turn, user and source is the whole one. Its start keeps the UID the same
    as the window moves.
    """
    if shift.start != since:
        return shift
    for whole in schedule.on_call(shift.start):
        if whole.start < shift.start and (
            whole.layer,
            whole.turn,
            whole.user,
            whole.source,
        ) == (shift.layer, shift.turn, shift.user, shift.source):
            return whole
    return shift


def _calendar(name: str, *, time_zone: str | None = None) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    if time_zone is not None:
        calendar.add("x-wr-timezone", time_zone)
    # Ask subscribed clients to fetch the feed again every hour.
    calendar.add("refresh-interval", _REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(_REFRESH))
    return calendar


def _event(
    schedule: Schedule,
    schedule_id: str,
    shift: Shift,
    stamp: datetime,
    *,
    whole: Shift,
    named: bool = False,
) -> Event:
    where = shift.layer or "override"
    if shift.layer is not None and shift.source == "override":
        where += " (override)"
    if named:
        where = f"{schedule.name}: {where}"

    # XXX: no SEQUENCE: subscribers replace the whole feed on each fetch, but
    # a client that imports it twice may keep a stale copy of a changed event
    # (docs/pictures-and-calendars.md, Limitations).
    event = Event()
    event.add("uid", shift_uid(schedule_id, whole))
    event.add("dtstamp", stamp)
    event.add("dtstart", shift.start)
    event.add("dtend", shift.end)
    event.add("summary", f"{shift.user} on call — {where}")
    event.add("description", _description(schedule, shift))
    event.add("transp", "TRANSPARENT")
    event.add("x-oncall-schedule", schedule_id)
    event.add("x-oncall-user", shift.user)
    if shift.layer is not None:
        event.add("x-oncall-layer", shift.layer)
    if shift.turn is not None:
        event.add("x-oncall-turn", str(shift.turn))
    event.add("x-oncall-source", shift.source)
    return event


def _description(schedule: Schedule, shift: Shift) -> str:
    zone: ZoneInfo = load_zone(schedule.time_zone)
    start, end = shift.start.astimezone(zone), shift.end.astimezone(zone)
    if shift.layer is None:
        layer = "none (an override on no layer)"
    else:
        turn = "" if shift.turn is None else f", turn {shift.turn}"
        layer = f"{shift.layer}{turn}"
    source = "override" if shift.source == "override" else "rotation (no override)"
    return "\n".join(
        [
            f"Schedule: {schedule.name}",
            f"Layer: {layer}",
            f"Source: {source}",
            f"Local time ({schedule.time_zone}): {start:%a %d %b %H:%M %Z} to "
            f"{end:%a %d %b %H:%M %Z}",
        ]
    )
