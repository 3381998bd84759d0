"""Writing a configuration back out as TOML that reads back to the same value."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import tomli_w

from oncall_adapters.config._documents import (
    ClockTime,
    Duration,
    Instant,
    LayerDoc,
    OverrideDoc,
    PolicyDoc,
    PolicyRef,
    PositiveDuration,
    QuietHoursDoc,
    Repeat,
    RestrictionDoc,
    ScheduleDoc,
    ScheduleRef,
    ServiceDoc,
    StepDoc,
    TargetDoc,
    TeamDoc,
    TeamRef,
    TimeZone,
    Turn,
    UserDoc,
    UserRef,
    Weekday,
    converter,
)
from oncall_adapters.config._model import Config
from oncall_core import (
    DEFAULT_CHANNELS,
    DEFAULT_PRIORITY,
    Channel,
    EscalationPolicy,
    Layer,
    Override,
    Restriction,
    RestrictionKind,
    Schedule,
    ScheduleTarget,
    Service,
    Target,
    Team,
    TeamTarget,
    User,
)

__all__ = ["dump_config"]


def dump_config(config: Config) -> str:
    """Return *config* as the text of a configuration file.

    ``parse_config(dump_config(config)) == config`` for every configuration
    whose cross references hold. Fields at their default are left out;
    datetimes are written with the offset of the schedule's zone at that
    instant; users and schedules in the default zone of the settings do not
    repeat it.
    """
    zone = config.settings.time_zone
    document: dict[str, Any] = {}
    settings = converter.unstructure(config.settings)
    if settings:
        document["settings"] = settings
    sections: dict[str, dict[str, Any]] = {
        "users": {key: _user(user, zone) for key, user in config.users.items()},
        "teams": {key: _team(team) for key, team in config.teams.items()},
        "schedules": {
            key: _schedule(schedule, zone) for key, schedule in config.schedules.items()
        },
        "policies": {key: _policy(policy) for key, policy in config.policies.items()},
        "services": {
            key: _service(service) for key, service in config.services.items()
        },
    }
    for name, table in sections.items():
        if table:
            document[name] = {
                key: converter.unstructure(doc) for key, doc in table.items()
            }
    return tomli_w.dumps(document)


def _in_order(channels: frozenset[Channel]) -> tuple[Channel, ...]:
    return tuple(channel for channel in DEFAULT_PRIORITY if channel in channels)


def _user(user: User, default_zone: str) -> UserDoc:
    contact, preferences = user.contact, user.preferences
    quiet = preferences.quiet_hours
    return UserDoc(
        name=user.name,
        time_zone=None if user.time_zone == default_zone else TimeZone(user.time_zone),
        email=contact.email,  # type: ignore[arg-type]
        phone=contact.phone,  # type: ignore[arg-type]
        whatsapp=contact.whatsapp,  # type: ignore[arg-type]
        push_tokens=contact.push_tokens,
        slack_id=contact.slack_id,
        webhook_url=contact.webhook_url,  # type: ignore[arg-type]
        channels=None
        if preferences.enabled == DEFAULT_CHANNELS
        else _in_order(preferences.enabled),
        priority=preferences.priority,
        quiet_hours=None
        if quiet is None
        else QuietHoursDoc(
            ClockTime(quiet.start),
            ClockTime(quiet.end),
            None if quiet.weekdays is None else _weekdays(quiet.weekdays),
        ),
        team_pages=preferences.team_pages,
        active=user.active,
    )


def _weekdays(days: tuple[int, ...]) -> tuple[Weekday, ...]:
    return tuple(Weekday(day) for day in days)


def _team(team: Team) -> TeamDoc:
    return TeamDoc(
        name=team.name,
        members=_users(team.members),
        lead=None if team.lead is None else UserRef(team.lead),
    )


def _users(ids: tuple[str, ...]) -> tuple[UserRef, ...]:
    return tuple(UserRef(ident) for ident in ids)


def _local(at: datetime, zone: ZoneInfo) -> Instant:
    return Instant(at.astimezone(zone))


def _schedule(schedule: Schedule, default_zone: str) -> ScheduleDoc:
    zone = ZoneInfo(schedule.time_zone)
    return ScheduleDoc(
        time_zone=None
        if schedule.time_zone == default_zone
        else TimeZone(schedule.time_zone),
        coverage=schedule.coverage,
        layers=tuple(_layer(layer, zone) for layer in schedule.layers),
        overrides=tuple(_override(override, zone) for override in schedule.overrides),
    )


def _layer(layer: Layer, zone: ZoneInfo) -> LayerDoc:
    return LayerDoc(
        name=layer.name,
        participants=_users(layer.participants),
        start=_local(layer.start, zone),
        turn=Turn(layer.turn),
        shift=None if layer.shift is None else PositiveDuration(layer.shift),
        end=None if layer.end is None else _local(layer.end, zone),
        priority=layer.priority,
        clock=layer.clock,
        restrictions=tuple(_restriction(item) for item in layer.restrictions),
    )


def _restriction(restriction: Restriction) -> RestrictionDoc:
    start, end = ClockTime(restriction.start), ClockTime(restriction.end)
    if restriction.kind is RestrictionKind.WEEKLY:
        assert restriction.start_day is not None
        assert restriction.end_day is not None
        return RestrictionDoc(
            start,
            end,
            start_day=Weekday(restriction.start_day),
            end_day=Weekday(restriction.end_day),
        )
    days = restriction.weekdays
    return RestrictionDoc(start, end, None if days is None else _weekdays(days))


def _override(override: Override, zone: ZoneInfo) -> OverrideDoc:
    return OverrideDoc(
        kind=override.kind,
        user=UserRef(override.user),
        start=_local(override.start, zone),
        end=_local(override.end, zone),
        replaces=None if override.replaces is None else UserRef(override.replaces),
    )


def _target(target: Target) -> TargetDoc:
    if isinstance(target, TeamTarget):
        return TargetDoc(team=TeamRef(target.team_id), lead_only=target.lead_only)
    if isinstance(target, ScheduleTarget):
        return TargetDoc(schedule=ScheduleRef(target.schedule_id))
    return TargetDoc(user=UserRef(target.user_id))


def _policy(policy: EscalationPolicy) -> PolicyDoc:
    return PolicyDoc(
        steps=tuple(
            StepDoc(
                targets=tuple(_target(target) for target in step.targets),
                delay=Duration(step.delay),
                channels=step.channels,
            )
            for step in policy.steps
        ),
        repeat=Repeat(policy.repeat),
        repeat_after=None
        if policy.repeat_after is None
        else PositiveDuration(policy.repeat_after),
    )


def _service(service: Service) -> ServiceDoc:
    return ServiceDoc(
        name=service.name,
        policy=None if service.policy is None else PolicyRef(service.policy),
        urgency=service.urgency,
        channels=service.channels,
    )
