"""The tables: SQLAlchemy 2 typed declarative models, one :class:`Base`.

Rows are the adapters' business: the core never sees them. The directory
tables (users to services) hold the core's values, converted by
:mod:`oncall_adapters.sql.repository`; the runtime tables (incidents to
events) are written by the worker. Every instant is a :class:`UTCDateTime`;
channel lists are :class:`JSONList`. Ids that name other things without a
foreign key (a layer's participants, a step's targets) stay readable when
what they name is deleted: escalation turns them into events, not errors.
"""

from __future__ import annotations

import json
from datetime import datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    MetaData,
    String,
    Text,
    Time,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from oncall_adapters.sql.types import JSONList, UTCDateTime
from oncall_core import DEFAULT_CHANNELS, Channel

__all__ = [
    "NAMING_CONVENTION",
    "Base",
    "EscalationRow",
    "EventRow",
    "IncidentRow",
    "LayerParticipantRow",
    "LayerRow",
    "NotificationHistoryRow",
    "NotificationRow",
    "OverrideRow",
    "PolicyRow",
    "PolicyStepRow",
    "RestrictionRow",
    "ScheduleRow",
    "ServiceRow",
    "StepTargetRow",
    "TeamMemberRow",
    "TeamRow",
    "UserRow",
]

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""Constraint names that do not depend on the database, so migrations match."""


_DEFAULT_ENABLED = json.dumps([c.value for c in Channel if c in DEFAULT_CHANNELS])


class Base(DeclarativeBase):
    """The declarative base of every table of the package."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 (SQLAlchemy reads it as is)
        str: String(),
        datetime: UTCDateTime(),
        time: Time(),
    }


# The directory: who can be paged, and how.


class UserRow(Base):
    """A user, their contact details and their preferences."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(primary_key=True)
    name: Mapped[str]
    time_zone: Mapped[str]
    email: Mapped[str | None]
    phone: Mapped[str | None]
    whatsapp: Mapped[str | None]
    push_tokens: Mapped[list[Any]] = mapped_column(JSONList())
    slack_id: Mapped[str | None]
    webhook_url: Mapped[str | None]
    enabled_channels: Mapped[list[Any]] = mapped_column(
        JSONList(),
        server_default=_DEFAULT_ENABLED,
    )
    """Channel values; the default (WhatsApp off) is also the upgrade's."""
    priority: Mapped[list[Any] | None] = mapped_column(JSONList())
    quiet_start: Mapped[time | None]
    quiet_end: Mapped[time | None]
    quiet_weekdays: Mapped[list[Any] | None] = mapped_column(JSONList())
    team_pages: Mapped[bool] = mapped_column(Boolean())
    active: Mapped[bool] = mapped_column(Boolean())


class TeamRow(Base):
    """A team; its members are :class:`TeamMemberRow` rows, in order."""

    __tablename__ = "teams"

    id: Mapped[str] = mapped_column(primary_key=True)
    name: Mapped[str]
    lead_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )

    members: Mapped[list[TeamMemberRow]] = relationship(
        order_by="TeamMemberRow.position",
        cascade="all, delete-orphan",
        lazy="selectin",
    )


class TeamMemberRow(Base):
    """One member of a team; deleting the user removes the membership."""

    __tablename__ = "team_members"

    team_id: Mapped[str] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int]


class ScheduleRow(Base):
    """A schedule: its zone and coverage mode, with layers and overrides."""

    __tablename__ = "schedules"

    id: Mapped[str] = mapped_column(primary_key=True)
    name: Mapped[str]
    time_zone: Mapped[str]
    coverage: Mapped[str]

    layers: Mapped[list[LayerRow]] = relationship(
        order_by="LayerRow.position",
        cascade="all, delete-orphan",
        lazy="selectin",
    )
    overrides: Mapped[list[OverrideRow]] = relationship(
        order_by="OverrideRow.position",
        cascade="all, delete-orphan",
        lazy="selectin",
    )


class LayerRow(Base):
    """One layer of a schedule; turn and shift in whole seconds."""

    __tablename__ = "layers"

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[str] = mapped_column(
        ForeignKey("schedules.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    name: Mapped[str]
    start: Mapped[datetime]
    turn_seconds: Mapped[int]
    shift_seconds: Mapped[int | None]
    end: Mapped[datetime | None]
    priority: Mapped[int]
    clock: Mapped[str]

    participants: Mapped[list[LayerParticipantRow]] = relationship(
        order_by="LayerParticipantRow.position",
        cascade="all, delete-orphan",
        lazy="selectin",
    )
    restrictions: Mapped[list[RestrictionRow]] = relationship(
        order_by="RestrictionRow.position",
        cascade="all, delete-orphan",
        lazy="selectin",
    )


class LayerParticipantRow(Base):
    """A participant of a layer: a user id, deliberately not a foreign key."""

    __tablename__ = "layer_participants"

    layer_id: Mapped[int] = mapped_column(
        ForeignKey("layers.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str]


class RestrictionRow(Base):
    """A restriction window of a layer (daily with weekdays, or weekly)."""

    __tablename__ = "restrictions"

    id: Mapped[int] = mapped_column(primary_key=True)
    layer_id: Mapped[int] = mapped_column(
        ForeignKey("layers.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    kind: Mapped[str]
    start: Mapped[time]
    end: Mapped[time]
    weekdays: Mapped[list[Any] | None] = mapped_column(JSONList())
    start_day: Mapped[int | None]
    end_day: Mapped[int | None]


class OverrideRow(Base):
    """An override of a schedule, applied in *position* order."""

    __tablename__ = "overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[str] = mapped_column(
        ForeignKey("schedules.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    kind: Mapped[str]
    user_id: Mapped[str]
    replaces: Mapped[str | None]
    start: Mapped[datetime]
    end: Mapped[datetime]


class PolicyRow(Base):
    """An escalation policy; its steps are :class:`PolicyStepRow` rows."""

    __tablename__ = "policies"

    id: Mapped[str] = mapped_column(primary_key=True)
    name: Mapped[str]
    repeat: Mapped[int]
    repeat_after_seconds: Mapped[int | None]

    steps: Mapped[list[PolicyStepRow]] = relationship(
        order_by="PolicyStepRow.position",
        cascade="all, delete-orphan",
        lazy="selectin",
    )


class PolicyStepRow(Base):
    """A step of a policy; NULL *channels* means no override."""

    __tablename__ = "policy_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[str] = mapped_column(
        ForeignKey("policies.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    delay_seconds: Mapped[int]
    channels: Mapped[list[Any] | None] = mapped_column(JSONList())

    targets: Mapped[list[StepTargetRow]] = relationship(
        order_by="StepTargetRow.position",
        cascade="all, delete-orphan",
        lazy="selectin",
    )


class StepTargetRow(Base):
    """A target of a step: *kind* ``user``, ``team`` or ``schedule`` and an id."""

    __tablename__ = "step_targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    step_id: Mapped[int] = mapped_column(
        ForeignKey("policy_steps.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    kind: Mapped[str]
    ref: Mapped[str]
    lead_only: Mapped[bool] = mapped_column(Boolean())


class ServiceRow(Base):
    """A service: its channels, escalation policy and default urgency."""

    __tablename__ = "services"

    id: Mapped[str] = mapped_column(primary_key=True)
    name: Mapped[str]
    channels: Mapped[list[Any]] = mapped_column(JSONList(), server_default="[]")
    policy_id: Mapped[str | None] = mapped_column(
        ForeignKey("policies.id", ondelete="SET NULL")
    )
    urgency: Mapped[str]


# The runtime: what happened to incidents, written by the worker.


class IncidentRow(Base):
    """An incident as triggered, and where it stands."""

    __tablename__ = "incidents"

    id: Mapped[str] = mapped_column(primary_key=True)
    title: Mapped[str]
    details: Mapped[str] = mapped_column(Text())
    link: Mapped[str | None]
    service_id: Mapped[str | None]
    urgency: Mapped[str]
    triggered_at: Mapped[datetime]
    status: Mapped[str]
    acknowledged_by: Mapped[str | None]
    created_at: Mapped[datetime]


class EscalationRow(Base):
    """The escalation of one incident: its state document and its claim.

    *due_at* is when a worker should next advance it; *lease_owner* and
    *lease_until* are a worker's claim; *version* guards concurrent writes.
    """

    __tablename__ = "escalations"

    incident_id: Mapped[str] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[Any] = mapped_column(JSON(none_as_null=True))
    status: Mapped[str]
    due_at: Mapped[datetime | None] = mapped_column(index=True)
    lease_owner: Mapped[str | None]
    lease_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    retry_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text())
    version: Mapped[int] = mapped_column(default=0, server_default="0")
    updated_at: Mapped[datetime]


class NotificationRow(Base):
    """One notification; *key* is the core's ``str(NotificationKey)``.

    The key being the primary key is what makes a send happen once: a step
    re-run after a crash finds the row it already wrote.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_status_not_before", "status", "not_before"),
    )

    key: Mapped[str] = mapped_column(primary_key=True)
    incident_id: Mapped[str] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    step: Mapped[int]
    pass_no: Mapped[int]
    user_id: Mapped[str]
    channel: Mapped[str]
    status: Mapped[str]
    created_at: Mapped[datetime]
    not_before: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    provider_id: Mapped[str | None] = mapped_column(index=True)
    error: Mapped[str | None] = mapped_column(Text())
    fallback_of: Mapped[str | None]
    address_hint: Mapped[str | None]
    """Where it went, masked (``+49**********78``): never a full number."""
    updated_at: Mapped[datetime]
    lease_owner: Mapped[str | None]
    lease_until: Mapped[datetime | None]


class NotificationHistoryRow(Base):
    """One status a notification went through, and when."""

    __tablename__ = "notification_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(
        ForeignKey("notifications.key", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime]
    status: Mapped[str]
    detail: Mapped[str | None] = mapped_column(Text())


class EventRow(Base):
    """One entry of the audit log: something that happened to an incident."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[str] = mapped_column(index=True)
    at: Mapped[datetime]
    kind: Mapped[str]
    step: Mapped[int | None]
    pass_no: Mapped[int | None]
    user_id: Mapped[str | None]
    target: Mapped[str | None]
    reason: Mapped[str | None]
    detail: Mapped[str] = mapped_column(Text())
