"""Apply the schema migrations shipped in this package, with one call.

The migrations are Alembic's, in ``oncall_adapters/sql/migrations``, found
through :mod:`importlib.resources` wherever the package is installed.
:func:`upgrade` brings a database to the newest revision (creating every
table in an empty one); a host calls it at start-up or from its deploy.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import JSON, Column, text
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.types import TypeDecorator

from oncall_adapters.sql.engine import create_engine
from oncall_adapters.sql.errors import MigrationError

__all__ = [
    "SCRIPT_LOCATION",
    "alembic_config",
    "compare_server_default",
    "current",
    "downgrade",
    "head",
    "upgrade",
]

logger = logging.getLogger(__name__)

_Command = Callable[[Config], None]

# The advisory lock migrations hold on PostgreSQL ("oncall" in ASCII).
_LOCK = 0x6F6E63616C6C

SCRIPT_LOCATION = "oncall_adapters.sql:migrations"
"""Where Alembic finds the migrations: a package resource, not a path."""


def alembic_config(connection: Connection | None = None) -> Config:
    """Return an Alembic configuration for the shipped migrations.

    With *connection*, Alembic's commands (``command.check``,
    ``command.history``...) run on it; without, they need a
    ``sqlalchemy.url`` main option.
    """
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    # One path a line in version_locations: a package resource has a colon.
    config.set_main_option("path_separator", "newline")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head() -> str:
    """Return the newest revision of the shipped migrations."""
    revision = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert revision is not None
    return revision


def current(engine: Engine) -> str | None:
    """Return the revision the database of *engine* is at, or None if bare."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine_or_url: Engine | str | URL, revision: str = "head") -> None:
    """Bring the database up to *revision* (the newest by default).

    The whole upgrade is one transaction (on SQLite, with an engine from
    :func:`~oncall_adapters.sql.create_engine`), and several processes may
    call this at once: on PostgreSQL an advisory lock, on SQLite the write
    lock, lets one migrate while the others wait and then find nothing to
    do. On SQLite foreign keys are off while it runs (rebuilding a table
    must not cascade deletes), and checked before it commits.
    """
    with _engine(engine_or_url) as engine:
        before = current(engine)
        _run(engine, lambda config: command.upgrade(config, revision))
        _log_move(before, current(engine))


def downgrade(engine_or_url: Engine | str | URL, revision: str) -> None:
    """Take the database back down to *revision* (``"base"`` drops everything)."""
    with _engine(engine_or_url) as engine:
        before = current(engine)
        _run(engine, lambda config: command.downgrade(config, revision))
        _log_move(before, current(engine))


def _log_move(before: str | None, after: str | None) -> None:
    if before == after:
        logger.debug("database already at revision %s", after)
    else:
        logger.info(
            "database migrated from revision %s to %s",
            before or "nothing",
            after or "nothing",
        )


@contextlib.contextmanager
def _engine(engine_or_url: Engine | str | URL) -> Iterator[Engine]:
    if isinstance(engine_or_url, Engine):
        yield engine_or_url
        return
    engine = create_engine(engine_or_url)
    try:
        yield engine
    finally:
        engine.dispose()


def _run(engine: Engine, step: _Command) -> None:
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # A PRAGMA inside a transaction does nothing: say it before BEGIN.
            _driver_execute(connection, "PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                if connection.dialect.name == "postgresql":
                    connection.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK}
                    )
                step(alembic_config(connection))
                if sqlite:
                    _check_foreign_keys(connection)
        finally:
            if sqlite:
                _driver_execute(connection, "PRAGMA foreign_keys=ON")


def _driver_execute(connection: Connection, statement: str) -> None:
    driver = connection.connection.driver_connection
    assert driver is not None
    driver.execute(statement)


def _check_foreign_keys(connection: Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        msg = f"the migration left rows whose foreign keys point nowhere: {broken}"
        raise MigrationError(msg)


_QUOTED = re.compile(r"^'(?P<body>(?:[^']|'')*)'(?:::\w+)?$", re.DOTALL)


def _json_default(rendered: str | None) -> object:
    """Return the JSON value of a default, quoted and cast (``'[]'::json``) or not."""
    if rendered is None:
        return None
    match = _QUOTED.match(rendered)
    body = rendered if match is None else match["body"].replace("''", "'")
    try:
        value: object = json.loads(body)
    except ValueError:
        return body
    return value


def compare_server_default(
    context: MigrationContext,
    inspected_column: Column[Any],
    metadata_column: Column[Any],
    inspected_default: str | None,
    metadata_default: Any,
    rendered_metadata_default: str | None,
) -> bool | None:
    """Compare JSON defaults as JSON; leave every other default to Alembic.

    PostgreSQL has no ``=`` for ``json``, so Alembic's own comparison of
    ``'[]'::json`` with ``'[]'`` fails there.
    """
    kind = metadata_column.type
    if isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    if not isinstance(kind, JSON):
        return None
    inspected = _json_default(inspected_default)
    return inspected != _json_default(rendered_metadata_default)
