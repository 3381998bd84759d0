"""Email through SMTP, against a real aiosmtpd server on loopback."""

from __future__ import annotations

import base64
import copy
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest

from oncall_adapters.email import (
    InvalidEmailSetting,
    SmtpEmailSender,
    SmtpSecurity,
    thread_id,
)
from oncall_core import (
    Channel,
    DeliveryEventKind,
    Incident,
    Notification,
    NotificationKey,
    NotificationStatus,
    Templates,
)
from tests.integration.delivery_support import AT, FixedClock, deliver, pending
from tests.integration.fake_http import free_port, loopback_only
from tests.integration.fake_smtp import (
    PASSWORD,
    USERNAME,
    LocalCA,
    Script,
    SilentServer,
    SmtpServer,
)

pytestmark = pytest.mark.filterwarnings(
    "ignore:Requiring AUTH while not requiring TLS:UserWarning"
)

ANA = "ana@example.org"
FROM = "On-call <oncall@example.com>"
INCIDENT = Incident(
    "inc-42",
    "<script>alert(1)</script> & the database is down",
    AT,
    details="Replica lag > 5 min",
    link="https://status.example.com/inc-42?a=1&b=2",
)
MAIL = Templates().render(INCIDENT, Channel.EMAIL, step=0, pass_=0)


def _lines(text: str) -> str:
    """Mail travels with CRLF line ends; the core renders LF."""
    return text.replace("\r\n", "\n")


@pytest.fixture(autouse=True)
def _loopback_only() -> Iterator[None]:
    with loopback_only():
        yield


@pytest.fixture(scope="module")
def ca() -> LocalCA:
    return LocalCA()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


def sender_for(
    server: SmtpServer | SilentServer | int,
    ca: LocalCA,
    clock: FixedClock,
    *,
    security: SmtpSecurity = SmtpSecurity.STARTTLS,
    password: str | None = PASSWORD,
    timeout: float = 2.0,
) -> SmtpEmailSender:
    port = server if isinstance(server, int) else server.port
    return SmtpEmailSender(
        "127.0.0.1",
        port,
        sender=FROM,
        security=security,
        username=None if password is None else USERNAME,
        password=password,
        ssl_context=ca.client_context(),
        timeout=timeout,
        local_hostname="oncall.test",
        clock=clock,
    )


class TestMail:
    """What arrives: multipart text and HTML, escaped, threaded by incident."""

    def test_a_mail_arrives_over_starttls_after_login(
        self, ca: LocalCA, clock: FixedClock
    ) -> None:
        """Envelope, headers and both parts, as rendered by the core."""
        with SmtpServer(ca) as server:
            event = sender_for(server, ca, clock).send(
                pending(Channel.EMAIL), MAIL, ANA
            )

        assert event.kind is DeliveryEventKind.SENT
        [received] = server.received
        assert (received.mail_from, received.rcpt_tos) == ("oncall@example.com", [ANA])
        mail = received.message
        assert mail["From"] == FROM
        assert mail["To"] == ANA
        assert mail["Subject"] == MAIL.subject
        assert mail["Auto-Submitted"] == "auto-generated"
        assert mail.get_content_type() == "multipart/alternative"
        text = mail.get_body(("plain",))
        html = mail.get_body(("html",))
        assert text is not None
        assert html is not None
        assert _lines(text.get_content()) == MAIL.text
        assert _lines(html.get_content()) == MAIL.html
        assert event.provider_id == mail["Message-ID"]

    def test_the_incident_is_escaped_in_the_html(
        self, ca: LocalCA, clock: FixedClock
    ) -> None:
        """A title with markup arrives as text in the HTML part, never as markup."""
        with SmtpServer(ca) as server:
            sender_for(server, ca, clock).send(pending(Channel.EMAIL), MAIL, ANA)

        html = server.received[0].message.get_body(("html",))
        assert html is not None
        content = html.get_content()
        assert "<script>" not in content
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; the database" in content
        assert "Replica lag &gt; 5 min" in content
        assert 'href="https://status.example.com/inc-42?a=1&amp;b=2"' in content

    def test_all_mail_about_one_incident_is_one_thread(
        self, ca: LocalCA, clock: FixedClock
    ) -> None:
        """The first mail is the thread's root; later ones refer to it."""
        first = pending(Channel.EMAIL, step=0)
        later = pending(Channel.EMAIL, step=1)
        other_user = pending(Channel.EMAIL, step=1, user="bo")
        with SmtpServer(ca) as server:
            sender = sender_for(server, ca, clock)
            for n in (first, later, other_user):
                sender.send(n, MAIL, ANA)

        root = thread_id("inc-42", "example.com")
        mails = [r.message for r in server.received]
        assert mails[0]["Message-ID"] == root
        assert mails[0]["In-Reply-To"] is None
        for mail in mails[1:]:
            assert mail["In-Reply-To"] == root
            assert mail["References"] == root
        ids = [m["Message-ID"] for m in mails]
        assert len(set(ids)) == 3

    def test_a_retried_mail_keeps_its_message_id(
        self, ca: LocalCA, clock: FixedClock
    ) -> None:
        """The same notification twice: the receiver can tell the duplicate."""
        n = pending(Channel.EMAIL, step=2)
        with SmtpServer(ca) as server:
            sender = sender_for(server, ca, clock)
            sender.send(n, MAIL, ANA)
            sender.send(n, MAIL, ANA)

        first, second = (r.message["Message-ID"] for r in server.received)
        assert first == second

    def test_a_digest_is_not_threaded_under_one_incident(
        self, ca: LocalCA, clock: FixedClock
    ) -> None:
        """Quiet hours held it: it lists several incidents, so it stands alone."""
        held = Notification(
            NotificationKey("inc-42", 0, 0, "ana", Channel.EMAIL),
            NotificationStatus.PENDING,
            AT,
            history=((AT, "held"), (AT, "pending")),
        )
        with SmtpServer(ca) as server:
            sender_for(server, ca, clock).send(held, MAIL, ANA)

        mail = server.received[0].message
        assert mail["Message-ID"].startswith("<digest.")
        assert mail["References"] is None

    def test_implicit_tls_works_too(self, ca: LocalCA, clock: FixedClock) -> None:
        """TLS from the first byte (port 465 style), then login."""
        with SmtpServer(ca, security="tls") as server:
            event = sender_for(server, ca, clock, security=SmtpSecurity.TLS).send(
                pending(Channel.EMAIL), MAIL, ANA
            )

        assert event.kind is DeliveryEventKind.SENT
        assert len(server.received) == 1

    def test_a_local_relay_needs_neither_tls_nor_login(
        self, ca: LocalCA, clock: FixedClock
    ) -> None:
        """Security NONE, for a relay on the same machine."""
        with SmtpServer(security="none", login=False) as server:
            event = sender_for(
                server, ca, clock, security=SmtpSecurity.NONE, password=None
            ).send(pending(Channel.EMAIL), MAIL, ANA)

        assert event.kind is DeliveryEventKind.SENT

    def test_a_line_starting_with_a_dot_survives(
        self, ca: LocalCA, clock: FixedClock
    ) -> None:
        """The SMTP end-of-mail marker inside the text is escaped, not obeyed."""
        text = MAIL.__class__(Channel.EMAIL, "dots", "first\n.\n..second\n")
        with SmtpServer(ca) as server:
            sender_for(server, ca, clock).send(pending(Channel.EMAIL), text, ANA)

        body = server.received[0].message.get_body(("plain",))
        assert body is not None
        assert _lines(body.get_content()) == "first\n.\n..second\n"

    @pytest.mark.parametrize("address", ["ana", "ana@", "two@a.org, b@c.org", ""])
    def test_a_malformed_address_fails_without_a_connection(
        self, ca: LocalCA, clock: FixedClock, address: str
    ) -> None:
        """Nothing to deliver to: a permanent failure, no SMTP at all."""
        event = sender_for(free_port(), ca, clock).send(
            pending(Channel.EMAIL), MAIL, address
        )

        assert (event.kind, event.code) == (DeliveryEventKind.FAILED, "invalid-message")

    @pytest.mark.parametrize(
        "settings",
        [
            {"sender": "not an address"},
            {"sender": FROM, "security": "ssl3"},
            {"sender": FROM, "username": "u"},
            {"sender": FROM, "security": "none", "username": "u", "password": "p"},
            {"sender": FROM, "timeout": 0},
        ],
    )
    def test_a_malformed_setting_is_refused(self, settings: dict[str, object]) -> None:
        """Including a password that would travel without TLS."""
        with pytest.raises(InvalidEmailSetting):
            SmtpEmailSender("127.0.0.1", 25, **settings)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Fault:
    """One way SMTP fails, and what the notification must show after it."""

    script: Script
    first: DeliveryEventKind
    code: str
    status_after_first: NotificationStatus
    wait: timedelta | None
    final: NotificationStatus
    received: int


FAULTS = {
    "451 at RCPT (greylisting)": Fault(
        Script(rcpt=["451 4.7.1 Greylisted, try again later"]),
        DeliveryEventKind.TEMPORARY_FAILURE,
        "451",
        NotificationStatus.RETRYING,
        timedelta(seconds=30),
        NotificationStatus.SENT,
        received=1,
    ),
    "550 at RCPT (no such user)": Fault(
        Script(rcpt=["550 5.1.1 No such user"]),
        DeliveryEventKind.FAILED,
        "550",
        NotificationStatus.FAILED,
        None,
        NotificationStatus.FAILED,
        received=0,
    ),
    "452 after the mail (mailbox full)": Fault(
        Script(data=["452 4.2.2 Mailbox full"]),
        DeliveryEventKind.TEMPORARY_FAILURE,
        "452",
        NotificationStatus.RETRYING,
        timedelta(seconds=30),
        NotificationStatus.SENT,
        received=1,
    ),
    "554 after the mail (rejected)": Fault(
        Script(data=["554 5.7.1 Message rejected as spam"]),
        DeliveryEventKind.FAILED,
        "554",
        NotificationStatus.FAILED,
        None,
        NotificationStatus.FAILED,
        received=0,
    ),
    "drop at RCPT": Fault(
        Script(rcpt=["drop"]),
        DeliveryEventKind.TEMPORARY_FAILURE,
        "connection-failed",
        NotificationStatus.RETRYING,
        timedelta(seconds=30),
        NotificationStatus.SENT,
        received=1,
    ),
    "drop after the mail was taken in": Fault(
        Script(data=["drop"]),
        DeliveryEventKind.SENT,
        "no-answer",
        NotificationStatus.SENT,
        None,
        NotificationStatus.SENT,
        received=1,
    ),
    "timeout after the mail was taken in": Fault(
        Script(data=["late"], late=1.5),
        DeliveryEventKind.SENT,
        "no-answer",
        NotificationStatus.SENT,
        None,
        NotificationStatus.SENT,
        received=1,
    ),
}


class TestFaults:
    """Each failure: the recorded status, whether and when it is retried, no double."""

    @pytest.mark.parametrize("fault", FAULTS.values(), ids=FAULTS.keys())
    def test_each_failure_is_recorded_retried_when_safe_and_never_doubled(
        self, ca: LocalCA, clock: FixedClock, fault: Fault
    ) -> None:
        """4xx retries, 5xx fails, a lost answer after the mail is not retried."""
        with SmtpServer(ca, script=copy.deepcopy(fault.script)) as server:
            sender = sender_for(server, ca, clock, timeout=0.5)
            delivery = deliver(sender, pending(Channel.EMAIL), MAIL, ANA, clock)

        first = delivery.first
        assert (first.event.kind, first.event.code) == (fault.first, fault.code)
        assert first.after.status is fault.status_after_first
        if fault.wait is None:
            assert first.after.not_before is None
        else:
            assert first.after.not_before == AT + fault.wait
        assert delivery.final.status is fault.final
        assert len(server.received) == fault.received
        if fault.first is DeliveryEventKind.SENT:
            assert first.event.reason is not None
            assert first.event.reason.startswith("outcome unknown")

    def test_a_refused_connection_is_retried_with_backoff(
        self, ca: LocalCA, clock: FixedClock
    ) -> None:
        """Nothing listens: temporary, due again in 30 s, then 60 s, ..."""
        delivery = deliver(
            sender_for(free_port(), ca, clock), pending(Channel.EMAIL), MAIL, ANA, clock
        )

        assert delivery.first.event.kind is DeliveryEventKind.TEMPORARY_FAILURE
        assert delivery.first.event.code == "connection-failed"
        assert delivery.first.after.not_before == AT + timedelta(seconds=30)
        assert delivery.final.status is NotificationStatus.FAILED
        assert delivery.attempts == 5

    def test_a_server_that_never_greets_times_out_as_temporary(
        self, ca: LocalCA, clock: FixedClock
    ) -> None:
        """No greeting within the timeout: nothing was sent, retry later."""
        with SilentServer() as silent:
            event = sender_for(silent, ca, clock, timeout=0.3).send(
                pending(Channel.EMAIL), MAIL, ANA
            )

        assert (event.kind, event.code) == (
            DeliveryEventKind.TEMPORARY_FAILURE,
            "connection-failed",
        )

    def test_a_wrong_password_fails_for_good(
        self, ca: LocalCA, clock: FixedClock
    ) -> None:
        """535 from AUTH: a 5xx, permanent."""
        with SmtpServer(ca) as server:
            event = sender_for(server, ca, clock, password="wrong").send(
                pending(Channel.EMAIL), MAIL, ANA
            )

        assert (event.kind, event.code) == (DeliveryEventKind.FAILED, "535")
        assert server.received == []

    def test_a_server_without_starttls_is_not_used_in_clear(
        self, ca: LocalCA, clock: FixedClock
    ) -> None:
        """STARTTLS is required, not tried: no downgrade to plain text."""
        with SmtpServer(security="none", login=False) as server:
            event = sender_for(server, ca, clock).send(
                pending(Channel.EMAIL), MAIL, ANA
            )

        assert (event.kind, event.code) == (
            DeliveryEventKind.FAILED,
            "smtp-unsupported",
        )
        assert server.received == []

    def test_an_untrusted_certificate_sends_nothing(self, clock: FixedClock) -> None:
        """The server's certificate is from a CA the sender does not trust."""
        with SmtpServer(LocalCA()) as server:
            event = sender_for(server, LocalCA(), clock).send(
                pending(Channel.EMAIL), MAIL, ANA
            )

        assert event.kind is DeliveryEventKind.TEMPORARY_FAILURE
        assert server.received == []


class TestSecrets:
    """The SMTP password is in no log line, repr or error."""

    def test_the_password_never_shows(
        self, ca: LocalCA, clock: FixedClock, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Every path logged at DEBUG: success, refusals, drops, timeouts, bad login."""
        caplog.set_level(logging.DEBUG)
        texts: list[str] = []
        for fault in FAULTS.values():
            with SmtpServer(ca, script=copy.deepcopy(fault.script)) as server:
                sender = sender_for(server, ca, clock, timeout=0.5)
                texts += [repr(sender), str(sender)]
                delivery = deliver(sender, pending(Channel.EMAIL), MAIL, ANA, clock)
                texts += [f"{r.event.code} {r.event.reason}" for r in delivery.rounds]
        with SmtpServer(ca) as server:
            event = sender_for(server, ca, clock, password=PASSWORD + "x").send(
                pending(Channel.EMAIL), MAIL, ANA
            )
            texts.append(str(event.reason))
        event = sender_for(free_port(), ca, clock).send(
            pending(Channel.EMAIL), MAIL, ANA
        )
        texts.append(str(event.reason))
        with pytest.raises(InvalidEmailSetting) as raised:
            SmtpEmailSender(
                "h", sender=FROM, security="none", username=USERNAME, password=PASSWORD
            )
        texts.append(str(raised.value))

        assert "outcome unknown" in caplog.text
        assert "AUTH" in caplog.text  # the server's log of the exchange is there
        forms = (
            PASSWORD,
            base64.b64encode(f"\0{USERNAME}\0{PASSWORD}".encode()).decode(),
            base64.b64encode(PASSWORD.encode()).decode(),
        )
        for secret in forms:
            assert secret not in caplog.text
            for text in texts:
                assert secret not in text
