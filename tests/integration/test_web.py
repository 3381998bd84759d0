"""The web app on a real SQLite database: callbacks, replies, feeds, health."""

from __future__ import annotations

import doctest
import io
import itertools
import logging
import threading
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote, urlencode
from wsgiref.types import WSGIApplication
from wsgiref.util import setup_testing_defaults
from wsgiref.validate import validator

import attrs
import pytest
from icalendar import Calendar
from sqlalchemy.engine import Engine
from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

from oncall_adapters.dispatch import Dispatcher
from oncall_adapters.sql import SqlDirectory, SqlRepository, create_engine
from oncall_adapters.sql.store import SqlEscalationStore
from oncall_adapters.sql.worker import run_worker
from oncall_adapters.web import (
    FEED_AHEAD,
    FEED_BEHIND,
    Command,
    Reply,
    feed_path,
    make_app,
    make_server,
    parse_reply,
)
from oncall_core import (
    Channel,
    Contact,
    DeliveryEvent,
    DeliveryEventKind,
    EscalationPolicy,
    EscalationStatus,
    EscalationStep,
    EventKind,
    Incident,
    Layer,
    Message,
    Notification,
    NotificationStatus,
    Preferences,
    Schedule,
    User,
    UserTarget,
)

T0 = datetime(2024, 6, 3, 9, tzinfo=UTC)
BASE = "https://oncall.example.com"
TOKEN = "0ld-4uth-t0k3n-before-rotation-01"
NEW_TOKEN = "n3w-4uth-t0k3n-after-rotation-0001"
FEED_TOKEN = "feed-s3cret-9f8e7d6c5b4a"
ACCOUNT = "AC" + "0" * 32

ANA_PHONE = "+4915112345678"
BEN_PHONE = "+4915187654321"
BEN_WHATSAPP = "+4917612345678"
CARL_PHONE = "+4915155555555"
STRANGER = "+4915100000001"

POLICY = EscalationPolicy(
    "standard",
    [
        EscalationStep([UserTarget("ana")], channels=[Channel.SMS]),
        EscalationStep(
            [UserTarget("ben")], delay=timedelta(minutes=10), channels=[Channel.SMS]
        ),
    ],
)
PLATFORM = Schedule(
    "Platform",
    "Europe/Berlin",
    [Layer("day", ["ana", "ben"], T0 - timedelta(days=30), timedelta(days=1))],
)


def user(user_id: str, phone: str, whatsapp: str | None = None) -> User:
    return User(
        user_id,
        name=user_id.title(),
        contact=Contact(phone=phone, whatsapp=whatsapp),
        preferences=Preferences(enabled=[Channel.SMS]),
    )


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.at = T0

    def now(self) -> datetime:
        return self.at


class TwilioLikeSender:
    """Sends SMS and WhatsApp nowhere, answering with Twilio-shaped message SIDs."""

    name = "fake-twilio"
    channels = frozenset({Channel.SMS, Channel.WHATSAPP})

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()

    def send(
        self, notification: Notification, message: Message, address: str
    ) -> DeliveryEvent:
        with self._lock:
            sid = f"SM{next(self._numbers):032x}"
        return DeliveryEvent(DeliveryEventKind.SENT, self.clock.now(), provider_id=sid)


@attrs.define
class World:
    """A database with users, a schedule, and INC-1 paged to ana by SMS."""

    engine: Engine
    store: SqlEscalationStore
    repository: SqlRepository
    clock: Clock
    sender: TwilioLikeSender
    app: WSGIApplication

    def work(self) -> None:
        """Run one worker cycle at the clock's time."""
        with Dispatcher([self.sender]) as dispatcher:
            run_worker(
                self.store,
                SqlDirectory(self.engine),
                dispatcher,
                clock=self.clock,
                once=True,
            )

    def trigger(self, incident_id: str) -> None:
        self.store.trigger(Incident(incident_id, "Checkout is down", T0), POLICY)

    def notification(self, user_id: str, incident: str = "INC-1") -> Notification:
        (found,) = [n for n in self.store.notifications(incident) if n.user == user_id]
        return found

    def status(self, incident: str = "INC-1") -> EscalationStatus:
        escalation = self.store.escalation(incident)
        assert escalation is not None
        return escalation.status


@pytest.fixture
def world(sqlite_url: str) -> Iterator[World]:
    engine = create_engine(sqlite_url)
    repository = SqlRepository(engine)
    for someone in (
        user("ana", ANA_PHONE),
        user("ben", BEN_PHONE, whatsapp=BEN_WHATSAPP),
        user("carl", CARL_PHONE),
    ):
        repository.save_user(someone)
    repository.save_schedule("platform", PLATFORM)
    store = SqlEscalationStore(engine)
    clock = Clock()
    app = make_app(
        store=store,
        repository=repository,
        twilio_auth_tokens=[TOKEN, NEW_TOKEN],
        feed_token=FEED_TOKEN,
        public_base_url=BASE,
        clock=clock,
    )
    built = World(engine, store, repository, clock, TwilioLikeSender(clock), app)
    built.trigger("INC-1")
    built.work()
    yield built
    engine.dispose()


# A WSGI test client.


@attrs.frozen
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def message(self) -> str:
        """The text of a TwiML answer's message."""
        root = ET.fromstring(self.body)
        assert root.tag == "Response"
        (message,) = root.findall("Message")
        return message.text or ""


def call(
    app: WSGIApplication,
    method: str,
    path: str,
    *,
    query: str = "",
    form: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> Answer:
    """Call *app* as a WSGI server would, checked by ``wsgiref.validate``."""
    body = urlencode(form).encode() if form is not None else b""
    environ: dict[str, object] = {}
    setup_testing_defaults(environ)
    environ.update(
        {
            "REQUEST_METHOD": method,
            # A WSGI server hands the path over decoded, its bytes as latin-1.
            "PATH_INFO": unquote(path, encoding="latin-1"),
            "QUERY_STRING": query,
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
        }
    )
    if form is not None:
        environ["CONTENT_TYPE"] = "application/x-www-form-urlencoded"
    for name, value in (headers or {}).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    started: list[tuple[str, list[tuple[str, str]]]] = []

    def start_response(
        status: str, headers: list[tuple[str, str]], *_: object
    ) -> Callable[[bytes], object]:
        started.append((status, headers))
        return lambda data: None

    chunks = validator(app)(environ, start_response)
    try:
        content = b"".join(chunks)
    finally:
        chunks.close()  # type: ignore[attr-defined]
    status, response_headers = started[0]
    return Answer(int(status.split()[0]), dict(response_headers), content)


def signature(params: dict[str, str], url: str, token: str = TOKEN) -> str:
    return str(RequestValidator(token).compute_signature(url, params))


def post_signed(
    app: WSGIApplication,
    path: str,
    params: dict[str, str],
    *,
    token: str = TOKEN,
    signed_params: dict[str, str] | None = None,
    url: str | None = None,
) -> Answer:
    """POST *params*, signed (for *signed_params* and *url*, when given)."""
    signed = signature(signed_params or params, url or BASE + path, token)
    return call(app, "POST", path, form=params, headers={"X-Twilio-Signature": signed})


def status_callback(sid: str, status: str, **extra: str) -> dict[str, str]:
    """The form parameters Twilio posts about a message's status."""
    return {
        "AccountSid": ACCOUNT,
        "From": "+15017122661",
        "To": ANA_PHONE,
        "MessageSid": sid,
        "SmsSid": sid,
        "MessageStatus": status,
        "SmsStatus": status,
        **extra,
    }


def inbound(number: str, body: str) -> dict[str, str]:
    """The form parameters Twilio posts for an incoming SMS (or WhatsApp)."""
    return {
        "AccountSid": ACCOUNT,
        "MessageSid": "SM" + "f" * 32,
        "From": number,
        "To": "+15017122661",
        "Body": body,
        "NumMedia": "0",
        "SmsStatus": "received",
    }


def reply(world: World, number: str, body: str) -> Answer:
    return post_signed(world.app, "/twilio/inbound", inbound(number, body))


# Status callbacks.


class TestStatusCallbacks:
    """POST /twilio/status: signed callbacks move statuses, others change nothing."""

    def test_a_signed_callback_records_the_delivery(self, world: World) -> None:
        """Delivered, signed with the current token: 204 and DELIVERED."""
        sid = world.notification("ana").provider_id
        assert sid is not None

        answer = post_signed(
            world.app, "/twilio/status", status_callback(sid, "delivered")
        )

        assert (answer.status, answer.body) == (204, b"")
        assert world.notification("ana").status is NotificationStatus.DELIVERED

    def test_the_new_token_passes_during_a_rotation(self, world: World) -> None:
        """Either accepted token verifies; the status moves on."""
        sid = world.notification("ana").provider_id
        assert sid is not None

        answer = post_signed(
            world.app, "/twilio/status", status_callback(sid, "read"), token=NEW_TOKEN
        )

        assert answer.status == 204
        assert world.notification("ana").status is NotificationStatus.READ

    def test_a_failure_callback_fails_the_notification(self, world: World) -> None:
        """Undelivered with an error code: FAILED, with the code."""
        sid = world.notification("ana").provider_id
        assert sid is not None
        params = status_callback(sid, "undelivered", ErrorCode="30005")

        assert post_signed(world.app, "/twilio/status", params).status == 204

        after = world.notification("ana")
        assert after.status is NotificationStatus.FAILED
        assert "30005" in (after.error or "")

    @pytest.mark.parametrize(
        "headers",
        [
            pytest.param({}, id="unsigned"),
            pytest.param({"X-Twilio-Signature": ""}, id="empty signature"),
            pytest.param({"X-Twilio-Signature": "Zm9yZ2Vk"}, id="made up"),
        ],
    )
    def test_an_unsigned_or_forged_callback_is_refused(
        self, world: World, headers: dict[str, str]
    ) -> None:
        """403 with no detail, and the notification stays SENT."""
        sid = world.notification("ana").provider_id
        assert sid is not None

        answer = call(
            world.app,
            "POST",
            "/twilio/status",
            form=status_callback(sid, "failed"),
            headers=headers,
        )

        assert (answer.status, answer.body) == (403, b"forbidden\n")
        assert world.notification("ana").status is NotificationStatus.SENT

    def test_a_callback_signed_with_another_token_is_refused(
        self, world: World
    ) -> None:
        """A token the app does not accept signs nothing."""
        sid = world.notification("ana").provider_id
        assert sid is not None

        answer = post_signed(
            world.app,
            "/twilio/status",
            status_callback(sid, "failed"),
            token="n0t-0ur-t0k3n-at-all-00000000000",
        )

        assert answer.status == 403
        assert world.notification("ana").status is NotificationStatus.SENT

    def test_a_replay_with_altered_params_is_refused(self, world: World) -> None:
        """The signature of 'delivered' does not carry 'failed'."""
        sid = world.notification("ana").provider_id
        assert sid is not None
        genuine = status_callback(sid, "delivered")
        altered = status_callback(sid, "failed", ErrorCode="30005")

        answer = post_signed(
            world.app, "/twilio/status", altered, signed_params=genuine
        )

        assert answer.status == 403
        assert world.notification("ana").status is NotificationStatus.SENT

    def test_a_callback_signed_for_another_url_is_refused(self, world: World) -> None:
        """A signature is bound to the URL Twilio called."""
        sid = world.notification("ana").provider_id
        assert sid is not None

        answer = post_signed(
            world.app,
            "/twilio/status",
            status_callback(sid, "delivered"),
            url="https://elsewhere.example.com/twilio/status",
        )

        assert answer.status == 403
        assert world.notification("ana").status is NotificationStatus.SENT

    def test_a_callback_replayed_unchanged_changes_nothing_more(
        self, world: World
    ) -> None:
        """Twice the same delivered: one DELIVERED in the history."""
        sid = world.notification("ana").provider_id
        assert sid is not None
        params = status_callback(sid, "delivered")

        first = post_signed(world.app, "/twilio/status", params)
        again = post_signed(world.app, "/twilio/status", params)

        assert (first.status, again.status) == (204, 204)
        history = [status for _, status in world.notification("ana").history]
        assert history.count(NotificationStatus.DELIVERED) == 1

    def test_a_late_callback_never_moves_a_status_backwards(self, world: World) -> None:
        """'sent' after 'delivered' is accepted and ignored."""
        sid = world.notification("ana").provider_id
        assert sid is not None
        post_signed(world.app, "/twilio/status", status_callback(sid, "delivered"))

        late = post_signed(world.app, "/twilio/status", status_callback(sid, "sent"))

        assert late.status == 204
        assert world.notification("ana").status is NotificationStatus.DELIVERED

    def test_a_callback_about_an_unknown_message_is_accepted_and_ignored(
        self, world: World
    ) -> None:
        """204, so that Twilio does not retry; nothing changes."""
        before = world.store.notifications("INC-1")

        answer = post_signed(
            world.app, "/twilio/status", status_callback("SM" + "9" * 32, "delivered")
        )

        assert answer.status == 204
        assert world.store.notifications("INC-1") == before

    def test_a_signed_callback_without_a_message_sid_is_a_bad_request(
        self, world: World
    ) -> None:
        """Signed, but not a message status: 400."""
        params = {"AccountSid": ACCOUNT, "MessageStatus": "delivered"}

        assert post_signed(world.app, "/twilio/status", params).status == 400

    def test_the_url_is_the_requests_own_without_a_public_base_url(
        self, world: World
    ) -> None:
        """Signed for http://127.0.0.1/twilio/status, the URL the request names."""
        app = make_app(
            store=world.store,
            repository=world.repository,
            twilio_auth_tokens=[TOKEN],
            clock=world.clock,
        )
        sid = world.notification("ana").provider_id
        assert sid is not None

        answer = post_signed(
            app,
            "/twilio/status",
            status_callback(sid, "delivered"),
            url="http://127.0.0.1/twilio/status",
        )

        assert answer.status == 204
        assert world.notification("ana").status is NotificationStatus.DELIVERED

    def test_without_a_token_the_twilio_routes_are_not_there(
        self, world: World
    ) -> None:
        """No auth token: 404, whatever the request."""
        app = make_app(store=world.store, repository=world.repository)
        sid = world.notification("ana").provider_id
        assert sid is not None
        params = status_callback(sid, "delivered")

        assert post_signed(app, "/twilio/status", params).status == 404
        assert post_signed(
            app, "/twilio/inbound", inbound(ANA_PHONE, "ACK")
        ).status == (404)
        assert world.notification("ana").status is NotificationStatus.SENT

    def test_a_get_is_not_allowed(self, world: World) -> None:
        """405, with the method that is."""
        answer = call(world.app, "GET", "/twilio/status")

        assert (answer.status, answer.headers["Allow"]) == (405, "POST")


# Replies.


class TestReplies:
    """POST /twilio/inbound: ACK and RESOLVE from the people paged, and no one else."""

    def test_ack_from_the_paged_users_number_acknowledges(self, world: World) -> None:
        """TwiML answers 'Acknowledged INC-1'; the event names ana."""
        answer = reply(world, ANA_PHONE, "ACK INC-1")

        assert answer.status == 200
        assert answer.headers["Content-Type"].startswith("text/xml")
        assert answer.message == "Acknowledged INC-1"
        assert world.status() is EscalationStatus.ACKNOWLEDGED
        (acknowledged,) = [
            e for e in world.store.events("INC-1") if e.kind is EventKind.ACKNOWLEDGED
        ]
        assert (acknowledged.user, acknowledged.at) == ("ana", T0)

    def test_ack_from_a_strangers_number_changes_nothing(self, world: World) -> None:
        """A polite refusal; no event; the escalation goes on."""
        events = world.store.events("INC-1")

        answer = reply(world, STRANGER, "ACK INC-1")

        assert answer.status == 200
        assert answer.message == "Sorry, this number cannot acknowledge INC-1."
        assert world.status() is EscalationStatus.ACTIVE
        assert world.store.events("INC-1") == events

    def test_ack_from_a_user_who_was_not_paged_changes_nothing(
        self, world: World
    ) -> None:
        """carl is a user, but INC-1 never paged him."""
        answer = reply(world, CARL_PHONE, "ACK INC-1")

        assert answer.message == "Sorry, this number cannot acknowledge INC-1."
        assert world.status() is EscalationStatus.ACTIVE

    def test_an_unknown_incident_is_refused_like_a_forbidden_one(
        self, world: World
    ) -> None:
        """The answer does not tell whether INC-404 exists."""
        answer = reply(world, ANA_PHONE, "ACK INC-404")

        assert answer.message == "Sorry, this number cannot acknowledge INC-404."

    def test_the_next_step_may_ack_once_it_paged_them(self, world: World) -> None:
        """ben is refused before his step fires, and accepted after."""
        early = reply(world, BEN_PHONE, "ACK INC-1")
        assert world.status() is EscalationStatus.ACTIVE

        world.clock.at = T0 + timedelta(minutes=10)
        world.work()
        later = reply(world, BEN_PHONE, "ACK INC-1")

        assert early.message.startswith("Sorry")
        assert later.message == "Acknowledged INC-1"
        assert world.status() is EscalationStatus.ACKNOWLEDGED

    def test_ack_is_case_insensitive(self, world: World) -> None:
        """'ack inc-1' acknowledges INC-1."""
        answer = reply(world, ANA_PHONE, "  ack inc-1 ")

        assert answer.message == "Acknowledged INC-1"
        assert world.status() is EscalationStatus.ACKNOWLEDGED

    def test_a_bare_ack_takes_the_only_open_incident(self, world: World) -> None:
        """ana was paged about INC-1 alone: 'ACK' is about it."""
        answer = reply(world, ANA_PHONE, "Ack")

        assert answer.message == "Acknowledged INC-1"
        assert world.status() is EscalationStatus.ACKNOWLEDGED

    def test_a_bare_ack_with_two_open_incidents_asks_which(self, world: World) -> None:
        """Both are listed; neither is acknowledged."""
        world.trigger("INC-2")
        world.work()

        answer = reply(world, ANA_PHONE, "ACK")

        assert "2 open incidents" in answer.message
        assert "INC-1" in answer.message
        assert "INC-2" in answer.message
        assert world.status("INC-1") is EscalationStatus.ACTIVE
        assert world.status("INC-2") is EscalationStatus.ACTIVE

    def test_a_bare_ack_skips_incidents_already_acknowledged(
        self, world: World
    ) -> None:
        """With INC-1 acknowledged, 'ACK' means INC-2."""
        world.trigger("INC-2")
        world.work()
        reply(world, ANA_PHONE, "ACK INC-1")

        answer = reply(world, ANA_PHONE, "ACK")

        assert answer.message == "Acknowledged INC-2"

    def test_a_bare_ack_from_a_stranger_finds_nothing(self, world: World) -> None:
        """No open incident of theirs; nothing changes."""
        answer = reply(world, STRANGER, "ACK")

        assert answer.message.startswith("No open incident of yours")
        assert world.status() is EscalationStatus.ACTIVE

    def test_resolve_from_a_whatsapp_number_resolves(self, world: World) -> None:
        """ben's WhatsApp number is his too, once he was paged."""
        world.clock.at = T0 + timedelta(minutes=10)
        world.work()

        answer = reply(world, f"whatsapp:{BEN_WHATSAPP}", "resolve INC-1")

        assert answer.message == "Resolved INC-1"
        assert world.status() is EscalationStatus.RESOLVED
        (resolved,) = [
            e for e in world.store.events("INC-1") if e.kind is EventKind.RESOLVED
        ]
        assert resolved.user == "ben"

    def test_ack_twice_says_so(self, world: World) -> None:
        """The second ACK changes nothing and says it was done."""
        reply(world, ANA_PHONE, "ACK INC-1")
        events = world.store.events("INC-1")

        answer = reply(world, ANA_PHONE, "ACK INC-1")

        assert answer.message == "INC-1 is already acknowledged."
        assert world.store.events("INC-1") == events

    def test_ack_after_resolve_says_it_is_over(self, world: World) -> None:
        """A resolved incident stays resolved."""
        reply(world, ANA_PHONE, "RESOLVE INC-1")

        answer = reply(world, ANA_PHONE, "ACK INC-1")

        assert answer.message == "INC-1 is already resolved."
        assert world.status() is EscalationStatus.RESOLVED

    def test_anything_else_gets_the_help(self, world: World) -> None:
        """'thanks' is not a command: the help, and no change."""
        answer = reply(world, ANA_PHONE, "thanks, looking")

        assert answer.message.startswith("Reply ACK <incident>")
        assert world.status() is EscalationStatus.ACTIVE

    def test_an_unsigned_reply_is_refused(self, world: World) -> None:
        """403, and INC-1 stays active."""
        answer = call(
            world.app, "POST", "/twilio/inbound", form=inbound(ANA_PHONE, "ACK INC-1")
        )

        assert (answer.status, answer.body) == (403, b"forbidden\n")
        assert world.status() is EscalationStatus.ACTIVE

    def test_a_reply_with_an_altered_body_is_refused(self, world: World) -> None:
        """The signature of 'thanks' does not carry 'RESOLVE INC-1'."""
        answer = post_signed(
            world.app,
            "/twilio/inbound",
            inbound(ANA_PHONE, "RESOLVE INC-1"),
            signed_params=inbound(ANA_PHONE, "thanks"),
        )

        assert answer.status == 403
        assert world.status() is EscalationStatus.ACTIVE

    def test_a_reply_from_a_forged_number_is_refused(self, world: World) -> None:
        """A stranger's signed reply with ana's number swapped in."""
        answer = post_signed(
            world.app,
            "/twilio/inbound",
            inbound(ANA_PHONE, "ACK INC-1"),
            signed_params=inbound(STRANGER, "ACK INC-1"),
        )

        assert answer.status == 403
        assert world.status() is EscalationStatus.ACTIVE


class TestParseReply:
    """The words of a reply."""

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("ACK INC-1", Reply(Command.ACK, "INC-1")),
            ("ack 123", Reply(Command.ACK, "123")),
            ("Ack #123", Reply(Command.ACK, "123")),
            (" RESOLVE inc-7\n", Reply(Command.RESOLVE, "inc-7")),
            ("ack", Reply(Command.ACK)),
            ("resolve", Reply(Command.RESOLVE)),
            ("acknowledge INC-1", None),
            ("ACK INC-1 INC-2", None),
            ("ACK INC-\x1b[2J", None),
            ("ok", None),
            ("", None),
        ],
    )
    def test_a_reply_is_a_command_and_at_most_one_incident(
        self, text: str, expected: Reply | None
    ) -> None:
        assert parse_reply(text) == expected

    def test_the_docstring_examples_hold(self) -> None:
        """The doctests of parse_reply and feed_path."""
        from oncall_adapters.web import _feeds, _replies

        for module in (_feeds, _replies):
            assert doctest.testmod(module).failed == 0


# Calendar feeds.


def events_of(body: bytes) -> list[tuple[datetime, datetime, str]]:
    calendar = Calendar.from_ical(body)
    return [
        (
            event.decoded("DTSTART"),
            event.decoded("DTEND"),
            str(event["X-ONCALL-USER"]),
        )
        for event in calendar.walk("VEVENT")
    ]


class TestFeeds:
    """GET /calendars/...: the shifts of the window, behind a token."""

    def test_a_schedules_feed_holds_its_shifts(self, world: World) -> None:
        """A week back and 60 days ahead of the clock, shift for shift."""
        answer = call(
            world.app,
            "GET",
            "/calendars/schedules/platform.ics",
            query=urlencode({"token": FEED_TOKEN}),
        )

        assert answer.status == 200
        assert answer.headers["Content-Type"] == "text/calendar; charset=utf-8"
        shifts = PLATFORM.shifts(T0 - FEED_BEHIND, T0 + FEED_AHEAD)
        assert events_of(answer.body) == [(s.start, s.end, s.user) for s in shifts]
        # Daily turns handed off at 09:00 UTC since 4 May: 67 days, ben first.
        assert (len(shifts), shifts[0].user) == (67, "ben")

    def test_a_users_feed_opens_with_its_own_token(self, world: World) -> None:
        """feed_path gives the URL of ana's feed: her shifts only."""
        path, _, query = feed_path("users", "ana", FEED_TOKEN).partition("?")

        answer = call(world.app, "GET", path, query=query)

        assert answer.status == 200
        events = events_of(answer.body)
        shifts = PLATFORM.shifts(T0 - FEED_BEHIND, T0 + FEED_AHEAD)
        assert events == [(s.start, s.end, s.user) for s in shifts if s.user == "ana"]
        assert FEED_TOKEN not in path + query

    @pytest.mark.parametrize(
        "query",
        [
            pytest.param("", id="no token"),
            pytest.param("token=", id="empty token"),
            pytest.param("token=feed-s3cret-9f8e7d6c5b4b", id="wrong token"),
            pytest.param("token=f%C3%A9ed", id="non-ascii token"),
            pytest.param(
                feed_path("users", "ben", FEED_TOKEN).partition("?")[2],
                id="another feed's token",
            ),
        ],
    )
    def test_a_feed_without_its_token_is_not_found(
        self, world: World, query: str
    ) -> None:
        """404, exactly as for a feed that does not exist."""
        mine = call(world.app, "GET", "/calendars/users/ana.ics", query=query)
        missing = call(
            world.app,
            "GET",
            "/calendars/schedules/nope.ics",
            query=urlencode({"token": FEED_TOKEN}),
        )

        assert (mine.status, mine.body) == (404, b"not found\n")
        assert (missing.status, missing.body) == (404, b"not found\n")

    def test_a_feed_id_may_be_any_text(self, world: World) -> None:
        """A schedule saved as 'größe' is served at its percent-encoded path."""
        world.repository.save_schedule("größe", PLATFORM)
        path, _, query = feed_path("schedules", "größe", FEED_TOKEN).partition("?")

        answer = call(world.app, "GET", path, query=query)

        assert path == "/calendars/schedules/gr%C3%B6%C3%9Fe.ics"
        assert answer.status == 200
        assert "größe" in str(
            Calendar.from_ical(answer.body).walk("VEVENT")[0]["X-ONCALL-SCHEDULE"]
        )

    def test_feeds_are_closed_without_a_feed_token(self, world: World) -> None:
        """No feed_token given: every feed is a 404."""
        app = make_app(store=world.store, repository=world.repository)

        answer = call(
            app,
            "GET",
            "/calendars/schedules/platform.ics",
            query=urlencode({"token": FEED_TOKEN}),
        )

        assert answer.status == 404

    def test_head_answers_without_a_body(self, world: World) -> None:
        """A calendar client checking the feed gets its headers only."""
        answer = call(
            world.app,
            "HEAD",
            "/calendars/schedules/platform.ics",
            query=urlencode({"token": FEED_TOKEN}),
        )

        assert (answer.status, answer.body) == (200, b"")
        assert int(answer.headers["Content-Length"]) > 0

    def test_a_short_feed_token_is_refused(self, world: World) -> None:
        """Sixteen characters at least."""
        with pytest.raises(ValueError, match="at least 16"):
            make_app(store=world.store, repository=world.repository, feed_token="abc")


# Health, routing, logs.


class TestHealth:
    """GET /healthz: ok when the database answers."""

    def test_healthz_is_ok(self, world: World) -> None:
        answer = call(world.app, "GET", "/healthz")

        assert (answer.status, answer.body) == (200, b"ok\n")

    def test_healthz_is_unavailable_without_the_database(self, tmp_path: Path) -> None:
        """A database that cannot be opened: 503."""
        engine = create_engine(f"sqlite:///{tmp_path / 'missing' / 'oncall.db'}")
        app = make_app(
            store=SqlEscalationStore(engine), repository=SqlRepository(engine)
        )

        answer = call(app, "GET", "/healthz")

        assert answer.status == 503
        engine.dispose()

    def test_an_unknown_path_is_not_found(self, world: World) -> None:
        assert call(world.app, "GET", "/admin").status == 404

    def test_a_bad_public_base_url_is_refused(self, world: World) -> None:
        with pytest.raises(ValueError, match="public_base_url"):
            make_app(
                store=world.store,
                repository=world.repository,
                public_base_url="oncall.example.com",
            )


class TestLogs:
    """One INFO line per request, without tokens or phone numbers."""

    def test_each_request_is_one_info_line_without_secrets(
        self, world: World, caplog: pytest.LogCaptureFixture
    ) -> None:
        sid = world.notification("ana").provider_id
        assert sid is not None
        caplog.set_level(logging.DEBUG)

        post_signed(world.app, "/twilio/status", status_callback(sid, "delivered"))
        reply(world, ANA_PHONE, "ACK INC-1")
        reply(world, f"whatsapp:{BEN_WHATSAPP}", "ACK INC-1")
        call(
            world.app,
            "GET",
            "/calendars/schedules/platform.ics",
            query=urlencode({"token": FEED_TOKEN}),
        )

        lines = [r for r in caplog.records if r.name == "oncall_adapters.web"]
        assert [r.levelno for r in lines] == [logging.INFO] * 4
        assert lines[1].getMessage() == (
            "POST /twilio/inbound 200: sms from +49*********78: "
            "ACK: INC-1 acknowledged by ana"
        )
        logged = "\n".join(r.getMessage() for r in caplog.records)
        for secret in (FEED_TOKEN, TOKEN, ANA_PHONE, BEN_WHATSAPP, BEN_PHONE):
            assert secret not in logged

    def test_a_path_is_logged_on_one_printable_line(
        self, world: World, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A newline in the path cannot forge a second log line."""
        caplog.set_level(logging.INFO, logger="oncall_adapters.web")

        call(world.app, "GET", "/x%0AINFO forged line")

        (line,) = [r.getMessage() for r in caplog.records]
        assert line == "GET /x?INFO forged line 404"


class TestServer:
    """The threaded wsgiref server on 127.0.0.1, called with urllib."""

    def test_a_signed_callback_over_http_records_the_delivery(
        self, world: World, caplog: pytest.LogCaptureFixture
    ) -> None:
        """The signature is checked against the URL the request came to."""
        app = make_app(
            store=world.store,
            repository=world.repository,
            twilio_auth_tokens=[TOKEN],
            feed_token=FEED_TOKEN,
            clock=world.clock,
        )
        server = make_server(app, "127.0.0.1", 0)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        caplog.set_level(logging.DEBUG)
        try:
            base = f"http://127.0.0.1:{server.server_port}"
            sid = world.notification("ana").provider_id
            assert sid is not None
            params = status_callback(sid, "delivered")
            request = urllib.request.Request(
                base + "/twilio/status",
                data=urlencode(params).encode(),
                headers={
                    "X-Twilio-Signature": signature(params, base + "/twilio/status")
                },
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                assert response.status == 204
            with urllib.request.urlopen(base + "/healthz", timeout=10) as response:
                assert response.read() == b"ok\n"
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(
                    f"{base}/calendars/users/ana.ics?token=wrong-{FEED_TOKEN}",
                    timeout=10,
                )
            assert refused.value.code == 404
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=10)

        assert world.notification("ana").status is NotificationStatus.DELIVERED
        logged = "\n".join(r.getMessage() for r in caplog.records)
        assert FEED_TOKEN not in logged
