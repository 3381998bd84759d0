"""Storage on SQLite and PostgreSQL, through SQLAlchemy 2 and Alembic.

Install the ``sql`` extra (``pip install 'oncall[sql]'``). Nothing here
connects at import time: the host builds an engine and passes it in::

    from oncall_adapters.sql import SqlDirectory, SqlRepository, create_engine, upgrade

    engine = create_engine("sqlite:///oncall.db")  # or postgresql://...
    upgrade(engine)  # creates or migrates every table
    repository = SqlRepository(engine)
    repository.save_user(user)
    directory = SqlDirectory(engine)  # the core's Directory port
"""

from oncall_adapters.sql.directory import SqlDirectory
from oncall_adapters.sql.engine import create_engine
from oncall_adapters.sql.errors import InvalidRow, MigrationError, UnstorableValue
from oncall_adapters.sql.migrate import current, downgrade, head, upgrade
from oncall_adapters.sql.models import Base
from oncall_adapters.sql.repository import SqlRepository
from oncall_adapters.sql.types import JSONList, UTCDateTime

__all__ = [
    "Base",
    "InvalidRow",
    "JSONList",
    "MigrationError",
    "SqlDirectory",
    "SqlRepository",
    "UTCDateTime",
    "UnstorableValue",
    "create_engine",
    "current",
    "downgrade",
    "head",
    "upgrade",
]
