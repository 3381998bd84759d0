"""The ports through which the core meets the world: adapters implement them.

The core never calls these itself: it decides, and the host (the worker, or
an app of its own) calls a :class:`Sender` with what the core decided and
asks a :class:`Clock` what time it is.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable

from oncall_core._directory import Channel
from oncall_core._notifications import DeliveryEvent, Notification
from oncall_core._rendering import Message

__all__ = ["Clock", "Sender"]


@runtime_checkable
class Clock(Protocol):
    """Tells the time. The core has none; hosts pass instants they read here."""

    def now(self) -> datetime:
        """Return the current instant, aware."""
        ...


@runtime_checkable
class Sender(Protocol):
    """Delivers messages on one or more channels, through one technology.

    ``send`` makes one attempt to deliver *message* to *address* (an email
    address, an E.164 number, a Slack id, a push token, a URL) and reports
    how it went as a :class:`DeliveryEvent`, never as an exception:

    - ``SENT`` (with the provider's message id when it gives one): the
      provider accepted the message. Status callbacks may follow.
    - ``FAILED``, with the provider's ``code`` and a ``reason``: it will
      never work (a bad number, an unsubscribed recipient, a refused
      template). Not retried.
    - ``TEMPORARY_FAILURE``, with ``retry_after`` when the provider named
      one: nothing was sent (a rate limit, a refused connection, a 5xx the
      provider answers before accepting). Retried with backoff.
    - When the outcome is unknown (a timeout after the request was written,
      a 5xx after which the message may have been accepted), ``SENT`` with
      ``reason`` starting ``"outcome unknown"``: retrying could page twice.

    Implementations must be safe to call from several threads at once, and
    must never put a secret (a token, a password) in an event, a log line or
    an exception.
    """

    @property
    def name(self) -> str:
        """A short name for logs and records (``twilio-sms``, ``smtp``)."""
        ...

    @property
    def channels(self) -> frozenset[Channel]:
        """The channels this sender delivers on."""
        ...

    def send(
        self, notification: Notification, message: Message, address: str
    ) -> DeliveryEvent:
        """Make one attempt to deliver *message*; report what happened."""
        ...
