"""SMS through the real Twilio SDK, against the fake Twilio server on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest

from oncall_adapters.twilio import (
    InvalidTwilioSetting,
    TwilioAccount,
    TwilioSmsSender,
)
from oncall_core import (
    Channel,
    DeliveryEventKind,
    Message,
    NotificationStatus,
)
from tests.integration.delivery_support import AT, FixedClock, deliver, pending
from tests.integration.fake_http import free_port, loopback_only
from tests.integration.fake_twilio import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    FROM_NUMBER,
    MESSAGING_SERVICE_SID,
    Failure,
    FakeTwilio,
)

ANA = "+4915112345678"
TEXT = Message(Channel.SMS, None, "HIGH #inc-42 Database down\nReply ACK inc-42")


@pytest.fixture(autouse=True)
def _loopback_only() -> Iterator[None]:
    with loopback_only():
        yield


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with FakeTwilio() as server:
        yield server


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def account(fake: FakeTwilio) -> TwilioAccount:
    return TwilioAccount(ACCOUNT_SID, AUTH_TOKEN, base_url=fake.base_url, timeout=0.5)


@pytest.fixture
def sms(account: TwilioAccount, clock: FixedClock) -> TwilioSmsSender:
    return TwilioSmsSender(account, from_=FROM_NUMBER, clock=clock)


class TestSending:
    """What goes to Twilio, and what comes back."""

    def test_an_sms_goes_from_the_number_to_the_recipient(
        self, fake: FakeTwilio, sms: TwilioSmsSender
    ) -> None:
        """The SDK posts To, From and Body; the event carries Twilio's SM sid."""
        event = sms.send(pending(Channel.SMS), TEXT, ANA)

        assert event.kind is DeliveryEventKind.SENT
        assert event.at == AT
        [message] = fake.messages
        assert event.provider_id == message["sid"]
        assert message["sid"].startswith("SM")
        assert (message["to"], message["from"]) == (ANA, FROM_NUMBER)
        assert message["body"] == TEXT.text
        assert message["status"] == "queued"

    def test_a_messaging_service_picks_the_sender(
        self, fake: FakeTwilio, account: TwilioAccount
    ) -> None:
        """With only a Messaging Service SID, no From is sent."""
        sender = TwilioSmsSender(account, messaging_service_sid=MESSAGING_SERVICE_SID)

        event = sender.send(pending(Channel.SMS), TEXT, ANA)

        assert event.kind is DeliveryEventKind.SENT
        [message] = fake.messages
        assert message["messaging_service_sid"] == MESSAGING_SERVICE_SID
        assert message["from"] is None

    def test_the_status_callback_goes_with_each_message(
        self, fake: FakeTwilio, account: TwilioAccount
    ) -> None:
        """Twilio is told where to post delivery statuses."""
        url = "https://oncall.example.com/twilio/status"
        sender = TwilioSmsSender(account, from_=FROM_NUMBER, status_callback=url)

        sender.send(pending(Channel.SMS), TEXT, ANA)

        assert fake.messages[0]["status_callback"] == url

    def test_a_number_written_with_spaces_is_sent_as_e164(
        self, fake: FakeTwilio, sms: TwilioSmsSender
    ) -> None:
        """``phonenumbers`` reads the number and the request carries E.164."""
        sms.send(pending(Channel.SMS), TEXT, "+49 151 1234 5678")

        assert fake.messages[0]["to"] == ANA

    @pytest.mark.parametrize(
        "address",
        ["015112345678", "+49123", "+999123456789", "ana@example.com", ""],
    )
    def test_an_invalid_number_fails_at_once_without_a_request(
        self, fake: FakeTwilio, sms: TwilioSmsSender, address: str
    ) -> None:
        """A number ``phonenumbers`` does not accept never reaches Twilio."""
        event = sms.send(pending(Channel.SMS), TEXT, address)

        assert event.kind is DeliveryEventKind.FAILED
        assert event.code == "invalid-number"
        assert fake.starts == []

    def test_the_fake_refuses_a_wrong_auth_token(
        self, fake: FakeTwilio, clock: FixedClock
    ) -> None:
        """HTTP Basic auth is checked: 401 with code 20003, a permanent failure."""
        account = TwilioAccount(ACCOUNT_SID, "not-the-token", base_url=fake.base_url)
        sender = TwilioSmsSender(account, from_=FROM_NUMBER, clock=clock)

        event = sender.send(pending(Channel.SMS), TEXT, ANA)

        assert (event.kind, event.code) == (DeliveryEventKind.FAILED, "20003")
        assert fake.messages == []

    def test_the_fake_refuses_a_number_the_account_does_not_own(
        self, fake: FakeTwilio, account: TwilioAccount
    ) -> None:
        """From must be one of the account's numbers: 21606, permanent."""
        sender = TwilioSmsSender(account, from_="+14155552671")

        event = sender.send(pending(Channel.SMS), TEXT, ANA)

        assert (event.kind, event.code) == (DeliveryEventKind.FAILED, "21606")

    @pytest.mark.parametrize(
        "settings",
        [
            {"account_sid": "AC123", "auth_token": AUTH_TOKEN},
            {"account_sid": ACCOUNT_SID, "auth_token": ""},
            {
                "account_sid": ACCOUNT_SID,
                "auth_token": AUTH_TOKEN,
                "base_url": "ftp://x",
            },
            {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN, "timeout": 0},
        ],
    )
    def test_a_malformed_account_is_refused(self, settings: dict[str, object]) -> None:
        """A bad SID, an empty token, a base URL that is not http(s), no timeout."""
        with pytest.raises(InvalidTwilioSetting):
            TwilioAccount(**settings)  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        "settings",
        [
            {},
            {"from_": "+49123"},
            {"from_": "not a sender id!"},
            {"messaging_service_sid": "MG123"},
            {"from_": FROM_NUMBER, "status_callback": "ftp://example.com/"},
        ],
    )
    def test_a_malformed_sender_is_refused(
        self, account: TwilioAccount, settings: dict[str, str]
    ) -> None:
        """No sender at all, a bad number, SID or callback URL."""
        with pytest.raises(InvalidTwilioSetting):
            TwilioSmsSender(account, **settings)

    def test_short_codes_and_sender_ids_are_accepted_senders(
        self, account: TwilioAccount
    ) -> None:
        """Not every sender is a phone number."""
        assert TwilioSmsSender(account, from_="72345").from_ == "72345"
        assert TwilioSmsSender(account, from_="OnCall").from_ == "OnCall"


@dataclass(frozen=True)
class Fault:
    """One way Twilio fails, and what the notification must show after it."""

    failure: Failure | None
    first: DeliveryEventKind
    status_after_first: NotificationStatus
    wait: timedelta | None
    final: NotificationStatus
    requests: int
    messages: int


FAULTS = {
    **{
        f"400 {code}": Fault(
            Failure(to=ANA, status=400, code=code),
            DeliveryEventKind.FAILED,
            NotificationStatus.FAILED,
            None,
            NotificationStatus.FAILED,
            requests=1,
            messages=0,
        )
        for code in (21211, 21610, 21408, 30005, 30006)
    },
    "429 with Retry-After": Fault(
        Failure(to=ANA, status=429, code=20429, retry_after=120, times=1),
        DeliveryEventKind.TEMPORARY_FAILURE,
        NotificationStatus.RETRYING,
        timedelta(seconds=120),
        NotificationStatus.SENT,
        requests=2,
        messages=1,
    ),
    "503 before accepting": Fault(
        Failure(to=ANA, status=503, times=1),
        DeliveryEventKind.TEMPORARY_FAILURE,
        NotificationStatus.RETRYING,
        timedelta(seconds=30),
        NotificationStatus.SENT,
        requests=2,
        messages=1,
    ),
    "500 after queueing": Fault(
        Failure(to=ANA, status=500, take_in=True, times=1),
        DeliveryEventKind.SENT,
        NotificationStatus.SENT,
        None,
        NotificationStatus.SENT,
        requests=1,
        messages=1,
    ),
    "timeout after the request": Fault(
        Failure(to=ANA, delay=1.5, times=1),
        DeliveryEventKind.SENT,
        NotificationStatus.SENT,
        None,
        NotificationStatus.SENT,
        requests=1,
        messages=1,
    ),
    "connection dropped after the request": Fault(
        Failure(to=ANA, drop=True, times=1),
        DeliveryEventKind.SENT,
        NotificationStatus.SENT,
        None,
        NotificationStatus.SENT,
        requests=1,
        messages=1,
    ),
}


class TestFaults:
    """Each failure: the recorded status, whether and when it is retried, no double."""

    @pytest.mark.parametrize("fault", FAULTS.values(), ids=FAULTS.keys())
    def test_each_failure_is_recorded_retried_when_safe_and_never_doubled(
        self, fake: FakeTwilio, sms: TwilioSmsSender, clock: FixedClock, fault: Fault
    ) -> None:
        """Permanent codes fail, rate limits and 503 retry, unknown outcomes stop."""
        assert fault.failure is not None
        fake.fail(fault.failure)

        delivery = deliver(sms, pending(Channel.SMS), TEXT, ANA, clock)

        first = delivery.first
        assert first.event.kind is fault.first
        assert first.after.status is fault.status_after_first
        if fault.wait is None:
            assert first.after.not_before is None
        else:
            assert first.after.not_before == AT + fault.wait
        assert delivery.final.status is fault.final
        assert fake.requests_to(ANA) == fault.requests
        assert len(fake.messages_to(ANA)) == fault.messages

    @pytest.mark.parametrize("code", [21211, 21610, 21408, 30005, 30006])
    def test_a_permanent_failure_records_twilios_code(
        self, fake: FakeTwilio, sms: TwilioSmsSender, code: int
    ) -> None:
        """The notification's error names the code; the event's code is it."""
        fake.fail(Failure(to=ANA, status=400, code=code))

        event = sms.send(pending(Channel.SMS), TEXT, ANA)

        assert event.code == str(code)
        assert event.reason is not None
        assert str(code) in event.reason

    def test_a_rate_limit_reports_the_providers_retry_after(
        self, fake: FakeTwilio, sms: TwilioSmsSender
    ) -> None:
        """Retry-After becomes the event's retry_after."""
        fake.fail(Failure(status=429, code=20429, retry_after=7))

        event = sms.send(pending(Channel.SMS), TEXT, ANA)

        assert event.kind is DeliveryEventKind.TEMPORARY_FAILURE
        assert event.retry_after == timedelta(seconds=7)

    @pytest.mark.parametrize(
        "failure",
        [
            Failure(status=500, take_in=True),
            Failure(delay=1.5),
            Failure(drop=True),
            Failure(garbage=True),
        ],
        ids=["500", "timeout", "drop", "not json"],
    )
    def test_an_unknown_outcome_is_sent_with_a_reason_saying_so(
        self, fake: FakeTwilio, sms: TwilioSmsSender, failure: Failure
    ) -> None:
        """The port's rule: SENT, the reason starting "outcome unknown"."""
        fake.fail(failure)

        event = sms.send(pending(Channel.SMS), TEXT, ANA)

        assert event.kind is DeliveryEventKind.SENT
        assert event.provider_id is None
        assert event.reason is not None
        assert event.reason.startswith("outcome unknown")

    def test_a_refused_connection_is_retried_with_backoff_until_the_attempts_run_out(
        self, clock: FixedClock
    ) -> None:
        """Nothing listens: nothing was sent, so each attempt is retried, later."""
        account = TwilioAccount(
            ACCOUNT_SID,
            AUTH_TOKEN,
            base_url=f"http://127.0.0.1:{free_port()}",
            timeout=0.5,
        )
        sender = TwilioSmsSender(account, from_=FROM_NUMBER, clock=clock)

        delivery = deliver(sender, pending(Channel.SMS), TEXT, ANA, clock)

        assert delivery.first.event.kind is DeliveryEventKind.TEMPORARY_FAILURE
        assert delivery.first.event.code == "connection-failed"
        waits = [
            r.after.not_before - r.event.at
            for r in delivery.rounds
            if r.after.not_before is not None
        ]
        assert waits == [timedelta(seconds=s) for s in (30, 60, 120, 240)]
        assert delivery.final.status is NotificationStatus.FAILED
        assert delivery.final.error is not None
        assert delivery.final.error.startswith("gave up after 5 attempts")
