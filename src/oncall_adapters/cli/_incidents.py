"""``trigger``, ``ack``, ``resolve``, ``snooze``, ``incidents``, ``notifications``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import attrs
from sqlalchemy import select
from sqlalchemy.engine import Engine

from oncall_adapters.cli._context import Context
from oncall_adapters.cli._errors import EXIT_OK, BadInput, NotFound
from oncall_adapters.cli._output import Cell
from oncall_adapters.cli._times import format_when, iso
from oncall_adapters.sql.codec import escalation_from_document
from oncall_adapters.sql.models import EscalationRow, IncidentRow
from oncall_adapters.sql.store import SqlEscalationStore, UnknownIncident
from oncall_core import (
    Escalation,
    EscalationEvent,
    Incident,
    Notification,
    Urgency,
)

__all__ = [
    "STATUS_STYLES",
    "IncidentSummary",
    "list_incidents",
    "run_ack",
    "run_incidents",
    "run_notifications",
    "run_resolve",
    "run_snooze",
    "run_trigger",
]

STATUS_STYLES = {
    "active": "red bold",
    "snoozed": "yellow",
    "acknowledged": "cyan",
    "resolved": "green",
    "exhausted": "magenta bold",
    "held": "dim",
    "standby": "dim",
    "pending": "yellow",
    "sending": "yellow",
    "retrying": "yellow",
    "sent": "cyan",
    "delivered": "green",
    "read": "green",
    "failed": "red bold",
    "cancelled": "dim",
}
_OPEN = ("active", "snoozed", "acknowledged", "exhausted")


@attrs.frozen
class IncidentSummary:
    """One incident as the listings show it: its escalation, and who acknowledged."""

    escalation: Escalation
    acknowledged_by: str | None = None

    @property
    def incident(self) -> Incident:
        """The incident, as triggered."""
        return self.escalation.incident

    @property
    def status(self) -> str:
        """The escalation's status, as stored."""
        return self.escalation.status.value

    def next_step(self) -> str:
        """Which step fires next: ``2/3`` (pass numbers from the second pass)."""
        escalation = self.escalation
        if escalation.is_over or not escalation.has_next_step:
            return "-"
        steps = len(escalation.policy.steps)
        shown = f"{escalation.step + 1}/{steps}"
        if escalation.pass_:
            shown += f" (pass {escalation.pass_ + 1})"
        return shown

    def to_json(self) -> dict[str, Any]:
        """The incident, its status and what is due, for ``--json``."""
        incident, escalation = self.incident, self.escalation
        return {
            "id": incident.id,
            "title": incident.title,
            "service": incident.service,
            "urgency": incident.urgency.value,
            "details": incident.details,
            "link": incident.link,
            "triggered_at": iso(incident.triggered_at),
            "status": self.status,
            "acknowledged_by": self.acknowledged_by,
            "policy": escalation.policy.name,
            "step": escalation.step,
            "pass": escalation.pass_,
            "next_due": iso(escalation.next_due),
        }


def list_incidents(
    engine: Engine, *, everything: bool = False, incident_id: str | None = None
) -> list[IncidentSummary]:
    """Return the incidents (open ones, or *everything*), oldest first.

    With *incident_id*, only that one (open or not), if it exists.
    """
    query = (
        select(EscalationRow.state, IncidentRow.acknowledged_by)
        .join(IncidentRow, IncidentRow.id == EscalationRow.incident_id)
        .order_by(IncidentRow.triggered_at, IncidentRow.id)
    )
    if incident_id is not None:
        query = query.where(IncidentRow.id == incident_id)
    elif not everything:
        query = query.where(EscalationRow.status.in_(_OPEN))
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return [
        IncidentSummary(escalation_from_document(row.state), row.acknowledged_by)
        for row in rows
    ]


def _summary(context: Context, incident_id: str) -> IncidentSummary:
    found = list_incidents(context.engine(), incident_id=incident_id)
    if not found:
        msg = f"no incident {incident_id!r}"
        raise NotFound(msg)
    return found[0]


# Triggering.


def _next_id(engine: Engine) -> int:
    with engine.connect() as connection:
        ids = connection.execute(select(IncidentRow.id)).scalars().all()
    numbers = [int(ident) for ident in ids if ident.isdigit()]
    return max(numbers, default=0) + 1


def run_trigger(context: Context, arguments: argparse.Namespace) -> int:
    """Store an incident and start its escalation; the worker pages."""
    output = context.output
    repository = context.repository()
    service = repository.service(arguments.service)
    if service is None:
        known = ", ".join(s.id for s in repository.services()) or "none yet"
        msg = f"no service {arguments.service!r} (services: {known})"
        raise NotFound(msg)
    if service.policy is None:
        msg = f"service {service.id!r} has no escalation policy: nobody would be paged"
        raise BadInput(msg)
    policy = repository.policy(service.policy)
    if policy is None:
        msg = f"service {service.id!r} names the policy {service.policy!r}, not found"
        raise NotFound(msg)

    store = SqlEscalationStore(context.engine())
    now = context.now()
    urgency = Urgency(arguments.urgency) if arguments.urgency else service.urgency
    wanted = arguments.id
    while True:
        ident = wanted or str(_next_id(context.engine()))
        incident = Incident(
            ident,
            arguments.title,
            now,
            service=service.id,
            urgency=urgency,
            details=arguments.details or "",
            link=arguments.link,
        )
        escalation = store.trigger(incident, policy, service=service)
        # Another trigger took the number meanwhile: take the next one.
        if escalation.incident == incident or wanted:
            break
    fresh = escalation.incident == incident
    summary = IncidentSummary(escalation)

    if output.json_mode:
        output.json({**summary.to_json(), "created": fresh})
        return EXIT_OK
    zone = context.viewer_zone()
    if not fresh:
        output.line(
            f"Incident {ident} was already triggered "
            f"({format_when(escalation.incident.triggered_at, zone)}): "
            "nothing changed."
        )
        return EXIT_OK
    output.line(
        f"Triggered incident {output.style(ident, 'bold')}: {incident.title} "
        f"({service.id}, {urgency.value} urgency)."
    )
    due = escalation.next_due
    if due is not None:
        when = "now" if due <= now else format_when(due, zone)
        output.line(
            f"Policy {policy.name}: step 1 of {len(policy.steps)} is due {when}; "
            "`oncall worker` pages."
        )
    return EXIT_OK


# What people do to incidents.


def _transition(
    context: Context, incident_id: str, change: str, **options: Any
) -> Escalation:
    store = SqlEscalationStore(context.engine())
    now = context.now()
    try:
        if change == "acknowledge":
            return store.acknowledge(incident_id, now, **options)
        if change == "resolve":
            return store.resolve(incident_id, now, **options)
        return store.snooze(incident_id, options.pop("until"), now, **options)
    except UnknownIncident:
        msg = f"no incident {incident_id!r}"
        raise NotFound(msg) from None


def _report(context: Context, escalation: Escalation, sentence: str) -> int:
    output = context.output
    if output.json_mode:
        summary = _summary(context, escalation.incident.id)
        output.json(summary.to_json())
    else:
        output.line(sentence)
    return EXIT_OK


def _by(by: str | None) -> str:
    return f" by {by}" if by else ""


def run_ack(context: Context, arguments: argparse.Namespace) -> int:
    """Acknowledge an incident: nothing more fires, unsent pages are cancelled."""
    escalation = _transition(
        context, arguments.incident, "acknowledge", by=arguments.by
    )
    return _report(
        context,
        escalation,
        f"Incident {arguments.incident} acknowledged{_by(arguments.by)}: "
        "nothing more fires, and unsent pages are cancelled.",
    )


def run_resolve(context: Context, arguments: argparse.Namespace) -> int:
    """Resolve an incident: its escalation ends."""
    escalation = _transition(context, arguments.incident, "resolve", by=arguments.by)
    return _report(
        context,
        escalation,
        f"Incident {arguments.incident} resolved{_by(arguments.by)}.",
    )


def run_snooze(context: Context, arguments: argparse.Namespace) -> int:
    """Pause an incident's escalation until a time."""
    zone = context.viewer_zone()
    until = context.when(arguments.until, zone)
    if until <= context.now():
        msg = f"--until ({format_when(until, zone)}) must be in the future"
        raise BadInput(msg)
    escalation = _transition(
        context, arguments.incident, "snooze", until=until, by=arguments.by
    )
    return _report(
        context,
        escalation,
        f"Incident {arguments.incident} snoozed{_by(arguments.by)} until "
        f"{format_when(until, zone)}; it resumes at the step it was on.",
    )


# Listings.


def run_incidents(context: Context, arguments: argparse.Namespace) -> int:
    """List the open incidents (``--all``: every one) with their status."""
    output = context.output
    summaries = list_incidents(context.engine(), everything=arguments.all)
    if output.json_mode:
        output.json([summary.to_json() for summary in summaries])
        return EXIT_OK
    if not summaries:
        output.line("No incidents." if arguments.all else "No open incidents.")
        return EXIT_OK
    zone = context.viewer_zone()
    rows: list[list[Cell]] = []
    for summary in summaries:
        incident, escalation = summary.incident, summary.escalation
        status = summary.status
        if summary.acknowledged_by and status == "acknowledged":
            status += f" by {summary.acknowledged_by}"
        due = escalation.next_due
        rows.append(
            [
                (incident.id, "bold"),
                (status, STATUS_STYLES.get(summary.status)),
                incident.service or "",
                incident.urgency.value,
                format_when(incident.triggered_at, zone),
                summary.next_step(),
                "" if due is None else format_when(due, zone),
                incident.title,
            ]
        )
    output.table(
        ["ID", "STATUS", "SERVICE", "URGENCY", "TRIGGERED", "STEP", "DUE", "TITLE"],
        rows,
    )
    return EXIT_OK


def _notification_json(notification: Notification) -> dict[str, Any]:
    key = notification.key
    return {
        "key": str(key),
        "step": key.step,
        "pass": key.pass_,
        "user": key.user,
        "channel": key.channel.value,
        "status": notification.status.value,
        "created_at": iso(notification.created_at),
        "attempts": notification.attempts,
        "provider_id": notification.provider_id,
        "error": notification.error,
        "not_before": iso(notification.not_before),
        "fallback_of": None
        if notification.fallback_of is None
        else notification.fallback_of.value,
        "history": [
            {"at": iso(at), "status": status.value}
            for at, status in notification.history
        ],
    }


def _event_json(event: EscalationEvent) -> dict[str, Any]:
    return {
        "at": iso(event.at),
        "kind": event.kind.value,
        "step": event.step,
        "pass": event.pass_,
        "user": event.user,
        "target": event.target,
        "reason": event.reason,
        "detail": event.detail,
    }


def _clock_time(at: datetime, zone: ZoneInfo, day: datetime) -> str:
    local = at.astimezone(zone)
    if local.date() == day.astimezone(zone).date():
        return local.strftime("%H:%M:%S")
    return local.strftime("%a %d %b %H:%M:%S")


def run_notifications(context: Context, arguments: argparse.Namespace) -> int:
    """Show an incident's notifications, each with its status history, and events."""
    output = context.output
    summary = _summary(context, arguments.incident)
    store = SqlEscalationStore(context.engine())
    notifications = store.notifications(arguments.incident)
    events = store.events(arguments.incident)
    if output.json_mode:
        output.json(
            {
                "incident": summary.to_json(),
                "notifications": [_notification_json(n) for n in notifications],
                "events": [_event_json(e) for e in events],
            }
        )
        return EXIT_OK

    zone = context.viewer_zone()
    incident = summary.incident
    day = incident.triggered_at
    status = summary.status + _by(summary.acknowledged_by)
    output.line(f"Incident {incident.id}: {incident.title}", "bold")
    output.line(
        f"{incident.service or 'no service'}, {incident.urgency.value} urgency, "
        f"triggered {format_when(day, zone)}; "
        + output.style(status, STATUS_STYLES.get(summary.status))
    )
    output.line()
    _notifications_table(context, notifications, zone, day)
    output.line()
    _events_table(context, events, zone, day)
    return EXIT_OK


def _notifications_table(
    context: Context,
    notifications: Sequence[Notification],
    zone: ZoneInfo,
    day: datetime,
) -> None:
    output = context.output
    if not notifications:
        output.line("No notifications yet: the worker sends them (`oncall worker`).")
        return
    output.line("Notifications (times in " + zone.key + "):")
    rows: list[list[Cell]] = []
    notes: list[str | None] = []
    for notification in notifications:
        key = notification.key
        status = notification.status.value
        rows.append(
            [
                str(key.step + 1),
                str(key.pass_ + 1),
                (key.user, "bold"),
                key.channel.value,
                (status, STATUS_STYLES.get(status)),
                str(notification.attempts),
                notification.provider_id or "",
                notification.error or "",
            ]
        )
        notes.append(
            " -> ".join(
                f"{state.value} {_clock_time(at, zone, day)}"
                for at, state in notification.history
            )
            or None
        )
    output.table(
        ["STEP", "PASS", "USER", "CHANNEL", "STATUS", "TRIES", "PROVIDER ID", "ERROR"],
        rows,
        notes=notes,
    )


def _events_table(
    context: Context, events: Sequence[EscalationEvent], zone: ZoneInfo, day: datetime
) -> None:
    output = context.output
    output.line("Events:")
    rows: list[list[Cell]] = []
    for event in events:
        detail = "; ".join(
            part for part in (event.target, event.reason, event.detail) if part
        )
        rows.append(
            [
                _clock_time(event.at, zone, day),
                event.kind.value,
                "" if event.step is None else str(event.step + 1),
                event.user or "",
                detail,
            ]
        )
    output.table(["AT", "EVENT", "STEP", "USER", "DETAIL"], rows)
