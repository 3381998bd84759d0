"""Lint an on-call set-up before it fails at 3 a.m.

:func:`diagnose` reads a :class:`~oncall_adapters.config.Config` and says
what would go wrong over the next days: gaps in coverage, people nobody can
reach on the channels their policies and services ask for, policies that
reach nobody, WhatsApp without a template, quiet hours that swallow a whole
rotation. Each :class:`Finding` is an ``error`` (a page would be lost or
late) or a ``warning`` (something looks unintended). ``oncall doctor``
prints them and exits non-zero when there is an error.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import attrs

from oncall_adapters.config import Config, Secrets, Settings
from oncall_core import (
    DEFAULT_CHANNELS,
    MISSING_ADDRESS,
    Channel,
    ChannelSource,
    EscalationStep,
    InMemoryDirectory,
    NaiveDatetime,
    Schedule,
    ScheduleTarget,
    Service,
    Target,
    TeamTarget,
    Urgency,
    User,
    UserTarget,
    plan_delivery,
    resolve_step,
)

__all__ = ["Finding", "Severity", "diagnose"]

Severity = Literal["error", "warning"]

MAX_GAPS = 5
"""How many gaps of one schedule are listed one by one; the rest are summed up."""

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


@attrs.frozen
class Finding:
    """One thing the doctor found: how bad, where (a table of the file), what.

    *where* names a table the way the configuration file does
    (``policies.payments.steps[1]``, ``users.ben``).
    """

    severity: Severity
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.severity}: {self.where}: {self.message}"


def _path(kind: str, key: str) -> str:
    shown = key if _BARE_KEY.fullmatch(key) else '"' + key.replace('"', '\\"') + '"'
    return f"{kind}.{shown}"


def _step_path(policy: str, index: int) -> str:
    return f"{_path('policies', policy)}.steps[{index}]"


def _span(length: timedelta) -> str:
    minutes = round(length / timedelta(minutes=1))
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [
        f"{amount} {unit}"
        for amount, unit in ((days, "d"), (hours, "h"), (minutes, "min"))
        if amount
    ]
    return " ".join(parts) or "under a minute"


def _local(at: datetime, zone: ZoneInfo) -> str:
    return f"{at.astimezone(zone):%a %d %b %Y %H:%M %Z}"


def _names(items: Iterable[str]) -> str:
    return ", ".join(sorted(set(items)))


def diagnose(
    config: Config,
    now: datetime,
    *,
    days: int = 14,
    secrets: Secrets | None = None,
    senders: Collection[Channel] | None = None,
) -> list[Finding]:
    """Return what is wrong with *config* over the *days* from *now*, errors first.

    Coverage, the people on call and the shifts inside quiet hours are
    looked at in [now, now + days); everything else does not depend on
    time. Channels count as deliverable when the settings configure their
    sender (Twilio for SMS and WhatsApp, SMTP for email, a webhook URL for
    Slack; push has no sender in this app), or, with *senders*, when they
    are among them (a host with senders of its own, or the console sender
    of the demo). With *secrets*, the secrets the settings need are checked
    too.

    Raises:
        NaiveDatetime: *now* has no time zone.
        ValueError: *days* is not positive.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        msg = f"now must be an aware datetime, got the naive {now.isoformat()}"
        raise NaiveDatetime(msg)
    if days < 1:
        msg = f"days must be at least 1, got {days}"
        raise ValueError(msg)
    doctor = _Doctor(config, now, now + timedelta(days=days), days, senders)
    return doctor.run(secrets)


class _Doctor:
    """One diagnosis: the configuration, the window, and what is derived from it."""

    def __init__(
        self,
        config: Config,
        since: datetime,
        until: datetime,
        days: int,
        senders: Collection[Channel] | None,
    ) -> None:
        self.config = config
        self.senders = None if senders is None else frozenset(senders)
        self.since = since
        self.until = until
        self.days = days
        self.directory = InMemoryDirectory(
            config.users.values(), config.teams.values(), config.schedules
        )
        # The services that use each policy, and the policies each schedule is in.
        self.services_of: dict[str, list[Service]] = {}
        for service in config.services.values():
            if service.policy is not None:
                self.services_of.setdefault(service.policy, []).append(service)
        self.policies_of: dict[str, list[str]] = {}
        for name, policy in config.policies.items():
            for step in policy.steps:
                for target in step.targets:
                    if isinstance(target, ScheduleTarget):
                        self.policies_of.setdefault(target.schedule_id, []).append(name)
        self._on_call: dict[str, frozenset[str]] = {}

    def run(self, secrets: Secrets | None) -> list[Finding]:
        findings = [
            *self.references(),
            *self.coverage(),
            *self.policies(),
            *self.reachability(),
            *self.whatsapp(),
            *self.preferences(),
            *self.quiet_hours(),
            *self.settings(secrets),
        ]
        unique = list(dict.fromkeys(findings))
        return [f for f in unique if f.severity == "error"] + [
            f for f in unique if f.severity == "warning"
        ]

    # What depends on the window

    def on_call(self, schedule_id: str) -> frozenset[str]:
        """Return everyone the schedule has on call at some time in the window."""
        if schedule_id not in self._on_call:
            schedule = self.config.schedules[schedule_id]
            self._on_call[schedule_id] = frozenset(
                shift.user for shift in schedule.shifts(self.since, self.until)
            )
        return self._on_call[schedule_id]

    def usable(self, user_id: str) -> User | None:
        user = self.config.users.get(user_id)
        return user if user is not None and user.active else None

    def reached_by(self, target: Target) -> tuple[list[User], str]:
        """Return the users *target* can reach in the window, or why nobody."""
        if isinstance(target, ScheduleTarget):
            if target.schedule_id not in self.config.schedules:
                return [], f"there is no schedule {target.schedule_id!r}"
            people = self.on_call(target.schedule_id)
            users = [u for u in map(self.usable, sorted(people)) if u is not None]
            if users:
                return users, ""
            if not people:
                return [], f"nobody is on call in the next {self.days} days"
            return [], f"only disabled or unknown users are on call ({_names(people)})"
        step = EscalationStep([target])
        resolution = resolve_step(step, self.directory, self.since)
        if resolution.recipients:
            return [recipient.user for recipient in resolution.recipients], ""
        unreached = resolution.unreached[0]
        reason = unreached.reason.value
        # A user target's detail only repeats the target ("user 'ben'").
        if not unreached.detail or isinstance(target, UserTarget):
            return [], reason
        return [], f"{reason} ({unreached.detail})"

    # The checks

    def references(self) -> Iterator[Finding]:
        """Names of users, teams and policies that the configuration does not define.

        A parsed file cannot have them; one read back from a database can.
        """
        users = self.config.users
        for key, team in self.config.teams.items():
            for member in team.members:
                if member not in users:
                    yield Finding(
                        "error", _path("teams", key), f"member {member!r} is no user"
                    )
        for key, schedule in self.config.schedules.items():
            named = {
                user
                for layer in schedule.layers
                for user in layer.participants
                if user not in users
            } | {
                user
                for override in schedule.overrides
                for user in (override.user, override.replaces)
                if user is not None and user not in users
            }
            if named:
                yield Finding(
                    "error",
                    _path("schedules", key),
                    f"names users that do not exist: {_names(named)}",
                )
        for key, service in self.config.services.items():
            where = _path("services", key)
            if service.policy is None:
                yield Finding(
                    "error",
                    where,
                    "has no escalation policy: its incidents would page nobody",
                )
            elif service.policy not in self.config.policies:
                yield Finding(
                    "error",
                    where,
                    f"names the policy {service.policy!r}, which does not exist",
                )

    def coverage(self) -> Iterator[Finding]:
        """Gaps in each schedule: stretches with nobody (reachable) on call."""
        for key, schedule in self.config.schedules.items():
            where = _path("schedules", key)
            used = bool(self.policies_of.get(key))
            if not used:
                yield Finding(
                    "warning",
                    where,
                    "no escalation policy pages this schedule",
                )
            yield from self.gaps(where, schedule, "error" if used else "warning")

    def gaps(
        self, where: str, schedule: Schedule, severity: Severity
    ) -> Iterator[Finding]:
        zone = ZoneInfo(schedule.time_zone)
        windows: list[tuple[datetime, datetime, set[str]]] = []
        for segment in schedule.timeline(self.since, self.until):
            if any(self.usable(user) for user in segment.users):
                continue
            if windows and windows[-1][1] == segment.start:
                start, _, idle = windows[-1]
                windows[-1] = (start, segment.end, idle | set(segment.users))
            else:
                windows.append((segment.start, segment.end, set(segment.users)))
        for start, end, idle in windows[:MAX_GAPS]:
            note = f" (only disabled or unknown users: {_names(idle)})" if idle else ""
            yield Finding(
                severity,
                where,
                f"nobody is on call from {_local(start, zone)} to "
                f"{_local(end, zone)} ({_span(end - start)}){note}",
            )
        if len(windows) > MAX_GAPS:
            rest = windows[MAX_GAPS:]
            total = sum((end - start for start, end, _ in rest), timedelta(0))
            yield Finding(
                severity,
                where,
                f"and {len(rest)} more gaps in the next {self.days} days "
                f"({_span(total)} in all)",
            )

    def policies(self) -> Iterator[Finding]:
        """Policies, steps and targets that reach nobody; unused policies."""
        for key, policy in self.config.policies.items():
            where = _path("policies", key)
            if key not in self.services_of:
                yield Finding("warning", where, "no service uses this policy")
            reached_anyone = False
            for index, step in enumerate(policy.steps):
                reasons: list[str] = []
                for target in step.targets:
                    users, why = self.reached_by(target)
                    if users:
                        reached_anyone = True
                        continue
                    reasons.append(f"{target}: {why}")
                    yield from self.dead_target(target, _step_path(key, index))
                if len(reasons) == len(step.targets):
                    yield Finding(
                        "warning",
                        _step_path(key, index),
                        "reaches nobody and is skipped at once ("
                        + "; ".join(reasons)
                        + ")",
                    )
            if not reached_anyone:
                yield Finding(
                    "error",
                    where,
                    "can reach nobody: every target of every step is unknown, "
                    "empty or disabled",
                )

    def dead_target(self, target: Target, step: str) -> Iterator[Finding]:
        """Errors for a target that names nothing, or a lead that is not set."""
        if isinstance(target, UserTarget) and target.user_id not in self.config.users:
            yield Finding("error", step, f"targets the unknown user {target.user_id!r}")
        elif isinstance(target, ScheduleTarget) and (
            target.schedule_id not in self.config.schedules
        ):
            yield Finding(
                "error", step, f"targets the unknown schedule {target.schedule_id!r}"
            )
        elif isinstance(target, TeamTarget):
            team = self.config.teams.get(target.team_id)
            if team is None:
                yield Finding(
                    "error", step, f"targets the unknown team {target.team_id!r}"
                )
            elif target.lead_only and team.lead is None:
                yield Finding(
                    "error",
                    _path("teams", team.id),
                    f"has no lead, but {step} pages its lead",
                )
            elif not team.members:
                yield Finding(
                    "error",
                    _path("teams", team.id),
                    f"has no members, but {step} pages it",
                )

    def reachability(self) -> Iterator[Finding]:
        """Users the steps of a service's policy cannot reach on any channel."""
        # What is wrong, where -> the services concerned, to say each thing once.
        lost: dict[tuple[Severity, str, str, str], list[str]] = {}
        unsent: dict[tuple[Channel, str], list[str]] = {}
        for service in self.config.services.values():
            policy = self.config.policies.get(service.policy or "")
            if policy is None:
                continue
            for index, step in enumerate(policy.steps):
                step_where = _step_path(policy.name, index)
                for user in self.step_users(step):
                    for severity, message in self.user_channels(user, step, service):
                        entry = (severity, user.id, message, step_where)
                        lost.setdefault(entry, []).append(service.id)
                    plan = plan_delivery(
                        user,
                        urgency=service.urgency,
                        at=self.since,
                        step_channels=step.channels,
                        service=service,
                    )
                    for channel in plan.channels:
                        missing = self.sender_missing(channel, service)
                        if missing is not None:
                            unsent.setdefault((channel, missing), []).append(
                                f"{user.id} via {_path('services', service.id)}"
                            )
        for (severity, user_id, message, step_where), services in lost.items():
            yield Finding(
                severity,
                _path("users", user_id),
                f"{message} (paged by {step_where} for {_names(services)})",
            )
        for (channel, missing), uses in unsent.items():
            users = sorted({use.split(" via ")[0] for use in uses})
            yield Finding(
                "error",
                _SETTINGS_TABLE[channel],
                f"{channel.value} is planned for {_names(users)} but {missing}",
            )

    def step_users(self, step: EscalationStep) -> list[User]:
        found: dict[str, User] = {}
        for target in step.targets:
            for user in self.reached_by(target)[0]:
                found.setdefault(user.id, user)
        return list(found.values())

    def user_channels(
        self, user: User, step: EscalationStep, service: Service
    ) -> Iterator[tuple[Severity, str]]:
        """Say when *user* misses channels the step or the service asks for."""
        plan = plan_delivery(
            user,
            urgency=service.urgency,
            at=self.since,
            step_channels=step.channels,
            service=service,
        )
        asked = plan.source in (ChannelSource.STEP, ChannelSource.SERVICE)
        reasons = "; ".join(dropped.reason for dropped in plan.dropped)
        if not plan.channels:
            yield "error", f"cannot be reached on any channel asked for: {reasons}"
            return
        deliverable = [
            c for c in plan.channels if self.sender_missing(c, service) is None
        ]
        if not deliverable:
            shown = ", ".join(channel.value for channel in plan.channels)
            yield "error", f"can be reached only on {shown}, which nothing sends"
        elif asked and plan.dropped:
            shown = ", ".join(channel.value for channel in plan.channels)
            yield "warning", f"is reached on {shown} only: {reasons}"

    def sender_missing(self, channel: Channel, service: Service | None) -> str | None:
        """Return why the settings cannot send on *channel*, or None if they can."""
        if self.senders is not None:
            if channel in self.senders:
                return None
            return f"the host has no sender for {channel.value}"
        settings: Settings = self.config.settings
        if channel in (Channel.SMS, Channel.WHATSAPP) and settings.twilio is None:
            return "[settings.twilio] is not configured"
        if channel is Channel.WHATSAPP and settings.whatsapp is None:
            return "WhatsApp is not enabled ([settings.twilio.whatsapp] is missing)"
        if channel is Channel.EMAIL and settings.smtp is None:
            return "[settings.smtp] is not configured"
        if channel is Channel.SLACK and (
            settings.slack is None
            or settings.slack.webhook_for(service.id if service else "") is None
        ):
            return "no Slack webhook URL is configured ([settings.slack])"
        if channel is Channel.PUSH:
            return "the oncall app has no push sender (a host app must provide one)"
        return None

    def whatsapp(self) -> Iterator[Finding]:
        """WhatsApp asked for where it is not enabled, or has no template."""
        whatsapp = self.config.settings.whatsapp
        if whatsapp is None:
            problem = "WhatsApp is not enabled ([settings.twilio.whatsapp] is missing)"
        elif whatsapp.content_sid is None:
            problem = (
                "no WhatsApp template is configured "
                "(settings.twilio.whatsapp.content_sid): messages outside "
                "WhatsApp's 24-hour window fail and fall back to SMS"
            )
        else:
            return
        for key, service in self.config.services.items():
            if Channel.WHATSAPP in service.channels:
                yield Finding(
                    "error", _path("services", key), f"asks for whatsapp but {problem}"
                )
        for key, policy in self.config.policies.items():
            for index, step in enumerate(policy.steps):
                if Channel.WHATSAPP in (step.channels or ()):
                    yield Finding(
                        "error",
                        _step_path(key, index),
                        f"asks for whatsapp but {problem}",
                    )
        for key, user in self.config.users.items():
            if Channel.WHATSAPP in user.preferences.enabled and user.active:
                yield Finding(
                    "warning", _path("users", key), f"enabled whatsapp but {problem}"
                )

    def preferences(self) -> Iterator[Finding]:
        """Channels a user chose without the address they need."""
        for key, user in self.config.users.items():
            enabled = user.preferences.enabled
            if not user.active or enabled == DEFAULT_CHANNELS:
                continue
            for channel in sorted(enabled, key=lambda c: c.value):
                if user.contact.address(channel) is None:
                    yield Finding(
                        "warning",
                        _path("users", key),
                        f"enabled {channel.value} but has {MISSING_ADDRESS[channel]}",
                    )

    def quiet_hours(self) -> Iterator[Finding]:
        """Participants whose every shift falls inside their quiet hours.

        Only matters for schedules a low-urgency service pages: their pages
        would wait until each shift is over.
        """
        for schedule_id, schedule in self.config.schedules.items():
            low = self.low_urgency_services(schedule_id)
            if not low:
                continue
            shifts: dict[str, list[tuple[datetime, datetime]]] = {}
            for shift in schedule.shifts(self.since, self.until):
                shifts.setdefault(shift.user, []).append((shift.start, shift.end))
            for user_id, spans in shifts.items():
                user = self.usable(user_id)
                quiet = None if user is None else user.preferences.quiet_hours
                if user is None or quiet is None:
                    continue
                zone = user.time_zone
                if all(
                    quiet.holds(start, zone) and quiet.ends_after(start, zone) >= end
                    for start, end in spans
                ):
                    yield Finding(
                        "warning",
                        _path("users", user_id),
                        f"every shift in {_path('schedules', schedule_id)} in the "
                        f"next {self.days} days falls inside their quiet hours "
                        f"({quiet.start:%H:%M}-{quiet.end:%H:%M} {zone}): "
                        f"low-urgency pages of {_names(low)} wait until it is over",
                    )

    def low_urgency_services(self, schedule_id: str) -> list[str]:
        return [
            service.id
            for policy in self.policies_of.get(schedule_id, [])
            for service in self.services_of.get(policy, [])
            if service.urgency is Urgency.LOW
        ]

    def settings(self, secrets: Secrets | None) -> Iterator[Finding]:
        """Callbacks without a public URL; secrets the environment lacks."""
        settings = self.config.settings
        if settings.twilio is not None and settings.public_base_url is None:
            yield Finding(
                "warning",
                "settings",
                "Twilio is configured but public_base_url is not: delivery "
                "statuses and SMS replies (ACK 123) cannot reach the app",
            )
        if settings.slack is not None:
            for key in settings.slack.service_webhooks:
                if key not in self.config.services:
                    yield Finding(
                        "warning",
                        "settings.slack.services",
                        f"names the service {key!r}, which does not exist",
                    )
        if secrets is not None:
            for variable in secrets.missing(settings):
                yield Finding(
                    "error",
                    _SECRET_TABLE[variable],
                    f"{variable} is not set in the environment",
                )


_SETTINGS_TABLE: Mapping[Channel, str] = {
    Channel.SMS: "settings.twilio",
    Channel.WHATSAPP: "settings.twilio.whatsapp",
    Channel.EMAIL: "settings.smtp",
    Channel.SLACK: "settings.slack",
    Channel.PUSH: "settings",
    Channel.WEBHOOK: "settings.webhook",
}
_SECRET_TABLE: Mapping[str, str] = {
    "ONCALL_TWILIO_AUTH_TOKEN": "settings.twilio",
    "ONCALL_SMTP_PASSWORD": "settings.smtp",
    "ONCALL_WEBHOOK_SECRET": "settings.webhook",
}
