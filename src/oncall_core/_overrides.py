"""Overrides: changes to who is on call for a window of time."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from oncall_core._time import require_aware
from oncall_core.errors import InvalidOverride

__all__ = ["Override", "OverrideKind"]


class OverrideKind(enum.Enum):
    """What an override does in its window."""

    REPLACE = "replace"
    """The user takes over the time of the user it replaces."""
    TAKE_OVER = "take_over"
    """The user replaces everyone on call, and covers the gaps."""
    ADD = "add"
    """The user is on call too."""
    REMOVE = "remove"
    """The user is off call, and nobody replaces them."""


def _user_id(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        msg = f"override {what} must be a non-empty user id string, got {value!r}"
        raise InvalidOverride(msg)
    return value


@attrs.frozen
class Override:
    """A change to who is on call between *start* and *end*.

    Build one with :meth:`replace`, :meth:`take_over`, :meth:`add` or
    :meth:`remove`. A schedule applies its overrides in order, the later one
    winning where they stack.
    """

    kind: OverrideKind
    user: str
    start: datetime
    end: datetime
    replaces: str | None = None

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.kind, OverrideKind):
            msg = f"override kind must be an OverrideKind, got {self.kind!r}"
            raise InvalidOverride(msg)
        _user_id(self.user, "user")
        object.__setattr__(self, "start", require_aware(self.start, "override start"))
        object.__setattr__(self, "end", require_aware(self.end, "override end"))
        if self.end <= self.start:
            msg = (
                f"override end ({self.end.isoformat()}) must be after its start "
                f"({self.start.isoformat()})"
            )
            raise InvalidOverride(msg)
        if self.kind is OverrideKind.REPLACE:
            _user_id(self.replaces, "replaces")
            if self.replaces == self.user:
                msg = f"override replaces {self.user!r} with the same user"
                raise InvalidOverride(msg)
        elif self.replaces is not None:
            msg = (
                f"only a replace override names who it replaces; a "
                f"{self.kind.value} override got replaces={self.replaces!r}"
            )
            raise InvalidOverride(msg)

    @classmethod
    def replace(
        cls, user: str, replaces: str, start: datetime, end: datetime
    ) -> Override:
        """Return an override in which *user* takes over *replaces*' time.

        Nothing changes where *replaces* is not on call.
        """
        return cls(OverrideKind.REPLACE, user, start, end, replaces=replaces)

    @classmethod
    def take_over(cls, user: str, start: datetime, end: datetime) -> Override:
        """Return an override in which *user* replaces everyone on call, gaps too."""
        return cls(OverrideKind.TAKE_OVER, user, start, end)

    @classmethod
    def add(cls, user: str, start: datetime, end: datetime) -> Override:
        """Return an override that puts *user* on call too."""
        return cls(OverrideKind.ADD, user, start, end)

    @classmethod
    def remove(cls, user: str, start: datetime, end: datetime) -> Override:
        """Return an override that takes *user* off call; nobody replaces them."""
        return cls(OverrideKind.REMOVE, user, start, end)

    def active_at(self, at: datetime) -> bool:
        """Tell whether the instant *at* is inside the override's window."""
        return self.start <= at < self.end
