"""Generic JSON webhooks, signed with HMAC-SHA256 over a timestamp and the body.

Senders use :class:`HttpWebhookSender`; receivers check what they get with
:func:`verify_webhook_signature`::

    verify_webhook_signature(
        body,
        headers["X-Oncall-Timestamp"],
        headers["X-Oncall-Signature"],
        secret,
    )

Only the standard library is needed.
"""

from oncall_adapters.webhook._sender import HttpWebhookSender, InvalidWebhookSetting
from oncall_adapters.webhook._signing import (
    NOTIFICATION_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    InvalidWebhookSignature,
    sign,
    verify_webhook_signature,
)

__all__ = [
    "NOTIFICATION_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "HttpWebhookSender",
    "InvalidWebhookSetting",
    "InvalidWebhookSignature",
    "sign",
    "verify_webhook_signature",
]
