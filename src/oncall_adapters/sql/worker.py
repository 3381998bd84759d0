"""The escalation worker: claims what is due, advances it, sends, records.

Run one or many (on PostgreSQL, on as many machines as you like)::

    stop = threading.Event()
    run_worker(store, directory, dispatcher, stop=stop)

Each cycle the worker

1. claims due escalations (a lease), advances each through the core at the
   current time, and records the new state with its notifications and
   events in one transaction; a worker that lost its claim records nothing;
2. claims notifications due to be sent, renders them, and sends them through
   the :class:`~oncall_adapters.dispatch.Dispatcher` outside any
   transaction, with a bounded number in flight; then records each outcome.

A database error (a restart, a lost connection) never marks anything done:
the worker backs off and tries again, and whatever it had claimed is taken
over by anyone once the lease runs out. Bad data (a step whose schedule is
gone, a user without a phone) becomes events from the core, not a crash.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import attrs
from sqlalchemy.exc import DBAPIError, OperationalError

from oncall_adapters.dispatch import Dispatcher, SendJob
from oncall_adapters.sql.store import SqlEscalationStore
from oncall_core import (
    Clock,
    DeliveryEvent,
    DeliveryEventKind,
    Directory,
    Escalation,
    Incident,
    Notification,
    NotificationStatus,
    Templates,
)

__all__ = ["SystemClock", "Worker", "WorkerStats", "run_worker"]

logger = logging.getLogger(__name__)

_DATABASE_ERRORS = (OperationalError, DBAPIError)


class SystemClock:
    """The machine's clock, in UTC."""

    def now(self) -> datetime:
        """Return the current instant."""
        return datetime.now(UTC)


@attrs.define
class WorkerStats:
    """What a worker did, for logs and tests."""

    cycles: int = 0
    steps_recorded: int = 0
    claims_lost: int = 0
    sent: int = 0
    send_failures: int = 0
    database_errors: int = 0


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Worker:
    """One worker: a loop of claim, advance, record, send, record.

    Args:
        store: where escalations live.
        directory: how targets are resolved (usually a ``SqlDirectory``).
        dispatcher: the senders, with bounded concurrency.
        templates: how notifications are rendered.
        clock: what time it is (tests pass a fake).
        batch: how many escalations and notifications a cycle claims.
        lease: how long a claim holds before others may take it over.
        owner: this worker's name in leases (default: host, pid, random).
    """

    def __init__(
        self,
        store: SqlEscalationStore,
        directory: Directory,
        dispatcher: Dispatcher,
        *,
        templates: Templates | None = None,
        clock: Clock | None = None,
        batch: int = 50,
        lease: timedelta = timedelta(seconds=60),
        owner: str | None = None,
    ) -> None:
        self.store = store
        self.directory = directory
        self.dispatcher = dispatcher
        self.templates = templates or Templates()
        self.clock = clock or SystemClock()
        self.batch = batch
        self.lease = lease
        self.owner = owner or _owner()
        self.stats = WorkerStats()
        self._backoff = 0.0

    def cycle(self) -> int:
        """Run one cycle; return how many things it did (0: nothing was due).

        A database error is logged and counted, never raised: the next cycle
        tries again after a backoff (:attr:`backoff`).
        """
        self.stats.cycles += 1
        try:
            done = self._advance_due() + self._send_due()
        except _DATABASE_ERRORS:
            self.stats.database_errors += 1
            self._backoff = min(max(self._backoff * 2, 0.5), 30.0)
            logger.warning(
                "database error; retrying in %.1f s (nothing was marked done)",
                self._backoff,
                exc_info=True,
            )
            return 0
        self._backoff = 0.0
        return done

    @property
    def backoff(self) -> float:
        """Seconds to wait after a database error before the next cycle."""
        return self._backoff

    def _advance_due(self) -> int:
        now = self.clock.now()
        claims = self.store.claim_due(
            now, owner=self.owner, lease=self.lease, limit=self.batch
        )
        advanced = []
        for claim in claims:
            try:
                advanced.append((claim, claim.escalation.advance(now, self.directory)))
            except _DATABASE_ERRORS:
                raise
            except Exception as error:
                # A bug or data the core refuses: park this escalation for a
                # while and carry on with the others.
                logger.warning(
                    "advancing incident %s failed; retrying later",
                    claim.incident_id,
                    exc_info=True,
                )
                self.store.release_claim(
                    claim,
                    now,
                    error=f"{type(error).__name__}: {error}",
                    retry_in=timedelta(seconds=30),
                )
        for recorded in self.store.record_progresses(advanced, now):
            if recorded:
                self.stats.steps_recorded += 1
            else:
                self.stats.claims_lost += 1
        return len(claims)

    def _send_due(self) -> int:
        now = self.clock.now()
        claimed = self.store.claim_sendable(
            now, owner=self.owner, lease=self.lease, limit=self.batch
        )
        if not claimed:
            return 0
        jobs: list[tuple[list[Notification], SendJob]] = []
        escalations: dict[str, Escalation | None] = {}
        for group in self._groups(claimed):
            job = self._job(group, now, escalations)
            if job is not None:
                jobs.append((group, job))
        events = self.dispatcher.dispatch([job for _, job in jobs])
        outcomes = [
            (notification, event)
            for (group, _), event in zip(jobs, events, strict=True)
            for notification in group
        ]
        for after in self.store.record_deliveries(outcomes):
            if after.status is NotificationStatus.FAILED:
                self.stats.send_failures += 1
            else:
                self.stats.sent += 1
        return len(claimed)

    @staticmethod
    def _groups(claimed: list[Notification]) -> list[list[Notification]]:
        """Group what quiet hours held into one digest per user and channel."""
        digests: dict[tuple[str, str], list[Notification]] = {}
        groups: list[list[Notification]] = []
        for notification in claimed:
            was_held = any(
                s is NotificationStatus.HELD for _, s in notification.history
            )
            if was_held:
                key = (notification.user, notification.channel.value)
                if key not in digests:
                    digests[key] = []
                    groups.append(digests[key])
                digests[key].append(notification)
            else:
                groups.append([notification])
        return groups

    def _job(
        self,
        group: list[Notification],
        now: datetime,
        escalations: dict[str, Escalation | None],
    ) -> SendJob | None:
        """Render the message of a group, or record why it cannot be sent."""
        first = group[0]
        user = self.directory.user(first.user)
        address = None if user is None else user.contact.address(first.channel)
        incidents: list[Incident] = []
        for notification in group:
            if notification.incident not in escalations:
                escalations[notification.incident] = self.store.escalation(
                    notification.incident
                )
            found = escalations[notification.incident]
            if found is not None:
                incidents.append(found.incident)
        if user is None or address is None or not incidents:
            reason = (
                f"user {first.user!r} is unknown"
                if user is None
                else f"no {first.channel.value} address for user {first.user!r}"
            )
            failed = DeliveryEvent(
                DeliveryEventKind.FAILED, now, code="no-address", reason=reason
            )
            for notification in group:
                self.store.record_delivery(notification.key, failed)
            return None
        escalation = escalations[first.incident]
        if len(group) > 1 or any(
            s is NotificationStatus.HELD for _, s in first.history
        ):
            message = self.templates.render_digest(incidents, first.channel, user=user)
        else:
            message = self.templates.render(
                incidents[0],
                first.channel,
                user=user,
                service=None if escalation is None else escalation.service,
                step=first.key.step,
                pass_=first.key.pass_,
            )
        return SendJob(first, message, address)


def run_worker(
    store: SqlEscalationStore,
    directory: Directory,
    dispatcher: Dispatcher,
    *,
    templates: Templates | None = None,
    clock: Clock | None = None,
    batch: int = 50,
    lease: timedelta = timedelta(seconds=60),
    poll_interval: float = 1.0,
    stop: threading.Event | None = None,
    once: bool = False,
    owner: str | None = None,
    sleep: Callable[[float], None] | None = None,
) -> WorkerStats:
    """Run a worker until *stop* is set (or one cycle with *once*).

    When a cycle finds nothing due the worker waits *poll_interval* seconds;
    after a database error it waits its backoff (0.5 s doubling to 30 s).
    """
    worker = Worker(
        store,
        directory,
        dispatcher,
        templates=templates,
        clock=clock,
        batch=batch,
        lease=lease,
        owner=owner,
    )
    stop = stop or threading.Event()
    wait = sleep or stop.wait
    logger.info("worker %s started", worker.owner)
    while not stop.is_set():
        done = worker.cycle()
        if once:
            break
        if worker.backoff:
            wait(worker.backoff)
        elif not done:
            wait(poll_interval)
    logger.info("worker %s stopped: %s", worker.owner, worker.stats)
    return worker.stats
