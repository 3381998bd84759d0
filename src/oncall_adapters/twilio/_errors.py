"""Twilio's errors: the adapter's exceptions, and what each Twilio code means."""

from __future__ import annotations

import enum

from oncall_core.errors import OncallError

__all__ = [
    "FALLBACK_CODES",
    "ForgedCallback",
    "InvalidCallback",
    "InvalidTwilioSetting",
    "TwilioRequestFailed",
    "Verdict",
    "classify",
    "describe",
]


class InvalidTwilioSetting(OncallError, ValueError):
    """A Twilio setting (a SID, a sender, a base URL, a template) is malformed."""


class ForgedCallback(OncallError):
    """A status callback is unsigned, or its signature does not match its content.

    Raised for forged requests, for signed requests replayed with altered
    parameters or to another URL, and for requests signed with a token the
    host does not accept.
    """


class InvalidCallback(OncallError, ValueError):
    """A correctly signed status callback lacks what a message status needs."""


class Verdict(enum.Enum):
    """What a failed request to Twilio means for the notification."""

    TEMPORARY = "temporary"
    """Nothing was sent: retry later, with backoff."""
    PERMANENT = "permanent"
    """It will never work: do not retry."""
    UNKNOWN = "unknown"
    """Twilio may have accepted the message: retrying could page twice."""


FALLBACK_CODES: frozenset[int] = frozenset({63016, 63003, 63018})
"""WhatsApp failures after which the same number gets an SMS instead."""

_RATE_LIMIT_CODES = frozenset({20429, 63018})

_DESCRIPTIONS: dict[int, str] = {
    20003: "authentication failed: check the account SID and auth token",
    20404: "the resource was not found: check the account SID",
    20429: "too many requests",
    21211: "the 'To' number is not a valid phone number",
    21408: "permission to send to this region is not enabled",
    21602: "the message has no body",
    21603: "the message has no 'From' number",
    21606: "the 'From' number is not an SMS-capable number of this account",
    21610: "the recipient replied STOP and is unsubscribed",
    21612: "the 'To' number cannot be reached from the 'From' number",
    21614: "the 'To' number is not a mobile number",
    21617: "the message body is too long",
    21655: "the ContentSid is invalid",
    21656: "the ContentVariables are invalid",
    21701: "the Messaging Service SID is invalid",
    21910: "'From' and 'To' are not on the same channel",
    30003: "the handset is unreachable",
    30005: "the destination handset is unknown",
    30006: "a landline, or a carrier that cannot take messages",
    30007: "the carrier filtered the message",
    30008: "the carrier reported an unknown error",
    63003: "the number is not on WhatsApp",
    63016: "outside WhatsApp's 24-hour window: an approved template is needed",
    63018: "WhatsApp's rate limit was exceeded",
}

# Statuses with which Twilio refuses a request before taking it in.
_BEFORE_ACCEPT = frozenset({429, 503})


def describe(code: int | None, status: int | None = None) -> str:
    """Return a short, secret-free explanation of a Twilio error code."""
    if code is not None and code in _DESCRIPTIONS:
        return f"Twilio error {code}: {_DESCRIPTIONS[code]}"
    if code is not None and status is None:
        return f"Twilio error {code}"
    if code is not None and code != status:
        return f"Twilio error {code} (HTTP {status})"
    return f"HTTP {status} from Twilio"


def classify(status: int | None, code: int | None) -> Verdict:
    """Tell what a refused request means, from its HTTP status and Twilio code.

    Rate limits (429, 20429, 63018) and 503 are answered before the message
    is taken in: temporary. Any other 5xx may come after Twilio queued the
    message: unknown. A 4xx is permanent: the same request would fail again.
    """
    if code in _RATE_LIMIT_CODES or status in _BEFORE_ACCEPT:
        return Verdict.TEMPORARY
    if status is not None and 400 <= status < 500:
        return Verdict.PERMANENT
    return Verdict.UNKNOWN


class TwilioRequestFailed(OncallError):
    """A request to Twilio failed; logged in place of the SDK's own error.

    Its text is the SDK's, with the auth token removed and phone numbers
    masked, so that a log line with its traceback leaks neither.
    """
