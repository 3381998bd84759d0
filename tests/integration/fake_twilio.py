"""A fake Twilio Messages API on 127.0.0.1, for the SDK to talk to in tests.

It checks what Twilio checks before it takes a message in: HTTP Basic auth
with the account SID and auth token, the account in the path, an E.164
``To``, a ``From`` that is one of the account's numbers (or a known
``MessagingServiceSid``), ``whatsapp:`` on both ends or neither, a body or a
``ContentSid`` of the form ``HX`` and 32 hex digits, and JSON
``ContentVariables``. It answers as Twilio does: a message resource with an
``SM`` sid and status ``queued``, or an error as JSON with ``code``,
``message``, ``more_info`` and ``status``.

It can be told to fail the way Twilio fails, for one ``To`` or for all:
an error status and code (with ``Retry-After`` for 429), an answer after a
delay (the message is taken in meanwhile), or a connection dropped after
the request was read (the message is taken in too: the worst case).

Run it as a context manager, in a process of its own with
:class:`FakeTwilioProcess`, or by hand: ``python -m tests.integration.fake_twilio
[latency]``.
"""

from __future__ import annotations

import base64
import collections
import contextlib
import json
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from dataclasses import dataclass
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "f4k3-4uth-t0k3n-5ecr3t-0123456789ab"
FROM_NUMBER = "+15017122661"
MESSAGING_SERVICE_SID = "MG" + "fedcba9876543210" * 2

_PATH = re.compile(r"/2010-04-01/Accounts/([^/]+)/Messages\.json")
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
_CONTENT_SID = re.compile(r"HX[0-9a-fA-F]{32}")
_WHATSAPP = "whatsapp:"

_MESSAGES = {
    20003: "Authenticate",
    20404: "The requested resource was not found",
    20429: "Too Many Requests",
    20500: "Internal Server Error",
    20503: "Service Unavailable",
    21211: "The 'To' number {to} is not a valid phone number.",
    21408: "Permission to send an SMS has not been enabled for the region "
    "indicated by the 'To' number: {to}.",
    21602: "Message body is required.",
    21603: "A 'From' phone number is required.",
    21604: "A 'To' phone number is required.",
    21606: "The 'From' phone number provided is not a valid message-capable "
    "Twilio phone number for this destination/account.",
    21610: "Attempt to send to unsubscribed recipient",
    21617: "The concatenated message body exceeds the 1600 character limit.",
    21655: "The ContentSid is Invalid.",
    21656: "The ContentVariables Parameter is invalid.",
    21701: "The Messaging Service Sid is invalid.",
    21910: "Invalid From and To pair. From and To should be of the same channel.",
    30005: "Unknown destination handset",
    30006: "Landline or unreachable carrier",
    63003: "Channel could not find To address",
    63016: "Failed to send freeform message because you are outside the allowed "
    "window. If you are using WhatsApp, please use a Message Template.",
    63018: "Rate limit exceeded for Channel",
}


@dataclass
class Failure:
    """One way to fail, for requests to *to* (every request when None).

    *status* and *code* make an error answer (*take_in* takes the message
    in first: a 5xx after Twilio queued it); *garbage* takes the message in
    and answers 200 with an HTML page, as a misbehaving proxy; *delay*
    answers late (after taking the message in); *drop* takes the message in
    and closes the connection without an answer. *times* is how many
    requests it hits (None: all).
    """

    to: str | None = None
    status: int = 400
    code: int | None = None
    retry_after: int | None = None
    take_in: bool = False
    garbage: bool = False
    delay: float = 0.0
    drop: bool = False
    times: int | None = None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256


class FakeTwilio:
    """The fake Messages API. ``base_url`` is what to give ``TwilioAccount``.

    Attributes:
        messages: the messages taken in, as Twilio would show them.
        latency: seconds every request takes before it is answered.
        peak_in_flight: the most requests it was handling at once.
        starts: when each request arrived (``time.monotonic``).
    """

    def __init__(
        self,
        *,
        account_sid: str = ACCOUNT_SID,
        auth_token: str = AUTH_TOKEN,
        numbers: tuple[str, ...] = (FROM_NUMBER,),
        messaging_services: tuple[str, ...] = (MESSAGING_SERVICE_SID,),
        latency: float = 0.0,
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.numbers = frozenset(numbers)
        self.messaging_services = frozenset(messaging_services)
        self.latency = latency
        self.messages: list[dict[str, Any]] = []
        self.starts: list[float] = []
        self.peak_in_flight = 0
        self._requests: collections.Counter[str] = collections.Counter()
        self._failures: list[Failure] = []
        self._in_flight = 0
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="fake-twilio",
            daemon=True,
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FakeTwilio:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail(self, failure: Failure) -> None:
        """Fail the requests *failure* names, until it runs out.

        Where several failures match a request, the one added last applies.
        """
        with self._lock:
            self._failures.append(failure)

    def requests_to(self, to: str) -> int:
        """How many requests reached the server for *to* (taken in or not)."""
        with self._lock:
            return self._requests[to]

    def messages_to(self, to: str) -> list[dict[str, Any]]:
        """The messages taken in for *to*."""
        with self._lock:
            return [m for m in self.messages if m["to"] == to]

    # The request, step by step, as Twilio checks it.

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        form = {
            k: v[0]
            for k, v in parse_qs(
                handler.rfile.read(length).decode(), keep_blank_values=True
            ).items()
        }
        with self._lock:
            self.starts.append(time.monotonic())
            self._in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self._in_flight)
            if "To" in form:
                self._requests[form["To"]] += 1
        try:
            if self.latency:
                time.sleep(self.latency)
            self._answer(handler, form)
        finally:
            with self._lock:
                self._in_flight -= 1

    def stats(self) -> dict[str, Any]:
        """What the server saw, as JSON-able data (``GET /_fake/stats``)."""
        with self._lock:
            return {
                "requests": dict(self._requests),
                "messages": len(self.messages),
                "peak_in_flight": self.peak_in_flight,
                "starts": list(self.starts),
            }

    def _answer(self, handler: BaseHTTPRequestHandler, form: dict[str, str]) -> None:
        path = _PATH.fullmatch(handler.path)
        if handler.command != "POST" or path is None:
            return _error(handler, 404, 20404)
        if not self._authorized(handler.headers.get("Authorization")):
            return _error(handler, 401, 20003)
        if path.group(1) != self.account_sid:
            return _error(handler, 404, 20404)
        problem = self._invalid(form)
        if problem is not None:
            return _error(handler, 400, problem, to=form.get("To", ""))

        failure = self._failure_for(form["To"])
        if failure is not None and failure.garbage:
            self._take_in(form)
            return _page(handler)
        if failure is not None and not (failure.delay or failure.drop):
            headers = {}
            if failure.retry_after is not None:
                headers["Retry-After"] = str(failure.retry_after)
            code = failure.code or (20000 + failure.status)
            if failure.take_in:
                self._take_in(form)
            return _error(handler, failure.status, code, form["To"], headers)

        message = self._take_in(form)
        if failure is not None and failure.delay:
            time.sleep(failure.delay)
        if failure is not None and failure.drop:
            handler.close_connection = True
            with contextlib.suppress(OSError):
                handler.connection.shutdown(socket.SHUT_RDWR)
            return None
        return _json(handler, 201, message)

    def _authorized(self, header: str | None) -> bool:
        expected = f"{self.account_sid}:{self.auth_token}".encode()
        return header == "Basic " + base64.b64encode(expected).decode()

    def _invalid(self, form: dict[str, str]) -> int | None:
        """Return the Twilio error code of a malformed request, or None."""
        to = form.get("To")
        if not to:
            return 21604
        if not _E164.fullmatch(to.removeprefix(_WHATSAPP)):
            return 21211
        sender, service = form.get("From"), form.get("MessagingServiceSid")
        if not sender and not service:
            return 21603
        if service and service not in self.messaging_services:
            return 21701
        if sender:
            if sender.startswith(_WHATSAPP) != to.startswith(_WHATSAPP):
                return 21910
            if sender.removeprefix(_WHATSAPP) not in self.numbers:
                return 21606
        content = form.get("ContentSid")
        if content is not None:
            if not _CONTENT_SID.fullmatch(content):
                return 21655
            try:
                variables = json.loads(form.get("ContentVariables") or "{}")
            except ValueError:
                return 21656
            if not isinstance(variables, dict) or not all(
                isinstance(v, str) for v in variables.values()
            ):
                return 21656
        elif not form.get("Body"):
            return 21602
        if len(form.get("Body", "")) > 1600:
            return 21617
        return None

    def _failure_for(self, to: str) -> Failure | None:
        with self._lock:
            # The failure added last wins where several match.
            for failure in reversed(self._failures):
                if failure.to is None or failure.to == to:
                    if failure.times is not None:
                        failure.times -= 1
                        if failure.times <= 0:
                            self._failures.remove(failure)
                    return failure
        return None

    def _take_in(self, form: dict[str, str]) -> dict[str, Any]:
        sid = "SM" + uuid.uuid4().hex
        now = formatdate(usegmt=True)
        message = {
            "sid": sid,
            "account_sid": self.account_sid,
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "to": form["To"],
            "from": form.get("From"),
            "body": form.get("Body", ""),
            "content_sid": form.get("ContentSid"),
            "content_variables": form.get("ContentVariables"),
            "status_callback": form.get("StatusCallback"),
            "status": "queued" if form.get("From") else "accepted",
            "num_segments": "1",
            "num_media": "0",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "price": None,
            "price_unit": "USD",
            "error_code": None,
            "error_message": None,
            "date_created": now,
            "date_updated": now,
            "date_sent": None,
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
            "subresource_uris": {
                "media": f"/2010-04-01/Accounts/{self.account_sid}/Messages/"
                f"{sid}/Media.json"
            },
        }
        with self._lock:
            self.messages.append(message)
        return message

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body leave in separate writes: without this, Nagle
            # and delayed ACKs add 40 ms to every answer.
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                fake._handle(self)

            def do_GET(self) -> None:
                if self.path == "/_fake/stats":
                    _json(self, 200, fake.stats())
                else:
                    fake._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


def _json(
    handler: BaseHTTPRequestHandler,
    status: int,
    payload: dict[str, Any],
    headers: dict[str, str] | None = None,
) -> None:
    body = json.dumps(payload).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    with contextlib.suppress(OSError):
        handler.wfile.write(body)


def _page(handler: BaseHTTPRequestHandler) -> None:
    body = b"<html><body>502 Bad Gateway, or is it?</body></html>"
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    with contextlib.suppress(OSError):
        handler.wfile.write(body)


def _error(
    handler: BaseHTTPRequestHandler,
    status: int,
    code: int,
    to: str = "",
    headers: dict[str, str] | None = None,
) -> None:
    text = _MESSAGES.get(code, "Error").format(to=to)
    payload = {
        "code": code,
        "message": text,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    _json(handler, status, payload, headers)


class FakeTwilioProcess:
    """The fake in a process of its own, so that it does not share our GIL.

    For timing: a real Twilio does not take CPU from the client. What it saw
    comes from :meth:`stats`.
    """

    def __init__(self, *, latency: float = 0.0) -> None:
        self.latency = latency
        self.base_url = ""
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> FakeTwilioProcess:
        root = Path(__file__).resolve().parents[2]
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.integration.fake_twilio", str(self.latency)],
            cwd=root,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        self.base_url = line.split()[-1]
        assert self.base_url.startswith("http://127.0.0.1:"), line
        return self

    def __exit__(self, *exc: object) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.base_url}/_fake/stats", timeout=10) as r:
            stats: dict[str, Any] = json.load(r)
        return stats


if __name__ == "__main__":
    with FakeTwilio(latency=float(sys.argv[1]) if len(sys.argv) > 1 else 0.0) as fake:
        print(f"fake Twilio at {fake.base_url}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
