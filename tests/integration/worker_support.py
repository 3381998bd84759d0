"""What the worker tests share: a world of users, a recording sender, clocks.

Kept importable (not a conftest) so that worker processes started with
``multiprocessing`` (spawn) can run :func:`worker_main`.
"""

from __future__ import annotations

import json
import os
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from oncall_core import (
    Channel,
    Contact,
    DeliveryEvent,
    DeliveryEventKind,
    EscalationPolicy,
    EscalationStep,
    InMemoryDirectory,
    Message,
    Notification,
    Preferences,
    Team,
    TeamTarget,
    User,
    UserTarget,
)

T0 = datetime(2024, 6, 3, 9, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
BATCH = 25  # what a worker process claims at a time
PEOPLE = tuple(f"u{k}" for k in range(10))


def world() -> InMemoryDirectory:
    """Ten people reachable by email only, and a team led by u0."""
    users = [
        User(
            name,
            contact=Contact(email=f"{name}@example.com"),
            preferences=Preferences(enabled={Channel.EMAIL}),
        )
        for name in PEOPLE
    ]
    return InMemoryDirectory(users, [Team("ops", PEOPLE, lead="u0")])


def policy_for(number: int) -> EscalationPolicy:
    """Three steps, one person each: one email per step per incident."""
    return EscalationPolicy(
        "three steps",
        [
            EscalationStep([UserTarget(PEOPLE[number % 10])]),
            EscalationStep([UserTarget(PEOPLE[(number + 1) % 10])], delay=MINUTE),
            EscalationStep([TeamTarget("ops", lead_only=True)], delay=MINUTE),
        ],
    )


def expected_keys(number: int, incident: str) -> set[str]:
    people = [PEOPLE[number % 10], PEOPLE[(number + 1) % 10], "u0"]
    return {f"{incident}/{step}/0/{who}/email" for step, who in enumerate(people)}


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = T0) -> None:
        self.at = now
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self.at

    def advance(self, by: timedelta) -> None:
        with self._lock:
            self.at += by


class ScaledClock:
    """Virtual time that runs *speed* times faster than the wall clock.

    Processes built with the same *origin* (a wall-clock ``time.time()``)
    agree on the virtual time, so several workers share one fast clock.
    """

    def __init__(self, origin: float, speed: float, start: datetime = T0) -> None:
        self.origin = origin
        self.speed = speed
        self.start = start

    def now(self) -> datetime:
        return self.start + timedelta(seconds=(time.time() - self.origin) * self.speed)


class RecordingSender:
    """An email sender that succeeds and writes each send to a log file.

    Appends are single ``write`` calls on an ``O_APPEND`` file, so lines from
    several processes never interleave.
    """

    name = "recording-email"
    channels = frozenset({Channel.EMAIL})

    def __init__(self, log: Path | None = None, *, delay: float = 0.0) -> None:
        self.log = log
        self.delay = delay
        self.sent: list[str] = []
        self._lock = threading.Lock()

    def send(
        self, notification: Notification, message: Message, address: str
    ) -> DeliveryEvent:
        if self.delay:
            time.sleep(self.delay)
        key = str(notification.key)
        with self._lock:
            self.sent.append(key)
        if self.log is not None:
            line = json.dumps({"key": key, "pid": os.getpid()}) + "\n"
            descriptor = os.open(self.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
            try:
                os.write(descriptor, line.encode())
            finally:
                os.close(descriptor)
        return DeliveryEvent(
            DeliveryEventKind.SENT, datetime.now(UTC), provider_id=f"msg-{key}"
        )


def worker_main(
    url: str, origin: float, speed: float, log: str, seconds: float
) -> None:
    """A worker process: run against *url* for at most *seconds*."""
    from oncall_adapters.dispatch import Dispatcher
    from oncall_adapters.sql.engine import create_engine
    from oncall_adapters.sql.store import SqlEscalationStore
    from oncall_adapters.sql.worker import run_worker

    engine = create_engine(url)
    stop = threading.Event()
    timer = threading.Timer(seconds, stop.set)
    timer.start()
    with Dispatcher([RecordingSender(Path(log))], max_in_flight=4) as dispatcher:
        run_worker(
            SqlEscalationStore(engine),
            world(),
            dispatcher,
            clock=ScaledClock(origin, speed),
            batch=BATCH,
            lease=timedelta(seconds=2) * speed,
            poll_interval=0.05,
            stop=stop,
        )
    timer.cancel()
    engine.dispose()
