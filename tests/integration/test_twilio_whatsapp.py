"""WhatsApp through the Twilio SDK: window, templates, and the fallback to SMS."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from oncall_adapters.twilio import (
    FALLBACK_CODES,
    InvalidTwilioSetting,
    TwilioAccount,
    TwilioSmsSender,
    TwilioWhatsAppSender,
    WhatsAppTemplate,
    whatsapp_fallback_code,
)
from oncall_core import (
    Channel,
    DeliveryEventKind,
    Message,
    Notification,
    NotificationKey,
    NotificationStatus,
    apply_delivery_event,
    next_in_line,
)
from tests.integration.delivery_support import AT, FixedClock, deliver, pending
from tests.integration.fake_http import loopback_only
from tests.integration.fake_twilio import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    FROM_NUMBER,
    Failure,
    FakeTwilio,
)

ANA = "+4915112345678"
ANA_WHATSAPP = "whatsapp:" + ANA
CONTENT_SID = "HX" + "b1" * 16
TEMPLATE = WhatsAppTemplate(CONTENT_SID)
TEXT = Message(
    Channel.WHATSAPP,
    None,
    "*HIGH* Database down\nIncident inc-42 on db\nReply ACK inc-42 to acknowledge.",
    template_variables={"1": "Database down", "2": "db", "3": "inc-42"},
)


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


def whatsapp(
    account: TwilioAccount,
    clock: FixedClock,
    *,
    sms: TwilioSmsSender | None = None,
    template: WhatsAppTemplate | None = TEMPLATE,
    in_session: bool = False,
) -> TwilioWhatsAppSender:
    return TwilioWhatsAppSender(
        account,
        from_="whatsapp:" + FROM_NUMBER,
        template=template,
        in_session=lambda number: in_session,
        sms_fallback=sms,
        clock=clock,
    )


class TestWindow:
    """Free-form text inside the 24-hour window, the template outside it."""

    def test_inside_the_window_the_text_goes_free_form(
        self, fake: FakeTwilio, account: TwilioAccount, clock: FixedClock
    ) -> None:
        """Both ends carry ``whatsapp:``; the body is the message's text."""
        event = whatsapp(account, clock, in_session=True).send(
            pending(Channel.WHATSAPP), TEXT, ANA
        )

        assert event.kind is DeliveryEventKind.SENT
        [message] = fake.messages
        assert (message["to"], message["from"]) == (
            ANA_WHATSAPP,
            "whatsapp:" + FROM_NUMBER,
        )
        assert message["body"] == TEXT.text
        assert message["content_sid"] is None

    def test_outside_the_window_the_approved_template_goes(
        self, fake: FakeTwilio, account: TwilioAccount, clock: FixedClock
    ) -> None:
        """ContentSid and ContentVariables, no body."""
        whatsapp(account, clock).send(pending(Channel.WHATSAPP), TEXT, ANA)

        [message] = fake.messages
        assert message["content_sid"] == CONTENT_SID
        assert json.loads(message["content_variables"]) == TEXT.template_variables
        assert message["body"] == ""

    def test_the_host_maps_the_messages_variables_to_the_templates(
        self, fake: FakeTwilio, account: TwilioAccount, clock: FixedClock
    ) -> None:
        """A template wanting the id first and the title second gets them so."""
        template = WhatsAppTemplate(CONTENT_SID, {"1": "3", "2": "1"})

        whatsapp(account, clock, template=template).send(
            pending(Channel.WHATSAPP), TEXT, ANA
        )

        variables = json.loads(fake.messages[0]["content_variables"])
        assert variables == {"1": "inc-42", "2": "Database down"}

    def test_a_mapping_naming_a_missing_variable_fails_without_a_request(
        self, fake: FakeTwilio, account: TwilioAccount, clock: FixedClock
    ) -> None:
        """The host's mapping and the rendering disagree: a permanent failure."""
        template = WhatsAppTemplate(CONTENT_SID, {"1": "9"})

        event = whatsapp(account, clock, template=template).send(
            pending(Channel.WHATSAPP), TEXT, ANA
        )

        assert (event.kind, event.code) == (
            DeliveryEventKind.FAILED,
            "template-variables",
        )
        assert fake.starts == []

    def test_without_a_template_the_text_is_tried_and_twilio_decides(
        self, fake: FakeTwilio, account: TwilioAccount, clock: FixedClock
    ) -> None:
        """Outside the window and no template: free-form, for 63016 to catch."""
        whatsapp(account, clock, template=None).send(
            pending(Channel.WHATSAPP), TEXT, ANA
        )

        assert fake.messages[0]["body"] == TEXT.text

    def test_a_failing_in_session_check_counts_as_outside(
        self, fake: FakeTwilio, account: TwilioAccount, clock: FixedClock
    ) -> None:
        """A host callable that raises does not stop the page."""

        def broken(number: str) -> bool:
            raise RuntimeError("session store down")

        sender = TwilioWhatsAppSender(
            account,
            from_=FROM_NUMBER,
            template=WhatsAppTemplate(CONTENT_SID),
            in_session=broken,
        )

        event = sender.send(pending(Channel.WHATSAPP), TEXT, ANA)

        assert event.kind is DeliveryEventKind.SENT
        assert fake.messages[0]["content_sid"] == CONTENT_SID

    @pytest.mark.parametrize("content_sid", ["HX123", "MG" + "0" * 32, ""])
    def test_a_malformed_content_sid_is_refused(self, content_sid: str) -> None:
        """HX and 32 hex digits, as Twilio's Content API issues them."""
        with pytest.raises(InvalidTwilioSetting):
            WhatsAppTemplate(content_sid)


class TestFallbackToSms:
    """63016, 63003 and 63018 send an SMS to the same number instead."""

    @pytest.mark.parametrize("code", sorted(FALLBACK_CODES))
    def test_the_same_number_gets_an_sms_recorded_as_a_fallback(
        self,
        fake: FakeTwilio,
        account: TwilioAccount,
        clock: FixedClock,
        sms: TwilioSmsSender,
        code: int,
    ) -> None:
        """The SMS's event is returned, saying which WhatsApp error it replaced."""
        fake.fail(Failure(to=ANA_WHATSAPP, status=400, code=code))

        delivery = deliver(
            whatsapp(account, clock, sms=sms),
            pending(Channel.WHATSAPP),
            TEXT,
            ANA,
            clock,
        )

        event = delivery.first.event
        [sent] = fake.messages_to(ANA)
        assert event.kind is DeliveryEventKind.SENT
        assert event.provider_id == sent["sid"]
        assert sent["body"] == TEXT.text
        assert whatsapp_fallback_code(event) == code
        assert delivery.attempts == 1
        assert delivery.final.status is NotificationStatus.SENT
        assert delivery.final.provider_id == sent["sid"]
        assert fake.requests_to(ANA_WHATSAPP) == 1
        assert fake.requests_to(ANA) == 1

    def test_a_fallback_sms_that_fails_reports_the_sms_failure(
        self,
        fake: FakeTwilio,
        account: TwilioAccount,
        clock: FixedClock,
        sms: TwilioSmsSender,
    ) -> None:
        """The recipient replied STOP to SMS too: FAILED with 21610, both named."""
        fake.fail(Failure(to=ANA_WHATSAPP, status=400, code=63003))
        fake.fail(Failure(to=ANA, status=400, code=21610))

        event = whatsapp(account, clock, sms=sms).send(
            pending(Channel.WHATSAPP), TEXT, ANA
        )

        assert (event.kind, event.code) == (DeliveryEventKind.FAILED, "21610")
        assert whatsapp_fallback_code(event) == 63003

    def test_a_fallback_with_an_unknown_outcome_still_says_outcome_unknown_first(
        self,
        fake: FakeTwilio,
        account: TwilioAccount,
        clock: FixedClock,
        sms: TwilioSmsSender,
    ) -> None:
        """The port's rule wins: the reason starts with "outcome unknown"."""
        fake.fail(Failure(to=ANA_WHATSAPP, status=400, code=63016))
        fake.fail(Failure(to=ANA, drop=True))

        event = whatsapp(account, clock, sms=sms).send(
            pending(Channel.WHATSAPP), TEXT, ANA
        )

        assert event.kind is DeliveryEventKind.SENT
        assert event.reason is not None
        assert event.reason.startswith("outcome unknown")
        assert whatsapp_fallback_code(event) == 63016

    def test_other_whatsapp_failures_do_not_fall_back(
        self,
        fake: FakeTwilio,
        account: TwilioAccount,
        clock: FixedClock,
        sms: TwilioSmsSender,
    ) -> None:
        """21211 would fail by SMS as well: no fallback, no SMS."""
        fake.fail(Failure(to=ANA_WHATSAPP, status=400, code=21211))

        event = whatsapp(account, clock, sms=sms).send(
            pending(Channel.WHATSAPP), TEXT, ANA
        )

        assert (event.kind, event.code) == (DeliveryEventKind.FAILED, "21211")
        assert whatsapp_fallback_code(event) is None
        assert fake.requests_to(ANA) == 0

    @pytest.mark.parametrize(
        ("code", "kind"),
        [
            (63016, DeliveryEventKind.FAILED),
            (63003, DeliveryEventKind.FAILED),
            (63018, DeliveryEventKind.TEMPORARY_FAILURE),
        ],
    )
    def test_without_a_fallback_sender_the_whatsapp_failure_is_returned(
        self,
        fake: FakeTwilio,
        account: TwilioAccount,
        clock: FixedClock,
        code: int,
        kind: DeliveryEventKind,
    ) -> None:
        """Outside the window and not on WhatsApp fail; the rate limit retries."""
        fake.fail(Failure(to=ANA_WHATSAPP, status=400, code=code))

        event = whatsapp(account, clock).send(pending(Channel.WHATSAPP), TEXT, ANA)

        assert (event.kind, event.code) == (kind, str(code))
        assert fake.requests_to(ANA) == 0

    def test_without_a_fallback_sender_the_cores_standby_sms_takes_over(
        self, fake: FakeTwilio, account: TwilioAccount, clock: FixedClock
    ) -> None:
        """The WhatsApp notification fails; next_in_line releases its SMS fallback."""
        fake.fail(Failure(to=ANA_WHATSAPP, status=400, code=63016))
        message = pending(Channel.WHATSAPP)
        standby = Notification(
            NotificationKey("inc-42", 0, 0, "ana", Channel.SMS),
            NotificationStatus.STANDBY,
            AT,
            fallback_of=Channel.WHATSAPP,
        )

        event = whatsapp(account, clock).send(message, TEXT, ANA)
        failed = apply_delivery_event(message, event)

        assert failed.status is NotificationStatus.FAILED
        assert next_in_line([failed, standby]) == standby

    def test_the_fallback_sender_must_send_sms(
        self, account: TwilioAccount, clock: FixedClock
    ) -> None:
        """A WhatsApp sender cannot be its own fallback."""
        other = whatsapp(account, clock)

        with pytest.raises(InvalidTwilioSetting):
            TwilioWhatsAppSender(account, from_=FROM_NUMBER, sms_fallback=other)
