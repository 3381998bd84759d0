"""Delivery: many recipients through the Twilio adapter, one by one and at once.

The real Twilio SDK sends SMS to the fake Twilio server of the tests
(``tests/integration/fake_twilio.py``), on 127.0.0.1, which answers each
request after a fixed latency (50 ms by default), as a provider's API
does. The bench times the same number of recipients (200 by default)

- one after the other, each ``send`` waiting for its answer;
- through :class:`~oncall_adapters.dispatch.Dispatcher`, with at most
  ``--in-flight`` sends at once and the sender's rate limit.

The fake runs in a process of its own (``--in-process``: a thread of this
one), as a real provider's servers would not take this process's CPU.

It prints both times side by side with their ratio, checks that every
recipient got exactly one message, and that the server never had more
requests in flight than allowed. Target: the dispatcher takes at most an
eighth of the sequential time. Run from the repository root:
``.venv/bin/python bench/bench_delivery.py`` (``--quick``: 50 recipients).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.integration.delivery_support import AT
from tests.integration.fake_twilio import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    FROM_NUMBER,
    FakeTwilio,
    FakeTwilioProcess,
)

from oncall_adapters.dispatch import Dispatcher, SendJob
from oncall_adapters.twilio import TwilioAccount, TwilioSmsSender
from oncall_core import (
    Channel,
    DeliveryEventKind,
    Message,
    Notification,
    NotificationKey,
    NotificationStatus,
)

TEXT = Message(Channel.SMS, None, "HIGH #inc-42 Database down\nReply ACK inc-42")


def jobs(count: int, first: int) -> list[SendJob]:
    """One SMS notification to each of *count* recipients."""
    return [
        SendJob(
            Notification(
                NotificationKey("inc-42", 0, 0, f"user-{i}", Channel.SMS),
                NotificationStatus.PENDING,
                AT,
            ),
            TEXT,
            f"+4915112{i:06d}",
        )
        for i in range(first, first + count)
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds")
    parser.add_argument("--in-flight", type=int, default=32)
    parser.add_argument("--rate", type=float, default=400, help="sends per second")
    parser.add_argument("--quick", action="store_true", help="50 recipients")
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="run the fake server in this process (it then competes for the GIL)",
    )
    options = parser.parse_args(argv)
    count = 50 if options.quick else options.recipients

    fake: FakeTwilio | FakeTwilioProcess = (
        FakeTwilio(latency=options.latency)
        if options.in_process
        else FakeTwilioProcess(latency=options.latency)
    )
    with fake:
        account = TwilioAccount(
            ACCOUNT_SID,
            AUTH_TOKEN,
            base_url=fake.base_url,
            timeout=30,
            max_connections=options.in_flight,
        )
        sms = TwilioSmsSender(account, from_=FROM_NUMBER)
        warm_up = jobs(1, 900_000)[0]  # imports, the connection pool
        sms.send(warm_up.notification, warm_up.message, warm_up.address)

        one_by_one = jobs(count, 0)
        started = time.perf_counter()
        sequential_events = [
            sms.send(j.notification, j.message, j.address) for j in one_by_one
        ]
        sequential = time.perf_counter() - started

        at_once = jobs(count, 500_000)
        with Dispatcher(
            [sms], max_in_flight=options.in_flight, rates={sms.name: options.rate}
        ) as dispatcher:
            started = time.perf_counter()
            concurrent_events = dispatcher.dispatch(at_once)
            concurrent = time.perf_counter() - started

        stats = fake.stats()
        every = one_by_one + at_once
        once_each = all(stats["requests"].get(j.address) == 1 for j in every)
        all_sent = all(
            e.kind is DeliveryEventKind.SENT
            for e in sequential_events + concurrent_events
        )
        peak = stats["peak_in_flight"]

    ratio = concurrent / sequential
    print(
        f"{count} recipients, {options.latency * 1000:.0f} ms per request, "
        f"{options.in_flight} in flight, rate {options.rate:g}/s, fake server "
        f"{'in this process' if options.in_process else 'in its own process'}\n"
    )
    print(f"{'':24}{'sequential':>12}{'dispatcher':>12}{'ratio':>10}")
    print(
        f"{'time':24}{sequential:>11.2f}s{concurrent:>11.2f}s"
        f"{ratio:>10.3f}  (1/{1 / ratio:.1f})"
    )
    print(
        f"{'per recipient':24}{sequential / count * 1000:>10.1f}ms"
        f"{concurrent / count * 1000:>10.1f}ms"
    )
    print(f"\npeak in flight at the server: {peak} (allowed {options.in_flight})")
    print(f"every recipient got exactly one message: {once_each and all_sent}")
    verdict = "PASS" if ratio <= 1 / 8 else "FAIL"
    print(f"target: dispatcher <= 1/8 of sequential: {verdict}")
    return 0 if once_each and all_sent and peak <= options.in_flight else 1


if __name__ == "__main__":
    raise SystemExit(main())
