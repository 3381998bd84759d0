"""Many recipients at once: bounded concurrency and per-sender rate limits.

The Twilio adapter talks to the fake Twilio server, which takes 50 ms to
answer each request, as a provider's API does. Latency dominates, so the
dispatcher's concurrency shows directly in the time taken. The server runs
in a process of its own, as a real one would not take this process's CPU;
each test sends to numbers of its own.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from oncall_adapters.dispatch import Dispatcher, SendJob
from oncall_adapters.twilio import TwilioAccount, TwilioSmsSender
from oncall_core import Channel, DeliveryEventKind, Message
from tests.integration.delivery_support import pending
from tests.integration.fake_http import loopback_only
from tests.integration.fake_twilio import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    FROM_NUMBER,
    FakeTwilioProcess,
)

LATENCY = 0.05
IN_FLIGHT = 32
TEXT = Message(Channel.SMS, None, "HIGH #inc-42 Database down")


@pytest.fixture(autouse=True)
def _loopback_only() -> Iterator[None]:
    with loopback_only():
        yield


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeTwilioProcess]:
    with FakeTwilioProcess(latency=LATENCY) as server:
        yield server


@pytest.fixture
def sms(fake: FakeTwilioProcess) -> TwilioSmsSender:
    account = TwilioAccount(
        ACCOUNT_SID,
        AUTH_TOKEN,
        base_url=fake.base_url,
        timeout=10,
        max_connections=IN_FLIGHT,
    )
    return TwilioSmsSender(account, from_=FROM_NUMBER)


def jobs(count: int, first: int = 0) -> list[SendJob]:
    """One SMS to each of *count* recipients, each with a number of their own."""
    return [
        SendJob(
            pending(Channel.SMS, user=f"user-{i}"),
            TEXT,
            f"+4915112{i:06d}",
        )
        for i in range(first, first + count)
    ]


def test_two_hundred_recipients_take_at_most_an_eighth_of_the_sequential_time(
    fake: FakeTwilioProcess, sms: TwilioSmsSender
) -> None:
    """200 sends, 32 in flight, 400/s: at most 1/8 of one-after-the-other.

    The sequential time is measured on 30 sends (about 1.5 s) and scaled to
    200, to keep the test short; ``bench/bench_delivery.py`` measures both
    in full.
    """
    sample = jobs(30, first=100_000)
    started = time.perf_counter()
    for job in sample:
        sms.send(job.notification, job.message, job.address)
    sequential = (time.perf_counter() - started) / len(sample) * 200

    batch = jobs(200)
    with Dispatcher([sms], max_in_flight=IN_FLIGHT, rates={sms.name: 400}) as d:
        started = time.perf_counter()
        events = d.dispatch(batch)
        concurrent = time.perf_counter() - started

    stats = fake.stats()
    assert [e.kind for e in events] == [DeliveryEventKind.SENT] * 200
    assert all(stats["requests"][job.address] == 1 for job in batch)
    assert stats["peak_in_flight"] <= IN_FLIGHT
    assert sequential >= 200 * LATENCY
    assert concurrent <= sequential / 8, (concurrent, sequential)


def test_the_rate_limit_holds_whatever_the_concurrency(
    fake: FakeTwilioProcess, sms: TwilioSmsSender
) -> None:
    """At 20/s, 40 sends take about 2 s, and no second sees more than 21."""
    batch = jobs(40, first=200_000)
    before = len(fake.stats()["starts"])
    with Dispatcher([sms], max_in_flight=IN_FLIGHT, rates={sms.name: 20}) as d:
        started = time.perf_counter()
        events = d.dispatch(batch)
        took = time.perf_counter() - started

    assert all(e.kind is DeliveryEventKind.SENT for e in events)
    assert took >= 1.9
    starts = sorted(fake.stats()["starts"][before:])
    assert len(starts) == 40
    busiest = max(sum(1 for t in starts if s <= t < s + 1.0) for s in starts)
    assert busiest <= 21


def test_a_burst_lets_the_first_sends_go_at_once(
    fake: FakeTwilioProcess, sms: TwilioSmsSender
) -> None:
    """With a burst of 20 at 20/s, 40 sends take about one second, not two."""
    batch = jobs(40, first=300_000)
    with Dispatcher(
        [sms], max_in_flight=IN_FLIGHT, rates={sms.name: 20}, bursts={sms.name: 20}
    ) as d:
        started = time.perf_counter()
        d.dispatch(batch)
        took = time.perf_counter() - started

    assert 0.9 <= took < 1.6


def test_a_burst_without_a_rate_is_refused(sms: TwilioSmsSender) -> None:
    """A burst only means something with a rate."""
    with pytest.raises(ValueError, match="without a rate"):
        Dispatcher([sms], bursts={sms.name: 5})
