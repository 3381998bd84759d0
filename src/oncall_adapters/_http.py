"""What the HTTP-speaking adapters share."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

__all__ = ["parse_retry_after"]


def parse_retry_after(
    value: str | None, now: datetime | None = None
) -> timedelta | None:
    """Read a ``Retry-After`` header (seconds or an HTTP date); None if absent.

    A date in the past waits nothing; *now* defaults to the current time.
    """
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return timedelta(seconds=int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(when - (now or datetime.now(UTC)), timedelta(0))
