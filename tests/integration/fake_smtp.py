"""SMTP servers on loopback for the email tests: aiosmtpd, with a test CA.

:class:`SmtpServer` runs a real ``aiosmtpd`` server, with STARTTLS or
implicit TLS from a ``trustme`` certificate authority, a login, and a
:class:`Script` of failures: error replies at RCPT or after the mail, a
connection dropped before or after the mail was taken in, an answer that
comes too late. :class:`SilentServer` accepts connections and never speaks.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.integration.fake_http import free_port

USERNAME = "oncall"
PASSWORD = "sm7p-p4ssw0rd-n0t-f0r-l0gs"


@dataclass
class Script:
    """Failures to play, each once, in order.

    *rcpt* replies are given to RCPT commands (``"451 4.7.1 Try later"``;
    ``"drop"`` closes the connection instead); *data* replies are given
    once the whole mail was received (``"554 ..."``; ``"drop"`` takes the
    mail in and closes the connection; ``"late"`` takes it in and answers
    after *late* seconds).
    """

    rcpt: list[str] = field(default_factory=list)
    data: list[str] = field(default_factory=list)
    late: float = 2.0


@dataclass
class Received:
    """A mail the server took in."""

    mail_from: str
    rcpt_tos: list[str]
    content: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = BytesParser(policy=policy.default).parsebytes(self.content)
        assert isinstance(parsed, EmailMessage)
        return parsed


class _Handler:
    def __init__(self, script: Script) -> None:
        self.script = script
        self.received: list[Received] = []

    async def handle_RCPT(  # noqa: N802 (aiosmtpd names its hooks so)
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if self.script.rcpt:
            reply = self.script.rcpt.pop(0)
            if reply == "drop":
                _drop(server)
                return "421 4.4.2 closing"
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        reply = self.script.data.pop(0) if self.script.data else "250 OK"
        if reply[0] in "45":
            return reply
        assert isinstance(envelope.content, bytes)
        self.received.append(
            Received(str(envelope.mail_from), list(envelope.rcpt_tos), envelope.content)
        )
        if reply == "drop":
            _drop(server)
            return "250 OK"
        if reply == "late":
            await asyncio.sleep(self.script.late)
        return "250 2.0.0 OK: queued"


def _drop(server: SMTP) -> None:
    transport: Any = server.transport
    if transport is not None:
        transport.abort()


class LocalCA:
    """A certificate authority of our own, and a certificate for 127.0.0.1."""

    def __init__(self) -> None:
        self._ca = trustme.CA()
        self._cert = self._ca.issue_cert("127.0.0.1", "localhost")

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._cert.configure_cert(context)
        return context

    def client_context(self) -> ssl.SSLContext:
        """What a sender that trusts this CA uses: host names are checked."""
        context = ssl.create_default_context()
        self._ca.configure_trust(context)
        return context


class SmtpServer:
    """An aiosmtpd server on 127.0.0.1, in a thread.

    *security* is ``"starttls"`` (STARTTLS required before anything),
    ``"tls"`` (implicit TLS) or ``"none"``; with *login*, AUTH is required
    with :data:`USERNAME` and :data:`PASSWORD`.
    """

    def __init__(
        self,
        ca: LocalCA | None = None,
        *,
        security: str = "starttls",
        login: bool = True,
        script: Script | None = None,
    ) -> None:
        self.port = free_port()
        self.script = script or Script()
        self._handler = _Handler(self.script)
        options: dict[str, Any] = {}
        if security == "starttls":
            assert ca is not None
            options |= {"tls_context": ca.server_context(), "require_starttls": True}
        elif security == "tls":
            assert ca is not None
            options["ssl_context"] = ca.server_context()
        if login:
            options |= {
                "authenticator": _authenticate,
                "auth_required": True,
                # Implicit TLS is TLS from the first byte, which aiosmtpd's
                # check (made for STARTTLS) does not see.
                "auth_require_tls": security == "starttls",
            }
        self._controller = Controller(
            self._handler, hostname="127.0.0.1", port=self.port, **options
        )

    @property
    def received(self) -> list[Received]:
        return self._handler.received

    def __enter__(self) -> SmtpServer:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()


def _authenticate(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
) -> AuthResult:
    ok = (
        isinstance(data, LoginPassword)
        and data.login == USERNAME.encode()
        and data.password == PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False, auth_data=data)


class SilentServer:
    """Accepts TCP connections (the kernel does) and never says a word."""

    def __init__(self) -> None:
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(16)
        self.port = int(self._socket.getsockname()[1])

    def __enter__(self) -> SilentServer:
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(OSError):
            self._socket.close()
