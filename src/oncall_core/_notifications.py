"""Notifications: one message to one user on one channel, and its lifecycle.

A :class:`Notification` is a value; :func:`apply_delivery_event`,
:func:`release` and :func:`cancel` return the next value. Status only moves
forward (see :attr:`NotificationStatus.rank`): an event that arrives late or
out of order is ignored rather than applied, so a provider's callbacks can
come in any order and a duplicated worker cannot page twice.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from urllib.parse import quote

import attrs

from oncall_core._directory import Channel, _channel
from oncall_core._time import require_aware
from oncall_core.errors import InvalidValue

__all__ = [
    "DEFAULT_RETRY",
    "DeliveryEvent",
    "DeliveryEventKind",
    "Digest",
    "InvalidNotification",
    "Notification",
    "NotificationKey",
    "NotificationStatus",
    "RetryPolicy",
    "apply_delivery_event",
    "cancel",
    "digests",
    "next_in_line",
    "release",
]


class InvalidNotification(InvalidValue):
    """A notification, its key, a delivery event or a retry policy is malformed."""


class NotificationStatus(enum.Enum):
    """Where a notification stands. Its :attr:`rank` never decreases."""

    HELD = "held"
    """Waiting for the user's quiet hours to end (``not_before``)."""
    STANDBY = "standby"
    """Sent only if the one before it fails (``FIRST_SUCCESS``, fallbacks)."""
    PENDING = "pending"
    """To be sent now."""
    SENDING = "sending"
    """Handed to a sender; the provider has not answered yet."""
    RETRYING = "retrying"
    """A temporary failure: to be sent again at ``not_before``."""
    SENT = "sent"
    """The provider accepted it: never sent again."""
    DELIVERED = "delivered"
    """The provider reports it reached the device or inbox."""
    READ = "read"
    """The provider reports the user opened it."""
    FAILED = "failed"
    """Permanently failed, or out of attempts. Terminal."""
    CANCELLED = "cancelled"
    """No longer needed (the incident was acknowledged). Terminal."""

    @property
    def rank(self) -> int:
        """The stage of the lifecycle: a notification never moves to a lower one."""
        return _RANK[self]

    @property
    def is_terminal(self) -> bool:
        """Whether nothing can change this status any more."""
        return self in (NotificationStatus.FAILED, NotificationStatus.CANCELLED)


_RANK: dict[NotificationStatus, int] = {
    NotificationStatus.HELD: 0,
    NotificationStatus.STANDBY: 0,
    NotificationStatus.PENDING: 1,
    NotificationStatus.SENDING: 2,
    NotificationStatus.RETRYING: 2,
    NotificationStatus.SENT: 3,
    NotificationStatus.DELIVERED: 4,
    NotificationStatus.READ: 5,
    NotificationStatus.FAILED: 6,
    NotificationStatus.CANCELLED: 6,
}

_NOT_YET_SENT = frozenset(
    {
        NotificationStatus.HELD,
        NotificationStatus.STANDBY,
        NotificationStatus.PENDING,
        NotificationStatus.RETRYING,
    }
)


def _identifier(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        msg = f"{what} must be a non-empty id string, got {value!r}"
        raise InvalidNotification(msg)
    return value


def _counter(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        msg = f"{what} must be a whole number of zero or more, got {value!r}"
        raise InvalidNotification(msg)
    return value


def _created_at(value: object) -> datetime:
    return require_aware(value, "notification created_at")


def _not_before(value: object) -> datetime | None:
    return None if value is None else require_aware(value, "notification not_before")


def _event_at(value: object) -> datetime:
    return require_aware(value, "delivery event at")


def _optional_channel(value: Channel | str | None) -> Channel | None:
    return None if value is None else _channel(value)


@attrs.frozen
class NotificationKey:
    """What makes a notification unique: incident, step, pass, user and channel.

    ``str(key)`` is stable and unique (``/`` and ``%`` inside ids are
    percent-escaped), so a store can use it as a unique key: a retried or
    duplicated worker that builds the same notification finds it there.
    """

    incident: str
    step: int
    pass_: int
    user: str
    channel: Channel = attrs.field(converter=_channel)

    def __attrs_post_init__(self) -> None:
        _identifier(self.incident, "notification incident")
        _counter(self.step, "notification step")
        _counter(self.pass_, "notification pass")
        _identifier(self.user, "notification user")

    def __str__(self) -> str:
        return "/".join(
            (
                quote(self.incident, safe=""),
                str(self.step),
                str(self.pass_),
                quote(self.user, safe=""),
                self.channel.value,
            )
        )


def _status(value: NotificationStatus | str) -> NotificationStatus:
    if isinstance(value, NotificationStatus):
        return value
    try:
        return NotificationStatus(str(value).lower())
    except ValueError:
        names = ", ".join(s.value for s in NotificationStatus)
        msg = f"unknown notification status {value!r}: use one of {names}"
        raise InvalidNotification(msg) from None


def _history(
    value: Iterable[tuple[datetime, NotificationStatus]],
) -> tuple[tuple[datetime, NotificationStatus], ...]:
    entries: list[tuple[datetime, NotificationStatus]] = []
    for entry in value:
        try:
            at, status = entry
        except (TypeError, ValueError):
            msg = f"history entries must be (datetime, status) pairs, got {entry!r}"
            raise InvalidNotification(msg) from None
        entries.append((require_aware(at, "history instant"), _status(status)))
    return tuple(entries)


@attrs.frozen
class Notification:
    """One message to one user on one channel, and where it stands.

    *not_before* is when a held notification may go (the end of quiet
    hours) or when a retrying one is due again. *fallback_of* marks an SMS
    sent because a WhatsApp message failed. *history* lists each status the
    notification took, with its instant, in the order they were applied.

    Raises:
        InvalidNotification: a field is malformed; the message names it.
        NaiveDatetime: an instant has no time zone.
    """

    key: NotificationKey
    status: NotificationStatus = attrs.field(converter=_status)
    created_at: datetime = attrs.field(converter=_created_at)
    not_before: datetime | None = attrs.field(default=None, converter=_not_before)
    attempts: int = 0
    provider_id: str | None = None
    error: str | None = None
    fallback_of: Channel | None = attrs.field(default=None, converter=_optional_channel)
    history: tuple[tuple[datetime, NotificationStatus], ...] = attrs.field(
        default=(), converter=_history
    )

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.key, NotificationKey):
            msg = f"notification key must be a NotificationKey, got {self.key!r}"
            raise InvalidNotification(msg)
        _counter(self.attempts, f"notification {self.key} attempts")

    @property
    def user(self) -> str:
        """The id of the user this notification is for."""
        return self.key.user

    @property
    def channel(self) -> Channel:
        """The channel it goes out on."""
        return self.key.channel

    @property
    def incident(self) -> str:
        """The id of the incident it is about."""
        return self.key.incident

    def _moved(
        self, status: NotificationStatus, at: datetime, **changes: object
    ) -> Notification:
        """Return this notification in *status*, with the change in its history."""
        return attrs.evolve(
            self,
            status=status,
            history=(*self.history, (at, status)),
            **changes,  # type: ignore[arg-type]
        )


class DeliveryEventKind(enum.Enum):
    """What a sender or a provider's callback reports about a notification."""

    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"
    """A permanent failure: a bad number, a blocked address, a refused template."""
    TEMPORARY_FAILURE = "temporary_failure"
    """Nothing was sent (a rate limit, a timeout, a 5xx that provably did not send)."""
    CANCELLED = "cancelled"


def _event_kind(value: DeliveryEventKind | str) -> DeliveryEventKind:
    if isinstance(value, DeliveryEventKind):
        return value
    try:
        return DeliveryEventKind(str(value).lower())
    except ValueError:
        names = ", ".join(k.value for k in DeliveryEventKind)
        msg = f"unknown delivery event kind {value!r}: use one of {names}"
        raise InvalidNotification(msg) from None


def _retry_after(value: timedelta | None) -> timedelta | None:
    if value is None:
        return None
    if not isinstance(value, timedelta) or value < timedelta(0):
        msg = f"retry_after must be a timedelta of zero or more, got {value!r}"
        raise InvalidNotification(msg)
    return value


@attrs.frozen
class DeliveryEvent:
    """Something a sender or provider reported, at the instant *at*.

    *provider_id* names the provider's message; *code* and *reason* explain a
    failure; *retry_after* is how long the provider asked to wait (a rate
    limit's ``Retry-After``).
    """

    kind: DeliveryEventKind = attrs.field(converter=_event_kind)
    at: datetime = attrs.field(converter=_event_at)
    provider_id: str | None = None
    code: str | None = None
    reason: str | None = None
    retry_after: timedelta | None = attrs.field(default=None, converter=_retry_after)


@attrs.frozen
class RetryPolicy:
    """How temporary failures are retried: exponential backoff with a cap.

    Attempt *n* (from 1) that fails temporarily waits
    ``base * factor ** (n - 1)``, at most *cap*, and at least the provider's
    ``retry_after``. After *max_attempts* attempts the notification fails.

    Raises:
        InvalidNotification: *base* is not positive, *factor* is below 1,
            *cap* is below *base*, or *max_attempts* is below 1.
    """

    base: timedelta = timedelta(seconds=30)
    factor: float = 2.0
    cap: timedelta = timedelta(minutes=10)
    max_attempts: int = 5

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.base, timedelta) or self.base <= timedelta(0):
            msg = f"retry base must be a positive timedelta, got {self.base!r}"
            raise InvalidNotification(msg)
        if (
            isinstance(self.factor, bool)
            or not isinstance(self.factor, int | float)
            or not math.isfinite(self.factor)
            or self.factor < 1
        ):
            msg = (
                "retry factor must be a finite number of 1 or more, "
                f"got {self.factor!r}"
            )
            raise InvalidNotification(msg)
        if not isinstance(self.cap, timedelta) or self.cap < self.base:
            msg = (
                f"retry cap must be a timedelta no shorter than the base "
                f"({self.base}), got {self.cap!r}"
            )
            raise InvalidNotification(msg)
        if (
            isinstance(self.max_attempts, bool)
            or not isinstance(self.max_attempts, int)
            or self.max_attempts < 1
        ):
            msg = (
                "max_attempts must be a whole number of 1 or more, "
                f"got {self.max_attempts!r}"
            )
            raise InvalidNotification(msg)

    def delay(self, attempt: int, retry_after: timedelta | None = None) -> timedelta:
        """Return the wait after attempt number *attempt* (from 1) failed.

        Delays never decrease from one attempt to the next and never exceed
        the cap, unless the provider's *retry_after* asks for longer.

        Raises:
            InvalidNotification: *attempt* is below 1 or *retry_after* is negative.
        """
        if isinstance(attempt, bool) or not isinstance(attempt, int) or attempt < 1:
            msg = f"attempt must be a whole number of 1 or more, got {attempt!r}"
            raise InvalidNotification(msg)
        retry_after = _retry_after(retry_after)

        # Grow in float seconds and stop at the cap: no overflow however many
        # attempts a host allows.
        cap = self.cap.total_seconds()
        seconds = self.base.total_seconds()
        for _ in range(attempt - 1):
            if seconds >= cap:
                break
            seconds *= self.factor
        wait = min(timedelta(seconds=min(seconds, cap)), self.cap)

        if retry_after is not None and retry_after > wait:
            return retry_after
        return wait


DEFAULT_RETRY = RetryPolicy()
"""30 s, then doubling up to 10 minutes; five attempts in all."""


def _failure(event: DeliveryEvent) -> str | None:
    parts = [part for part in (event.code, event.reason) if part]
    return ": ".join(parts) if parts else None


# From which statuses each event applies. Each target ranks above every
# source (or, for SENDING and RETRYING, is the other status of rank 2), so
# applying an event never moves a notification backwards.
_APPLIES_FROM: dict[DeliveryEventKind, frozenset[NotificationStatus]] = {
    DeliveryEventKind.SENDING: _NOT_YET_SENT,
    DeliveryEventKind.SENT: _NOT_YET_SENT | {NotificationStatus.SENDING},
    DeliveryEventKind.DELIVERED: _NOT_YET_SENT
    | {NotificationStatus.SENDING, NotificationStatus.SENT},
    DeliveryEventKind.READ: _NOT_YET_SENT
    | {
        NotificationStatus.SENDING,
        NotificationStatus.SENT,
        NotificationStatus.DELIVERED,
    },
    # A carrier may report a permanent failure after accepting (SENT), but
    # not after the message reached the device.
    DeliveryEventKind.FAILED: _NOT_YET_SENT
    | {NotificationStatus.SENDING, NotificationStatus.SENT},
    # Never after SENT: a provider that accepted may have delivered, and a
    # retry would page the user twice.
    DeliveryEventKind.TEMPORARY_FAILURE: frozenset(
        {
            NotificationStatus.PENDING,
            NotificationStatus.SENDING,
            NotificationStatus.RETRYING,
        }
    ),
    DeliveryEventKind.CANCELLED: _NOT_YET_SENT,
}

_TARGET: dict[DeliveryEventKind, NotificationStatus] = {
    DeliveryEventKind.SENDING: NotificationStatus.SENDING,
    DeliveryEventKind.SENT: NotificationStatus.SENT,
    DeliveryEventKind.DELIVERED: NotificationStatus.DELIVERED,
    DeliveryEventKind.READ: NotificationStatus.READ,
    DeliveryEventKind.FAILED: NotificationStatus.FAILED,
    DeliveryEventKind.CANCELLED: NotificationStatus.CANCELLED,
}


def apply_delivery_event(
    notification: Notification,
    event: DeliveryEvent,
    retry: RetryPolicy = DEFAULT_RETRY,
) -> Notification:
    """Return *notification* after *event*, or unchanged if the event is stale.

    Status only moves forward: an event that would move it backwards (a
    late ``SENT`` after ``DELIVERED``, anything after ``FAILED`` or
    ``CANCELLED``, a repeated ``SENDING``) is ignored. So is a callback
    about another provider message than the one recorded. ``SENDING``
    counts an attempt. ``TEMPORARY_FAILURE`` applies only before the
    provider accepted the message: it moves to ``RETRYING`` with
    ``not_before`` set by *retry*, or to ``FAILED`` once the attempts
    reach ``retry.max_attempts``. Every change of status is appended to the
    history with the event's instant.
    """
    n = notification
    if n.status not in _APPLIES_FROM[event.kind]:
        return n
    if (
        event.provider_id is not None
        and n.provider_id is not None
        and event.provider_id != n.provider_id
        and event.kind is not DeliveryEventKind.SENDING
    ):
        return n

    if event.kind is DeliveryEventKind.TEMPORARY_FAILURE:
        return _temporary_failure(n, event, retry)

    target = _TARGET[event.kind]
    if event.kind is DeliveryEventKind.SENDING:
        return n._moved(
            target,
            event.at,
            attempts=n.attempts + 1,
            not_before=None,
            provider_id=event.provider_id,
        )
    changes: dict[str, object] = {"not_before": None}
    if event.provider_id is not None:
        changes["provider_id"] = event.provider_id
    if event.kind is DeliveryEventKind.FAILED:
        changes["error"] = _failure(event) or "failed"
    return n._moved(target, event.at, **changes)


def _temporary_failure(
    n: Notification, event: DeliveryEvent, retry: RetryPolicy
) -> Notification:
    # A failure reported without a SENDING before it still closes an
    # attempt: otherwise a host that skips SENDING would retry forever.
    attempts = n.attempts if n.status is NotificationStatus.SENDING else n.attempts + 1
    attempts = max(attempts, 1)
    error = _failure(event) or "temporary failure"

    if attempts >= retry.max_attempts:
        return n._moved(
            NotificationStatus.FAILED,
            event.at,
            attempts=attempts,
            not_before=None,
            error=f"gave up after {attempts} attempts: {error}",
        )
    due = event.at + retry.delay(attempts, event.retry_after)
    if n.status is NotificationStatus.RETRYING:
        return attrs.evolve(n, attempts=attempts, not_before=due, error=error)
    return n._moved(
        NotificationStatus.RETRYING,
        event.at,
        attempts=attempts,
        not_before=due,
        error=error,
    )


def release(notification: Notification, at: datetime) -> Notification:
    """Return a held or standby *notification* as ``PENDING``: to be sent now.

    Call it when quiet hours end, or when :func:`next_in_line` says a
    standby notification is needed. Any other status is returned unchanged,
    so releasing twice is harmless.
    """
    at = require_aware(at, "at")
    if notification.status not in (
        NotificationStatus.HELD,
        NotificationStatus.STANDBY,
    ):
        return notification
    return notification._moved(NotificationStatus.PENDING, at, not_before=None)


def cancel(notification: Notification, at: datetime) -> Notification:
    """Return *notification* as ``CANCELLED`` if it was not sent yet.

    Held, standby, pending and retrying notifications are cancelled (the
    incident was acknowledged, say). One being sent, already sent or
    finished is returned unchanged: cancelling cannot unsend it.
    """
    return apply_delivery_event(
        notification, DeliveryEvent(DeliveryEventKind.CANCELLED, at)
    )


_LIVE = frozenset(
    {
        NotificationStatus.HELD,
        NotificationStatus.PENDING,
        NotificationStatus.SENDING,
        NotificationStatus.RETRYING,
        NotificationStatus.SENT,
        NotificationStatus.DELIVERED,
        NotificationStatus.READ,
    }
)


def next_in_line(notifications: Sequence[Notification]) -> Notification | None:
    """Return the standby notification to release now, or None.

    *notifications* are those of one delivery plan (one user, incident, step
    and pass), in priority order, as :meth:`DeliveryPlan.notifications`
    returns them. The SMS fallback of a failed WhatsApp message comes first;
    otherwise the next standby channel is needed only when every channel
    tried so far has failed (``FIRST_SUCCESS``): while one is held, in
    flight or succeeded, or once one was cancelled, nothing is.

    Raises:
        InvalidNotification: the notifications belong to different plans.
    """
    if not notifications:
        return None
    first = notifications[0].key
    for n in notifications:
        if (n.incident, n.key.step, n.key.pass_, n.user) != (
            first.incident,
            first.step,
            first.pass_,
            first.user,
        ):
            msg = (
                "next_in_line takes the notifications of one plan, got "
                f"{first} and {n.key}"
            )
            raise InvalidNotification(msg)

    standby = [n for n in notifications if n.status is NotificationStatus.STANDBY]
    failed = {n.channel for n in notifications if n.status is NotificationStatus.FAILED}
    for n in standby:
        if n.fallback_of is not None and n.fallback_of in failed:
            return n

    tried = [n for n in notifications if n.status is not NotificationStatus.STANDBY]
    if not tried or any(n.status is not NotificationStatus.FAILED for n in tried):
        return None
    return next((n for n in standby if n.fallback_of is None), None)


@attrs.frozen
class Digest:
    """Held notifications of one user on one channel, sent as one message."""

    user: str
    channel: Channel
    notifications: tuple[Notification, ...]

    @property
    def incidents(self) -> tuple[str, ...]:
        """The ids of the incidents the digest lists, each once, in order."""
        return tuple(dict.fromkeys(n.incident for n in self.notifications))


def digests(notifications: Iterable[Notification], at: datetime) -> tuple[Digest, ...]:
    """Group the held notifications due at *at* into one digest per user and channel.

    A notification is due when its ``not_before`` (the end of the user's
    quiet hours) is at or before *at*. Under ``FIRST_SUCCESS``, the default
    for low urgency, a plan holds only its first channel, so a user
    usually gets a single digest. Send each digest as one message, then
    :func:`release` and apply the send's events to each of its
    notifications.
    """
    at = require_aware(at, "at")
    groups: dict[tuple[str, Channel], list[Notification]] = {}
    for n in notifications:
        if n.status is NotificationStatus.HELD and (
            n.not_before is None or n.not_before <= at
        ):
            groups.setdefault((n.user, n.channel), []).append(n)
    return tuple(
        Digest(user, channel, tuple(items)) for (user, channel), items in groups.items()
    )
