"""The ``oncall`` command: the reference host app.

One configuration file describes the set-up (``oncall apply``); a database
holds it with the incidents (SQLite by default, PostgreSQL for several
workers); ``oncall worker`` pages and ``oncall serve`` takes Twilio's
callbacks and replies and serves calendar feeds. Every command is
documented in ``docs/cli.md``.

Exit statuses: 0 done; 1 a check failed or the command could not finish
(``doctor`` found an error, the database failed); 2 bad usage or input;
3 something named does not exist.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import os
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from oncall_adapters.cli._errors import (
    EXIT_FAILED,
    EXIT_NOT_FOUND,
    EXIT_USAGE,
    CliError,
)
from oncall_adapters.cli._parser import parser
from oncall_core import OncallError

__all__ = ["main", "run"]

_INTERRUPTED = 130
_BROKEN_PIPE = 141

Handler = Callable[[Any, argparse.Namespace], int]

# Each command's handler, imported only when the command runs: the
# provider SDKs take a second to import, and `oncall who` needs none.
_HANDLERS = {
    "init": "_setup:run_init",
    "apply": "_setup:run_apply",
    "export": "_setup:run_export",
    "doctor": "_setup:run_doctor",
    "who": "_schedules:run_who",
    "shifts": "_schedules:run_shifts",
    "timeline": "_schedules:run_timeline",
    "ics": "_schedules:run_ics",
    "trigger": "_incidents:run_trigger",
    "ack": "_incidents:run_ack",
    "resolve": "_incidents:run_resolve",
    "snooze": "_incidents:run_snooze",
    "incidents": "_incidents:run_incidents",
    "notifications": "_incidents:run_notifications",
    "worker": "_run:run_worker_command",
    "serve": "_run:run_serve",
    "demo": "_demo:run_demo_command",
}


def _handler(command: str) -> Handler:
    module, _, name = _HANDLERS[command].partition(":")
    handler: Handler = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    return handler


@contextlib.contextmanager
def _logging(debug: bool, command: str) -> Iterator[None]:
    """Send the adapters' logs to standard error while the command runs.

    ``worker`` and ``serve`` log INFO (what an operator wants to see), the
    others WARNING; ``--debug`` logs everything. The logger is left as it
    was found.
    """
    logger = logging.getLogger("oncall_adapters")
    handler = logging.StreamHandler(sys.stderr)
    if command in ("worker", "serve"):
        level = logging.INFO
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        )
    else:
        level = logging.WARNING
        handler.setFormatter(logging.Formatter("oncall: %(levelname)s: %(message)s"))
    if debug:
        level = logging.DEBUG
    handler.setLevel(level)
    before = logger.level
    logger.addHandler(handler)
    if before == logging.NOTSET or before > level:
        logger.setLevel(level)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(before)


def _parse(argv: Sequence[str] | None) -> argparse.Namespace | int:
    try:
        return parser().parse_args(argv)
    except SystemExit as exit_:
        # argparse exits 2 on bad usage, 0 after --help.
        code = exit_.code
        return code if isinstance(code, int) else EXIT_USAGE


def _status(error: BaseException) -> int:
    if isinstance(error, CliError):
        return error.status
    if isinstance(error, LookupError):
        return EXIT_NOT_FOUND
    if isinstance(error, ValueError):
        return EXIT_USAGE
    return EXIT_FAILED


def _message(error: BaseException) -> list[str]:
    from sqlalchemy.exc import DBAPIError, SQLAlchemyError

    if isinstance(error, DBAPIError):
        detail = str(error.orig).strip().splitlines()[0] if error.orig else ""
        return [f"database error: {detail or type(error).__name__}"]
    if isinstance(error, SQLAlchemyError):
        return [f"database error: {str(error).strip().splitlines()[0]}"]
    if isinstance(error, OSError):
        where = f": {error.filename}" if error.filename else ""
        return [f"{error.strerror or error}{where}"]
    lines = str(error).strip().splitlines() or [type(error).__name__]
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``oncall`` command with *argv*; return its exit status."""
    parsed = _parse(argv)
    if isinstance(parsed, int):
        return parsed
    # After parsing: --help and usage errors need no database library.
    from oncall_adapters.cli._context import DEFAULT_DATABASE, Context
    from oncall_adapters.cli._output import Output

    arguments = parsed
    debug = bool(getattr(arguments, "debug", False))
    output = Output.for_streams(
        sys.stdout, sys.stderr, json_mode=bool(getattr(arguments, "json", False))
    )
    context: Context | None = None
    try:
        context = Context(
            output,
            database_url=getattr(arguments, "db", None)
            or os.environ.get("ONCALL_DATABASE_URL")
            or DEFAULT_DATABASE,
            config_path=getattr(arguments, "config", None)
            or os.environ.get("ONCALL_CONFIG")
            or None,
            time_zone=getattr(arguments, "tz", None),
            now=getattr(arguments, "now", None),
        )
        with _logging(debug, arguments.command):
            return _handler(arguments.command)(context, arguments)
    except KeyboardInterrupt:
        output.note("oncall: interrupted")
        return _INTERRUPTED
    except ModuleNotFoundError as error:
        output.note(
            f"oncall: this command needs {error.name}, not installed: "
            "pip install 'oncall[cli,sql,twilio]'"
        )
        return EXIT_FAILED
    except BrokenPipeError:
        # `oncall export | head`: the reader has gone; leave quietly, as
        # tools killed by SIGPIPE do.
        _silence_stdout()
        return _BROKEN_PIPE
    except Exception as error:
        if debug:
            traceback.print_exc(file=sys.stderr)
        lines = _message(error)
        if not _expected(error):
            # A bug: say so, in one line still; --debug shows where.
            lines = [
                f"internal error: {type(error).__name__}: {' '.join(lines)} "
                "(--debug shows the traceback)"
            ]
        for line in lines:
            output.note(f"oncall: {line}")
        return _status(error) if _expected(error) else EXIT_FAILED
    finally:
        if context is not None:
            context.close()


def _silence_stdout() -> None:
    """Point standard output at the null device, so that the exit flush is silent."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _expected(error: BaseException) -> bool:
    """Tell whether *error* is one a person can act on from its message alone."""
    from sqlalchemy.exc import SQLAlchemyError

    return isinstance(error, OncallError | OSError | SQLAlchemyError)


def run() -> None:
    """Entry point of the ``oncall`` console script."""
    sys.exit(main())
