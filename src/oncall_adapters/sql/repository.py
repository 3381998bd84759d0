"""Saving and loading the core's values: users, teams, schedules, policies, services."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Collection, Iterator
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker

from oncall_adapters.sql._convert import (
    policy_from_row,
    policy_row,
    schedule_from_row,
    schedule_row,
    service_from_row,
    service_row,
    team_from_row,
    team_row,
    user_from_row,
    user_row,
)
from oncall_adapters.sql.errors import InvalidRow, UnstorableValue
from oncall_adapters.sql.models import (
    Base,
    PolicyRow,
    ScheduleRow,
    ServiceRow,
    TeamRow,
    UserRow,
)
from oncall_core import EscalationPolicy, Schedule, Service, Team, User

__all__ = ["SqlRepository"]

logger = logging.getLogger(__name__)

_Row = TypeVar("_Row", bound=Base)
_Value = TypeVar("_Value")


class SqlRepository:
    """Saves the core's values to the tables and loads them back.

    Each call is one transaction. Given an :class:`~sqlalchemy.engine.Engine`,
    the repository opens and commits its own: reads see one snapshot (on
    PostgreSQL at ``REPEATABLE READ``, so a schedule saved meanwhile is seen
    whole or not at all) and, on SQLite, neither wait for a writer nor make
    one wait. Given a :class:`~sqlalchemy.orm.Session`, it works inside the
    caller's transaction, each save in a savepoint, and the caller commits.

    Saving replaces what was stored under the id, in place: a user's team
    memberships and a policy's services survive a save. A save refuses,
    before writing anything, a value the tables cannot hold exactly, one
    that would not load back equal, and one that names rows that do not
    exist (:class:`UnstorableValue`). Loading returns None for an unknown
    id, and also for rows that do not convert, with a WARNING naming the
    row: never a half-built value. Lists skip such rows the same way.
    """

    def __init__(self, bind: Engine | Session) -> None:
        self._bind = bind
        self._sessions: sessionmaker[Session] | None = None
        self._read_sessions: sessionmaker[Session] | None = None
        if isinstance(bind, Engine):
            self._sessions = sessionmaker(bind, expire_on_commit=False)
            reads = bind
            if bind.dialect.name == "postgresql":
                reads = bind.execution_options(isolation_level="REPEATABLE READ")
            elif bind.dialect.name == "sqlite":
                reads = bind.execution_options(sqlite_begin="deferred")
            self._read_sessions = sessionmaker(reads, expire_on_commit=False)

    # Users.

    def save_user(self, user: User) -> None:
        """Save *user* under its id, replacing what was there.

        Raises:
            UnstorableValue: *user* is not a :class:`~oncall_core.User`, or
                would not load back equal; nothing was written.
        """
        _require(user, User, "user")
        row = _storable(f"user {user.id!r}", user, user_row, user_from_row)
        with self._writing() as session:
            session.merge(row)
        logger.debug("user %r saved", user.id)

    def user(self, user_id: str) -> User | None:
        """Return the user *user_id*, or None (unknown id, or bad rows)."""
        return self._load("user", UserRow, user_id, user_from_row)

    def users(self) -> list[User]:
        """Return every user that converts, by id."""
        return [u for _, u in self._load_all("user", UserRow.id, user_from_row)]

    def delete_user(self, user_id: str) -> bool:
        """Delete the user *user_id*; tell whether there was one.

        Their team memberships go with them, and a team they led has no
        lead. Layers and steps that name them keep the id: escalation
        reports it as unknown.
        """
        return self._delete("user", UserRow, user_id)

    # Teams.

    def save_team(self, team: Team) -> None:
        """Save *team* under its id, replacing what was there.

        Raises:
            UnstorableValue: a member is not a saved user, a member is
                listed twice, or *team* is not a :class:`~oncall_core.Team`;
                nothing was written.
        """
        _require(team, Team, "team")
        row = _storable(f"team {team.id!r}", team, team_row, team_from_row)
        with self._writing() as session:
            _require_rows(session, UserRow.id, team.members, f"team {team.id!r}")
            session.merge(row)
        logger.debug("team %r saved", team.id)

    def team(self, team_id: str) -> Team | None:
        """Return the team *team_id*, or None (unknown id, or bad rows)."""
        return self._load("team", TeamRow, team_id, team_from_row)

    def teams(self) -> list[Team]:
        """Return every team that converts, by id."""
        return [t for _, t in self._load_all("team", TeamRow.id, team_from_row)]

    def delete_team(self, team_id: str) -> bool:
        """Delete the team *team_id*; tell whether there was one."""
        return self._delete("team", TeamRow, team_id)

    # Schedules.

    def save_schedule(self, schedule_id: str, schedule: Schedule) -> None:
        """Save *schedule* under *schedule_id*, replacing what was there.

        Raises:
            UnstorableValue: a turn or shift is not a whole number of
                seconds, the schedule would not load back equal, or the
                arguments are not an id and a :class:`~oncall_core.Schedule`;
                nothing was written.
        """
        _require_id(schedule_id, "schedule")
        _require(schedule, Schedule, "schedule")
        row = _storable(
            f"schedule {schedule_id!r}",
            schedule,
            lambda value: schedule_row(schedule_id, value),
            schedule_from_row,
        )
        with self._writing() as session:
            session.merge(row)
        logger.debug("schedule %r saved", schedule_id)

    def schedule(self, schedule_id: str) -> Schedule | None:
        """Return the schedule *schedule_id*, or None (unknown id, or bad rows)."""
        return self._load("schedule", ScheduleRow, schedule_id, schedule_from_row)

    def schedules(self) -> dict[str, Schedule]:
        """Return every schedule that converts, by id."""
        return dict(self._load_all("schedule", ScheduleRow.id, schedule_from_row))

    def delete_schedule(self, schedule_id: str) -> bool:
        """Delete the schedule *schedule_id*; tell whether there was one."""
        return self._delete("schedule", ScheduleRow, schedule_id)

    # Escalation policies.

    def save_policy(self, policy_id: str, policy: EscalationPolicy) -> None:
        """Save *policy* under *policy_id*, replacing what was there.

        Services that use the policy keep using it.

        Raises:
            UnstorableValue: a delay is not a whole number of seconds, or
                the arguments are not an id and an
                :class:`~oncall_core.EscalationPolicy`; nothing was written.
        """
        _require_id(policy_id, "policy")
        _require(policy, EscalationPolicy, "policy")
        row = _storable(
            f"policy {policy_id!r}",
            policy,
            lambda value: policy_row(policy_id, value),
            policy_from_row,
        )
        with self._writing() as session:
            session.merge(row)
        logger.debug("policy %r saved", policy_id)

    def policy(self, policy_id: str) -> EscalationPolicy | None:
        """Return the policy *policy_id*, or None (unknown id, or bad rows)."""
        return self._load("policy", PolicyRow, policy_id, policy_from_row)

    def policies(self) -> dict[str, EscalationPolicy]:
        """Return every escalation policy that converts, by id."""
        return dict(self._load_all("policy", PolicyRow.id, policy_from_row))

    def delete_policy(self, policy_id: str) -> bool:
        """Delete the policy *policy_id*; tell whether there was one.

        Services that used it are left without a policy.
        """
        return self._delete("policy", PolicyRow, policy_id)

    # Services.

    def save_service(self, service: Service) -> None:
        """Save *service* under its id, replacing what was there.

        Raises:
            UnstorableValue: its policy is not a saved policy, or *service*
                is not a :class:`~oncall_core.Service`; nothing was written.
        """
        _require(service, Service, "service")
        row = _storable(
            f"service {service.id!r}", service, service_row, service_from_row
        )
        with self._writing() as session:
            if service.policy is not None:
                _require_rows(
                    session, PolicyRow.id, [service.policy], f"service {service.id!r}"
                )
            session.merge(row)
        logger.debug("service %r saved", service.id)

    def service(self, service_id: str) -> Service | None:
        """Return the service *service_id*, or None (unknown id, or bad rows)."""
        return self._load("service", ServiceRow, service_id, service_from_row)

    def services(self) -> list[Service]:
        """Return every service that converts, by id."""
        return [
            s for _, s in self._load_all("service", ServiceRow.id, service_from_row)
        ]

    def delete_service(self, service_id: str) -> bool:
        """Delete the service *service_id*; tell whether there was one."""
        return self._delete("service", ServiceRow, service_id)

    # The transactions.

    @contextlib.contextmanager
    def _writing(self) -> Iterator[Session]:
        """Run a save in a transaction (or savepoint) of its own.

        A constraint the database enforces (a user deleted meanwhile, a
        value it cannot hold) rolls the save back whole and is raised as
        :class:`UnstorableValue`; a lost connection is raised as it is, for
        the caller to retry.
        """
        try:
            if self._sessions is None:
                assert isinstance(self._bind, Session)
                with self._bind.begin_nested():
                    yield self._bind
                return
            with self._sessions.begin() as session:
                yield session
        except (IntegrityError, DataError) as error:
            msg = f"the database refused the save, nothing was written: {error.orig}"
            raise UnstorableValue(msg) from error

    @contextlib.contextmanager
    def _reading(self) -> Iterator[Session]:
        if self._read_sessions is None:
            assert isinstance(self._bind, Session)
            yield self._bind
            return
        with self._read_sessions.begin() as session:
            yield session

    def _load(
        self,
        what: str,
        model: type[_Row],
        key: str,
        convert: Callable[[_Row], _Value],
    ) -> _Value | None:
        with self._reading() as session:
            row = session.get(model, key)
            return None if row is None else _converted(what, key, row, convert)

    def _load_all(
        self,
        what: str,
        key: InstrumentedAttribute[str],
        convert: Callable[[Any], _Value],
    ) -> list[tuple[str, _Value]]:
        found: list[tuple[str, _Value]] = []
        with self._reading() as session:
            for row in session.scalars(select(key.class_).order_by(key)):
                ident = getattr(row, key.key)
                value = _converted(what, ident, row, convert)
                if value is not None:
                    found.append((ident, value))
        return found

    def _delete(self, what: str, model: type[Base], key: str) -> bool:
        with self._writing() as session:
            row = session.get(model, key)
            if row is None:
                return False
            session.delete(row)
        logger.debug("%s %r deleted", what, key)
        return True


def _converted(
    what: str, key: str, row: _Row, convert: Callable[[_Row], _Value]
) -> _Value | None:
    try:
        return convert(row)
    except InvalidRow as error:
        logger.warning("%s %r not loaded: %s", what, key, error, exc_info=True)
        return None


def _require(value: object, kind: type, what: str) -> None:
    if not isinstance(value, kind):
        msg = f"expected a {what} ({kind.__name__}), got {value!r}"
        raise UnstorableValue(msg)


def _require_id(value: object, what: str) -> None:
    if not isinstance(value, str) or not value.strip():
        msg = f"{what} id must be a non-empty string, got {value!r}"
        raise UnstorableValue(msg)


def _storable(
    what: str,
    value: _Value,
    to_row: Callable[[_Value], _Row],
    from_row: Callable[[_Row], _Value],
) -> _Row:
    """Return the row of *value*, refusing it unless the row loads back equal."""
    row = to_row(value)
    try:
        loaded = from_row(row)
    except InvalidRow as error:
        msg = f"{what} cannot be stored: {error}"
        raise UnstorableValue(msg) from error
    if loaded != value:
        msg = f"{what} would not load back as it was saved: it would read {loaded!r}"
        raise UnstorableValue(msg)
    return row


def _require_rows(
    session: Session,
    key: InstrumentedAttribute[str],
    wanted: Collection[str],
    what: str,
) -> None:
    if not wanted:
        return
    found = set(session.scalars(select(key).where(key.in_(set(wanted)))))
    missing = sorted(set(wanted) - found)
    if missing:
        table = key.class_.__tablename__
        msg = (
            f"{what} names {', '.join(map(repr, missing))}, not found in {table}: "
            "save those first"
        )
        raise UnstorableValue(msg)
