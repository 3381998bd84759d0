"""Serving the app with the standard library: one thread per request."""

from __future__ import annotations

import ipaddress
import logging
import re
import socketserver
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer
from wsgiref.simple_server import make_server as _make_server
from wsgiref.types import WSGIApplication

__all__ = ["ThreadingWSGIServer", "make_server", "serve"]

logger = logging.getLogger("oncall_adapters.web")

# A query string may hold a feed's token: never let one reach a log.
_QUERY = re.compile(r"\?[^\s'\"]*")


class ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    """``wsgiref``'s server, answering each request on a thread of its own.

    A slow client (a calendar fetching a feed over a bad line) then holds
    one thread, not the callbacks behind it. Threads are daemons: stopping
    the server does not wait for them.
    """

    daemon_threads = True


class _Handler(WSGIRequestHandler):
    """Logs through :mod:`logging`, without query strings, instead of stderr."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # The app logs one line per request itself, without secrets.
        pass

    def log_message(self, format: str, *args: Any) -> None:
        logger.warning("%s: %s", self.address_string(), _QUERY.sub("?…", format % args))


def make_server(
    app: WSGIApplication, host: str = "127.0.0.1", port: int = 8080
) -> ThreadingWSGIServer:
    """Return a threaded server of *app* bound to *host* and *port*, not started.

    Port 0 picks a free port (``server.server_port``). Call
    ``serve_forever()``, and ``shutdown()`` from another thread to stop.
    """
    server = _make_server(
        host, port, app, server_class=ThreadingWSGIServer, handler_class=_Handler
    )
    assert isinstance(server, ThreadingWSGIServer)
    return server


def serve(app: WSGIApplication, host: str = "127.0.0.1", port: int = 8080) -> None:
    """Serve *app* on *host*:*port* until interrupted; loopback by default.

    ``wsgiref`` speaks plain HTTP: Twilio and calendar clients need HTTPS,
    so put a reverse proxy that terminates TLS in front, and keep this
    server on the loopback address behind it.
    """
    server = make_server(app, host, port)
    if not _loopback(host):
        logger.warning(
            "listening on %s, reachable from other machines: keep it behind "
            "a proxy that terminates TLS",
            host,
        )
    logger.info("serving on http://%s:%d", host, server.server_port)
    with server:
        try:
            server.serve_forever()
        finally:
            logger.info("server on %s:%d stopped", host, server.server_port)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
