"""Bringing the database to match a configuration, in one transaction.

:func:`apply_config` reads what is stored, compares it with the
configuration (:func:`~oncall_adapters.config.diff_configs`), saves what was
added or changed and deletes what was removed, all through one
:class:`~oncall_adapters.sql.SqlRepository` bound to one session: either
every change is committed or none is. Applying the same file twice changes
nothing the second time.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from oncall_adapters.config import Changes, Config, Settings, diff_configs
from oncall_adapters.sql import SqlRepository

__all__ = ["apply_config", "stored_config"]

Step = Callable[[str], None]


def stored_config(
    repository: SqlRepository, settings: Settings | None = None
) -> Config:
    """Return what the database holds, as a configuration with *settings*.

    Settings are not stored in the database: they come from the file each
    time (*settings*, or the defaults).
    """
    return Config.from_values(
        users=repository.users(),
        teams=repository.teams(),
        schedules=repository.schedules().values(),
        policies=repository.policies().values(),
        services=repository.services(),
        settings=settings,
    )


def _count(changes: Changes) -> int:
    return sum(
        len(kind.added) + len(kind.changed) + len(kind.removed)
        for _, kind in changes.kinds()
    )


def apply_config(
    engine: Engine,
    config: Config,
    *,
    dry_run: bool = False,
    on_step: Callable[[int], Step] | None = None,
) -> Changes:
    """Make the database hold exactly *config*; return what changed.

    Saves go first, in the order references need (users, teams, schedules,
    policies, services), then deletions in the reverse order, so that
    nothing ever names a row that is not there. With *dry_run* the
    transaction is rolled back: the changes are reported, not made.
    *on_step*, given the number of changes, returns a function called
    with the name of each change as it is made (for progress).

    Raises:
        UnstorableValue: a value cannot be stored; nothing was written.
        sqlalchemy.exc.SQLAlchemyError: the database failed; nothing was
            written.
    """
    with Session(engine) as session:
        transaction = session.begin()
        try:
            repository = SqlRepository(session)
            changes = diff_configs(stored_config(repository, config.settings), config)
            step = on_step(_count(changes)) if on_step is not None else _ignore
            _save(repository, config, changes, step)
            _delete(repository, changes, step)
        except BaseException:
            transaction.rollback()
            raise
        if dry_run:
            transaction.rollback()
        else:
            transaction.commit()
    return changes


def _ignore(_: str) -> None:
    return None


def _save(
    repository: SqlRepository, config: Config, changes: Changes, step: Step
) -> None:
    for key in (*changes.users.added, *changes.users.changed):
        repository.save_user(config.users[key])
        step(f"user {key}")
    for key in (*changes.teams.added, *changes.teams.changed):
        repository.save_team(config.teams[key])
        step(f"team {key}")
    for key in (*changes.schedules.added, *changes.schedules.changed):
        repository.save_schedule(key, config.schedules[key])
        step(f"schedule {key}")
    for key in (*changes.policies.added, *changes.policies.changed):
        repository.save_policy(key, config.policies[key])
        step(f"policy {key}")
    for key in (*changes.services.added, *changes.services.changed):
        repository.save_service(config.services[key])
        step(f"service {key}")


def _delete(repository: SqlRepository, changes: Changes, step: Step) -> None:
    for key in changes.services.removed:
        repository.delete_service(key)
        step(f"service {key}")
    for key in changes.policies.removed:
        repository.delete_policy(key)
        step(f"policy {key}")
    for key in changes.schedules.removed:
        repository.delete_schedule(key)
        step(f"schedule {key}")
    for key in changes.teams.removed:
        repository.delete_team(key)
        step(f"team {key}")
    for key in changes.users.removed:
        repository.delete_user(key)
        step(f"user {key}")
