"""A Twilio account: credentials, the API endpoint, and the SDK client.

The SDK is configured here and nowhere else: every request it makes goes
through :class:`_Endpoint`, which rewrites the host to the configured base
URL (so that the real SDK can talk to any Twilio-compatible endpoint, a
fake one in tests) and remembers the response headers of each thread's
last request (for ``Retry-After``).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from requests.adapters import HTTPAdapter
from twilio.http import HttpClient  # type: ignore[import-untyped]
from twilio.http.http_client import TwilioHttpClient  # type: ignore[import-untyped]
from twilio.rest import Client  # type: ignore[import-untyped]

from oncall_adapters._http import parse_retry_after
from oncall_adapters.twilio._errors import InvalidTwilioSetting
from oncall_adapters.twilio._phones import mask_digits

__all__ = ["TwilioAccount"]

logger = logging.getLogger("oncall_adapters.twilio")

_ACCOUNT_SID = re.compile(r"AC[0-9a-fA-F]{32}")


class _DebugOnly(logging.LoggerAdapter):  # type: ignore[type-arg]
    """Hand the SDK's chatty per-request INFO lines to our logger at DEBUG."""

    def info(self, msg: object, *args: object, **kwargs: Any) -> None:
        self.debug(msg, *args, **kwargs)


class _Endpoint(HttpClient):  # type: ignore[misc]
    """The SDK's HTTP client, pointed at *base_url* and remembering headers."""

    def __init__(self, inner: Any, base_url: str | None) -> None:
        super().__init__(logger, False, inner.timeout)
        self._inner = inner
        self._base = None if base_url is None else urlsplit(base_url)
        self._local = threading.local()

    def request(
        self,
        method: str,
        uri: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Any:
        self._local.headers = None
        response = self._inner.request(
            method,
            self._rebased(uri),
            params=params,
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout,
            allow_redirects=allow_redirects,
        )
        self._local.headers = dict(response.headers or {})
        return response

    def last_headers(self) -> Mapping[str, str]:
        """The headers of this thread's last response, or none."""
        return getattr(self._local, "headers", None) or {}

    def _rebased(self, uri: str) -> str:
        if self._base is None:
            return uri
        parts = urlsplit(uri)
        path = self._base.path.rstrip("/") + parts.path
        return urlunsplit(
            (self._base.scheme, self._base.netloc, path, parts.query, parts.fragment)
        )


def _base_url(value: str | None) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value) if isinstance(value, str) else None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.netloc
        or parts.query
        or parts.fragment
        or "@" in parts.netloc
    ):
        msg = (
            "base_url must be an http(s) URL with a host and no credentials, "
            f"query or fragment, such as https://api.twilio.com, got {value!r}"
        )
        raise InvalidTwilioSetting(msg)
    return value.rstrip("/")


def _default_http_client(timeout: float, max_connections: int) -> Any:
    client = TwilioHttpClient(
        pool_connections=True, timeout=timeout, logger=_DebugOnly(logger, {})
    )
    # No retries below us: a retried POST could page twice. The pool is as
    # large as the sends a dispatcher runs at once.
    for prefix in ("http://", "https://"):
        client.session.mount(
            prefix, HTTPAdapter(pool_maxsize=max_connections, max_retries=0)
        )
    return client


class TwilioAccount:
    """A Twilio account: its SID, its auth token and the API it talks to.

    One account serves any number of senders, from any number of threads.
    The auth token is kept private: it is in no ``repr``, log line or error
    of this package.

    Args:
        account_sid: ``AC`` and 32 hex digits.
        auth_token: the account's auth token (or an API key secret with
            *username* set to the key's SID).
        base_url: where the SDK sends its requests instead of Twilio's
            hosts, such as ``http://127.0.0.1:8080`` for a local fake or a
            proxy; ``None`` keeps the SDK's own hosts.
        timeout: seconds to wait for a connection, and then for an answer.
        max_connections: the size of the connection pool; match the
            dispatcher's ``max_in_flight``.
        http_client: a ``twilio.http.HttpClient`` to use instead of the
            default one (a proxy, custom TLS); *base_url* still applies.
        username: the user for HTTP Basic auth, if not the account SID (an
            API key SID, ``SK...``).

    Raises:
        InvalidTwilioSetting: a SID, the token, the base URL or a number is
            malformed.
    """

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        base_url: str | None = None,
        timeout: float = 10.0,
        max_connections: int = 32,
        http_client: object | None = None,
        username: str | None = None,
    ) -> None:
        if not isinstance(account_sid, str) or not _ACCOUNT_SID.fullmatch(account_sid):
            msg = (
                f"account_sid must be AC followed by 32 hex digits, got {account_sid!r}"
            )
            raise InvalidTwilioSetting(msg)
        if not isinstance(auth_token, str) or not auth_token:
            msg = "auth_token must be a non-empty string"
            raise InvalidTwilioSetting(msg)
        if not timeout > 0:
            msg = f"timeout must be a positive number of seconds, got {timeout!r}"
            raise InvalidTwilioSetting(msg)
        if max_connections < 1:
            msg = f"max_connections must be at least 1, got {max_connections!r}"
            raise InvalidTwilioSetting(msg)
        self.account_sid = account_sid
        self.base_url = _base_url(base_url)
        self.timeout = timeout
        self._auth_token = auth_token
        inner = http_client or _default_http_client(timeout, max_connections)
        self._endpoint = _Endpoint(inner, self.base_url)
        self._client = Client(
            username or account_sid,
            auth_token,
            account_sid=account_sid,
            http_client=self._endpoint,
        )

    def __repr__(self) -> str:
        base = self.base_url or "the SDK's default hosts"
        return f"TwilioAccount(account_sid={self.account_sid!r}, base_url={base!r})"

    __str__ = __repr__

    def _create_message(self, params: Mapping[str, str]) -> tuple[str, str]:
        """Create a message with the SDK; return its SID and status.

        Raises whatever the SDK raises; callers classify it.
        """
        created = self._client.messages.create(**params)
        return str(created.sid), str(created.status)

    def _retry_after(self) -> timedelta | None:
        """The ``Retry-After`` of this thread's last response, if it had one."""
        headers = {k.lower(): v for k, v in self._endpoint.last_headers().items()}
        return parse_retry_after(headers.get("retry-after"))

    def _scrub(self, text: str) -> str:
        """Return *text* without the auth token and with phone numbers masked."""
        return mask_digits(text.replace(self._auth_token, "[auth token]"))
