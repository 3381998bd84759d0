"""Incidents: what went wrong, where, how urgently, and since when."""

from __future__ import annotations

from datetime import datetime

import attrs

from oncall_core._directory import Urgency
from oncall_core._time import require_aware
from oncall_core.errors import InvalidValue

__all__ = ["Incident", "InvalidIncident"]


class InvalidIncident(InvalidValue):
    """An incident is malformed: an empty id or title, a bad link or urgency."""


def _triggered_at(value: object) -> datetime:
    return require_aware(value, "incident triggered_at")


def _urgency(value: Urgency | str) -> Urgency:
    if isinstance(value, Urgency):
        return value
    try:
        return Urgency(str(value).lower())
    except ValueError:
        names = ", ".join(u.value for u in Urgency)
        msg = f"unknown urgency {value!r}: use one of {names}"
        raise InvalidIncident(msg) from None


@attrs.frozen
class Incident:
    """Something that needs a person: the value escalation and rendering work on.

    *service* is the id of the :class:`~oncall_core.Service` it belongs to,
    if any. *triggered_at* must be aware and is kept in UTC. *link*, when
    given, must be an ``http://`` or ``https://`` URL, because every channel
    renders it as something a person clicks.

    Raises:
        InvalidIncident: the id or title is empty, the link is not an
            http(s) URL, or the urgency is unknown.
        NaiveDatetime: *triggered_at* has no time zone.
    """

    id: str
    title: str
    triggered_at: datetime = attrs.field(converter=_triggered_at)
    service: str | None = None
    urgency: Urgency = attrs.field(default=Urgency.HIGH, converter=_urgency)
    details: str = ""
    link: str | None = None

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id.strip():
            msg = f"incident id must be a non-empty string, got {self.id!r}"
            raise InvalidIncident(msg)
        if not isinstance(self.title, str) or not self.title.strip():
            msg = (
                f"incident {self.id!r}: title must be a non-empty string, "
                f"got {self.title!r}"
            )
            raise InvalidIncident(msg)
        if self.service is not None and (
            not isinstance(self.service, str) or not self.service.strip()
        ):
            msg = (
                f"incident {self.id!r}: service must be a service id or None, "
                f"got {self.service!r}"
            )
            raise InvalidIncident(msg)
        if not isinstance(self.details, str):
            msg = (
                f"incident {self.id!r}: details must be a string, got {self.details!r}"
            )
            raise InvalidIncident(msg)
        if self.link is not None and (
            not isinstance(self.link, str)
            or not self.link.lower().startswith(("http://", "https://"))
            or any(c.isspace() for c in self.link)
        ):
            msg = (
                f"incident {self.id!r}: link must be an http:// or https:// URL "
                f"without spaces, got {self.link!r}"
            )
            raise InvalidIncident(msg)
