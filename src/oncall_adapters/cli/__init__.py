"""The ``oncall`` command: the reference host app.

For now it runs a demonstration of the schedule engine; the full app
(configuration, storage, the worker) grows here.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from oncall_adapters.cli._demo import run_demo
from oncall_core import OncallError

__all__ = ["main", "run"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="oncall", description="Who is on call, who is paged next, and how."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo", help="show a sample schedule's on-call timeline around a DST change"
    )
    demo.add_argument(
        "--now",
        default="2024-03-29T10:00",
        help="the simulated current time, local to the schedule (default: %(default)s)",
    )
    demo.add_argument(
        "--days", type=int, default=7, help="how many days to show (default: 7)"
    )
    demo.add_argument(
        "--tz",
        default=None,
        help="show times in this IANA zone (default: the schedule's zone)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``oncall`` command; return its exit status."""
    arguments = _parser().parse_args(argv)
    try:
        if arguments.command == "demo":
            run_demo(
                now=arguments.now,
                days=arguments.days,
                viewer_zone=arguments.tz,
                out=sys.stdout,
            )
    except (OncallError, ValueError) as error:
        print(f"oncall: {error}", file=sys.stderr)
        return 2
    return 0


def run() -> None:
    """Entry point of the ``oncall`` console script."""
    sys.exit(main())
