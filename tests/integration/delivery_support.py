"""What the delivery adapter tests share: a clock, notifications, a tiny worker."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from oncall_core import (
    DEFAULT_RETRY,
    Channel,
    DeliveryEvent,
    DeliveryEventKind,
    Message,
    Notification,
    NotificationKey,
    NotificationStatus,
    RetryPolicy,
    Sender,
    apply_delivery_event,
)

AT = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
"""When every test's first attempt happens."""


@dataclass
class FixedClock:
    """A clock that says what it is told: the worker below moves it."""

    at: datetime = AT

    def now(self) -> datetime:
        return self.at


def pending(
    channel: Channel, *, incident: str = "inc-42", user: str = "ana", step: int = 0
) -> Notification:
    """A notification to send now."""
    key = NotificationKey(incident, step, 0, user, channel)
    return Notification(key, NotificationStatus.PENDING, AT, history=((AT, "pending"),))


@dataclass
class Round:
    """One attempt: the event the sender reported, and the notification after it."""

    event: DeliveryEvent
    after: Notification


@dataclass
class Delivery:
    """Everything a worker did for one notification."""

    rounds: list[Round] = field(default_factory=list)

    @property
    def first(self) -> Round:
        return self.rounds[0]

    @property
    def final(self) -> Notification:
        return self.rounds[-1].after

    @property
    def attempts(self) -> int:
        return len(self.rounds)


def deliver(
    sender: Sender,
    notification: Notification,
    message: Message,
    address: str,
    clock: FixedClock,
    *,
    retry: RetryPolicy = DEFAULT_RETRY,
) -> Delivery:
    """Send as a worker does until the notification is no longer due.

    Each round moves the clock to the notification's ``not_before``, records
    ``SENDING``, sends once and applies the event: a temporary failure is
    sent again when due, anything else ends it. At most ``max_attempts``
    rounds, as the retry policy allows.
    """
    delivery = Delivery()
    n = notification
    due = (NotificationStatus.PENDING, NotificationStatus.RETRYING)
    while n.status in due and delivery.attempts < retry.max_attempts:
        if n.not_before is not None:
            clock.at = max(clock.at, n.not_before)
        n = apply_delivery_event(
            n, DeliveryEvent(DeliveryEventKind.SENDING, clock.now()), retry
        )
        event = sender.send(n, message, address)
        n = apply_delivery_event(n, event, retry)
        delivery.rounds.append(Round(event, n))
    return delivery
