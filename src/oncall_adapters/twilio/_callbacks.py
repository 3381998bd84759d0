"""Twilio's delivery status callbacks: verified, then read as delivery events."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from urllib.parse import urlsplit

from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

from oncall_adapters.twilio._errors import ForgedCallback, InvalidCallback, describe
from oncall_core import DeliveryEvent, DeliveryEventKind

__all__ = ["SIGNATURE_HEADER", "verify_status_callback"]

SIGNATURE_HEADER = "X-Twilio-Signature"
"""The header that carries a callback's signature."""

_MESSAGE_SID = re.compile(r"(SM|MM)[0-9a-fA-F]{32}")

_KINDS: dict[str, DeliveryEventKind] = {
    "accepted": DeliveryEventKind.SENT,
    "scheduled": DeliveryEventKind.SENT,
    "queued": DeliveryEventKind.SENT,
    "sending": DeliveryEventKind.SENT,
    "sent": DeliveryEventKind.SENT,
    "delivered": DeliveryEventKind.DELIVERED,
    "partially_delivered": DeliveryEventKind.DELIVERED,
    "read": DeliveryEventKind.READ,
    "undelivered": DeliveryEventKind.FAILED,
    "failed": DeliveryEventKind.FAILED,
    "canceled": DeliveryEventKind.FAILED,
}


def _tokens(auth_tokens: str | Iterable[str]) -> tuple[str, ...]:
    tokens = (auth_tokens,) if isinstance(auth_tokens, str) else tuple(auth_tokens)
    if not tokens or not all(isinstance(t, str) and t for t in tokens):
        msg = "auth_tokens must be one or more non-empty auth tokens"
        raise ValueError(msg)
    return tokens


def verify_status_callback(
    url: str,
    params: Mapping[str, str],
    signature: str | None,
    auth_tokens: str | Iterable[str],
    *,
    at: datetime | None = None,
) -> DeliveryEvent:
    """Check a message status callback's signature; return it as a delivery event.

    Framework-free: pass the full URL Twilio requested (scheme, host, path
    and query, as configured in ``status_callback``), the form parameters
    of the POST, and the ``X-Twilio-Signature`` header. The signature is
    checked with the SDK's ``RequestValidator`` against each of
    *auth_tokens* in turn, so that the old and the new token both pass
    while a token is rotated.

    Statuses map to events: ``accepted``, ``scheduled``, ``queued``,
    ``sending`` and ``sent`` to ``SENT``; ``delivered`` to ``DELIVERED``;
    ``read`` to ``READ``; ``undelivered``, ``failed`` and ``canceled`` to
    ``FAILED`` with the callback's ``ErrorCode``. The event's
    ``provider_id`` is the ``MessageSid``: find the notification by it.
    A callback replayed unchanged verifies again; applying its event twice
    changes nothing, as statuses only move forward.

    Raises:
        ForgedCallback: the request is unsigned, or its signature matches
            none of the tokens (forged, altered, or sent to another URL).
        InvalidCallback: a signed request without a message SID or with an
            unknown status.
        ValueError: *auth_tokens* is empty.
    """
    tokens = _tokens(auth_tokens)
    # The URL's query may hold the host's own secrets: errors show its path.
    shown = urlsplit(url)._replace(query="", fragment="").geturl()
    if not signature:
        msg = f"the status callback to {shown} is unsigned (no {SIGNATURE_HEADER})"
        raise ForgedCallback(msg)
    if not any(RequestValidator(t).validate(url, params, signature) for t in tokens):
        msg = (
            f"the {SIGNATURE_HEADER} of the status callback to {shown} matches "
            "none of the accepted auth tokens: forged, altered, or sent elsewhere"
        )
        raise ForgedCallback(msg)
    return _event(params, at or datetime.now(UTC))


def _event(params: Mapping[str, str], at: datetime) -> DeliveryEvent:
    sid = params.get("MessageSid") or params.get("SmsSid") or ""
    if not _MESSAGE_SID.fullmatch(sid):
        msg = f"the status callback has no valid MessageSid, got {sid!r}"
        raise InvalidCallback(msg)
    status = (params.get("MessageStatus") or params.get("SmsStatus") or "").lower()
    kind = _KINDS.get(status)
    if kind is None:
        known = ", ".join(_KINDS)
        msg = f"unknown MessageStatus {status!r} for {sid}: expected one of {known}"
        raise InvalidCallback(msg)
    if kind is not DeliveryEventKind.FAILED:
        return DeliveryEvent(kind, at, provider_id=sid)

    raw_code = params.get("ErrorCode") or ""
    code = int(raw_code) if raw_code.isdigit() else None
    reason = f"{status}: {describe(code)}" if code is not None else status
    return DeliveryEvent(
        kind, at, provider_id=sid, code=raw_code or status, reason=reason
    )
