"""Email through SMTP: STARTTLS or implicit TLS, login, one connection a mail."""

from __future__ import annotations

import enum
import logging
import re
import smtplib
import ssl
from datetime import UTC, datetime
from email.errors import HeaderParseError
from email.headerregistry import Address, AddressHeader, HeaderRegistry

from oncall_adapters.email._compose import compose
from oncall_core import (
    Channel,
    Clock,
    DeliveryEvent,
    DeliveryEventKind,
    Message,
    Notification,
)
from oncall_core.errors import OncallError

__all__ = ["InvalidEmailSetting", "SmtpEmailSender", "SmtpFailed", "SmtpSecurity"]

logger = logging.getLogger("oncall_adapters.email")

_LEADING_DOT = re.compile(rb"(?m)^\.")
_HEADERS = HeaderRegistry()


class InvalidEmailSetting(OncallError, ValueError):
    """An SMTP setting (host, port, sender, security, login) is malformed."""


class SmtpFailed(OncallError):
    """An SMTP exchange failed; logged in place of ``smtplib``'s own error.

    Its text is the original's with the password removed.
    """


class SmtpSecurity(enum.Enum):
    """How the connection to the SMTP server is protected."""

    STARTTLS = "starttls"
    """Plain connection upgraded with STARTTLS (port 587); required, not tried."""
    TLS = "tls"
    """TLS from the first byte, "implicit TLS" (port 465)."""
    NONE = "none"
    """No encryption: only for a relay on the same machine; no login allowed."""


_DEFAULT_PORTS = {
    SmtpSecurity.STARTTLS: 587,
    SmtpSecurity.TLS: 465,
    SmtpSecurity.NONE: 25,
}


class _Refused(Exception):
    """The server answered an SMTP command with an error reply."""

    def __init__(self, code: int, reply: str) -> None:
        super().__init__(code, reply)
        self.code = code
        self.reply = reply


def _address(value: str, what: str) -> Address:
    """Read ``Name <user@host>`` or ``user@host`` as an Address.

    Raises:
        ValueError: it is not exactly one email address.
    """
    msg = f"{what} must be one email address such as oncall@example.com"
    if not isinstance(value, str) or any(ord(c) < 32 for c in value):
        raise ValueError(msg)
    try:
        header = _HEADERS("to", value)
    except (HeaderParseError, ValueError, IndexError):
        raise ValueError(msg) from None
    if not isinstance(header, AddressHeader):
        raise ValueError(msg)
    addresses = header.addresses
    if len(addresses) != 1 or header.defects:
        raise ValueError(msg)
    address = addresses[0]
    if not address.username or "." not in address.domain:
        raise ValueError(msg)
    return address


def _reply_text(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return " ".join(text.split())[:200]


class SmtpEmailSender:
    """Sends email through an SMTP server, one connection per mail.

    Each mail is multipart: the message's text, and its HTML as an
    alternative. Its ``Message-ID`` threads all mail about one incident
    (see ``docs/delivery.md``). The password is in no ``repr``, log line
    or error of this package.

    Failures are classified from the stage they happen at and the server's
    reply: a 4xx reply, a refused or dropped connection before the mail was
    handed over, or a timeout then, is temporary; a 5xx reply is permanent;
    a connection lost after the whole mail was written but before the
    server's answer leaves the outcome unknown (``SENT``, not retried).

    Args:
        host: the SMTP server.
        port: by default 587 (STARTTLS), 465 (TLS) or 25 (NONE).
        sender: the From address, ``"On-call <oncall@example.com>"``.
        security: STARTTLS (the default), TLS, or NONE (no login then).
        username, password: the login, if the server wants one.
        ssl_context: the TLS settings (default: the system's trusted CAs,
            host name checked).
        timeout: seconds for the connection and for each reply.
        message_id_domain: the right side of Message-IDs (default: the
            sender's domain).
        local_hostname: the name given in EHLO (default: this machine's).
        clock: where the instants of events come from (default: UTC now).
        name: the sender's name, for logs and rate limits.

    Raises:
        InvalidEmailSetting: a malformed setting, or a login without TLS.
    """

    channels: frozenset[Channel] = frozenset({Channel.EMAIL})

    def __init__(
        self,
        host: str,
        port: int | None = None,
        *,
        sender: str,
        security: SmtpSecurity | str = SmtpSecurity.STARTTLS,
        username: str | None = None,
        password: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
        timeout: float = 10.0,
        message_id_domain: str | None = None,
        local_hostname: str | None = None,
        clock: Clock | None = None,
        name: str = "smtp",
    ) -> None:
        try:
            self.security = SmtpSecurity(security)
        except ValueError:
            names = ", ".join(s.value for s in SmtpSecurity)
            msg = f"security must be one of {names}, got {security!r}"
            raise InvalidEmailSetting(msg) from None
        if not isinstance(host, str) or not host:
            msg = f"host must be the SMTP server's name or address, got {host!r}"
            raise InvalidEmailSetting(msg)
        if (username is None) != (password is None):
            msg = "give both username and password, or neither"
            raise InvalidEmailSetting(msg)
        if username is not None and self.security is SmtpSecurity.NONE:
            msg = "refusing to send a password without TLS: use STARTTLS or TLS"
            raise InvalidEmailSetting(msg)
        if not timeout > 0:
            msg = f"timeout must be a positive number of seconds, got {timeout!r}"
            raise InvalidEmailSetting(msg)
        try:
            self.sender = _address(sender, "sender")
        except ValueError as error:
            raise InvalidEmailSetting(f"{error}, got {sender!r}") from None

        self.name = name
        self.host = host
        self.port = port or _DEFAULT_PORTS[self.security]
        self.username = username
        self._password = password
        self._ssl_context = ssl_context
        self.timeout = timeout
        self.message_id_domain = message_id_domain or self.sender.domain
        self.local_hostname = local_hostname
        self._clock = clock

    def __repr__(self) -> str:
        login = f", username={self.username!r}" if self.username else ""
        return (
            f"SmtpEmailSender(name={self.name!r}, host={self.host!r}, "
            f"port={self.port!r}, security={self.security.value!r}{login})"
        )

    __str__ = __repr__

    def _now(self) -> datetime:
        return datetime.now(UTC) if self._clock is None else self._clock.now()

    def send(
        self, notification: Notification, message: Message, address: str
    ) -> DeliveryEvent:
        """Make one attempt to mail *message* to *address*."""
        at = self._now()
        try:
            recipient = _address(address, "the recipient")
            mail = compose(
                notification,
                message,
                sender=self.sender,
                recipient=recipient,
                domain=self.message_id_domain,
                at=at,
            )
            data = mail.as_bytes()
        except ValueError as error:
            logger.warning("%s cannot mail %s: %s", self.name, notification.key, error)
            return DeliveryEvent(
                DeliveryEventKind.FAILED, at, code="invalid-message", reason=str(error)
            )
        return self._deliver(
            notification, recipient.addr_spec, data, mail["Message-ID"]
        )

    def _deliver(
        self, notification: Notification, to: str, data: bytes, message_id: str
    ) -> DeliveryEvent:
        stage = "connect"
        smtp: smtplib.SMTP | None = None
        accepted = False
        try:
            smtp = self._connect()
            stage = "hello"
            smtp.ehlo_or_helo_if_needed()
            if self.security is SmtpSecurity.STARTTLS:
                stage = "starttls"
                smtp.starttls(context=self._context())
                smtp.ehlo()
            if self.username is not None and self._password is not None:
                stage = "login"
                smtp.login(self.username, self._password)
            stage = "envelope"
            self._expect(smtp.mail(self.sender.addr_spec), 250)
            self._expect(smtp.rcpt(to), 250, 251)
            self._expect(smtp.docmd("DATA"), 354)
            stage = "data"
            smtp.send(_dot_stuffed(data))
            stage = "answer"
            self._expect(smtp.getreply(), 250)
            accepted = True
        except _Refused as refused:
            return self._refused(notification, refused, stage)
        except (smtplib.SMTPException, OSError) as error:
            return self._failed(notification, error, stage)
        finally:
            if smtp is not None:
                self._close(smtp, polite=accepted)
        logger.info(
            "%s mailed %s to %s: %s", self.name, notification.key, to, message_id
        )
        return DeliveryEvent(
            DeliveryEventKind.SENT, self._now(), provider_id=message_id
        )

    def _connect(self) -> smtplib.SMTP:
        if self.security is SmtpSecurity.TLS:
            return smtplib.SMTP_SSL(
                self.host,
                self.port,
                local_hostname=self.local_hostname,
                timeout=self.timeout,
                context=self._context(),
            )
        return smtplib.SMTP(
            self.host,
            self.port,
            local_hostname=self.local_hostname,
            timeout=self.timeout,
        )

    def _context(self) -> ssl.SSLContext:
        return self._ssl_context or ssl.create_default_context()

    @staticmethod
    def _expect(answer: tuple[int, bytes | str], *codes: int) -> None:
        code, reply = answer
        if code not in codes:
            raise _Refused(code, _reply_text(reply))

    @staticmethod
    def _close(smtp: smtplib.SMTP, *, polite: bool) -> None:
        """Say QUIT after a conversation that went well; else just hang up."""
        try:
            if polite:
                smtp.quit()
        except (smtplib.SMTPException, OSError):
            pass
        finally:
            smtp.close()

    def _refused(
        self, notification: Notification, refused: _Refused, stage: str
    ) -> DeliveryEvent:
        """The server answered with an error: 4xx temporary, 5xx permanent."""
        reason = f"the SMTP server answered {refused.code} {refused.reply} ({stage})"
        at = self._now()
        if 400 <= refused.code < 500:
            logger.info(
                "%s: %s for %s; will retry", self.name, reason, notification.key
            )
            return DeliveryEvent(
                DeliveryEventKind.TEMPORARY_FAILURE,
                at,
                code=str(refused.code),
                reason=reason,
            )
        logger.warning("%s: %s for %s", self.name, reason, notification.key)
        return DeliveryEvent(
            DeliveryEventKind.FAILED, at, code=str(refused.code), reason=reason
        )

    def _failed(
        self, notification: Notification, error: Exception, stage: str
    ) -> DeliveryEvent:
        """smtplib raised: classify by the reply code, else by the stage."""
        at = self._now()
        what = type(error).__name__
        clean = SmtpFailed(self._scrub(f"{what}: {error}")).with_traceback(
            error.__traceback__
        )
        if isinstance(error, smtplib.SMTPResponseException):
            code = int(error.smtp_code)
            refused = _Refused(code, _reply_text(error.smtp_error))
            logger.debug("%s: %s at %s", self.name, what, stage, exc_info=clean)
            return self._refused(notification, refused, stage)
        if isinstance(error, smtplib.SMTPNotSupportedError) or (
            isinstance(error, smtplib.SMTPException)
            and not isinstance(error, smtplib.SMTPServerDisconnected)
        ):
            logger.warning(
                "%s cannot mail %s: %s at %s",
                self.name,
                notification.key,
                what,
                stage,
                exc_info=clean,
            )
            return DeliveryEvent(
                DeliveryEventKind.FAILED,
                at,
                code="smtp-unsupported",
                reason=f"the SMTP server cannot do what is configured ({stage}): "
                f"{self._scrub(str(error))}",
            )
        if stage == "answer":
            logger.warning(
                "%s lost the answer for %s: outcome unknown, not retried",
                self.name,
                notification.key,
                exc_info=clean,
            )
            return DeliveryEvent(
                DeliveryEventKind.SENT,
                at,
                code="no-answer",
                reason=(
                    f"outcome unknown: the connection failed ({what}) after the "
                    "whole mail was written, before the server answered; it may "
                    "have been accepted, so it is not retried"
                ),
            )
        logger.warning(
            "%s could not mail %s (%s at %s); will retry",
            self.name,
            notification.key,
            what,
            stage,
            exc_info=clean,
        )
        return DeliveryEvent(
            DeliveryEventKind.TEMPORARY_FAILURE,
            at,
            code="connection-failed",
            reason=f"the connection to the SMTP server failed ({what} at {stage}); "
            "nothing was sent",
        )

    def _scrub(self, text: str) -> str:
        if self._password:
            text = text.replace(self._password, "[password]")
        return text


def _dot_stuffed(data: bytes) -> bytes:
    """Return *data* as the DATA command sends it: dots doubled, ended by a dot."""
    data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    data = _LEADING_DOT.sub(b"..", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"
