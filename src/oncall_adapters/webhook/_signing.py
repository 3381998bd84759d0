"""Webhook signatures: HMAC-SHA256 over a timestamp and the body.

The signed text is the timestamp (whole seconds since the epoch, in
``X-Oncall-Timestamp``), a dot, then the raw body. ``X-Oncall-Signature``
holds ``v1=`` and the hex digest, once per secret while secrets are rotated
(``v1=<hex>, v1=<hex>``).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from oncall_core.errors import OncallError

__all__ = [
    "NOTIFICATION_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "InvalidWebhookSignature",
    "sign",
    "verify_webhook_signature",
]

TIMESTAMP_HEADER = "X-Oncall-Timestamp"
SIGNATURE_HEADER = "X-Oncall-Signature"
NOTIFICATION_HEADER = "X-Oncall-Notification"
"""The notification's key: the same on every retry, for receivers to deduplicate."""

_SCHEME = "v1="


class InvalidWebhookSignature(OncallError):
    """A webhook's signature is missing, malformed, stale or does not match."""


def _secret_bytes(secret: str | bytes) -> bytes:
    if isinstance(secret, str):
        secret = secret.encode()
    if not isinstance(secret, bytes) or not secret:
        msg = "a webhook secret must be a non-empty str or bytes"
        raise ValueError(msg)
    return secret


def secrets_of(secrets: str | bytes | Iterable[str | bytes]) -> tuple[bytes, ...]:
    """Return one secret or several as a tuple of bytes.

    Raises:
        ValueError: none given, or an empty one.
    """
    if isinstance(secrets, str | bytes):
        return (_secret_bytes(secrets),)
    result = tuple(_secret_bytes(s) for s in secrets)
    if not result:
        msg = "give at least one webhook secret"
        raise ValueError(msg)
    return result


def _digest(secret: bytes, timestamp: str, body: bytes) -> str:
    return hmac.new(
        secret, timestamp.encode() + b"." + body, hashlib.sha256
    ).hexdigest()


def sign(
    secrets: str | bytes | Iterable[str | bytes], timestamp: int, body: bytes
) -> str:
    """Return the ``X-Oncall-Signature`` value for *body* sent at *timestamp*."""
    stamp = str(int(timestamp))
    return ", ".join(_SCHEME + _digest(s, stamp, body) for s in secrets_of(secrets))


def verify_webhook_signature(
    body: bytes,
    timestamp: str | None,
    signature: str | None,
    secrets: str | bytes | Iterable[str | bytes],
    *,
    tolerance: timedelta = timedelta(minutes=5),
    now: datetime | None = None,
) -> None:
    """Check a received webhook: signed with one of *secrets*, and recent.

    Pass the raw body as received (before any JSON parsing), and the values
    of the ``X-Oncall-Timestamp`` and ``X-Oncall-Signature`` headers. A
    timestamp further than *tolerance* from *now* (in either direction) is
    refused, so that a captured request cannot be replayed later; within
    the window, deduplicate by ``X-Oncall-Notification``.

    Raises:
        InvalidWebhookSignature: a header is missing or malformed, the
            timestamp is outside the tolerance, or no signature matches.
        ValueError: no secret given.
    """
    keys = secrets_of(secrets)
    if not timestamp or not signature:
        msg = f"the webhook lacks {TIMESTAMP_HEADER} or {SIGNATURE_HEADER}"
        raise InvalidWebhookSignature(msg)
    if not timestamp.strip().isdigit():
        msg = f"{TIMESTAMP_HEADER} must be whole seconds since the epoch"
        raise InvalidWebhookSignature(msg)
    stamp = timestamp.strip()
    try:
        sent = datetime.fromtimestamp(int(stamp), UTC)
    except (OverflowError, OSError, ValueError):
        msg = f"{TIMESTAMP_HEADER} is not a plausible time"
        raise InvalidWebhookSignature(msg) from None
    skew = abs((now or datetime.now(UTC)) - sent)
    if skew > tolerance:
        msg = (
            f"the webhook's timestamp is {int(skew.total_seconds())} s away from "
            f"now, more than the {int(tolerance.total_seconds())} s tolerated"
        )
        raise InvalidWebhookSignature(msg)

    given = [
        part.strip()[len(_SCHEME) :]
        for part in signature.split(",")
        if part.strip().startswith(_SCHEME)
    ]
    if not given:
        msg = f"{SIGNATURE_HEADER} holds no {_SCHEME}<hex> signature"
        raise InvalidWebhookSignature(msg)
    for key in keys:
        expected = _digest(key, stamp, body).encode()
        if any(hmac.compare_digest(expected, g.encode()) for g in given):
            return
    msg = "the webhook's signature matches none of the secrets: forged or altered"
    raise InvalidWebhookSignature(msg)
