"""Escalations in the database: what hosts do to them, and what workers claim.

:class:`SqlEscalationStore` keeps every escalation's state (a document of
:mod:`oncall_adapters.sql.codec`), its notifications and its events, and
gives workers two kinds of claims, each a lease with an expiry:

- a claim on an escalation that is due, so that one worker advances it.
  Recording the progress checks the claim is still held and the state has
  not changed since (a version number), in the same transaction that
  inserts its notifications and events: a worker that lost its claim
  records nothing;
- a claim on notifications to send. A notification's key is its primary
  key, so a step re-run after a crash inserts nothing twice, and one
  recorded as sent is never claimed again.

On PostgreSQL claims use ``FOR UPDATE SKIP LOCKED``, so workers on several
machines share the queue; on SQLite one worker process is supported.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import attrs
from sqlalchemy import (
    Connection,
    Engine,
    Row,
    Table,
    and_,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from oncall_adapters.sql.codec import (
    escalation_from_document,
    escalation_to_document,
)
from oncall_adapters.sql.models import Base
from oncall_core import (
    Channel,
    DeliveryEvent,
    DeliveryEventKind,
    Directory,
    Escalation,
    EscalationEvent,
    EscalationPolicy,
    EscalationStatus,
    EventKind,
    Incident,
    Notification,
    NotificationKey,
    NotificationStatus,
    OncallError,
    Progress,
    RetryPolicy,
    Service,
    Strategy,
    apply_delivery_event,
    cancel,
    next_in_line,
    release,
)

__all__ = ["Claim", "SqlEscalationStore", "UnknownIncident"]

logger = logging.getLogger(__name__)

_UNSENT = (
    NotificationStatus.HELD,
    NotificationStatus.STANDBY,
    NotificationStatus.PENDING,
    NotificationStatus.RETRYING,
)


class UnknownIncident(OncallError, LookupError):
    """No escalation is stored for this incident id."""


@attrs.frozen
class Claim:
    """A worker's lease on one due escalation."""

    incident_id: str
    escalation: Escalation
    version: int
    owner: str


def _tables() -> dict[str, Table]:
    return dict(Base.metadata.tables)


class SqlEscalationStore:
    """Escalations, notifications and events kept in a SQL database.

    Args:
        engine: an engine on a database migrated to the head revision.
        retry: how temporary send failures are retried.
    """

    def __init__(self, engine: Engine, *, retry: RetryPolicy | None = None) -> None:
        self.engine = engine
        # Reads need no write lock (SQLite engines begin IMMEDIATE otherwise).
        self._reader = engine.execution_options(sqlite_begin="deferred")
        self.retry = retry or RetryPolicy()
        tables = _tables()
        self._incidents = tables["incidents"]
        self._escalations = tables["escalations"]
        self._notifications = tables["notifications"]
        self._history = tables["notification_history"]
        self._events = tables["events"]
        self._postgres = engine.dialect.name == "postgresql"

    def __repr__(self) -> str:
        url = self.engine.url.render_as_string(hide_password=True)
        return f"SqlEscalationStore({url})"

    # What hosts do

    def trigger(
        self,
        incident: Incident,
        policy: EscalationPolicy,
        *,
        service: Service | None = None,
        strategy: Strategy | None = None,
        priority: Sequence[Channel] | None = None,
    ) -> Escalation:
        """Store *incident* and start escalating it; the worker does the rest.

        Triggering an incident id that is already stored returns its
        escalation as it is: a host that retries a trigger pages nobody twice.
        """
        progress = Escalation.start(
            incident, policy, service=service, strategy=strategy, priority=priority
        )
        escalation = progress.escalation
        try:
            with self.engine.begin() as connection:
                existing = self._load(connection, incident.id)
                if existing is not None:
                    return existing[0]
                connection.execute(
                    insert(self._incidents).values(
                        id=incident.id,
                        title=incident.title,
                        details=incident.details,
                        link=incident.link,
                        service_id=incident.service,
                        urgency=incident.urgency.value,
                        triggered_at=incident.triggered_at,
                        status=escalation.status.value,
                        acknowledged_by=None,
                        created_at=incident.triggered_at,
                    )
                )
                connection.execute(
                    insert(self._escalations).values(
                        incident_id=incident.id,
                        state=escalation_to_document(escalation),
                        status=escalation.status.value,
                        due_at=escalation.next_due,
                        attempts=0,
                        version=0,
                        updated_at=incident.triggered_at,
                    )
                )
                self._insert_events(connection, progress.events)
        except IntegrityError:
            # Another process stored the same incident first: theirs stands.
            found = self.escalation(incident.id)
            if found is None:  # pragma: no cover - a different integrity error
                raise
            return found
        logger.info("incident %s triggered under policy %s", incident.id, policy.name)
        return escalation

    def escalation(self, incident_id: str) -> Escalation | None:
        """Return the stored escalation of *incident_id*, or None."""
        with self._reader.connect() as connection:
            found = self._load(connection, incident_id)
        return None if found is None else found[0]

    def acknowledge(
        self, incident_id: str, at: datetime, *, by: str | None = None
    ) -> Escalation:
        """Acknowledge the incident: nothing more fires; unsent pages are cancelled.

        Raises:
            UnknownIncident: no escalation is stored for *incident_id*.
            InvalidTransition: the incident is resolved.
        """
        return self._transition(
            incident_id, at, lambda e: e.acknowledge(at, by=by), acknowledged_by=by
        )

    def resolve(
        self, incident_id: str, at: datetime, *, by: str | None = None
    ) -> Escalation:
        """Resolve the incident: the escalation ends; unsent pages are cancelled."""
        return self._transition(incident_id, at, lambda e: e.resolve(at, by=by))

    def snooze(
        self, incident_id: str, until: datetime, at: datetime, *, by: str | None = None
    ) -> Escalation:
        """Pause the escalation until *until*; it resumes at the step it was on."""
        return self._transition(incident_id, at, lambda e: e.snooze(until, at, by=by))

    def escalate_now(
        self,
        incident_id: str,
        at: datetime,
        directory: Directory,
        *,
        by: str | None = None,
    ) -> Escalation:
        """Fire the next step now; its notifications are recorded for the worker."""
        return self._transition(
            incident_id, at, lambda e: e.escalate_now(at, directory, by=by)
        )

    def _transition(
        self,
        incident_id: str,
        at: datetime,
        change: Any,
        *,
        acknowledged_by: str | None = None,
    ) -> Escalation:
        with self.engine.begin() as connection:
            found = self._load(connection, incident_id, lock=True)
            if found is None:
                msg = f"no incident {incident_id!r} is stored"
                raise UnknownIncident(msg)
            escalation, version = found
            progress: Progress = change(escalation)
            after = progress.escalation
            connection.execute(
                update(self._escalations)
                .where(self._escalations.c.incident_id == incident_id)
                .values(
                    state=escalation_to_document(after),
                    status=after.status.value,
                    due_at=after.next_due,
                    version=version + 1,
                    updated_at=at,
                )
            )
            self._insert_notifications(connection, progress.notifications)
            self._insert_events(connection, progress.events)
            values: dict[str, Any] = {"status": after.status.value}
            if acknowledged_by is not None:
                values["acknowledged_by"] = acknowledged_by
            connection.execute(
                update(self._incidents)
                .where(self._incidents.c.id == incident_id)
                .values(**values)
            )
            if after.status in (
                EscalationStatus.ACKNOWLEDGED,
                EscalationStatus.RESOLVED,
            ):
                self._cancel_unsent(connection, incident_id, at)
        if progress.events:
            logger.info("incident %s is now %s", incident_id, after.status.value)
        return after

    # What workers claim

    def claim_due(
        self, now: datetime, *, owner: str, lease: timedelta, limit: int = 50
    ) -> list[Claim]:
        """Lease up to *limit* escalations due at *now* to *owner*."""
        table = self._escalations
        due = (
            select(table.c.incident_id)
            .where(
                table.c.due_at <= now,
                table.c.status.in_(
                    [EscalationStatus.ACTIVE.value, EscalationStatus.SNOOZED.value]
                ),
                or_(table.c.lease_until.is_(None), table.c.lease_until < now),
                or_(table.c.retry_at.is_(None), table.c.retry_at <= now),
            )
            .order_by(table.c.due_at)
            .limit(limit)
        )
        if self._postgres:
            due = due.with_for_update(skip_locked=True)
        claim = (
            update(table)
            .where(table.c.incident_id.in_(due.scalar_subquery()))
            .values(lease_owner=owner, lease_until=now + lease)
            .returning(table.c.incident_id, table.c.state, table.c.version)
        )
        claims: list[Claim] = []
        with self.engine.begin() as connection:
            for row in connection.execute(claim):
                try:
                    escalation = escalation_from_document(row.state)
                except OncallError:
                    logger.warning(
                        "escalation of incident %s cannot be read; parked",
                        row.incident_id,
                        exc_info=True,
                    )
                    self._park(connection, row.incident_id, now, "unreadable state")
                    continue
                claims.append(Claim(row.incident_id, escalation, row.version, owner))
        return claims

    def record_progress(self, claim: Claim, progress: Progress, now: datetime) -> bool:
        """Record what advancing a claimed escalation produced, if the claim holds.

        Returns False, recording nothing, when the claim was lost (its lease
        expired and another worker took it, or a person acknowledged the
        incident meanwhile).
        """
        return self.record_progresses([(claim, progress)], now)[0]

    def record_progresses(
        self, advanced: Sequence[tuple[Claim, Progress]], now: datetime
    ) -> list[bool]:
        """Record several claims' progress in one transaction.

        Each claim is checked on its own: a lost one records nothing, the
        others are recorded.
        """
        table = self._escalations
        held: list[bool] = []
        notifications: list[Notification] = []
        events: list[EscalationEvent] = []
        with self.engine.begin() as connection:
            for claim, progress in advanced:
                after = progress.escalation
                updated = connection.execute(
                    update(table)
                    .where(
                        table.c.incident_id == claim.incident_id,
                        table.c.version == claim.version,
                        table.c.lease_owner == claim.owner,
                    )
                    .values(
                        state=escalation_to_document(after),
                        status=after.status.value,
                        due_at=after.next_due,
                        version=claim.version + 1,
                        lease_owner=None,
                        lease_until=None,
                        attempts=0,
                        retry_at=None,
                        last_error=None,
                        updated_at=now,
                    )
                )
                if updated.rowcount != 1:
                    logger.info(
                        "claim on incident %s was lost; its progress is dropped",
                        claim.incident_id,
                    )
                    held.append(False)
                    continue
                held.append(True)
                notifications.extend(progress.notifications)
                events.extend(progress.events)
                if after.status is not claim.escalation.status:
                    connection.execute(
                        update(self._incidents)
                        .where(self._incidents.c.id == claim.incident_id)
                        .values(status=after.status.value)
                    )
            inserted = self._insert_notifications(connection, notifications)
            self._insert_events(connection, events)
        for event in events:
            logger.info(
                "incident %s: %s (step %s, pass %s) %s",
                event.incident,
                event.kind.value,
                event.step,
                event.pass_,
                event.reason or "",
            )
        if inserted:
            logger.debug("%d notifications queued", inserted)
        return held

    def release_claim(
        self, claim: Claim, now: datetime, *, error: str, retry_in: timedelta
    ) -> None:
        """Give a claim back after a failure, to be retried after *retry_in*."""
        table = self._escalations
        with self.engine.begin() as connection:
            connection.execute(
                update(table)
                .where(
                    table.c.incident_id == claim.incident_id,
                    table.c.lease_owner == claim.owner,
                )
                .values(
                    lease_owner=None,
                    lease_until=None,
                    attempts=table.c.attempts + 1,
                    retry_at=now + retry_in,
                    last_error=error[:500],
                )
            )

    def claim_sendable(
        self, now: datetime, *, owner: str, lease: timedelta, limit: int = 50
    ) -> list[Notification]:
        """Lease up to *limit* notifications due to be sent at *now* to *owner*.

        That is: pending ones, retrying ones whose wait is over, held ones
        whose quiet hours ended, and ones a worker was sending when its
        lease ran out (it died mid-send). Each comes back ``SENDING``.
        """
        table = self._notifications
        due = (
            select(table.c.key)
            .where(
                or_(
                    table.c.status == NotificationStatus.PENDING.value,
                    and_(
                        table.c.status.in_(
                            [
                                NotificationStatus.RETRYING.value,
                                NotificationStatus.HELD.value,
                            ]
                        ),
                        table.c.not_before <= now,
                    ),
                    and_(
                        table.c.status == NotificationStatus.SENDING.value,
                        table.c.lease_until < now,
                    ),
                ),
                or_(table.c.lease_until.is_(None), table.c.lease_until < now),
            )
            .order_by(table.c.created_at, table.c.key)
            .limit(limit)
        )
        if self._postgres:
            due = due.with_for_update(skip_locked=True)
        claimed: list[Notification] = []
        with self.engine.begin() as connection:
            rows = connection.execute(
                update(table)
                .where(table.c.key.in_(due.scalar_subquery()))
                .values(lease_owner=owner, lease_until=now + lease)
                .returning(*table.c)
            ).all()
            histories = self._histories(connection, [row.key for row in rows])
            for row in rows:
                notification = self._from_row(row, histories.get(row.key, ()))
                if notification.status is NotificationStatus.HELD:
                    notification = release(notification, now)
                sending = apply_delivery_event(
                    notification, DeliveryEvent(DeliveryEventKind.SENDING, now)
                )
                self._save(connection, notification, sending, row)
                claimed.append(sending)
        return claimed

    def record_delivery(
        self, key: NotificationKey | str, event: DeliveryEvent
    ) -> Notification | None:
        """Apply a sender's or provider's *event* to a notification.

        A stale event (one that would move the status backwards) changes
        nothing. When a notification fails for good, the next channel of its
        plan (a fallback, or the next under ``FIRST_SUCCESS``) is released.
        Returns the notification after the event, or None if unknown.
        """
        table = self._notifications
        with self.engine.begin() as connection:
            query = select(table).where(table.c.key == str(key))
            if self._postgres:
                query = query.with_for_update()
            row = connection.execute(query).first()
            if row is None:
                return None
            before = self._notification(connection, row)
            after = apply_delivery_event(before, event, self.retry)
            if after.status is not NotificationStatus.SENDING:
                self._save(connection, before, after, row, lease=False)
            if after.status is NotificationStatus.FAILED:
                self._release_next(connection, after, event.at)
        self._log_delivery(after, event)
        return after

    def record_deliveries(
        self, outcomes: Sequence[tuple[Notification, DeliveryEvent]]
    ) -> list[Notification]:
        """Apply each sender's event to the notification it was sent for.

        *outcomes* pair each notification as it was claimed (``SENDING``)
        with what its send reported. All are recorded in one transaction;
        one changed meanwhile (a provider's callback came first) is
        re-read and recorded like :meth:`record_delivery` does.
        """
        table = self._notifications
        results: list[Notification] = []
        failed: list[tuple[Notification, datetime]] = []
        with self.engine.begin() as connection:
            history: list[dict[str, Any]] = []
            for before, event in outcomes:
                after = apply_delivery_event(before, event, self.retry)
                changed = connection.execute(
                    update(table)
                    .where(
                        table.c.key == str(before.key),
                        table.c.status == before.status.value,
                        table.c.attempts == before.attempts,
                    )
                    .values(
                        status=after.status.value,
                        not_before=after.not_before,
                        attempts=after.attempts,
                        provider_id=after.provider_id,
                        error=after.error,
                        updated_at=event.at,
                        lease_owner=None,
                        lease_until=None,
                    )
                )
                if changed.rowcount != 1:
                    query = select(table).where(table.c.key == str(before.key))
                    if self._postgres:
                        query = query.with_for_update()
                    row = connection.execute(query).one()
                    before = self._notification(connection, row)
                    after = apply_delivery_event(before, event, self.retry)
                    self._save(connection, before, after, row, lease=False)
                else:
                    history.extend(
                        {
                            "key": str(after.key),
                            "at": at,
                            "status": st.value,
                            "detail": None,
                        }
                        for at, st in after.history[len(before.history) :]
                    )
                if after.status is NotificationStatus.FAILED:
                    failed.append((after, event.at))
                results.append(after)
                self._log_delivery(after, event)
            if history:
                connection.execute(insert(self._history), history)
            for notification, at in failed:
                self._release_next(connection, notification, at)
        return results

    def record_callback(
        self, provider_id: str, event: DeliveryEvent
    ) -> Notification | None:
        """Apply a provider's status callback to the notification it names."""
        table = self._notifications
        with self._reader.connect() as connection:
            key = connection.execute(
                select(table.c.key).where(table.c.provider_id == provider_id)
            ).scalar()
        if key is None:
            logger.info("status callback for unknown message %s ignored", provider_id)
            return None
        return self.record_delivery(key, event)

    # Reading back

    def notifications(self, incident_id: str) -> list[Notification]:
        """Return the notifications of an incident, oldest first."""
        table = self._notifications
        with self._reader.connect() as connection:
            rows = connection.execute(
                select(table)
                .where(table.c.incident_id == incident_id)
                .order_by(
                    table.c.created_at, table.c.step, table.c.pass_no, table.c.key
                )
            ).all()
            return [self._notification(connection, row) for row in rows]

    def events(self, incident_id: str) -> list[EscalationEvent]:
        """Return the events of an incident, in the order they happened."""
        table = self._events
        with self._reader.connect() as connection:
            rows = connection.execute(
                select(table)
                .where(table.c.incident_id == incident_id)
                .order_by(table.c.id)
            ).all()
        return [
            EscalationEvent(
                row.at,
                EventKind(row.kind),
                row.incident_id,
                step=row.step,
                pass_=row.pass_no,
                user=row.user_id,
                target=row.target,
                reason=row.reason,
                detail=row.detail or "",
            )
            for row in rows
        ]

    def incident(self, incident_id: str) -> Incident | None:
        """Return the stored incident, or None."""
        found = self.escalation(incident_id)
        return None if found is None else found.incident

    # The machinery

    def _load(
        self, connection: Connection, incident_id: str, *, lock: bool = False
    ) -> tuple[Escalation, int] | None:
        query = select(self._escalations.c.state, self._escalations.c.version).where(
            self._escalations.c.incident_id == incident_id
        )
        if lock and self._postgres:
            query = query.with_for_update()
        row = connection.execute(query).first()
        if row is None:
            return None
        return escalation_from_document(row.state), row.version

    def _park(
        self, connection: Connection, incident_id: str, now: datetime, why: str
    ) -> None:
        connection.execute(
            update(self._escalations)
            .where(self._escalations.c.incident_id == incident_id)
            .values(due_at=None, lease_owner=None, lease_until=None, last_error=why)
        )
        connection.execute(
            insert(self._events).values(
                incident_id=incident_id,
                at=now,
                kind="worker_error",
                detail=why,
            )
        )

    def _insert(self, table: Table) -> Any:
        return (pg_insert if self._postgres else sqlite_insert)(table)

    def _insert_notifications(
        self, connection: Connection, notifications: Iterable[Notification]
    ) -> int:
        rows = [
            {
                "key": str(n.key),
                "incident_id": n.incident,
                "step": n.key.step,
                "pass_no": n.key.pass_,
                "user_id": n.user,
                "channel": n.channel.value,
                "status": n.status.value,
                "created_at": n.created_at,
                "not_before": n.not_before,
                "attempts": n.attempts,
                "provider_id": n.provider_id,
                "error": n.error,
                "fallback_of": None if n.fallback_of is None else n.fallback_of.value,
                "updated_at": n.created_at,
            }
            for n in notifications
        ]
        if not rows:
            return 0
        inserted = (
            connection.execute(
                self._insert(self._notifications)
                .values(rows)
                .on_conflict_do_nothing(index_elements=["key"])
                .returning(self._notifications.c.key)
            )
            .scalars()
            .all()
        )
        fresh = set(inserted)
        history = [
            {"key": str(n.key), "at": at, "status": status.value, "detail": None}
            for n in notifications
            if str(n.key) in fresh
            for at, status in n.history
        ]
        if history:
            connection.execute(insert(self._history), history)
        return len(fresh)

    def _insert_events(
        self, connection: Connection, events: Iterable[EscalationEvent]
    ) -> None:
        rows = [
            {
                "incident_id": e.incident,
                "at": e.at,
                "kind": e.kind.value,
                "step": e.step,
                "pass_no": e.pass_,
                "user_id": e.user,
                "target": e.target,
                "reason": e.reason,
                "detail": e.detail,
            }
            for e in events
        ]
        if rows:
            connection.execute(insert(self._events), rows)

    def _histories(
        self, connection: Connection, keys: Sequence[str]
    ) -> dict[str, list[tuple[datetime, NotificationStatus]]]:
        """The status histories of several notifications, in one query."""
        found: dict[str, list[tuple[datetime, NotificationStatus]]] = {}
        if not keys:
            return found
        rows = connection.execute(
            select(self._history.c.key, self._history.c.at, self._history.c.status)
            .where(self._history.c.key.in_(keys))
            .order_by(self._history.c.id)
        )
        for row in rows:
            found.setdefault(row.key, []).append(
                (row.at, NotificationStatus(row.status))
            )
        return found

    def _notification(self, connection: Connection, row: Row[Any]) -> Notification:
        return self._from_row(
            row, self._histories(connection, [row.key]).get(row.key, ())
        )

    @staticmethod
    def _from_row(
        row: Row[Any], history: Sequence[tuple[datetime, NotificationStatus]]
    ) -> Notification:
        return Notification(
            NotificationKey(
                row.incident_id,
                row.step,
                row.pass_no,
                row.user_id,
                Channel(row.channel),
            ),
            NotificationStatus(row.status),
            row.created_at,
            not_before=row.not_before,
            attempts=row.attempts,
            provider_id=row.provider_id,
            error=row.error,
            fallback_of=None if row.fallback_of is None else Channel(row.fallback_of),
            history=tuple(history),
        )

    def _save(
        self,
        connection: Connection,
        before: Notification,
        after: Notification,
        row: Row[Any],
        *,
        lease: bool = True,
    ) -> None:
        values: dict[str, Any] = {
            "status": after.status.value,
            "not_before": after.not_before,
            "attempts": after.attempts,
            "provider_id": after.provider_id,
            "error": after.error,
            "updated_at": after.history[-1][0] if after.history else row.updated_at,
        }
        if not lease:
            values.update(lease_owner=None, lease_until=None)
        connection.execute(
            update(self._notifications)
            .where(self._notifications.c.key == row.key)
            .values(**values)
        )
        added = after.history[len(before.history) :]
        if added:
            connection.execute(
                insert(self._history),
                [
                    {"key": row.key, "at": at, "status": status.value, "detail": None}
                    for at, status in added
                ],
            )

    def _siblings(
        self, connection: Connection, notification: Notification
    ) -> list[Notification]:
        """The notifications of the same plan, in the plan's (priority) order."""
        table = self._notifications
        first_seen = (
            select(self._history.c.key, func.min(self._history.c.id).label("first"))
            .group_by(self._history.c.key)
            .subquery()
        )
        rows = connection.execute(
            select(table)
            .join(first_seen, first_seen.c.key == table.c.key)
            .where(
                table.c.incident_id == notification.incident,
                table.c.step == notification.key.step,
                table.c.pass_no == notification.key.pass_,
                table.c.user_id == notification.user,
            )
            .order_by(first_seen.c.first)
        ).all()
        return [self._notification(connection, row) for row in rows]

    def _release_next(
        self, connection: Connection, failed: Notification, at: datetime
    ) -> None:
        siblings = self._siblings(connection, failed)
        following = next_in_line(siblings)
        if following is None:
            return
        released = release(following, at)
        row = connection.execute(
            select(self._notifications).where(
                self._notifications.c.key == str(following.key)
            )
        ).one()
        self._save(connection, following, released, row, lease=False)
        logger.info(
            "notification %s failed; %s is next",
            failed.key,
            following.channel.value,
        )

    def _cancel_unsent(
        self, connection: Connection, incident_id: str, at: datetime
    ) -> None:
        table = self._notifications
        rows = connection.execute(
            select(table).where(
                table.c.incident_id == incident_id,
                table.c.status.in_([s.value for s in _UNSENT]),
            )
        ).all()
        for row in rows:
            before = self._notification(connection, row)
            self._save(connection, before, cancel(before, at), row, lease=False)

    @staticmethod
    def _log_delivery(notification: Notification, event: DeliveryEvent) -> None:
        if notification.status is NotificationStatus.FAILED:
            logger.warning(
                "notification %s failed: %s %s",
                notification.key,
                event.code or "",
                event.reason or "",
            )
        elif notification.status is NotificationStatus.RETRYING:
            logger.info(
                "notification %s will be retried at %s (%s)",
                notification.key,
                notification.not_before,
                event.reason or event.code or "temporary failure",
            )
        else:
            logger.info(
                "notification %s is %s", notification.key, notification.status.value
            )
