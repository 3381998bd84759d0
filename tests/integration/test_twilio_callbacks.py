"""Delivery status callbacks: signed by Twilio, read as the core's events."""

from __future__ import annotations

import pytest
from twilio.request_validator import RequestValidator

from oncall_adapters.twilio import (
    ForgedCallback,
    InvalidCallback,
    verify_status_callback,
)
from oncall_core import (
    Channel,
    DeliveryEvent,
    DeliveryEventKind,
    NotificationStatus,
    apply_delivery_event,
)
from tests.integration.delivery_support import AT, pending
from tests.integration.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER

URL = "https://oncall.example.com/twilio/status?tenant=7"
SID = "SM" + "5" * 32
ANA = "+4915112345678"
NEW_TOKEN = "n3w-4uth-t0k3n-after-rotation-0001"


def callback(status: str, error_code: str | None = None) -> dict[str, str]:
    """The form parameters Twilio posts for a message status."""
    params = {
        "AccountSid": ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "From": FROM_NUMBER,
        "To": ANA,
        "MessageSid": SID,
        "SmsSid": SID,
        "MessageStatus": status,
        "SmsStatus": status,
    }
    if error_code is not None:
        params["ErrorCode"] = error_code
    return params


def signed(params: dict[str, str], token: str = AUTH_TOKEN, url: str = URL) -> str:
    return str(RequestValidator(token).compute_signature(url, params))


class TestStatuses:
    """Each status Twilio reports becomes the core's delivery event."""

    @pytest.mark.parametrize(
        ("status", "kind"),
        [
            ("queued", DeliveryEventKind.SENT),
            ("sending", DeliveryEventKind.SENT),
            ("sent", DeliveryEventKind.SENT),
            ("delivered", DeliveryEventKind.DELIVERED),
            ("read", DeliveryEventKind.READ),
            ("undelivered", DeliveryEventKind.FAILED),
            ("failed", DeliveryEventKind.FAILED),
        ],
    )
    def test_a_signed_callback_becomes_an_event_about_its_message(
        self, status: str, kind: DeliveryEventKind
    ) -> None:
        """The event's provider_id is the MessageSid, its instant the one given."""
        params = callback(status)

        event = verify_status_callback(URL, params, signed(params), AUTH_TOKEN, at=AT)

        assert (event.kind, event.provider_id, event.at) == (kind, SID, AT)

    @pytest.mark.parametrize(
        ("code", "words"), [("30005", "unknown"), ("30006", "landline")]
    )
    def test_a_failure_carries_twilios_error_code(self, code: str, words: str) -> None:
        """Undelivered with ErrorCode: FAILED, the code and what it means."""
        params = callback("undelivered", code)

        event = verify_status_callback(URL, params, signed(params), AUTH_TOKEN, at=AT)

        assert (event.kind, event.code) == (DeliveryEventKind.FAILED, code)
        assert event.reason is not None
        assert words in event.reason

    def test_callbacks_in_any_order_leave_the_furthest_status(self) -> None:
        """Delivered, then a late "sent": the notification stays delivered."""
        sent = pending(Channel.SMS)
        sent = apply_delivery_event(sent, DeliveryEvent(DeliveryEventKind.SENDING, AT))
        sent = apply_delivery_event(
            sent, DeliveryEvent(DeliveryEventKind.SENT, AT, provider_id=SID)
        )

        for status in ("delivered", "sent", "queued"):
            params = callback(status)
            event = verify_status_callback(
                URL, params, signed(params), AUTH_TOKEN, at=AT
            )
            sent = apply_delivery_event(sent, event)

        assert sent.status is NotificationStatus.DELIVERED

    def test_a_replayed_callback_changes_nothing(self) -> None:
        """An identical replay verifies, and applying it again is a no-op."""
        params = callback("delivered")
        signature = signed(params)
        n = apply_delivery_event(
            pending(Channel.SMS),
            DeliveryEvent(DeliveryEventKind.SENT, AT, provider_id=SID),
        )

        once = apply_delivery_event(
            n, verify_status_callback(URL, params, signature, AUTH_TOKEN, at=AT)
        )
        twice = apply_delivery_event(
            once, verify_status_callback(URL, params, signature, AUTH_TOKEN, at=AT)
        )

        assert twice == once

    def test_an_unknown_status_is_refused_even_when_signed(self) -> None:
        """An inbound message's status is no delivery status."""
        params = callback("received")

        with pytest.raises(InvalidCallback, match="received"):
            verify_status_callback(URL, params, signed(params), AUTH_TOKEN)

    def test_a_callback_without_a_message_sid_is_refused(self) -> None:
        """Nothing to find the notification by."""
        params = {"MessageStatus": "delivered"}

        with pytest.raises(InvalidCallback):
            verify_status_callback(URL, params, signed(params), AUTH_TOKEN)


class TestSignatures:
    """Only Twilio, with a token the host accepts, can report a status."""

    def test_either_token_passes_while_a_token_is_rotated(self) -> None:
        """Signed with the old token or the new, both are accepted."""
        params = callback("delivered")
        tokens = [NEW_TOKEN, AUTH_TOKEN]

        for token in tokens:
            event = verify_status_callback(URL, params, signed(params, token), tokens)
            assert event.kind is DeliveryEventKind.DELIVERED

    def test_a_forged_signature_is_refused(self) -> None:
        """Signed with a token the host does not know."""
        params = callback("delivered")

        with pytest.raises(ForgedCallback):
            verify_status_callback(URL, params, signed(params, "guess"), AUTH_TOKEN)

    @pytest.mark.parametrize("signature", [None, ""])
    def test_an_unsigned_callback_is_refused(self, signature: str | None) -> None:
        """No X-Twilio-Signature at all."""
        with pytest.raises(ForgedCallback, match="unsigned"):
            verify_status_callback(URL, callback("delivered"), signature, AUTH_TOKEN)

    @pytest.mark.parametrize(
        "change",
        [
            {"MessageStatus": "delivered", "SmsStatus": "delivered"},
            {"ErrorCode": ""},
            {"MessageSid": "SM" + "6" * 32},
            {"Extra": "1"},
        ],
        ids=["status", "error code", "message", "added parameter"],
    )
    def test_a_replay_with_altered_parameters_is_refused(
        self, change: dict[str, str]
    ) -> None:
        """A real "failed" callback, replayed with any parameter changed."""
        params = callback("failed", "30005")
        signature = signed(params)

        with pytest.raises(ForgedCallback):
            verify_status_callback(URL, {**params, **change}, signature, AUTH_TOKEN)

    def test_a_replay_to_another_url_is_refused(self) -> None:
        """The URL is signed too: another tenant's endpoint does not accept it."""
        params = callback("delivered")
        signature = signed(params)
        other = "https://oncall.example.com/twilio/status?tenant=8"

        with pytest.raises(ForgedCallback):
            verify_status_callback(other, params, signature, AUTH_TOKEN)

    def test_the_error_names_neither_the_token_nor_the_number(self) -> None:
        """A refused callback's message is safe to log."""
        params = callback("delivered")

        with pytest.raises(ForgedCallback) as raised:
            verify_status_callback(URL, params, signed(params, "guess"), AUTH_TOKEN)

        text = str(raised.value)
        assert AUTH_TOKEN not in text
        assert ANA not in text
        assert "tenant" not in text

    def test_no_token_at_all_is_a_programming_error(self) -> None:
        """An empty token list would accept nothing: refused loudly."""
        with pytest.raises(ValueError, match="auth_tokens"):
            verify_status_callback(URL, callback("sent"), "x", [])
