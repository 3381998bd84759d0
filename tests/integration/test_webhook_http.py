"""Generic JSON webhooks, signed, against a local HTTP server."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest

from oncall_adapters.webhook import (
    NOTIFICATION_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    HttpWebhookSender,
    InvalidWebhookSetting,
    InvalidWebhookSignature,
    sign,
    verify_webhook_signature,
)
from oncall_core import (
    Channel,
    DeliveryEventKind,
    Incident,
    Message,
    NotificationStatus,
    Templates,
)
from tests.integration.delivery_support import AT, FixedClock, deliver, pending
from tests.integration.fake_http import (
    FakeHttpServer,
    Recorded,
    Reply,
    free_port,
    loopback_only,
)

SECRET = "whsec-0123456789-do-not-log"
OLD_SECRET = "whsec-old-before-rotation"
INCIDENT = Incident("inc-42", "Database down", AT, service="db")
HOOK = Templates().render(INCIDENT, Channel.WEBHOOK, step=0, pass_=0)


@pytest.fixture(autouse=True)
def _loopback_only() -> Iterator[None]:
    with loopback_only():
        yield


@pytest.fixture
def server() -> Iterator[FakeHttpServer]:
    with FakeHttpServer() as fake:
        yield fake


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def webhook(clock: FixedClock) -> HttpWebhookSender:
    return HttpWebhookSender(SECRET, timeout=0.5, clock=clock)


def verify(request: Recorded, secrets: str | list[str] = SECRET) -> None:
    verify_webhook_signature(
        request.body,
        request.headers.get(TIMESTAMP_HEADER),
        request.headers.get(SIGNATURE_HEADER),
        secrets,
        now=AT,
    )


class TestSending:
    """The body is the payload, signed over timestamp and body."""

    def test_the_payload_goes_as_json_with_a_valid_signature(
        self, server: FakeHttpServer, webhook: HttpWebhookSender
    ) -> None:
        """The receiver's check passes; the notification key rides along."""
        event = webhook.send(pending(Channel.WEBHOOK), HOOK, server.url())

        assert event.kind is DeliveryEventKind.SENT
        [request] = server.requests
        assert json.loads(request.body) == HOOK.payload
        assert request.headers["Content-Type"].startswith("application/json")
        assert request.headers[TIMESTAMP_HEADER] == str(int(AT.timestamp()))
        assert request.headers[NOTIFICATION_HEADER] == "inc-42/0/0/ana/webhook"
        verify(request)

    def test_a_message_without_payload_sends_its_text(
        self, server: FakeHttpServer, webhook: HttpWebhookSender
    ) -> None:
        """``{"text": ...}`` for a host's own template."""
        webhook.send(
            pending(Channel.WEBHOOK), Message(Channel.WEBHOOK, None, "hi"), server.url()
        )

        assert json.loads(server.requests[0].body) == {"text": "hi"}

    def test_while_rotating_both_secrets_sign(
        self, server: FakeHttpServer, clock: FixedClock
    ) -> None:
        """A receiver with the old secret or the new one accepts it."""
        sender = HttpWebhookSender([SECRET, OLD_SECRET], clock=clock)

        sender.send(pending(Channel.WEBHOOK), HOOK, server.url())

        [request] = server.requests
        assert request.headers[SIGNATURE_HEADER].count("v1=") == 2
        verify(request, SECRET)
        verify(request, OLD_SECRET)

    @pytest.mark.parametrize("address", ["ftp://example.com/x", "example.com", ""])
    def test_an_address_that_is_no_http_url_fails_without_a_request(
        self, server: FakeHttpServer, webhook: HttpWebhookSender, address: str
    ) -> None:
        """A permanent failure: nothing to post to."""
        event = webhook.send(pending(Channel.WEBHOOK), HOOK, address)

        assert (event.kind, event.code) == (DeliveryEventKind.FAILED, "invalid-url")
        assert server.requests == []

    @pytest.mark.parametrize("secrets", ["", [], [SECRET, ""]])
    def test_an_empty_secret_is_refused(self, secrets: str | list[str]) -> None:
        """An unsigned webhook would be worse than none."""
        with pytest.raises(InvalidWebhookSetting):
            HttpWebhookSender(secrets)


class TestVerifying:
    """verify_webhook_signature refuses what a receiver must refuse."""

    BODY = b'{"event":"incident.notification"}'
    STAMP = int(AT.timestamp())

    def check(self, body: bytes, timestamp: str | None, signature: str | None) -> None:
        verify_webhook_signature(body, timestamp, signature, SECRET, now=AT)

    def test_a_good_signature_passes_within_the_tolerance(self) -> None:
        """Four minutes late is still fine with the default five."""
        signature = sign(SECRET, self.STAMP - 240, self.BODY)

        self.check(self.BODY, str(self.STAMP - 240), signature)

    @pytest.mark.parametrize(
        ("body", "timestamp", "signature"),
        [
            (b'{"event":"incident.resolved"}', STAMP, sign(SECRET, STAMP, BODY)),
            (BODY, STAMP, sign("another secret", STAMP, BODY)),
            (BODY, STAMP + 1, sign(SECRET, STAMP, BODY)),
            (BODY, STAMP - 600, sign(SECRET, STAMP - 600, BODY)),
            (BODY, STAMP + 600, sign(SECRET, STAMP + 600, BODY)),
            (BODY, STAMP, "sha256=" + "0" * 64),
            (BODY, STAMP, "v1=é"),
            (BODY, "yesterday", sign(SECRET, STAMP, BODY)),
            (BODY, "9" * 30, sign(SECRET, STAMP, BODY)),
            (BODY, None, sign(SECRET, STAMP, BODY)),
            (BODY, STAMP, None),
        ],
        ids=[
            "altered body",
            "wrong secret",
            "altered timestamp",
            "stale",
            "from the future",
            "other scheme",
            "not hex",
            "timestamp not a number",
            "timestamp absurd",
            "no timestamp",
            "no signature",
        ],
    )
    def test_a_bad_webhook_is_refused(
        self, body: bytes, timestamp: int | str | None, signature: str | None
    ) -> None:
        """Forged, altered, replayed late, or malformed."""
        stamp = None if timestamp is None else str(timestamp)

        with pytest.raises(InvalidWebhookSignature):
            self.check(body, stamp, signature)


@dataclass(frozen=True)
class Fault:
    """One way a receiver fails, and what the notification must show."""

    replies: tuple[Reply, ...]
    first: DeliveryEventKind
    wait: timedelta | None
    final: NotificationStatus
    requests: int


FAULTS = {
    "500": Fault(
        (Reply(500, b"oops"),),
        DeliveryEventKind.TEMPORARY_FAILURE,
        timedelta(seconds=30),
        NotificationStatus.SENT,
        2,
    ),
    "503 with Retry-After": Fault(
        (Reply(503, b"", {"Retry-After": "120"}),),
        DeliveryEventKind.TEMPORARY_FAILURE,
        timedelta(seconds=120),
        NotificationStatus.SENT,
        2,
    ),
    "429 with Retry-After": Fault(
        (Reply(429, b"slow down", {"Retry-After": "45"}),),
        DeliveryEventKind.TEMPORARY_FAILURE,
        timedelta(seconds=45),
        NotificationStatus.SENT,
        2,
    ),
    "400": Fault(
        (Reply(400, b"bad"),),
        DeliveryEventKind.FAILED,
        None,
        NotificationStatus.FAILED,
        1,
    ),
    "410 gone": Fault(
        (Reply(410, b"gone"),),
        DeliveryEventKind.FAILED,
        None,
        NotificationStatus.FAILED,
        1,
    ),
    "redirect (not followed)": Fault(
        (Reply(307, b"", {"Location": "http://127.0.0.1:1/elsewhere"}),),
        DeliveryEventKind.FAILED,
        None,
        NotificationStatus.FAILED,
        1,
    ),
    "timeout after the request": Fault(
        (Reply(delay=1.0),),
        DeliveryEventKind.SENT,
        None,
        NotificationStatus.SENT,
        1,
    ),
    "connection dropped after the request": Fault(
        (Reply(drop=True),),
        DeliveryEventKind.SENT,
        None,
        NotificationStatus.SENT,
        1,
    ),
}


class TestFaults:
    """Each failure: the recorded status, whether and when it is retried, no double."""

    @pytest.mark.parametrize("fault", FAULTS.values(), ids=FAULTS.keys())
    def test_each_failure_is_recorded_retried_when_safe_and_never_doubled(
        self,
        server: FakeHttpServer,
        webhook: HttpWebhookSender,
        clock: FixedClock,
        fault: Fault,
    ) -> None:
        """5xx and 429 retry (same notification key), 4xx fail, lost answers stop."""
        server.reply(*fault.replies)

        delivery = deliver(webhook, pending(Channel.WEBHOOK), HOOK, server.url(), clock)

        first = delivery.first
        assert first.event.kind is fault.first
        if fault.wait is None:
            assert first.after.not_before is None
        else:
            assert first.after.not_before == AT + fault.wait
        assert delivery.final.status is fault.final
        assert len(server.requests) == fault.requests
        keys = {r.headers[NOTIFICATION_HEADER] for r in server.requests}
        assert keys == {"inc-42/0/0/ana/webhook"}
        if fault.first is DeliveryEventKind.SENT:
            assert first.event.reason is not None
            assert first.event.reason.startswith("outcome unknown")

    def test_a_refused_connection_is_temporary(
        self, webhook: HttpWebhookSender, clock: FixedClock
    ) -> None:
        """Nothing listens: nothing was sent; due again in 30 s."""
        url = f"http://127.0.0.1:{free_port()}/hook"

        delivery = deliver(webhook, pending(Channel.WEBHOOK), HOOK, url, clock)

        assert delivery.first.event.kind is DeliveryEventKind.TEMPORARY_FAILURE
        assert delivery.first.event.code == "connection-failed"
        assert delivery.first.after.not_before == AT + timedelta(seconds=30)


def test_the_secret_and_the_urls_path_never_show(
    server: FakeHttpServer, webhook: HttpWebhookSender, caplog: pytest.LogCaptureFixture
) -> None:
    """Logged at DEBUG across failures: no secret, no path or query of the URL."""
    caplog.set_level(logging.DEBUG)
    url = server.url("/hooks/T0KEN-IN-PATH?key=query-secret")
    server.reply(Reply(500), Reply(400), Reply(drop=True))
    events = [webhook.send(pending(Channel.WEBHOOK), HOOK, url) for _ in range(4)]

    texts = [caplog.text, repr(webhook), *(f"{e.code} {e.reason}" for e in events)]
    for text in texts:
        for secret in (SECRET, "T0KEN-IN-PATH", "query-secret"):
            assert secret not in text
    assert "127.0.0.1" in caplog.text
