"""Sending many notifications at once: bounded concurrency, per-sender rates.

The :class:`Dispatcher` hands each job to the :class:`~oncall_core.Sender`
for its channel on a pool of threads, with at most ``max_in_flight`` sends
at a time and, per sender, at most ``rate`` sends started per second. One
slow provider then holds a few threads, not the queue.

A provider's API answers in tens of milliseconds and the time goes in
waiting, so ``max_in_flight`` sends at once take about the time of one
(``bench/bench_delivery.py`` measures it against the fake Twilio server).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import attrs

from oncall_core import (
    Channel,
    DeliveryEvent,
    DeliveryEventKind,
    Message,
    Notification,
    Sender,
)

__all__ = ["Dispatcher", "RateLimiter", "SendJob"]

logger = logging.getLogger(__name__)


@attrs.frozen
class SendJob:
    """One notification to send: the message rendered for it and its address."""

    notification: Notification
    message: Message
    address: str


class RateLimiter:
    """A token bucket: at most *rate* acquisitions per second, *burst* at once.

    ``acquire`` blocks until a token is free. Thread-safe.
    """

    def __init__(
        self,
        rate: float,
        *,
        burst: int = 1,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            msg = f"rate must be a positive number of sends per second, got {rate!r}"
            raise ValueError(msg)
        if burst < 1:
            msg = f"burst must be at least 1, got {burst!r}"
            raise ValueError(msg)
        self.rate = rate
        self.burst = burst
        self._monotonic = monotonic
        self._sleep = sleep
        self._tokens = float(burst)
        self._stamp = monotonic()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        """Take one token, waiting for it if the bucket is empty."""
        while True:
            with self._lock:
                now = self._monotonic()
                self._tokens = min(
                    self.burst, self._tokens + (now - self._stamp) * self.rate
                )
                self._stamp = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                wait = (1 - self._tokens) / self.rate
            self._sleep(wait)


class Dispatcher:
    """Send jobs through the senders of their channels, concurrently.

    Args:
        senders: one sender per channel (a sender may serve several); a
            channel served twice is an error.
        max_in_flight: how many sends may run at once, over all senders.
        rates: per sender name, the most sends started per second.
        bursts: per sender name, how many sends may start at once before
            the rate applies (default 1: sends are spaced ``1 / rate``
            apart, so no second ever sees more than ``rate`` of them).
    """

    def __init__(
        self,
        senders: Iterable[Sender],
        *,
        max_in_flight: int = 16,
        rates: Mapping[str, float] | None = None,
        bursts: Mapping[str, int] | None = None,
    ) -> None:
        if max_in_flight < 1:
            msg = f"max_in_flight must be at least 1, got {max_in_flight!r}"
            raise ValueError(msg)
        self._by_channel: dict[Channel, Sender] = {}
        for sender in senders:
            for channel in sender.channels:
                if channel in self._by_channel:
                    msg = (
                        f"two senders serve {channel.value}: "
                        f"{self._by_channel[channel].name} and {sender.name}"
                    )
                    raise ValueError(msg)
                self._by_channel[channel] = sender
        unknown = set(bursts or {}) - set(rates or {})
        if unknown:
            msg = f"bursts given for senders without a rate: {sorted(unknown)}"
            raise ValueError(msg)
        self._limits = {
            name: RateLimiter(rate, burst=(bursts or {}).get(name, 1))
            for name, rate in (rates or {}).items()
        }
        self._pool = ThreadPoolExecutor(
            max_workers=max_in_flight, thread_name_prefix="oncall-send"
        )
        self.max_in_flight = max_in_flight

    @property
    def channels(self) -> frozenset[Channel]:
        """The channels some sender serves."""
        return frozenset(self._by_channel)

    def sender_for(self, channel: Channel) -> Sender | None:
        """Return the sender of *channel*, or None."""
        return self._by_channel.get(channel)

    def dispatch(self, jobs: Sequence[SendJob]) -> list[DeliveryEvent]:
        """Send every job; return their events, in the jobs' order.

        A channel no sender serves, or a sender that raises, gives a
        ``FAILED`` (no sender) or ``TEMPORARY_FAILURE`` (it raised) event:
        a dispatch never raises because of one job.
        """
        futures = [self._pool.submit(self._send, job) for job in jobs]
        return [future.result() for future in futures]

    def _send(self, job: SendJob) -> DeliveryEvent:
        channel = job.notification.channel
        sender = self._by_channel.get(channel)
        if sender is None:
            return DeliveryEvent(
                DeliveryEventKind.FAILED,
                datetime.now(UTC),
                code="no-sender",
                reason=f"no sender is configured for {channel.value}",
            )
        limit = self._limits.get(sender.name)
        if limit is not None:
            limit.acquire()
        try:
            return sender.send(job.notification, job.message, job.address)
        except Exception as error:  # a sender's bug must not stop the others
            logger.warning(
                "sender %s raised on %s; will retry",
                sender.name,
                job.notification.key,
                exc_info=True,
            )
            return DeliveryEvent(
                DeliveryEventKind.TEMPORARY_FAILURE,
                datetime.now(UTC),
                code="sender-error",
                reason=f"{sender.name} raised {type(error).__name__}",
            )

    def close(self) -> None:
        """Wait for sends in flight, then stop the threads."""
        self._pool.shutdown(wait=True)

    def __enter__(self) -> Dispatcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
