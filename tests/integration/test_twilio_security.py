"""The auth token and full phone numbers never show: logs, reprs, errors, events."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator

import pytest

from oncall_adapters.twilio import (
    ForgedCallback,
    InvalidPhoneNumber,
    InvalidTwilioSetting,
    TwilioAccount,
    TwilioSmsSender,
    TwilioWhatsAppSender,
    WhatsAppTemplate,
    e164,
    verify_status_callback,
)
from oncall_core import Channel, DeliveryEvent, Message, mask_phone
from tests.integration.delivery_support import FixedClock, deliver, pending
from tests.integration.fake_http import free_port, loopback_only
from tests.integration.fake_twilio import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    FROM_NUMBER,
    Failure,
    FakeTwilio,
)

NUMBERS = [f"+49151123456{i:02d}" for i in range(10)]
SMS = Message(Channel.SMS, None, "HIGH #inc-42 Database down")
WHATSAPP = Message(
    Channel.WHATSAPP, None, "Database down", template_variables={"1": "x"}
)


@pytest.fixture(autouse=True)
def _loopback_only() -> Iterator[None]:
    with loopback_only():
        yield


def secret_forms() -> list[str]:
    """The token, and the forms it travels in (HTTP Basic auth)."""
    basic = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    return [AUTH_TOKEN, basic]


def run_everything(caplog: pytest.LogCaptureFixture) -> tuple[list[str], list[str]]:
    """Send through every success and failure; return reprs and error texts."""
    caplog.set_level(logging.DEBUG)
    clock = FixedClock()
    texts: list[str] = []
    events: list[DeliveryEvent] = []
    with FakeTwilio() as fake:
        account = TwilioAccount(
            ACCOUNT_SID, AUTH_TOKEN, base_url=fake.base_url, timeout=0.5
        )
        sms = TwilioSmsSender(account, from_=FROM_NUMBER, clock=clock)
        whatsapp = TwilioWhatsAppSender(
            account,
            from_=FROM_NUMBER,
            template=WhatsAppTemplate("HX" + "c" * 32),
            sms_fallback=sms,
            clock=clock,
        )
        failures = [
            None,
            Failure(status=400, code=21211),
            Failure(status=400, code=21610),
            Failure(status=429, code=20429, retry_after=1, times=1),
            Failure(status=500, take_in=True),
            Failure(status=503),
            Failure(drop=True),
            Failure(delay=1.0),
        ]
        for number, failure in zip(NUMBERS, failures, strict=False):
            if failure is not None:
                failure.to = number
                fake.fail(failure)
            delivery = deliver(sms, pending(Channel.SMS), SMS, number, clock)
            events += [r.event for r in delivery.rounds]
        fake.fail(Failure(to="whatsapp:" + NUMBERS[9], status=400, code=63016))
        events.append(whatsapp.send(pending(Channel.WHATSAPP), WHATSAPP, NUMBERS[9]))
        events.append(sms.send(pending(Channel.SMS), SMS, "+4912"))
        reprs = [repr(account), str(account), repr(sms), repr(whatsapp)]

    dead = TwilioAccount(
        ACCOUNT_SID, AUTH_TOKEN, base_url=f"http://127.0.0.1:{free_port()}"
    )
    events.append(
        TwilioSmsSender(dead, from_=FROM_NUMBER).send(
            pending(Channel.SMS), SMS, NUMBERS[0]
        )
    )
    texts += [f"{e.code} {e.reason}" for e in events]

    for attempt in (
        lambda: TwilioAccount("AC1", AUTH_TOKEN),
        lambda: TwilioAccount(ACCOUNT_SID, AUTH_TOKEN, base_url="nope"),
        lambda: TwilioSmsSender(dead),
        lambda: verify_status_callback(
            "https://x.example/s", {"To": NUMBERS[0]}, "forged", AUTH_TOKEN
        ),
        lambda: e164(NUMBERS[0][:-6]),
    ):
        with pytest.raises(
            (InvalidTwilioSetting, ForgedCallback, InvalidPhoneNumber)
        ) as raised:
            attempt()
        texts.append(str(raised.value))
    return reprs, texts


def test_the_auth_token_is_in_no_log_repr_error_or_event(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Everything logged at DEBUG, by us, the SDK and urllib3, across failures."""
    reprs, texts = run_everything(caplog)

    assert "twilio-sms" in caplog.text
    assert "outcome unknown" in caplog.text
    for secret in secret_forms():
        assert secret not in caplog.text
        for text in reprs + texts:
            assert secret not in text


def test_phone_numbers_show_only_masked(caplog: pytest.LogCaptureFixture) -> None:
    """The fake echoes the number in its 21211 error: the log masks it too."""
    reprs, texts = run_everything(caplog)

    for number in NUMBERS:
        assert number not in caplog.text
        for text in reprs + texts:
            assert number not in text
    assert mask_phone(NUMBERS[1]) in caplog.text
    assert "is not a valid phone number" in caplog.text
    assert mask_phone(FROM_NUMBER) in repr(reprs)


@pytest.mark.parametrize(
    "number", ["+4915112345678", "+14155552671", "whatsapp:+447911123456"]
)
def test_valid_numbers_are_read_as_e164(number: str) -> None:
    """``phonenumbers`` accepts real numbering plans, with or without a prefix."""
    assert e164(number) == number.removeprefix("whatsapp:")


@pytest.mark.parametrize(
    "number", ["4917612345678", "+49151", "+1555", "+4915112345678999", "tel:+49"]
)
def test_invalid_numbers_are_refused_and_shown_masked(number: str) -> None:
    """No country code, too short, too long, not a number."""
    with pytest.raises(InvalidPhoneNumber) as raised:
        e164(number)

    if len(number) > 8:
        assert number not in str(raised.value)
