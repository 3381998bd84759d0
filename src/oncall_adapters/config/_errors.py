"""The errors of the configuration: one :class:`Problem` per line, all at once."""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from oncall_core import OncallError

__all__ = ["ConfigError", "InvalidSettings", "Problem"]


@attrs.frozen
class Problem:
    """One thing wrong with a configuration, and where.

    *path* names the table and the field the way the file spells them
    (``schedules.primary.layers[1].turn``); it is empty for a problem with
    the file as a whole, such as a TOML syntax error.
    """

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ConfigError(OncallError, ValueError):
    """A configuration file cannot be used; :attr:`problems` says every reason.

    ``str(error)`` is one line per problem, each starting with the file's
    name: ``oncall.toml: users.ana.phone: must be an E.164 number ...``.
    """

    def __init__(self, source: str, problems: Iterable[Problem]) -> None:
        self.source = source
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(f"{source}: {problem}" for problem in self.problems))


class InvalidSettings(OncallError, ValueError):
    """A delivery setting (a Twilio SID, an SMTP port, a URL) is malformed."""
