"""Engines with the settings oncall needs, for SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import sqlite3
import time
from typing import Any, Literal

import sqlalchemy
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool

__all__ = ["SqliteBegin", "create_engine", "is_memory_sqlite"]

logger = logging.getLogger(__name__)

SqliteBegin = Literal["deferred", "immediate"]


def is_memory_sqlite(url: str | URL) -> bool:
    """Tell whether *url* names an in-memory SQLite database."""
    parsed = make_url(url)
    return parsed.get_backend_name() == "sqlite" and parsed.database in (
        None,
        "",
        ":memory:",
    )


def create_engine(
    url: str | URL = "sqlite:///oncall.db",
    *,
    sqlite_begin: SqliteBegin = "immediate",
    sqlite_busy_timeout: float = 30.0,
    **kw: Any,
) -> Engine:
    """Return an engine for *url*, set up the way oncall's tables need.

    SQLite (the embedded default: a file, or ``sqlite://`` / ``:memory:``
    for tests) gets foreign keys on, write-ahead logging, a busy timeout of
    *sqlite_busy_timeout* seconds and real transactions: every transaction
    starts with ``BEGIN IMMEDIATE`` (or ``BEGIN`` with
    ``sqlite_begin="deferred"``), so that two writers wait for each other
    instead of failing with "database is locked" when one upgrades a read
    to a write. A read-only transaction should say so with the execution
    option ``sqlite_begin="deferred"`` (as the repository's reads do): it
    then neither waits for a writer nor makes one wait, which matters when
    the thread that reads holds a write transaction open on another
    connection. An in-memory database lives on one shared connection.

    PostgreSQL goes through psycopg 3 (``postgresql://`` is read as
    ``postgresql+psycopg://``) and pings connections before use, so a
    restarted server costs a reconnect, not an error.

    Other keyword arguments go to :func:`sqlalchemy.create_engine` and win
    over these defaults. Nothing connects until the engine is used.
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "postgresql" and parsed.get_driver_name() != "psycopg":
        parsed = parsed.set(drivername="postgresql+psycopg")
    options: dict[str, Any] = {}
    if backend == "postgresql":
        options["pool_pre_ping"] = True
    elif backend == "sqlite":
        options["connect_args"] = {"check_same_thread": False}
        if is_memory_sqlite(parsed):
            options["poolclass"] = StaticPool
    options.update(kw)

    engine = sqlalchemy.create_engine(parsed, **options)
    if backend == "sqlite":
        _set_up_sqlite(
            engine,
            begin=sqlite_begin,
            busy_timeout=sqlite_busy_timeout,
            wal=not is_memory_sqlite(parsed),
        )
    logger.debug("engine created for %s", parsed.render_as_string(hide_password=True))
    return engine


def _switch_to_wal(cursor: Any, patience: float) -> None:
    """Put the database in WAL mode, waiting up to *patience* seconds for it.

    Turning a new database to WAL needs it to itself, and SQLite answers
    "database is locked" at once, without its busy timeout, while another
    connection is writing (as when several processes create it together).
    """
    deadline = time.monotonic() + patience
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() >= deadline:
                raise
            time.sleep(0.02)


def _set_up_sqlite(
    engine: Engine, *, begin: SqliteBegin, busy_timeout: float, wal: bool
) -> None:
    # The driver's own transaction handling starts transactions late and
    # never around DDL; turn it off and say BEGIN ourselves (the recipe of
    # SQLAlchemy's SQLite documentation).
    statements = {"immediate": "BEGIN IMMEDIATE", "deferred": "BEGIN"}

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
            if wal:
                _switch_to_wal(cursor, busy_timeout)
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Connection) -> None:
        if connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
            return
        # Leaving AUTOCOMMIT resets the driver to its own handling: undo that.
        connection.connection.driver_connection.isolation_level = None  # type: ignore[union-attr]
        mode = connection.get_execution_options().get("sqlite_begin", begin)
        connection.exec_driver_sql(statements[mode])
