"""One JSON POST with the standard library, and what its outcome means.

Shared by the generic webhooks and Slack's incoming webhooks. urllib
connects and writes the request in one step and reads the answer in
another, so a failure in the first (a refused connection, a connect
timeout) provably sent nothing, while one in the second (a read timeout, a
dropped connection) may come after the receiver acted.
"""

from __future__ import annotations

import http.client
import logging
import urllib.error
import urllib.request
from collections.abc import Mapping
from datetime import datetime
from urllib.parse import urlsplit

import attrs

from oncall_adapters._http import parse_retry_after
from oncall_core import DeliveryEvent, DeliveryEventKind, Notification

__all__ = ["Answer", "HttpPoster", "parse_retry_after", "shown_url"]

_READ_LIMIT = 4096


@attrs.frozen
class Answer:
    """What came back from one POST.

    *status* is None when no answer came: *sent* then tells whether the
    request had been written (the outcome is unknown) or not.
    """

    status: int | None
    body: bytes = b""
    headers: Mapping[str, str] = attrs.field(factory=dict)
    error: BaseException | None = None
    sent: bool = True


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Refuse redirects: a redirected POST would be re-sent elsewhere."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def shown_url(url: str) -> str:
    """Return the scheme and host of *url*: its path and query may be secret."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or '?'}" + (
        f":{parts.port}" if parts.port else ""
    )


class HttpPoster:
    """POSTs JSON bodies and reads the outcome as a delivery event.

    It logs to the *logger* of the package that uses it (webhook or Slack).
    """

    def __init__(
        self, name: str, timeout: float, user_agent: str, logger: logging.Logger
    ) -> None:
        if not timeout > 0:
            msg = f"timeout must be a positive number of seconds, got {timeout!r}"
            raise ValueError(msg)
        self.name = name
        self.timeout = timeout
        self.user_agent = user_agent
        self.logger = logger
        self._opener = urllib.request.build_opener(_NoRedirect)

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> Answer:
        """POST *body* to *url*; never raises for a network failure."""
        request = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": self.user_agent,
                **headers,
            },
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                return Answer(
                    response.status, _read(response), dict(response.headers.items())
                )
        except urllib.error.HTTPError as error:
            return Answer(error.code, _read(error), dict(error.headers.items()), error)
        except urllib.error.URLError as error:
            return Answer(None, error=error, sent=False)
        except (OSError, http.client.HTTPException) as error:
            return Answer(None, error=error, sent=True)

    def event(
        self,
        notification: Notification,
        answer: Answer,
        where: str,
        at: datetime,
        *,
        provider_id: str | None = None,
    ) -> DeliveryEvent:
        """Read *answer* as a delivery event, and log it.

        2xx is ``SENT``; 429, 408 and 5xx are temporary (the receiver says it
        did not take the message in); any other status is permanent; no
        answer is temporary if the request was never written, else the
        outcome is unknown (``SENT``, not retried).
        """
        status = answer.status
        if status is None:
            return self._no_answer(notification, answer, where, at)
        text = " ".join(answer.body.decode("utf-8", "replace").split())[:120]
        reason = f"HTTP {status} from {where}" + (f": {text}" if text else "")

        if 200 <= status < 300:
            self.logger.info("%s sent %s to %s", self.name, notification.key, where)
            return DeliveryEvent(DeliveryEventKind.SENT, at, provider_id=provider_id)
        if status in (408, 429) or status >= 500:
            headers = {k.lower(): v for k, v in answer.headers.items()}
            retry_after = parse_retry_after(headers.get("retry-after"), at)
            self.logger.info(
                "%s could not send %s: %s; will retry (Retry-After: %s)",
                self.name,
                notification.key,
                reason,
                retry_after,
            )
            return DeliveryEvent(
                DeliveryEventKind.TEMPORARY_FAILURE,
                at,
                code=str(status),
                reason=reason,
                retry_after=retry_after,
            )
        self.logger.warning(
            "%s failed for good on %s: %s", self.name, notification.key, reason
        )
        return DeliveryEvent(
            DeliveryEventKind.FAILED, at, code=str(status), reason=reason
        )

    def _no_answer(
        self, notification: Notification, answer: Answer, where: str, at: datetime
    ) -> DeliveryEvent:
        error = answer.error
        what = type(error).__name__
        if isinstance(error, urllib.error.URLError) and isinstance(
            error.reason, BaseException
        ):
            what = f"{what}: {type(error.reason).__name__}"
        if not answer.sent:
            self.logger.warning(
                "%s could not reach %s for %s; will retry",
                self.name,
                where,
                notification.key,
                exc_info=error,
            )
            return DeliveryEvent(
                DeliveryEventKind.TEMPORARY_FAILURE,
                at,
                code="connection-failed",
                reason=f"could not connect to {where} ({what}); nothing was sent",
            )
        self.logger.warning(
            "%s lost the answer of %s for %s: outcome unknown, not retried",
            self.name,
            where,
            notification.key,
            exc_info=error,
        )
        return DeliveryEvent(
            DeliveryEventKind.SENT,
            at,
            code="no-answer",
            reason=(
                f"outcome unknown: no answer from {where} ({what}) after the request "
                "was sent; it may have been taken in, so it is not retried"
            ),
        )


def _read(response: http.client.HTTPResponse | urllib.error.HTTPError) -> bytes:
    try:
        data = response.read(_READ_LIMIT)
    except (OSError, http.client.HTTPException):
        return b""
    return data if isinstance(data, bytes) else b""
