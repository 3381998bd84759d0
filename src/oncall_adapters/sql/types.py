"""Column types that keep the core's rules at the database's edge."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from oncall_core import NaiveDatetime

__all__ = ["JSONList", "UTCDateTime"]


class UTCDateTime(TypeDecorator[datetime]):
    """An instant: aware in, aware UTC out, stored as ``DateTime(timezone=True)``.

    PostgreSQL keeps it as ``timestamptz``. SQLite has no zones, so the
    instant is stored as naive UTC (which sorts and compares as text) and
    read back as UTC. A naive datetime is refused before it reaches the
    database, in values and in query parameters alike.

    Raises:
        NaiveDatetime: a datetime without a time zone was bound.
        TypeError: something that is not a datetime was bound.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(
        self, value: datetime | None, dialect: Dialect
    ) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            msg = f"expected an aware datetime, got {value!r}"
            raise TypeError(msg)
        if value.tzinfo is None or value.utcoffset() is None:
            msg = (
                f"refusing to store the naive datetime {value.isoformat()}: "
                "give it a time zone (datetime(..., tzinfo=UTC))"
            )
            raise NaiveDatetime(msg)
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(
        self, value: datetime | None, dialect: Dialect
    ) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class JSONList(TypeDecorator[list[Any]]):
    """A JSON array: any sequence in (tuples become lists), a list out.

    SQL ``NULL`` stands for None (never the JSON ``null``), so a nullable
    column tells "not set" from "empty". What comes out is not checked
    here: the converters to core values refuse a row that holds something
    other than a list.
    """

    impl = JSON(none_as_null=True)
    cache_ok = True

    def process_bind_param(
        self, value: Sequence[Any] | None, dialect: Dialect
    ) -> list[Any] | None:
        if value is None:
            return None
        if isinstance(value, str | bytes) or not isinstance(value, Sequence):
            msg = f"expected a list or a tuple, got {value!r}"
            raise TypeError(msg)
        return list(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return value
