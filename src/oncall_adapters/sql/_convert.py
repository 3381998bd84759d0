"""Rows to core values and back: the one module that knows both.

``*_row`` functions build transient rows from a value (refusing what the
tables cannot hold exactly); ``*_from_row`` functions build the value from
rows, and raise :class:`InvalidRow` naming the row when a row does not
convert, whatever the reason: an unknown time zone or channel, a turn of
zero seconds, a JSON column holding something other than a list.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from datetime import timedelta
from typing import Any

from oncall_adapters.sql.errors import InvalidRow, UnstorableValue
from oncall_adapters.sql.models import (
    LayerParticipantRow,
    LayerRow,
    OverrideRow,
    PolicyRow,
    PolicyStepRow,
    RestrictionRow,
    ScheduleRow,
    ServiceRow,
    StepTargetRow,
    TeamMemberRow,
    TeamRow,
    UserRow,
)
from oncall_core import (
    Channel,
    ClockKind,
    Contact,
    Coverage,
    EscalationPolicy,
    EscalationStep,
    Layer,
    OncallError,
    Override,
    OverrideKind,
    Preferences,
    QuietHours,
    Restriction,
    RestrictionKind,
    Schedule,
    ScheduleTarget,
    Service,
    Target,
    Team,
    TeamTarget,
    Urgency,
    User,
    UserTarget,
)

__all__ = [
    "layer_from_row",
    "policy_from_row",
    "policy_row",
    "schedule_from_row",
    "schedule_row",
    "service_from_row",
    "service_row",
    "team_from_row",
    "team_row",
    "user_from_row",
    "user_row",
]

_SECOND = timedelta(seconds=1)
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1


@contextlib.contextmanager
def _reading(table: str, key: object) -> Iterator[None]:
    """Turn any failure to convert the row *key* of *table* into InvalidRow."""
    try:
        yield
    except InvalidRow:
        raise
    except (OncallError, ValueError, TypeError, KeyError) as error:
        msg = f"{table} row {key!r}: {error}"
        raise InvalidRow(msg, table=table, key=key) from error


def _seconds(value: timedelta, what: str) -> int:
    if value % _SECOND:
        msg = f"{what} must be a whole number of seconds to be stored, got {value}"
        raise UnstorableValue(msg)
    return _integer(value // _SECOND, f"{what} in seconds")


def _integer(value: int, what: str) -> int:
    # The columns are 32-bit on PostgreSQL: refuse here, not halfway through.
    if not _INT_MIN <= value <= _INT_MAX:
        msg = f"{what} must be from {_INT_MIN} to {_INT_MAX} to be stored, got {value}"
        raise UnstorableValue(msg)
    return value


def _channel_values(channels: Iterable[Channel]) -> list[str]:
    return [channel.value for channel in channels]


def _enabled_values(channels: frozenset[Channel]) -> list[str]:
    # A set has no order; the declaration order keeps rows stable.
    return [channel.value for channel in Channel if channel in channels]


def _strings(value: Any, what: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        msg = f"{what} must be a JSON list of strings, got {value!r}"
        raise TypeError(msg)
    return value


def _integers(value: Any, what: str) -> list[int]:
    if not isinstance(value, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        msg = f"{what} must be a JSON list of integers, got {value!r}"
        raise TypeError(msg)
    return value


# Users.


def user_row(user: User) -> UserRow:
    """Return the row of *user*."""
    contact = user.contact
    preferences = user.preferences
    quiet = preferences.quiet_hours
    return UserRow(
        id=user.id,
        name=user.name,
        time_zone=user.time_zone,
        email=contact.email,
        phone=contact.phone,
        whatsapp=contact.whatsapp,
        push_tokens=list(contact.push_tokens),
        slack_id=contact.slack_id,
        webhook_url=contact.webhook_url,
        enabled_channels=_enabled_values(preferences.enabled),
        priority=None
        if preferences.priority is None
        else _channel_values(preferences.priority),
        quiet_start=None if quiet is None else quiet.start,
        quiet_end=None if quiet is None else quiet.end,
        quiet_weekdays=None
        if quiet is None or quiet.weekdays is None
        else list(quiet.weekdays),
        team_pages=preferences.team_pages,
        active=user.active,
    )


def user_from_row(row: UserRow) -> User:
    """Return the user of *row*.

    Raises:
        InvalidRow: the row does not make a valid user.
    """
    with _reading("users", row.id):
        priority = row.priority
        return User(
            row.id,
            name=row.name,
            time_zone=row.time_zone,
            contact=Contact(
                email=row.email,
                phone=row.phone,
                whatsapp=row.whatsapp,
                push_tokens=_strings(row.push_tokens, "push_tokens"),
                slack_id=row.slack_id,
                webhook_url=row.webhook_url,
            ),
            preferences=Preferences(
                enabled=_strings(row.enabled_channels, "enabled_channels"),
                priority=None if priority is None else _strings(priority, "priority"),
                quiet_hours=_quiet_hours(row),
                team_pages=row.team_pages,
            ),
            active=row.active,
        )


def _quiet_hours(row: UserRow) -> QuietHours | None:
    if row.quiet_start is None and row.quiet_end is None:
        if row.quiet_weekdays is not None:
            msg = "quiet_weekdays is set but quiet_start and quiet_end are not"
            raise ValueError(msg)
        return None
    if row.quiet_start is None or row.quiet_end is None:
        msg = "quiet_start and quiet_end must both be set, or neither"
        raise ValueError(msg)
    weekdays = row.quiet_weekdays
    return QuietHours(
        row.quiet_start,
        row.quiet_end,
        weekdays=None if weekdays is None else _integers(weekdays, "quiet_weekdays"),
    )


# Teams.


def team_row(team: Team) -> TeamRow:
    """Return the row of *team*, its members in order."""
    return TeamRow(
        id=team.id,
        name=team.name,
        lead_id=team.lead,
        members=[
            TeamMemberRow(team_id=team.id, user_id=member, position=position)
            for position, member in enumerate(team.members)
        ],
    )


def team_from_row(row: TeamRow) -> Team:
    """Return the team of *row*.

    Raises:
        InvalidRow: the row does not make a valid team.
    """
    with _reading("teams", row.id):
        return Team(
            row.id,
            members=[member.user_id for member in row.members],
            lead=row.lead_id,
            name=row.name,
        )


# Schedules.


def schedule_row(schedule_id: str, schedule: Schedule) -> ScheduleRow:
    """Return the row of *schedule*, with its layers and overrides, under *schedule_id*.

    Raises:
        UnstorableValue: a turn or shift is not a whole number of seconds.
    """
    return ScheduleRow(
        id=schedule_id,
        name=schedule.name,
        time_zone=schedule.time_zone,
        coverage=schedule.coverage.value,
        layers=[
            _layer_row(schedule_id, position, layer)
            for position, layer in enumerate(schedule.layers)
        ],
        overrides=[
            OverrideRow(
                schedule_id=schedule_id,
                position=position,
                kind=override.kind.value,
                user_id=override.user,
                replaces=override.replaces,
                start=override.start,
                end=override.end,
            )
            for position, override in enumerate(schedule.overrides)
        ],
    )


def _layer_row(schedule_id: str, position: int, layer: Layer) -> LayerRow:
    where = f"schedule {schedule_id!r}, layer {layer.name!r}:"
    return LayerRow(
        schedule_id=schedule_id,
        position=position,
        name=layer.name,
        start=layer.start,
        turn_seconds=_seconds(layer.turn, f"{where} turn"),
        shift_seconds=None
        if layer.shift is None
        else _seconds(layer.shift, f"{where} shift"),
        end=layer.end,
        priority=_integer(layer.priority, f"{where} priority"),
        clock=layer.clock,
        participants=[
            LayerParticipantRow(position=index, user_id=user)
            for index, user in enumerate(layer.participants)
        ],
        restrictions=[
            RestrictionRow(
                position=index,
                kind=restriction.kind.value,
                start=restriction.start,
                end=restriction.end,
                weekdays=None
                if restriction.weekdays is None
                else list(restriction.weekdays),
                start_day=restriction.start_day,
                end_day=restriction.end_day,
            )
            for index, restriction in enumerate(layer.restrictions)
        ],
    )


def schedule_from_row(row: ScheduleRow) -> Schedule:
    """Return the schedule of *row* (layers, participants, restrictions, overrides).

    Raises:
        InvalidRow: a row does not convert; it names the innermost one.
    """
    with _reading("schedules", row.id):
        return Schedule(
            row.name,
            row.time_zone,
            [layer_from_row(layer) for layer in row.layers],
            overrides=[_override_from_row(override) for override in row.overrides],
            coverage=Coverage(row.coverage),
        )


def layer_from_row(row: LayerRow) -> Layer:
    """Return the layer of *row*, its participants and restrictions in order.

    Raises:
        InvalidRow: the row, or one of its restrictions, does not convert.
    """
    with _reading("layers", row.id):
        shift = row.shift_seconds
        return Layer(
            row.name,
            [participant.user_id for participant in row.participants],
            row.start,
            timedelta(seconds=row.turn_seconds),
            shift=None if shift is None else timedelta(seconds=shift),
            restrictions=[_restriction_from_row(r) for r in row.restrictions],
            end=row.end,
            priority=row.priority,
            clock=_clock(row.clock),
        )


def _clock(value: str) -> ClockKind:
    if value == "wall":
        return "wall"
    if value == "elapsed":
        return "elapsed"
    msg = f"clock must be 'wall' or 'elapsed', got {value!r}"
    raise ValueError(msg)


def _restriction_from_row(row: RestrictionRow) -> Restriction:
    with _reading("restrictions", row.id):
        kind = RestrictionKind(row.kind)
        if kind is RestrictionKind.WEEKLY:
            if row.weekdays is not None:
                msg = "a weekly restriction has start_day and end_day, not weekdays"
                raise ValueError(msg)
            if row.start_day is None or row.end_day is None:
                msg = "a weekly restriction needs start_day and end_day"
                raise ValueError(msg)
            return Restriction.weekly(row.start_day, row.start, row.end_day, row.end)
        if row.start_day is not None or row.end_day is not None:
            msg = "a daily restriction has weekdays, not start_day and end_day"
            raise ValueError(msg)
        weekdays = None if row.weekdays is None else _integers(row.weekdays, "weekdays")
        # daily() checks the weekdays but sorts them; keep them as stored, so
        # that a restriction built directly loads back equal.
        Restriction.daily(row.start, row.end, weekdays=weekdays)
        return Restriction(
            RestrictionKind.DAILY,
            row.start,
            row.end,
            weekdays=None if weekdays is None else tuple(weekdays),
        )


def _override_from_row(row: OverrideRow) -> Override:
    with _reading("overrides", row.id):
        return Override(
            OverrideKind(row.kind),
            row.user_id,
            row.start,
            row.end,
            replaces=row.replaces,
        )


# Escalation policies.


def policy_row(policy_id: str, policy: EscalationPolicy) -> PolicyRow:
    """Return the row of *policy*, with its steps and targets, under *policy_id*.

    Raises:
        UnstorableValue: a delay or the repeat wait is not whole seconds.
    """
    where = f"policy {policy_id!r}"
    return PolicyRow(
        id=policy_id,
        name=policy.name,
        repeat=policy.repeat,
        repeat_after_seconds=None
        if policy.repeat_after is None
        else _seconds(policy.repeat_after, f"{where}: repeat_after"),
        steps=[
            PolicyStepRow(
                policy_id=policy_id,
                position=position,
                delay_seconds=_seconds(step.delay, f"{where}, step {position}: delay"),
                channels=None
                if step.channels is None
                else _channel_values(step.channels),
                targets=[
                    _target_row(index, target)
                    for index, target in enumerate(step.targets)
                ],
            )
            for position, step in enumerate(policy.steps)
        ],
    )


def _target_row(position: int, target: Target) -> StepTargetRow:
    if isinstance(target, UserTarget):
        kind, ref, lead_only = "user", target.user_id, False
    elif isinstance(target, TeamTarget):
        kind, ref, lead_only = "team", target.team_id, target.lead_only
    else:
        kind, ref, lead_only = "schedule", target.schedule_id, False
    return StepTargetRow(position=position, kind=kind, ref=ref, lead_only=lead_only)


def policy_from_row(row: PolicyRow) -> EscalationPolicy:
    """Return the escalation policy of *row*, steps and targets in order.

    Raises:
        InvalidRow: a row does not convert; it names the innermost one.
    """
    with _reading("policies", row.id):
        after = row.repeat_after_seconds
        return EscalationPolicy(
            row.name,
            [_step_from_row(step) for step in row.steps],
            repeat=row.repeat,
            repeat_after=None if after is None else timedelta(seconds=after),
        )


def _step_from_row(row: PolicyStepRow) -> EscalationStep:
    with _reading("policy_steps", row.id):
        channels = row.channels
        return EscalationStep(
            [_target_from_row(target) for target in row.targets],
            delay=timedelta(seconds=row.delay_seconds),
            channels=None if channels is None else _strings(channels, "channels"),
        )


def _target_from_row(row: StepTargetRow) -> Target:
    with _reading("step_targets", row.id):
        if row.lead_only and row.kind != "team":
            msg = f"lead_only applies to team targets, not to a {row.kind} target"
            raise ValueError(msg)
        if row.kind == "user":
            return UserTarget(row.ref)
        if row.kind == "team":
            return TeamTarget(row.ref, lead_only=row.lead_only)
        if row.kind == "schedule":
            return ScheduleTarget(row.ref)
        msg = f"target kind must be 'user', 'team' or 'schedule', got {row.kind!r}"
        raise ValueError(msg)


# Services.


def service_row(service: Service) -> ServiceRow:
    """Return the row of *service*."""
    return ServiceRow(
        id=service.id,
        name=service.name,
        channels=_channel_values(service.channels),
        policy_id=service.policy,
        urgency=service.urgency.value,
    )


def service_from_row(row: ServiceRow) -> Service:
    """Return the service of *row*.

    Raises:
        InvalidRow: the row does not make a valid service.
    """
    with _reading("services", row.id):
        return Service(
            row.id,
            name=row.name,
            channels=_strings(row.channels, "channels"),
            policy=row.policy_id,
            urgency=Urgency(row.urgency),
        )
