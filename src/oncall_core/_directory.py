"""Who can be paged: users with their contact details and preferences, teams,
services, and the :class:`Directory` port that finds them."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, time, timedelta
from typing import Protocol, runtime_checkable

import attrs

from oncall_core._restrictions import Restriction, WeekWindows
from oncall_core._schedules import Schedule
from oncall_core._time import load_zone, local_span_to_utc, require_aware, to_local
from oncall_core.errors import InvalidUser, InvalidValue

__all__ = [
    "DEFAULT_CHANNELS",
    "DEFAULT_PRIORITY",
    "Channel",
    "Contact",
    "Directory",
    "InMemoryDirectory",
    "Preferences",
    "QuietHours",
    "Service",
    "Team",
    "Urgency",
    "User",
    "mask_phone",
]


class Channel(enum.Enum):
    """A way to reach a person."""

    EMAIL = "email"
    SMS = "sms"
    WHATSAPP = "whatsapp"
    PUSH = "push"
    SLACK = "slack"
    WEBHOOK = "webhook"


class Urgency(enum.Enum):
    """How urgent an incident is: high urgency pierces quiet hours."""

    HIGH = "high"
    LOW = "low"


DEFAULT_PRIORITY: tuple[Channel, ...] = (
    Channel.PUSH,
    Channel.SMS,
    Channel.WHATSAPP,
    Channel.EMAIL,
    Channel.SLACK,
    Channel.WEBHOOK,
)
"""The order channels are tried in, unless a user or host sets another."""

DEFAULT_CHANNELS: frozenset[Channel] = frozenset(Channel) - {Channel.WHATSAPP}
"""The channels a user has enabled unless they say otherwise (WhatsApp is opt-in)."""

_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def mask_phone(number: str | None) -> str:
    """Return *number* with all but its country prefix and last two digits hidden.

    ``+4915112345678`` reads ``+49**********78``: enough to tell numbers
    apart in a log, not enough to call one.
    """
    if not number:
        return "<none>"
    visible = 3 if len(number) > 8 else 1
    return number[:visible] + "*" * max(len(number) - visible - 2, 0) + number[-2:]


def _phone(value: str | None, what: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _E164.fullmatch(value):
        shown = mask_phone(value) if isinstance(value, str) else repr(value)
        msg = (
            f"{what} must be an E.164 number such as +4915112345678 "
            f"(a plus, the country code, then the number, no spaces), got {shown}"
        )
        raise InvalidUser(msg)
    return value


def _channels(value: Iterable[Channel | str]) -> tuple[Channel, ...]:
    if isinstance(value, str | Channel):
        value = (value,)
    result: list[Channel] = []
    for item in value:
        channel = _channel(item)
        if channel not in result:
            result.append(channel)
    return tuple(result)


def _channel(item: Channel | str) -> Channel:
    if isinstance(item, Channel):
        return item
    try:
        return Channel(str(item).lower())
    except ValueError:
        names = ", ".join(c.value for c in Channel)
        msg = f"unknown channel {item!r}: use one of {names}"
        raise InvalidValue(msg) from None


def _channel_set(value: Iterable[Channel | str]) -> frozenset[Channel]:
    return frozenset(_channels(value))


def _optional_channels(
    value: Iterable[Channel | str] | None,
) -> tuple[Channel, ...] | None:
    return None if value is None else _channels(value)


def _strings(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(value)


@attrs.frozen
class Contact:
    """How to reach a user on each channel.

    *phone* and *whatsapp* are E.164 numbers; WhatsApp defaults to the
    phone. Numbers are masked in reprs, so logging a contact leaks none.
    """

    email: str | None = None
    phone: str | None = attrs.field(default=None, repr=mask_phone)
    whatsapp: str | None = attrs.field(default=None, repr=mask_phone)
    push_tokens: tuple[str, ...] = attrs.field(
        default=(), converter=_strings, repr=False
    )
    slack_id: str | None = None
    webhook_url: str | None = None

    def __attrs_post_init__(self) -> None:
        if self.email is not None and not _EMAIL.fullmatch(self.email):
            msg = (
                f"email must be an address such as ana@example.com, got {self.email!r}"
            )
            raise InvalidUser(msg)
        _phone(self.phone, "phone")
        _phone(self.whatsapp, "whatsapp number")

    @property
    def whatsapp_number(self) -> str | None:
        """The number to reach on WhatsApp: its own, or the phone."""
        return self.whatsapp or self.phone

    def address(self, channel: Channel) -> str | None:
        """Return where *channel* reaches this contact, or None if it cannot."""
        if channel is Channel.EMAIL:
            return self.email
        if channel is Channel.SMS:
            return self.phone
        if channel is Channel.WHATSAPP:
            return self.whatsapp_number
        if channel is Channel.PUSH:
            return self.push_tokens[0] if self.push_tokens else None
        if channel is Channel.SLACK:
            return self.slack_id
        return self.webhook_url


def _weekdays(value: Iterable[int] | None) -> tuple[int, ...] | None:
    return None if value is None else tuple(value)


@attrs.frozen
class QuietHours:
    """A daily window, in the user's zone, in which low urgency waits.

    Built like a daily restriction: an end before the start crosses midnight.
    """

    start: time
    end: time
    weekdays: tuple[int, ...] | None = attrs.field(default=None, converter=_weekdays)
    _window: WeekWindows | None = attrs.field(
        init=False, repr=False, eq=False, hash=False
    )

    def __attrs_post_init__(self) -> None:
        restriction = Restriction.daily(self.start, self.end, weekdays=self.weekdays)
        window = WeekWindows.union([restriction])
        if window is None:
            msg = (
                f"quiet hours {self.start:%H:%M}-{self.end:%H:%M} every day never "
                "end: low-urgency pages would never be delivered; leave a gap"
            )
            raise InvalidUser(msg)
        object.__setattr__(self, "weekdays", restriction.weekdays)
        object.__setattr__(self, "_window", window)

    def holds(self, at: datetime, time_zone: str) -> bool:
        """Tell whether the instant *at* falls in quiet hours in *time_zone*."""
        assert self._window is not None
        zone = load_zone(time_zone)
        return self._window.contains(to_local(require_aware(at, "at"), zone))

    def ends_after(self, at: datetime, time_zone: str) -> datetime:
        """Return the first instant from *at* on that is outside quiet hours (UTC).

        That is *at* itself when quiet hours do not hold it. Windows that
        meet, as across a skipped day, count as one quiet period.
        """
        at = require_aware(at, "at")
        assert self._window is not None
        zone = load_zone(time_zone)
        wall = to_local(at, zone)
        spans = sorted(
            span
            for opens, closes in self._window.occurrences(
                wall - timedelta(days=2), wall + timedelta(days=16)
            )
            for span in local_span_to_utc(zone, opens, closes)
        )
        end = at
        for start, stop in spans:
            if start <= end < stop:
                end = stop
        return end


@attrs.frozen
class Preferences:
    """What a user asked for: channels enabled, their order, quiet hours.

    *enabled* defaults to every channel but WhatsApp, which is opt-in.
    *team_pages* False opts the user out of pages sent to a whole team;
    pages addressed to them, to a team's lead or through a schedule still
    reach them.
    """

    enabled: frozenset[Channel] = attrs.field(
        default=DEFAULT_CHANNELS, converter=_channel_set
    )
    priority: tuple[Channel, ...] | None = attrs.field(
        default=None, converter=_optional_channels
    )
    quiet_hours: QuietHours | None = None
    team_pages: bool = True


@attrs.frozen
class User:
    """A person who can be paged."""

    id: str
    name: str = ""
    time_zone: str = "Etc/UTC"
    contact: Contact = attrs.field(factory=Contact)
    preferences: Preferences = attrs.field(factory=Preferences)
    active: bool = True

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id.strip():
            msg = f"user id must be a non-empty string, got {self.id!r}"
            raise InvalidUser(msg)
        load_zone(self.time_zone)


@attrs.frozen
class Team:
    """A group of users, with an optional lead who must be a member."""

    id: str
    members: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    lead: str | None = None
    name: str = ""

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id.strip():
            msg = f"team id must be a non-empty string, got {self.id!r}"
            raise InvalidValue(msg)
        repeated = sorted({m for m in self.members if self.members.count(m) > 1})
        if repeated:
            msg = f"team {self.id!r}: members listed more than once: {repeated}"
            raise InvalidValue(msg)
        if self.lead is not None and self.lead not in self.members:
            msg = (
                f"team {self.id!r}: lead {self.lead!r} must be one of its members "
                f"{list(self.members)}"
            )
            raise InvalidValue(msg)


@attrs.frozen
class Service:
    """Something that has incidents: its channels, policy and default urgency.

    An empty *channels* means "use each user's preferences".
    """

    id: str
    name: str = ""
    channels: tuple[Channel, ...] = attrs.field(default=(), converter=_channels)
    policy: str | None = None
    urgency: Urgency = Urgency.HIGH

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id.strip():
            msg = f"service id must be a non-empty string, got {self.id!r}"
            raise InvalidValue(msg)


@runtime_checkable
class Directory(Protocol):
    """The port through which escalation finds users, teams and schedules.

    Each method returns None for an id it does not know; the escalation
    turns that into an event, never an exception.
    """

    def user(self, user_id: str) -> User | None:
        """Return the user with this id, or None."""
        ...

    def team(self, team_id: str) -> Team | None:
        """Return the team with this id, or None."""
        ...

    def schedule(self, schedule_id: str) -> Schedule | None:
        """Return the schedule with this id, or None."""
        ...


class InMemoryDirectory:
    """A :class:`Directory` held in dictionaries, for tests and small hosts."""

    def __init__(
        self,
        users: Iterable[User] = (),
        teams: Iterable[Team] = (),
        schedules: Mapping[str, Schedule] | None = None,
    ) -> None:
        self.users: dict[str, User] = {user.id: user for user in users}
        self.teams: dict[str, Team] = {team.id: team for team in teams}
        self.schedules: dict[str, Schedule] = dict(schedules or {})

    def user(self, user_id: str) -> User | None:
        """Return the user with this id, or None."""
        return self.users.get(user_id)

    def team(self, team_id: str) -> Team | None:
        """Return the team with this id, or None."""
        return self.teams.get(team_id)

    def schedule(self, schedule_id: str) -> Schedule | None:
        """Return the schedule with this id, or None."""
        return self.schedules.get(schedule_id)
