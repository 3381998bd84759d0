"""The exceptions of :mod:`oncall_adapters.sql`.

Both derive from :class:`oncall_core.OncallError` and :class:`ValueError`:
a caller that already handles bad values handles these too.
"""

from __future__ import annotations

from oncall_core import OncallError

__all__ = ["InvalidRow", "MigrationError", "UnstorableValue"]


class InvalidRow(OncallError, ValueError):
    """A stored row does not convert to a core value.

    *table* and *key* name the row (the innermost one that is wrong: a bad
    layer of a schedule names the ``layers`` row).
    """

    def __init__(self, message: str, *, table: str, key: object) -> None:
        super().__init__(message)
        self.table = table
        self.key = key


class MigrationError(OncallError, RuntimeError):
    """A migration would leave the database inconsistent; it was rolled back."""


class UnstorableValue(OncallError, ValueError):
    """A value cannot be saved as it is; nothing was written.

    Raised for a value the tables cannot hold exactly (a turn of 90.5
    seconds, or of seventy years), one that names rows that do not exist
    (a team member who is not a saved user, a service's unknown policy), one
    the database refuses (text with a NUL on PostgreSQL), or an object that
    is not the core value it should be.
    """
