"""The errors of the ``oncall`` command, each with the exit status it means."""

from __future__ import annotations

from oncall_core import OncallError

__all__ = ["BadInput", "CliError", "Failed", "NotFound"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_NOT_FOUND = 3


class CliError(OncallError):
    """A command cannot do what it was asked; :attr:`status` is its exit status."""

    status = EXIT_FAILED


class Failed(CliError):
    """A check failed, or the command could not finish (exit status 1)."""

    status = EXIT_FAILED


class BadInput(CliError, ValueError):
    """An argument or a file cannot be used as given (exit status 2)."""

    status = EXIT_USAGE


class NotFound(CliError, LookupError):
    """A schedule, user, service, incident or file does not exist (exit status 3)."""

    status = EXIT_NOT_FOUND
