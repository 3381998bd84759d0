"""The core's :class:`~oncall_core.Directory` port, read from the tables."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from oncall_adapters.sql.repository import SqlRepository
from oncall_core import Schedule, Team, User

__all__ = ["SqlDirectory"]

_Found = User | Team | Schedule | None


class SqlDirectory:
    """Finds users, teams and schedules in the database, for escalation.

    Each method returns None for an unknown id, and also for rows that do
    not convert (a schedule whose zone is unknown, a layer with a turn of
    zero seconds, a user with an unknown channel), after a WARNING that
    names the row: escalation turns both into an "unknown id" event.

    Given an engine, each call reads in a transaction of its own; given a
    session, calls read inside the caller's transaction. Nothing is cached
    across calls unless *cache_seconds* is positive: then an answer (None
    included) is reused for that long, measured on *monotonic*.
    """

    def __init__(
        self,
        bind: Engine | Session,
        *,
        cache_seconds: float = 0.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if cache_seconds < 0:
            msg = f"cache_seconds must be zero or more, got {cache_seconds!r}"
            raise ValueError(msg)
        self._repository = SqlRepository(bind)
        self._cache_seconds = cache_seconds
        self._monotonic = monotonic
        self._cache: dict[tuple[str, str], tuple[float, _Found]] = {}
        self._lock = threading.Lock()

    def user(self, user_id: str) -> User | None:
        """Return the user with this id, or None."""
        found = self._cached("user", user_id, self._repository.user)
        assert found is None or isinstance(found, User)
        return found

    def team(self, team_id: str) -> Team | None:
        """Return the team with this id, or None."""
        found = self._cached("team", team_id, self._repository.team)
        assert found is None or isinstance(found, Team)
        return found

    def schedule(self, schedule_id: str) -> Schedule | None:
        """Return the schedule with this id, or None."""
        found = self._cached("schedule", schedule_id, self._repository.schedule)
        assert found is None or isinstance(found, Schedule)
        return found

    def clear_cache(self) -> None:
        """Forget every cached answer: the next calls read the database."""
        with self._lock:
            self._cache.clear()

    def _cached(self, kind: str, key: str, load: Callable[[str], _Found]) -> _Found:
        if self._cache_seconds <= 0:
            return load(key)
        now = self._monotonic()
        with self._lock:
            hit = self._cache.get((kind, key))
        if hit is not None and hit[0] > now:
            return hit[1]
        found = load(key)
        with self._lock:
            self._cache[(kind, key)] = (now + self._cache_seconds, found)
        return found
