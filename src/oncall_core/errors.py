"""The exceptions of :mod:`oncall_core`.

Every error the library raises on purpose derives from :class:`OncallError`.
Errors about a bad value also derive from :class:`ValueError`, so callers
that already catch ``ValueError`` keep working.
"""

from __future__ import annotations

__all__ = [
    "AmbiguousTime",
    "InvalidLayer",
    "InvalidOverride",
    "InvalidPolicy",
    "InvalidRestriction",
    "InvalidSchedule",
    "InvalidTransition",
    "InvalidUser",
    "InvalidValue",
    "InvalidWindow",
    "NaiveDatetime",
    "NonexistentTime",
    "OncallError",
    "UnknownTimeZone",
]


class OncallError(Exception):
    """Base class of every error raised by oncall."""


class NaiveDatetime(OncallError, ValueError):
    """A datetime without a time zone was given where an instant is needed."""


class UnknownTimeZone(OncallError, ValueError):
    """A time zone name is not in the IANA time zone database."""


class NonexistentTime(OncallError, ValueError):
    """A local time falls in a gap (spring forward) and ``raise`` was asked."""


class AmbiguousTime(OncallError, ValueError):
    """A local time happens twice (fall back) and ``raise`` was asked."""


class InvalidRestriction(OncallError, ValueError):
    """A restriction window is malformed."""


class InvalidLayer(OncallError, ValueError):
    """A schedule layer is malformed."""


class InvalidOverride(OncallError, ValueError):
    """An override is malformed."""


class InvalidSchedule(OncallError, ValueError):
    """A schedule is malformed."""


class InvalidWindow(OncallError, ValueError):
    """A query window ends before it starts."""


class InvalidValue(OncallError, ValueError):
    """A value given to the core is malformed."""


class InvalidUser(InvalidValue):
    """A user, their contact details or their preferences are malformed."""


class InvalidPolicy(InvalidValue):
    """An escalation policy, step or target is malformed."""


class InvalidTransition(OncallError, ValueError):
    """An escalation or notification cannot make the asked transition from its state."""
