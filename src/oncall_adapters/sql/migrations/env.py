"""Alembic's environment for oncall's migrations.

:func:`oncall_adapters.sql.migrate.upgrade` passes a connection in
``config.attributes["connection"]`` and owns its transaction; the
``alembic`` command line, given ``sqlalchemy.url``, works too.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from oncall_adapters.sql.engine import create_engine
from oncall_adapters.sql.migrate import compare_server_default
from oncall_adapters.sql.models import Base

config = context.config
target_metadata = Base.metadata


def run_on(connection: Connection) -> None:
    """Run the migrations on *connection*."""
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite alters a table by rebuilding it: autogenerate says so.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_server_default=compare_server_default,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_offline() -> None:
    """Write the migrations' SQL instead of running it (``alembic upgrade --sql``)."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Run the migrations on the given connection, or on ``sqlalchemy.url``."""
    connection = config.attributes.get("connection")
    if connection is not None:
        run_on(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        msg = "set sqlalchemy.url, or use oncall_adapters.sql.migrate.upgrade()"
        raise SystemExit(msg)
    engine = create_engine(url)
    try:
        with engine.begin() as own:
            run_on(own)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
