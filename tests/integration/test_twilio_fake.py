"""The fake Twilio server checks what Twilio checks, and answers as Twilio does."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.integration.fake_http import loopback_only
from tests.integration.fake_twilio import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    FROM_NUMBER,
    MESSAGING_SERVICE_SID,
    Failure,
    FakeTwilio,
)

ANA = "+4915112345678"
CONTENT_SID = "HX" + "0a" * 16


@pytest.fixture(autouse=True)
def _loopback_only() -> Iterator[None]:
    with loopback_only():
        yield


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with FakeTwilio() as server:
        yield server


def post(
    fake: FakeTwilio,
    form: dict[str, str],
    *,
    token: str = AUTH_TOKEN,
    account: str = ACCOUNT_SID,
) -> tuple[int, dict[str, str], dict[str, Any]]:
    url = f"{fake.base_url}/2010-04-01/Accounts/{account}/Messages.json"
    auth = base64.b64encode(f"{ACCOUNT_SID}:{token}".encode()).decode()
    request = urllib.request.Request(
        url,
        data=urlencode(form).encode(),
        headers={"Authorization": f"Basic {auth}"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.load(error)


class TestChecks:
    """Each malformed request gets Twilio's status and code."""

    @pytest.mark.parametrize(
        ("form", "status", "code"),
        [
            ({"From": FROM_NUMBER, "Body": "x"}, 400, 21604),
            ({"To": "015112345678", "From": FROM_NUMBER, "Body": "x"}, 400, 21211),
            ({"To": ANA, "Body": "x"}, 400, 21603),
            ({"To": ANA, "From": "+14155552671", "Body": "x"}, 400, 21606),
            (
                {"To": ANA, "MessagingServiceSid": "MG" + "1" * 32, "Body": "x"},
                400,
                21701,
            ),
            ({"To": "whatsapp:" + ANA, "From": FROM_NUMBER, "Body": "x"}, 400, 21910),
            ({"To": ANA, "From": "whatsapp:" + FROM_NUMBER, "Body": "x"}, 400, 21910),
            ({"To": ANA, "From": FROM_NUMBER}, 400, 21602),
            ({"To": ANA, "From": FROM_NUMBER, "ContentSid": "HX12"}, 400, 21655),
            (
                {
                    "To": ANA,
                    "From": FROM_NUMBER,
                    "ContentSid": CONTENT_SID,
                    "ContentVariables": "[1]",
                },
                400,
                21656,
            ),
            ({"To": ANA, "From": FROM_NUMBER, "Body": "x" * 1601}, 400, 21617),
        ],
    )
    def test_a_malformed_request_is_refused_with_twilios_code(
        self, fake: FakeTwilio, form: dict[str, str], status: int, code: int
    ) -> None:
        """The error is Twilio-shaped JSON; nothing is taken in."""
        got, _, body = post(fake, form)

        assert (got, body["code"], body["status"]) == (status, code, status)
        assert body["more_info"] == f"https://www.twilio.com/docs/errors/{code}"
        assert body["message"]
        assert fake.messages == []

    def test_a_wrong_token_is_refused(self, fake: FakeTwilio) -> None:
        """HTTP Basic auth with the account SID and the auth token: 401, 20003."""
        got, _, body = post(
            fake, {"To": ANA, "From": FROM_NUMBER, "Body": "x"}, token="x"
        )

        assert (got, body["code"]) == (401, 20003)

    def test_another_accounts_path_is_not_found(self, fake: FakeTwilio) -> None:
        """The account in the path must be the authenticated one."""
        other = "AC" + "9" * 32
        got, _, body = post(
            fake, {"To": ANA, "From": FROM_NUMBER, "Body": "x"}, account=other
        )

        assert (got, body["code"]) == (404, 20404)


class TestAnswers:
    """What the fake answers, and how it fails on demand."""

    def test_a_message_is_taken_in_as_queued_with_an_sm_sid(
        self, fake: FakeTwilio
    ) -> None:
        """201 with the message resource, as Twilio's API returns it."""
        got, _, body = post(fake, {"To": ANA, "From": FROM_NUMBER, "Body": "hi"})

        assert got == 201
        assert body["sid"].startswith("SM")
        assert len(body["sid"]) == 34
        assert (body["status"], body["to"], body["from"]) == (
            "queued",
            ANA,
            FROM_NUMBER,
        )
        assert fake.messages == [body]

    def test_a_messaging_service_message_is_accepted(self, fake: FakeTwilio) -> None:
        """Without From, Twilio reports it accepted, to pick a sender later."""
        _, _, body = post(
            fake, {"To": ANA, "MessagingServiceSid": MESSAGING_SERVICE_SID, "Body": "x"}
        )

        assert body["status"] == "accepted"

    def test_a_rate_limit_comes_with_retry_after(self, fake: FakeTwilio) -> None:
        """429, code 20429, and the Retry-After header."""
        fake.fail(Failure(status=429, code=20429, retry_after=3, times=1))

        got, headers, body = post(fake, {"To": ANA, "From": FROM_NUMBER, "Body": "x"})

        assert (got, body["code"], headers["Retry-After"]) == (429, 20429, "3")
        assert post(fake, {"To": ANA, "From": FROM_NUMBER, "Body": "x"})[0] == 201

    def test_a_failure_for_one_number_leaves_the_others_alone(
        self, fake: FakeTwilio
    ) -> None:
        """Failures can be told per To."""
        fake.fail(Failure(to=ANA, status=400, code=21610))

        assert post(fake, {"To": ANA, "From": FROM_NUMBER, "Body": "x"})[0] == 400
        other = {"To": "+4915112345679", "From": FROM_NUMBER, "Body": "x"}
        assert post(fake, other)[0] == 201
        assert fake.requests_to(ANA) == 1
