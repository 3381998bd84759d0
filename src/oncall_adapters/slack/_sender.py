"""Slack incoming webhooks: blocks, with a fallback text, mentioning the user."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

from oncall_adapters.webhook._http import HttpPoster
from oncall_core import (
    Channel,
    Clock,
    DeliveryEvent,
    DeliveryEventKind,
    Message,
    Notification,
)
from oncall_core.errors import OncallError

__all__ = ["InvalidSlackSetting", "SlackWebhookSender", "slack_payload"]

logger = logging.getLogger("oncall_adapters.slack")

_MEMBER_ID = re.compile(r"[UW][A-Z0-9]{2,}")
_SECTION_LIMIT = 3000


class InvalidSlackSetting(OncallError, ValueError):
    """A Slack setting (the webhook URL, the timeout) is malformed."""


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(
    notification: Notification, message: Message, member: str
) -> dict[str, object]:
    """Return the webhook body: blocks that mention *member*, and a fallback text.

    *message* is the core's Slack rendering, already escaped for Slack's
    markup; the fallback ``text`` is what notifications and old clients show.
    """
    mention = f"<@{member}>"
    text = f"{mention} {message.text}"
    if len(text) > _SECTION_LIMIT:
        text = text[: _SECTION_LIMIT - 1] + "…"
    key = notification.key
    context = (
        f"Incident {_escape(key.incident)} · step {key.step + 1} · pass {key.pass_ + 1}"
    )
    return {
        "text": f"{mention} {message.text}",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": text}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": context}]},
        ],
    }


class SlackWebhookSender:
    """Posts notifications to a Slack channel through an incoming webhook.

    An incoming webhook posts to the one channel it was made for; the
    address is the user's Slack member id (``U…`` or ``W…``), mentioned so
    that Slack notifies them. The webhook URL is a secret: it is in no
    ``repr`` or log line.

    Slack answers 200 ``ok``; 429 (with ``Retry-After``) and 5xx are
    temporary; 400 (``invalid_payload``), 403, 404 (``no_service``) and 410
    (``channel_is_archived``) are permanent. A timeout after the request
    was written leaves the outcome unknown: ``SENT``, not retried.

    Args:
        webhook_url: the incoming webhook's URL.
        timeout: seconds for the connection, and then for the answer.
        clock: where the instants of events come from (default: UTC now).
        name: the sender's name, for logs and rate limits.

    Raises:
        InvalidSlackSetting: the URL is not http(s), or a bad timeout.
    """

    channels: frozenset[Channel] = frozenset({Channel.SLACK})

    def __init__(
        self,
        webhook_url: str,
        *,
        timeout: float = 10.0,
        clock: Clock | None = None,
        name: str = "slack",
    ) -> None:
        parts = urlsplit(webhook_url) if isinstance(webhook_url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
            msg = "webhook_url must be the http(s) URL of a Slack incoming webhook"
            raise InvalidSlackSetting(msg)
        try:
            self._poster = HttpPoster(name, timeout, "oncall-slack/1", logger)
        except ValueError as error:
            raise InvalidSlackSetting(str(error)) from None
        self.name = name
        self.timeout = timeout
        self._url = webhook_url
        self._clock = clock

    def __repr__(self) -> str:
        return f"SlackWebhookSender(name={self.name!r}, webhook_url=<hidden>)"

    __str__ = __repr__

    def _now(self) -> datetime:
        return datetime.now(UTC) if self._clock is None else self._clock.now()

    def send(
        self, notification: Notification, message: Message, address: str
    ) -> DeliveryEvent:
        """Make one attempt to post *message*, mentioning the member *address*."""
        if not isinstance(address, str) or not _MEMBER_ID.fullmatch(address):
            reason = "the Slack address must be a member id such as U012AB3CD"
            logger.warning("%s cannot send %s: %s", self.name, notification.key, reason)
            return DeliveryEvent(
                DeliveryEventKind.FAILED,
                self._now(),
                code="invalid-address",
                reason=reason,
            )
        body = json.dumps(
            slack_payload(notification, message, address), ensure_ascii=False
        ).encode()
        answer = self._poster.post(self._url, body, {})
        return self._poster.event(notification, answer, "Slack", self._now())
