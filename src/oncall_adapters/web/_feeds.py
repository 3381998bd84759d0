"""Calendar feeds behind a secret: which token opens which feed."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from typing import Literal
from urllib.parse import quote

__all__ = ["FEED_AHEAD", "FEED_BEHIND", "FeedKind", "feed_path", "feed_token_opens"]

FEED_BEHIND = timedelta(days=7)
"""How far back a feed reaches: today's shift and the recent ones stay visible."""
FEED_AHEAD = timedelta(days=60)
"""How far ahead a feed reaches."""

FeedKind = Literal["schedules", "users"]
"""A schedule's feed, or a user's feed across every schedule."""

MIN_TOKEN_LENGTH = 16


def _feed_token(feed_token: str, kind: FeedKind, feed_id: str) -> str:
    """The token of one feed: it opens that feed and no other."""
    digest = hmac.new(feed_token.encode(), f"{kind}/{feed_id}".encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def feed_path(kind: FeedKind, feed_id: str, feed_token: str) -> str:
    """Return the path and query of a feed, with the token that opens only it.

    Hand people these URLs (after the app's public base URL): a leaked one
    exposes one feed, while *feed_token* itself, the app's secret, opens
    every feed. The token is derived from *feed_token* with HMAC-SHA256, so
    the app recomputes it and stores nothing.

    >>> feed_path("users", "ana", "s3cret-s3cret-s3cret")  # doctest: +ELLIPSIS
    '/calendars/users/ana.ics?token=...'
    """
    if kind not in ("schedules", "users"):
        msg = f"kind must be 'schedules' or 'users', got {kind!r}"
        raise ValueError(msg)
    token = _feed_token(feed_token, kind, feed_id)
    return f"/calendars/{kind}/{quote(feed_id, safe='')}.ics?token={token}"


def feed_token_opens(given: str, feed_token: str, kind: FeedKind, feed_id: str) -> bool:
    """Tell whether *given* opens the feed: the app's token, or the feed's own.

    Compared in constant time (:func:`hmac.compare_digest`), as bytes, so
    that a token of any characters is refused rather than raising.
    """
    offered = given.encode("utf-8", "surrogateescape")
    master = hmac.compare_digest(offered, feed_token.encode())
    own = hmac.compare_digest(offered, _feed_token(feed_token, kind, feed_id).encode())
    return master | own
