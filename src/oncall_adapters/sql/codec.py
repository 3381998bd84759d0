"""JSON documents for the core's escalation state, and back.

An escalation keeps the policy and service as they were when the incident
was triggered, so the database stores them with its state, not as a
reference to rows that may change. A document names its format version;
reading one checks every field and raises :class:`BadDocument` (never a
half-built value) when something does not fit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, TypeVar

from oncall_core import (
    Channel,
    Escalation,
    EscalationPolicy,
    EscalationStatus,
    EscalationStep,
    Incident,
    OncallError,
    ScheduleTarget,
    Service,
    Strategy,
    Target,
    TeamTarget,
    Urgency,
    UserTarget,
)

__all__ = [
    "FORMAT",
    "BadDocument",
    "escalation_from_document",
    "escalation_to_document",
    "incident_from_document",
    "incident_to_document",
    "policy_from_document",
    "policy_to_document",
]

FORMAT = 1
"""The version of the documents this module writes."""

Document = dict[str, Any]
T = TypeVar("T")


class BadDocument(OncallError, ValueError):
    """A stored document does not describe a valid value."""


def _when(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _instant(value: object) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        msg = f"expected an ISO 8601 instant, got {value!r}"
        raise BadDocument(msg)
    return datetime.fromisoformat(value)


_MICROSECOND = timedelta(microseconds=1)


def _micros(value: timedelta | None) -> int | None:
    return None if value is None else value // _MICROSECOND


def _span(value: object) -> timedelta | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        msg = f"expected a whole number of microseconds, got {value!r}"
        raise BadDocument(msg)
    return value * _MICROSECOND


def _target_to_document(target: Target) -> Document:
    if isinstance(target, UserTarget):
        return {"kind": "user", "id": target.user_id}
    if isinstance(target, TeamTarget):
        return {"kind": "team", "id": target.team_id, "lead_only": target.lead_only}
    return {"kind": "schedule", "id": target.schedule_id}


def _target_from_document(document: Mapping[str, Any]) -> Target:
    kind = document.get("kind")
    if kind == "user":
        return UserTarget(document["id"])
    if kind == "team":
        return TeamTarget(document["id"], lead_only=bool(document.get("lead_only")))
    if kind == "schedule":
        return ScheduleTarget(document["id"])
    msg = f"unknown target kind {kind!r}: expected user, team or schedule"
    raise BadDocument(msg)


def policy_to_document(policy: EscalationPolicy) -> Document:
    """Return *policy* as a JSON-able document."""
    return {
        "name": policy.name,
        "repeat": policy.repeat,
        "repeat_after_us": _micros(policy.repeat_after),
        "steps": [
            {
                "delay_us": _micros(step.delay),
                "channels": (
                    None
                    if step.channels is None
                    else [channel.value for channel in step.channels]
                ),
                "targets": [_target_to_document(t) for t in step.targets],
            }
            for step in policy.steps
        ],
    }


def policy_from_document(document: Mapping[str, Any]) -> EscalationPolicy:
    """Return the policy a document describes.

    Raises:
        BadDocument: a field is missing or invalid.
    """
    return _guarded(_policy_from_document, document, "policy")


def _policy_from_document(document: Mapping[str, Any]) -> EscalationPolicy:
    steps = [
        EscalationStep(
            [_target_from_document(t) for t in step["targets"]],
            delay=_span(step["delay_us"]) or timedelta(0),
            channels=step.get("channels"),
        )
        for step in document["steps"]
    ]
    return EscalationPolicy(
        document["name"],
        steps,
        repeat=document["repeat"],
        repeat_after=_span(document.get("repeat_after_us")),
    )


def incident_to_document(incident: Incident) -> Document:
    """Return *incident* as a JSON-able document."""
    return {
        "id": incident.id,
        "title": incident.title,
        "triggered_at": _when(incident.triggered_at),
        "service": incident.service,
        "urgency": incident.urgency.value,
        "details": incident.details,
        "link": incident.link,
    }


def incident_from_document(document: Mapping[str, Any]) -> Incident:
    """Return the incident a document describes.

    Raises:
        BadDocument: a field is missing or invalid.
    """
    return _guarded(_incident_from_document, document, "incident")


def _incident_from_document(document: Mapping[str, Any]) -> Incident:
    return Incident(
        document["id"],
        document["title"],
        _instant(document["triggered_at"]),
        service=document.get("service"),
        urgency=Urgency(document.get("urgency", "high")),
        details=document.get("details", ""),
        link=document.get("link"),
    )


def _service_to_document(service: Service) -> Document:
    return {
        "id": service.id,
        "name": service.name,
        "channels": [channel.value for channel in service.channels],
        "policy": service.policy,
        "urgency": service.urgency.value,
    }


def _service_from_document(document: Mapping[str, Any]) -> Service:
    return Service(
        document["id"],
        document.get("name", ""),
        channels=document.get("channels", ()),
        policy=document.get("policy"),
        urgency=Urgency(document.get("urgency", "high")),
    )


def escalation_to_document(escalation: Escalation) -> Document:
    """Return the whole state of *escalation* as a JSON-able document."""
    return {
        "format": FORMAT,
        "incident": incident_to_document(escalation.incident),
        "policy": policy_to_document(escalation.policy),
        "service": (
            None
            if escalation.service is None
            else _service_to_document(escalation.service)
        ),
        "status": escalation.status.value,
        "pass": escalation.pass_,
        "step": escalation.step,
        "due": _when(escalation.due),
        "reached_in_pass": escalation.reached_in_pass,
        "snoozed_until": _when(escalation.snoozed_until),
        "strategy": None if escalation.strategy is None else escalation.strategy.value,
        "priority": (
            None
            if escalation.priority is None
            else [channel.value for channel in escalation.priority]
        ),
    }


def escalation_from_document(document: Mapping[str, Any]) -> Escalation:
    """Return the escalation a document describes.

    Raises:
        BadDocument: the format is unknown, or a field is missing or invalid.
    """
    if document.get("format") != FORMAT:
        msg = (
            f"escalation document format {document.get('format')!r} is not "
            f"{FORMAT}, the one this version reads"
        )
        raise BadDocument(msg)
    return _guarded(_escalation_from_document, document, "escalation")


def _escalation_from_document(document: Mapping[str, Any]) -> Escalation:
    service = document.get("service")
    strategy = document.get("strategy")
    priority = document.get("priority")
    return Escalation(
        _incident_from_document(document["incident"]),
        _policy_from_document(document["policy"]),
        None if service is None else _service_from_document(service),
        EscalationStatus(document["status"]),
        pass_=document["pass"],
        step=document["step"],
        due=_instant(document.get("due")),
        reached_in_pass=bool(document.get("reached_in_pass")),
        snoozed_until=_instant(document.get("snoozed_until")),
        strategy=None if strategy is None else Strategy(strategy),
        priority=None if priority is None else tuple(Channel(c) for c in priority),
    )


def _guarded(
    read: Callable[[Mapping[str, Any]], T], document: Mapping[str, Any], what: str
) -> T:
    """Run *read* on *document*, turning any failure into :class:`BadDocument`."""
    try:
        return read(document)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        msg = f"stored {what} is not valid: {type(error).__name__}: {error}"
        raise BadDocument(msg) from error
