"""Loopback HTTP for the adapter tests: a scriptable server, and a guard.

:class:`FakeHttpServer` answers POSTs as it is told (a status, a body, a
delay, or a dropped connection) and records each request. :func:`loopback_only`
makes any attempt to resolve a host other than the loopback fail the test,
so that nothing can reach a real provider.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_LOOPBACK_NAMES = frozenset({"localhost", "::1"})


def is_loopback(host: object) -> bool:
    """Tell whether *host* names this machine's loopback interface."""
    if isinstance(host, bytes):
        host = host.decode()
    return isinstance(host, str) and (
        host in _LOOPBACK_NAMES or host.startswith("127.")
    )


@contextlib.contextmanager
def loopback_only() -> Iterator[list[str]]:
    """Refuse, for the duration, to resolve any host but the loopback.

    Yields the list of hosts that were refused: a test that ends with one
    in it tried to reach the outside world.
    """
    real = socket.getaddrinfo
    refused: list[str] = []

    def guarded(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and not is_loopback(host):
            refused.append(str(host))
            msg = f"a test tried to reach {host}: only the loopback is allowed"
            raise AssertionError(msg)
        return real(host, *args, **kwargs)

    socket.getaddrinfo = guarded
    try:
        yield refused
    finally:
        socket.getaddrinfo = real
    assert not refused, f"tests tried to reach {refused}"


def free_port() -> int:
    """Return a loopback port that nothing listens on (at the time of asking)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Reply:
    """How the server answers one request."""

    status: int = 200
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False
    """Read the request, then close the connection without an answer."""


@dataclass
class Recorded:
    """A request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


class FakeHttpServer:
    """A scriptable HTTP server on 127.0.0.1, on a free port, in a thread.

    Queue replies with :meth:`reply` (each used once, in order); when none
    is queued it answers the default, 200 ``ok``.
    """

    def __init__(self, default: Reply | None = None) -> None:
        self.default = default or Reply()
        self.requests: list[Recorded] = []
        self._replies: list[Reply] = []
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="fake-http",
            daemon=True,
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def reply(self, *replies: Reply) -> None:
        with self._lock:
            self._replies.extend(replies)

    def __enter__(self) -> FakeHttpServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _next(self, recorded: Recorded) -> Reply:
        with self._lock:
            self.requests.append(recorded)
            return self._replies.pop(0) if self._replies else self.default

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body leave in separate writes: without this, Nagle
            # and delayed ACKs add 40 ms to every answer.
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                recorded = Recorded("POST", self.path, dict(self.headers.items()), body)
                reply = fake._next(recorded)
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.drop:
                    self.close_connection = True
                    with contextlib.suppress(OSError):
                        self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                with contextlib.suppress(OSError):
                    self.wfile.write(reply.body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
