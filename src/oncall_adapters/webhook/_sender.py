"""Generic JSON webhooks, signed with HMAC-SHA256."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import urlsplit

from oncall_adapters.webhook._http import HttpPoster, shown_url
from oncall_adapters.webhook._signing import (
    NOTIFICATION_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    secrets_of,
    sign,
)
from oncall_core import (
    Channel,
    Clock,
    DeliveryEvent,
    DeliveryEventKind,
    Message,
    Notification,
)
from oncall_core.errors import OncallError

__all__ = ["HttpWebhookSender", "InvalidWebhookSetting"]

logger = logging.getLogger("oncall_adapters.webhook")


class InvalidWebhookSetting(OncallError, ValueError):
    """A webhook setting (a secret, a timeout, a URL) is malformed."""


class HttpWebhookSender:
    """POSTs each notification as JSON to the address, a URL, signed.

    The body is the message's ``payload`` (the core's webhook template
    gives the incident, the user, the step and the pass), or
    ``{"text": ...}`` when it has none. Headers: ``X-Oncall-Timestamp``,
    ``X-Oncall-Signature`` (``v1=`` HMAC-SHA256 of ``timestamp.body``, see
    :func:`verify_webhook_signature`) and ``X-Oncall-Notification``, the
    notification's key, the same on every retry.

    A 2xx answer is ``SENT``; 408, 429 (with ``Retry-After``) and 5xx are
    temporary: the receiver says it did not take the notification in, and
    the retry carries the same ``X-Oncall-Notification``. Other statuses
    are permanent. A timeout or a dropped connection after the request was
    written leaves the outcome unknown: ``SENT``, not retried.

    Args:
        secrets: the signing secret, or several while rotating (each
            signature is sent).
        timeout: seconds for the connection, and then for the answer.
        clock: where timestamps come from (default: UTC now).
        name: the sender's name, for logs and rate limits.
        channels: the channels it serves (default: WEBHOOK).

    Raises:
        InvalidWebhookSetting: no secret, an empty one, or a bad timeout.
    """

    def __init__(
        self,
        secrets: str | bytes | Iterable[str | bytes],
        *,
        timeout: float = 10.0,
        clock: Clock | None = None,
        name: str = "webhook",
        channels: Iterable[Channel] = (Channel.WEBHOOK,),
    ) -> None:
        try:
            self._secrets = secrets_of(secrets)
            self._poster = HttpPoster(name, timeout, "oncall-webhook/1", logger)
        except ValueError as error:
            raise InvalidWebhookSetting(str(error)) from None
        self.name = name
        self.timeout = timeout
        self.channels = frozenset(channels)
        self._clock = clock

    def __repr__(self) -> str:
        return (
            f"HttpWebhookSender(name={self.name!r}, timeout={self.timeout!r}, "
            f"secrets=<{len(self._secrets)} hidden>)"
        )

    __str__ = __repr__

    def _now(self) -> datetime:
        return datetime.now(UTC) if self._clock is None else self._clock.now()

    def send(
        self, notification: Notification, message: Message, address: str
    ) -> DeliveryEvent:
        """Make one attempt to POST *message* to the URL *address*."""
        at = self._now()
        parts = urlsplit(address) if isinstance(address, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
            reason = "the webhook address must be an http(s) URL"
            logger.warning("%s cannot send %s: %s", self.name, notification.key, reason)
            return DeliveryEvent(
                DeliveryEventKind.FAILED, at, code="invalid-url", reason=reason
            )
        payload = (
            dict(message.payload)
            if message.payload is not None
            else {"text": message.text}
        )
        body = json.dumps(
            payload, ensure_ascii=False, separators=(",", ":"), default=str
        ).encode()
        timestamp = int(at.timestamp())
        headers = {
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(self._secrets, timestamp, body),
            NOTIFICATION_HEADER: str(notification.key),
        }
        answer = self._poster.post(address, body, headers)
        return self._poster.event(notification, answer, shown_url(address), self._now())
