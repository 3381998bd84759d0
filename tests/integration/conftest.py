"""Fixtures of the integration tests: real SQLite files, a real PostgreSQL.

- ``postgres_cluster`` (session): the throw-away :class:`PostgresCluster`,
  with ``restart()``, ``stop()``/``start()`` and ``stopped()`` for tests of
  a database that goes away, and ``create_database``/``drop_database``.
- ``postgres_url``: an empty PostgreSQL database migrated to head, per test
  (emptied and reused after it); ``sqlite_url``: a fresh SQLite file.
- ``database_url``: the same on ``sqlite`` and on ``postgresql`` (marked
  ``postgres``) in turn.
- ``unmigrated_database_url``: the same without any table, for migrations.
- ``engine``: :func:`oncall_adapters.sql.create_engine` on ``database_url``.

Without ``initdb``/``pg_ctl`` the PostgreSQL tests skip, unless
``ONCALL_REQUIRE_POSTGRES=1`` (as in CI), which makes them fail instead.
PostgreSQL databases are copied from a template migrated once per session,
and emptied for reuse: a migration costs seconds, a copy half of one, and
deleting a few rows milliseconds.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest
from sqlalchemy.engine import Engine

from oncall_adapters.sql import Base, create_engine, upgrade
from tests.integration.postgres import (
    DatabasePool,
    PostgresCluster,
    PostgresUnavailable,
)

TEMPLATE = "oncall_template"
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]

_bare_databases = itertools.count()


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("ONCALL_REQUIRE_POSTGRES") == "1":
        pytest.fail(
            f"PostgreSQL is required (ONCALL_REQUIRE_POSTGRES=1) but cannot run: "
            f"{reason}",
            pytrace=False,
        )
    pytest.skip(f"PostgreSQL unavailable: {reason}")


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """Start a PostgreSQL cluster on 127.0.0.1 for the session; stop it after."""
    try:
        cluster = PostgresCluster.create()
    except PostgresUnavailable as error:
        _unavailable(str(error))
    try:
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture(scope="session")
def _postgres_databases(postgres_cluster: PostgresCluster) -> DatabasePool:
    url = postgres_cluster.create_database(TEMPLATE)
    upgrade(url)  # disposes its engine: a template must have no connection
    children_first = [table.name for table in reversed(Base.metadata.sorted_tables)]
    return DatabasePool(postgres_cluster, TEMPLATE, children_first)


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "oncall.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def sqlite_url(_sqlite_template: Path, tmp_path: Path) -> str:
    """Return the URL of a fresh SQLite file, migrated to head and empty."""
    path = tmp_path / "oncall.db"
    shutil.copyfile(_sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def postgres_url(
    postgres_cluster: PostgresCluster, _postgres_databases: DatabasePool
) -> Iterator[str]:
    """Return the URL of an empty PostgreSQL database, migrated to head.

    After the test, connections left to it are cut and its rows deleted.
    A test that changes the schema uses ``postgres_cluster.create_database``.
    """
    name = _postgres_databases.take()
    yield postgres_cluster.url(name)
    _postgres_databases.give_back(name)


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> str:
    """Return a fresh database migrated to head, on each backend in turn."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    url: str = request.getfixturevalue(fixture)
    return url


@pytest.fixture(params=BACKENDS)
def unmigrated_database_url(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[str]:
    """Return a fresh database without any table, on each backend in turn."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'bare.db'}"
        return
    cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
    name = f"oncall_bare_{next(_bare_databases)}"
    yield cluster.create_database(name)
    cluster.drop_database(name)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """Return an engine on ``database_url``; disposed after the test."""
    built = create_engine(database_url)
    yield built
    built.dispose()
