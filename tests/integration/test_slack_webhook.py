"""Slack incoming webhooks, against a local HTTP server that answers as Slack."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest

from oncall_adapters.slack import InvalidSlackSetting, SlackWebhookSender
from oncall_core import (
    Channel,
    DeliveryEventKind,
    Incident,
    NotificationStatus,
    Templates,
)
from tests.integration.delivery_support import AT, FixedClock, deliver, pending
from tests.integration.fake_http import FakeHttpServer, Reply, free_port, loopback_only

MEMBER = "U012AB3CD"
HOOK_PATH = "/services/T000/B000/XXXXsecretXXXX"
INCIDENT = Incident(
    "inc-<42>", "Database <down> & out", AT, link="https://status.example.com/x"
)
SLACK = Templates().render(INCIDENT, Channel.SLACK, step=0, pass_=0)


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
def slack(server: FakeHttpServer, clock: FixedClock) -> SlackWebhookSender:
    return SlackWebhookSender(server.url(HOOK_PATH), timeout=0.5, clock=clock)


class TestMessages:
    """Blocks that mention the user, and a fallback text."""

    def test_the_message_goes_as_blocks_with_a_fallback_text(
        self, server: FakeHttpServer, slack: SlackWebhookSender
    ) -> None:
        """A section with the mention and the text; a context line; ``text``."""
        event = slack.send(pending(Channel.SLACK, incident=INCIDENT.id), SLACK, MEMBER)

        assert event.kind is DeliveryEventKind.SENT
        [request] = server.requests
        assert request.path == HOOK_PATH
        body = json.loads(request.body)
        assert body["text"] == f"<@{MEMBER}> {SLACK.text}"
        section, context = body["blocks"]
        assert section["type"] == "section"
        assert section["text"] == {"type": "mrkdwn", "text": body["text"]}
        assert context["type"] == "context"
        assert (
            "Incident inc-&lt;42&gt; · step 1 · pass 1"
            in context["elements"][0]["text"]
        )

    def test_the_incident_is_escaped_for_slack(
        self, server: FakeHttpServer, slack: SlackWebhookSender
    ) -> None:
        """Slack reads ``<``, ``>`` and ``&`` as markup: the core escaped them."""
        slack.send(pending(Channel.SLACK), SLACK, MEMBER)

        text = json.loads(server.requests[0].body)["text"]
        assert "Database &lt;down&gt; &amp; out" in text
        assert "<https://status.example.com/x|Open the incident>" in text

    def test_a_long_message_is_cut_to_slacks_section_limit(
        self, server: FakeHttpServer, slack: SlackWebhookSender
    ) -> None:
        """Sections hold 3,000 characters; the fallback text keeps everything."""
        long = SLACK.__class__(Channel.SLACK, None, "x" * 5000)

        slack.send(pending(Channel.SLACK), long, MEMBER)

        body = json.loads(server.requests[0].body)
        assert len(body["blocks"][0]["text"]["text"]) == 3000
        assert len(body["text"]) > 5000

    @pytest.mark.parametrize("address", ["@ana", "C012AB3CD", "u012ab3cd", ""])
    def test_an_address_that_is_no_member_id_fails_without_a_request(
        self, server: FakeHttpServer, slack: SlackWebhookSender, address: str
    ) -> None:
        """Only members can be mentioned so that Slack notifies them."""
        event = slack.send(pending(Channel.SLACK), SLACK, address)

        assert (event.kind, event.code) == (DeliveryEventKind.FAILED, "invalid-address")
        assert server.requests == []

    def test_a_webhook_url_that_is_no_http_url_is_refused(self) -> None:
        """Caught when the host builds the sender, not at the first page."""
        with pytest.raises(InvalidSlackSetting):
            SlackWebhookSender("hooks.slack.com/services/x")


@dataclass(frozen=True)
class Fault:
    """One way Slack fails, and what the notification must show."""

    reply: Reply
    first: DeliveryEventKind
    wait: timedelta | None
    final: NotificationStatus
    requests: int


FAULTS = {
    "429 rate limited": Fault(
        Reply(429, b"rate_limited", {"Retry-After": "30"}),
        DeliveryEventKind.TEMPORARY_FAILURE,
        timedelta(seconds=30),
        NotificationStatus.SENT,
        2,
    ),
    "500": Fault(
        Reply(500, b"internal_error"),
        DeliveryEventKind.TEMPORARY_FAILURE,
        timedelta(seconds=30),
        NotificationStatus.SENT,
        2,
    ),
    "400 invalid_payload": Fault(
        Reply(400, b"invalid_payload"),
        DeliveryEventKind.FAILED,
        None,
        NotificationStatus.FAILED,
        1,
    ),
    "403 action_prohibited": Fault(
        Reply(403, b"action_prohibited"),
        DeliveryEventKind.FAILED,
        None,
        NotificationStatus.FAILED,
        1,
    ),
    "404 no_service": Fault(
        Reply(404, b"no_service"),
        DeliveryEventKind.FAILED,
        None,
        NotificationStatus.FAILED,
        1,
    ),
    "410 channel_is_archived": Fault(
        Reply(410, b"channel_is_archived"),
        DeliveryEventKind.FAILED,
        None,
        NotificationStatus.FAILED,
        1,
    ),
    "timeout after the request": Fault(
        Reply(delay=1.0),
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
        slack: SlackWebhookSender,
        clock: FixedClock,
        fault: Fault,
    ) -> None:
        """429 and 5xx retry, other 4xx fail with Slack's reason, timeouts stop."""
        server.reply(fault.reply)

        delivery = deliver(slack, pending(Channel.SLACK), SLACK, MEMBER, clock)

        first = delivery.first
        assert first.event.kind is fault.first
        if fault.wait is None:
            assert first.after.not_before is None
        else:
            assert first.after.not_before == AT + fault.wait
        assert delivery.final.status is fault.final
        assert len(server.requests) == fault.requests
        if fault.first is DeliveryEventKind.FAILED:
            assert first.event.reason is not None
            assert fault.reply.body.decode() in first.event.reason

    def test_a_refused_connection_is_temporary(self, clock: FixedClock) -> None:
        """Nothing listens: nothing was posted; due again in 30 s."""
        sender = SlackWebhookSender(
            f"http://127.0.0.1:{free_port()}{HOOK_PATH}", clock=clock
        )

        delivery = deliver(sender, pending(Channel.SLACK), SLACK, MEMBER, clock)

        assert delivery.first.event.kind is DeliveryEventKind.TEMPORARY_FAILURE
        assert delivery.first.after.not_before == AT + timedelta(seconds=30)


def test_the_webhook_url_is_a_secret_kept_out_of_logs_and_reprs(
    server: FakeHttpServer, slack: SlackWebhookSender, caplog: pytest.LogCaptureFixture
) -> None:
    """Anyone with the URL can post to the channel."""
    caplog.set_level(logging.DEBUG)
    server.reply(Reply(500), Reply(404, b"no_service"), Reply(drop=True))
    events = [slack.send(pending(Channel.SLACK), SLACK, MEMBER) for _ in range(4)]

    for text in (caplog.text, repr(slack), str(slack), *(str(e) for e in events)):
        assert "XXXXsecretXXXX" not in text
