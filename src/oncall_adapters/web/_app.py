"""The WSGI application: Twilio callbacks and replies, calendar feeds, health."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from http import HTTPStatus
from urllib.parse import urlsplit
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError
from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

from oncall_adapters.calendars import schedule_calendar, user_calendar
from oncall_adapters.sql.models import Base
from oncall_adapters.sql.repository import SqlRepository
from oncall_adapters.sql.store import SqlEscalationStore
from oncall_adapters.sql.worker import SystemClock
from oncall_adapters.twilio import (
    SIGNATURE_HEADER,
    ForgedCallback,
    InvalidCallback,
    verify_status_callback,
)
from oncall_adapters.web._feeds import (
    FEED_AHEAD,
    FEED_BEHIND,
    MIN_TOKEN_LENGTH,
    FeedKind,
    feed_token_opens,
)
from oncall_adapters.web._http import (
    HttpError,
    Response,
    form,
    query,
    request_url,
    twiml,
)
from oncall_adapters.web._http import (
    text as plain,
)
from oncall_adapters.web._replies import Command, Reply, parse_reply
from oncall_core import (
    Clock,
    EscalationStatus,
    InvalidTransition,
    mask_phone,
)

__all__ = ["make_app"]

logger = logging.getLogger("oncall_adapters.web")

_FEED = re.compile(r"/calendars/(schedules|users)/([^/]+)\.ics")
_SIGNATURE = "HTTP_" + SIGNATURE_HEADER.upper().replace("-", "_")
_WHATSAPP = "whatsapp:"

# The incidents a reply may act on when it names none: those it would change.
_OPEN: dict[Command, frozenset[EscalationStatus]] = {
    Command.ACK: frozenset(
        {EscalationStatus.ACTIVE, EscalationStatus.SNOOZED, EscalationStatus.EXHAUSTED}
    ),
    Command.RESOLVE: frozenset(
        {
            EscalationStatus.ACTIVE,
            EscalationStatus.SNOOZED,
            EscalationStatus.EXHAUSTED,
            EscalationStatus.ACKNOWLEDGED,
        }
    ),
}
_VERB = {Command.ACK: "acknowledge", Command.RESOLVE: "resolve"}
_HELP = "Reply ACK <incident> to acknowledge, or RESOLVE <incident> to resolve."
_LISTED = 5


def make_app(
    *,
    store: SqlEscalationStore,
    repository: SqlRepository,
    twilio_auth_tokens: Sequence[str] = (),
    feed_token: str | None = None,
    public_base_url: str | None = None,
    clock: Clock | None = None,
) -> WSGIApplication:
    """Return the WSGI application of the reference host app.

    Routes, under wherever the host mounts it:

    - ``POST /twilio/status``: Twilio's message status callbacks, recorded
      with ``store.record_callback``; 204.
    - ``POST /twilio/inbound``: SMS and WhatsApp replies, ``ACK [INCIDENT]``
      and ``RESOLVE [INCIDENT]``, answered with TwiML.
    - ``GET /calendars/schedules/<id>.ics?token=...`` and
      ``GET /calendars/users/<id>.ics?token=...``: calendar feeds, a week
      back and 60 days ahead.
    - ``GET /healthz``: ``ok`` when the database answers, else 503.

    Twilio requests are checked against their ``X-Twilio-Signature`` with
    each of *twilio_auth_tokens* (old and new during a rotation); a request
    that matches none is refused with 403 and changes nothing. Without a
    token the Twilio routes answer 404. Twilio signs the URL it was told to
    call: behind a proxy that rewrites scheme or host, give
    *public_base_url*, the public URL of the app's root
    (``https://oncall.example.com``), and the app checks signatures against
    it instead of the URL it sees.

    Feeds open with *feed_token*, or with the token of one feed
    (:func:`~oncall_adapters.web.feed_path`); a missing or wrong token, or
    no *feed_token* at all, is a 404, like an unknown id.

    Raises:
        ValueError: a token is empty, *feed_token* is shorter than 16
            characters, or *public_base_url* is not an http(s) URL without
            a query.
    """
    return _App(
        store,
        repository,
        tokens=_tokens(twilio_auth_tokens),
        feed_token=_secret(feed_token),
        public_base_url=_base_url(public_base_url),
        clock=clock or SystemClock(),
    )


def _tokens(value: Sequence[str]) -> tuple[str, ...]:
    tokens = (value,) if isinstance(value, str) else tuple(value)
    if not all(isinstance(token, str) and token for token in tokens):
        msg = "twilio_auth_tokens must be non-empty strings"
        raise ValueError(msg)
    return tokens


def _secret(value: str | None) -> str | None:
    if value is not None and len(value) < MIN_TOKEN_LENGTH:
        msg = (
            f"feed_token must be at least {MIN_TOKEN_LENGTH} characters "
            "(use secrets.token_urlsafe())"
        )
        raise ValueError(msg)
    return value


def _base_url(value: str | None) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
        msg = (
            "public_base_url must be an http(s) URL without a query, such as "
            f"https://oncall.example.com, got {value!r}"
        )
        raise ValueError(msg)
    return value.rstrip("/")


class _App:
    """The application; :func:`make_app` builds it."""

    def __init__(
        self,
        store: SqlEscalationStore,
        repository: SqlRepository,
        *,
        tokens: tuple[str, ...],
        feed_token: str | None,
        public_base_url: str | None,
        clock: Clock,
    ) -> None:
        self._store = store
        self._repository = repository
        self._tokens = tokens
        self._feed_token = feed_token
        self._public_base_url = public_base_url
        self._clock = clock
        # Reads only: on SQLite, take no write lock (see create_engine).
        self._reads = store.engine.execution_options(sqlite_begin="deferred")

    def __repr__(self) -> str:
        # Never the tokens.
        return f"<oncall web app on {self._store!r}>"

    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        path = str(environ.get("PATH_INFO", "")) or "/"
        try:
            response = self._route(method, path, environ)
        except HttpError as error:
            response = plain(error.status, error.status.phrase, note=error.note)
        except Exception:
            logger.exception("%s %s failed", method, _shown(path))
            response = plain(HTTPStatus.INTERNAL_SERVER_ERROR, "internal server error")
        note = f": {_shown(response.note)}" if response.note else ""
        logger.info("%s %s %d%s", method, _shown(path), response.status, note)

        body = response.body
        headers = [("X-Content-Type-Options", "nosniff"), ("Cache-Control", "no-store")]
        if response.status is not HTTPStatus.NO_CONTENT:
            headers += [
                ("Content-Type", response.content_type),
                ("Content-Length", str(len(body))),
            ]
        headers += response.headers
        start_response(f"{response.status.value} {response.status.phrase}", headers)
        return [] if method == "HEAD" else [body]

    def _route(self, method: str, path: str, environ: WSGIEnvironment) -> Response:
        if path == "/healthz":
            return _only(method, ("GET", "HEAD")) or self._health()
        if path == "/twilio/status":
            return _only(method, ("POST",)) or self._status(environ)
        if path == "/twilio/inbound":
            return _only(method, ("POST",)) or self._inbound(environ)
        feed = _FEED.fullmatch(path)
        if feed is not None:
            kind: FeedKind = "schedules" if feed.group(1) == "schedules" else "users"
            refused = _only(method, ("GET", "HEAD"))
            if refused is not None:
                return refused
            feed_id = _text(feed.group(2))
            if feed_id is None:
                return plain(HTTPStatus.NOT_FOUND, "not found", note="id not UTF-8")
            return self._feed(kind, feed_id, environ)
        return plain(HTTPStatus.NOT_FOUND, "not found")

    # Health.

    def _health(self) -> Response:
        try:
            with self._reads.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError:
            logger.warning("health check: the database does not answer", exc_info=True)
            return plain(
                HTTPStatus.SERVICE_UNAVAILABLE,
                "unavailable",
                note="the database does not answer",
            )
        return plain(HTTPStatus.OK, "ok")

    # Twilio.

    def _signed_form(
        self, environ: WSGIEnvironment
    ) -> tuple[dict[str, str], str, str | None] | Response:
        """Read the form of a Twilio request; refuse it if Twilio is not set up."""
        if not self._tokens:
            return plain(
                HTTPStatus.NOT_FOUND, "not found", note="no Twilio auth token is set"
            )
        params = form(environ)
        url = request_url(environ, self._public_base_url)
        signature = environ.get(_SIGNATURE)
        return params, url, None if signature is None else str(signature)

    def _status(self, environ: WSGIEnvironment) -> Response:
        read = self._signed_form(environ)
        if isinstance(read, Response):
            return read
        params, url, signature = read
        try:
            event = verify_status_callback(
                url, params, signature, self._tokens, at=self._clock.now()
            )
        except ForgedCallback:
            return _forbidden(signature)
        except InvalidCallback as error:
            return plain(HTTPStatus.BAD_REQUEST, "bad request", note=str(error))

        assert event.provider_id is not None  # verify_status_callback sets it
        notification = self._store.record_callback(event.provider_id, event)
        if notification is None:
            outcome = "unknown message, ignored"
        else:
            outcome = f"{notification.key} is {notification.status.value}"
        return Response(
            HTTPStatus.NO_CONTENT,
            note=f"{event.provider_id} {event.kind.value}: {outcome}",
        )

    def _inbound(self, environ: WSGIEnvironment) -> Response:
        read = self._signed_form(environ)
        if isinstance(read, Response):
            return read
        params, url, signature = read
        if not signature or not any(
            RequestValidator(token).validate(url, params, signature)
            for token in self._tokens
        ):
            return _forbidden(signature)

        sender = params.get("From", "")
        number = sender.removeprefix(_WHATSAPP).strip()
        channel = "whatsapp" if sender.startswith(_WHATSAPP) else "sms"
        who = f"{channel} from {mask_phone(number)}"
        reply = parse_reply(params.get("Body", ""))
        if reply is None:
            return twiml(_HELP, note=f"{who}: not a command")
        answer, outcome = self._answer(reply, number)
        return twiml(answer, note=f"{who}: {reply.command.name}: {outcome}")

    def _answer(self, reply: Reply, number: str) -> tuple[str, str]:
        """Act on *reply* from *number*; return the answer and a note for the log."""
        verb = _VERB[reply.command]
        # XXX: every user is loaded to find the number's owner; fine for
        # hundreds of users, not for a large directory (docs/limitations.md).
        users = sorted(
            user.id
            for user in self._repository.users()
            if number and number in (user.contact.phone, user.contact.whatsapp_number)
        )
        paged = self._paged_incidents(users)
        if reply.incident is None:
            # XXX: Twilio's signature has no timestamp, so a captured bare ACK
            # replayed later would acknowledge whatever one incident is open
            # then (docs/limitations.md, The web app).
            open_ = [i for i, status in paged.items() if status in _OPEN[reply.command]]
            if not open_:
                return (
                    f"No open incident of yours to {verb}. {_HELP}",
                    "no open incident",
                )
            if len(open_) > 1:
                shown = ", ".join(open_[:_LISTED])
                more = ", ..." if len(open_) > _LISTED else ""
                return (
                    f"You were paged about {len(open_)} open incidents: reply "
                    f"{reply.command.name} and one of {shown}{more}",
                    f"{len(open_)} open incidents, none chosen",
                )
            incident = open_[0]
        else:
            incident = _match(reply.incident, paged)

        refusal = f"Sorry, this number cannot {verb} {reply.incident or incident}."
        notified = {n.user for n in self._store.notifications(incident)}
        by = next((user for user in users if user in notified), None)
        escalation = self._store.escalation(incident) if by is not None else None
        if by is None or escalation is None:
            return refusal, f"{incident}: refused (not paged from this number)"

        status = escalation.status
        try:
            if status is EscalationStatus.RESOLVED:
                return f"{incident} is already resolved.", f"{incident}: already over"
            if reply.command is Command.ACK:
                if status is EscalationStatus.ACKNOWLEDGED:
                    return (
                        f"{incident} is already acknowledged.",
                        f"{incident}: already acknowledged",
                    )
                self._store.acknowledge(incident, self._clock.now(), by=by)
                return f"Acknowledged {incident}", f"{incident} acknowledged by {by}"
            self._store.resolve(incident, self._clock.now(), by=by)
            return f"Resolved {incident}", f"{incident} resolved by {by}"
        except InvalidTransition:
            # Resolved by someone else between the read and the change.
            return f"{incident} is already resolved.", f"{incident}: already over"

    def _paged_incidents(self, users: Sequence[str]) -> dict[str, EscalationStatus]:
        """The incidents *users* were notified about, newest first, with status."""
        if not users:
            return {}
        tables = Base.metadata.tables
        notifications, escalations = tables["notifications"], tables["escalations"]
        latest = func.max(notifications.c.created_at)
        rows = (
            select(notifications.c.incident_id, escalations.c.status)
            .join(
                escalations,
                escalations.c.incident_id == notifications.c.incident_id,
            )
            .where(notifications.c.user_id.in_(users))
            .group_by(notifications.c.incident_id, escalations.c.status)
            .order_by(latest.desc(), notifications.c.incident_id)
        )
        with self._reads.connect() as connection:
            found = connection.execute(rows).all()
        return {row.incident_id: EscalationStatus(row.status) for row in found}

    # Calendar feeds.

    def _feed(self, kind: FeedKind, feed_id: str, environ: WSGIEnvironment) -> Response:
        given = query(environ).get("token", "")
        if self._feed_token is None:
            return plain(HTTPStatus.NOT_FOUND, "not found", note="no feed token is set")
        if not feed_token_opens(given, self._feed_token, kind, feed_id):
            note = "wrong token" if given else "no token"
            return plain(HTTPStatus.NOT_FOUND, "not found", note=note)

        now = self._clock.now()
        since, until = now - FEED_BEHIND, now + FEED_AHEAD
        if kind == "schedules":
            schedule = self._repository.schedule(feed_id)
            if schedule is None:
                return plain(HTTPStatus.NOT_FOUND, "not found", note="unknown schedule")
            body = schedule_calendar(
                schedule, since, until, schedule_id=feed_id, now=now
            )
        else:
            user = self._repository.user(feed_id)
            if user is None:
                return plain(HTTPStatus.NOT_FOUND, "not found", note="unknown user")
            body = user_calendar(
                self._repository.schedules(),
                feed_id,
                since,
                until,
                name=f"{user.name or user.id} on call",
                now=now,
            )
        return Response(
            HTTPStatus.OK,
            body,
            content_type="text/calendar; charset=utf-8",
            note=f"{len(body)} bytes",
        )


def _text(wsgi_string: str) -> str | None:
    """Read a path segment as UTF-8: WSGI hands the bytes over as latin-1."""
    try:
        return wsgi_string.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return None


def _shown(text: str) -> str:
    """*text* as a log line may show it: short, on one line, printable."""
    return "".join(c if c.isprintable() else "?" for c in text[:300])


def _only(method: str, allowed: tuple[str, ...]) -> Response | None:
    if method in allowed:
        return None
    return Response(
        HTTPStatus.METHOD_NOT_ALLOWED,
        b"method not allowed\n",
        headers=(("Allow", ", ".join(allowed)),),
    )


def _forbidden(signature: str | None) -> Response:
    # The same answer for every refusal: a forger learns nothing from it.
    why = "signature matches no auth token" if signature else "unsigned"
    return plain(HTTPStatus.FORBIDDEN, "forbidden", note=f"refused: {why}")


def _match(given: str, paged: dict[str, EscalationStatus]) -> str:
    """The incident id *given* means: itself, or the one paged that differs in case."""
    if given in paged:
        return given
    folded = [i for i in paged if i.casefold() == given.casefold()]
    return folded[0] if len(folded) == 1 else given
