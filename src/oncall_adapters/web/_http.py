"""The little of HTTP the app needs: reading a request, shaping a response."""

from __future__ import annotations

from http import HTTPStatus
from urllib.parse import parse_qsl, quote
from wsgiref.types import WSGIEnvironment
from wsgiref.util import request_uri
from xml.sax.saxutils import escape

import attrs

__all__ = [
    "MAX_FORM_BYTES",
    "HttpError",
    "Response",
    "form",
    "query",
    "request_url",
    "text",
    "twiml",
]

MAX_FORM_BYTES = 64 * 1024
"""The largest form body read; Twilio's are a few hundred bytes."""


class HttpError(Exception):
    """A request the app refuses before handling it (a bad or huge body)."""

    def __init__(self, status: HTTPStatus, note: str) -> None:
        super().__init__(note)
        self.status = status
        self.note = note


@attrs.frozen
class Response:
    """What the app answers: a status, a body, and a note for the access log.

    The *note* is what the INFO line of the request says beyond the method,
    path and status: it must never hold a secret or a full phone number.
    """

    status: HTTPStatus
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()
    note: str = ""


def text(status: HTTPStatus, body: str, *, note: str = "") -> Response:
    """Return a plain-text response."""
    return Response(status, (body + "\n").encode(), note=note)


def twiml(message: str, *, note: str = "") -> Response:
    """Return TwiML that answers the sender of an inbound message with *message*."""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f"<Response><Message>{escape(message)}</Message></Response>"
    )
    return Response(
        HTTPStatus.OK, body.encode(), content_type="text/xml; charset=utf-8", note=note
    )


def query(environ: WSGIEnvironment) -> dict[str, str]:
    """Return the query string's parameters (the last of repeated ones)."""
    return dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))


def form(environ: WSGIEnvironment) -> dict[str, str]:
    """Read an ``application/x-www-form-urlencoded`` body into a dict.

    Raises:
        HttpError: the length is missing, malformed or above
            :data:`MAX_FORM_BYTES`, or the body is not UTF-8.
    """
    raw_length = environ.get("CONTENT_LENGTH") or "0"
    try:
        length = int(raw_length)
    except ValueError:
        raise HttpError(HTTPStatus.BAD_REQUEST, "malformed Content-Length") from None
    if length < 0:
        raise HttpError(HTTPStatus.BAD_REQUEST, "malformed Content-Length")
    if length > MAX_FORM_BYTES:
        raise HttpError(
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"body of {length} bytes refused"
        )
    body: bytes = environ["wsgi.input"].read(length) if length else b""
    try:
        decoded = body.decode("utf-8")
    except UnicodeDecodeError:
        raise HttpError(HTTPStatus.BAD_REQUEST, "body is not UTF-8") from None
    return dict(parse_qsl(decoded, keep_blank_values=True))


def request_url(environ: WSGIEnvironment, public_base_url: str | None) -> str:
    """Return the full URL the client requested, as Twilio signs it.

    With *public_base_url* (the public URL of the app's root, as Twilio is
    configured to call it) the URL is that, then the path under the app and
    the query; without it, the URL is rebuilt from the request itself (its
    ``Host`` header, scheme, mount point and path).
    """
    if public_base_url is None:
        return request_uri(environ, include_query=True)
    path = quote(environ.get("PATH_INFO", ""), safe="/;=,", encoding="latin1")
    url = public_base_url + path
    query_string = environ.get("QUERY_STRING", "")
    return f"{url}?{query_string}" if query_string else url
