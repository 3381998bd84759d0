"""The arguments of the ``oncall`` command: every command, its options, their help."""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["parser"]

_EPILOG = """\
exit statuses: 0 done; 1 a check failed or the command could not finish;
2 bad usage or input; 3 not found.

Start with `oncall demo`; the commands are described in docs/cli.md."""


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 < port < 65536:
        msg = f"a port is a number from 1 to 65535, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return port


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value <= 0:
        msg = f"must be a positive number of seconds, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def _common() -> argparse.ArgumentParser:
    """The options every command takes, before or after its name."""
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("common options")
    # SUPPRESS: an option given before the command is not reset after it.
    group.add_argument(
        "--db",
        metavar="URL",
        default=argparse.SUPPRESS,
        help="the database (default: $ONCALL_DATABASE_URL, else sqlite:///oncall.db)",
    )
    group.add_argument(
        "--config",
        metavar="FILE",
        default=argparse.SUPPRESS,
        help="the configuration file, for its settings (default: $ONCALL_CONFIG)",
    )
    group.add_argument(
        "--tz",
        metavar="ZONE",
        default=argparse.SUPPRESS,
        help="show and read times in this IANA zone (default: the schedule's)",
    )
    group.add_argument(
        "--now",
        metavar="WHEN",
        default=argparse.SUPPRESS,
        help="take this time as now, to rehearse (default: the system clock)",
    )
    group.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print JSON for scripts instead of tables",
    )
    group.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show debug logs, and a traceback on errors",
    )
    return common


def _window(parser: argparse.ArgumentParser, days: int) -> None:
    parser.add_argument(
        "--since",
        metavar="WHEN",
        help="the start of the window (default: now)",
    )
    parser.add_argument(
        "--until",
        metavar="WHEN",
        help=f"the end of the window; +3d counts from --since (default: +{days}d)",
    )


def parser() -> argparse.ArgumentParser:
    """Return the parser of the ``oncall`` command and its subcommands."""
    common = _common()
    root = argparse.ArgumentParser(
        prog="oncall",
        description="Who is on call, who is paged next, and on which channel.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    commands = root.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, summary: str) -> argparse.ArgumentParser:
        return commands.add_parser(
            name, help=summary, description=summary, parents=[common]
        )

    init = command("init", "create or migrate the database")
    init.add_argument(
        "--example",
        metavar="FILE",
        type=Path,
        help="also write the example configuration to FILE",
    )
    init.add_argument("--force", action="store_true", help="overwrite FILE")

    apply = command("apply", "bring the database to match a configuration file")
    apply.add_argument("file", metavar="FILE", help="the configuration file")
    apply.add_argument(
        "--dry-run", action="store_true", help="report the changes, make none"
    )

    export = command("export", "write the database out as a configuration file")
    export.add_argument(
        "--out", metavar="FILE", type=Path, help="write to FILE, not standard output"
    )

    doctor = command("doctor", "lint the set-up before it fails at 3 a.m.")
    doctor.add_argument(
        "file",
        metavar="FILE",
        nargs="?",
        help="a configuration file (default: --config, else the database)",
    )
    doctor.add_argument(
        "--days", type=int, default=14, help="how many days ahead (default: 14)"
    )

    who = command("who", "show who is on call")
    who.add_argument(
        "schedule", metavar="SCHEDULE", nargs="?", help="one schedule (default: all)"
    )
    who.add_argument("--at", metavar="WHEN", help="at this time (default: now)")

    shifts = command("shifts", "list a schedule's shifts and gaps")
    shifts.add_argument("schedule", metavar="SCHEDULE")
    shifts.add_argument("--user", metavar="USER", help="only this user's shifts")
    _window(shifts, 7)

    timeline = command("timeline", "draw a schedule's timeline as an SVG picture")
    timeline.add_argument("schedule", metavar="SCHEDULE")
    _window(timeline, 7)
    timeline.add_argument(
        "--out",
        metavar="FILE.svg",
        type=Path,
        help="where to write it (default: SCHEDULE-timeline.svg)",
    )

    ics = command("ics", "write a schedule's shifts as an iCalendar file")
    ics.add_argument("schedule", metavar="SCHEDULE")
    ics.add_argument("--user", metavar="USER", help="only this user's shifts")
    _window(ics, 28)
    ics.add_argument(
        "--out", metavar="FILE", type=Path, help="write to FILE, not standard output"
    )

    trigger = command("trigger", "open an incident on a service and escalate it")
    trigger.add_argument("service", metavar="SERVICE")
    trigger.add_argument("title", metavar="TITLE")
    trigger.add_argument(
        "--urgency",
        choices=("high", "low"),
        help="high or low (default: the service's)",
    )
    trigger.add_argument("--details", metavar="TEXT", help="what happened, at length")
    trigger.add_argument("--link", metavar="URL", help="a link to a dashboard or log")
    trigger.add_argument(
        "--id",
        metavar="ID",
        help="the incident's id, to trigger idempotently (default: the next number)",
    )

    for name, summary in (
        ("ack", "acknowledge an incident: nothing more fires"),
        ("resolve", "resolve an incident: its escalation ends"),
        ("snooze", "pause an incident's escalation until a time"),
    ):
        sub = command(name, summary)
        sub.add_argument("incident", metavar="INCIDENT")
        sub.add_argument("--by", metavar="USER", help="who did it, for the record")
        if name == "snooze":
            sub.add_argument(
                "--until", metavar="WHEN", required=True, help="until when (+1h)"
            )

    incidents = command("incidents", "list the open incidents and where they stand")
    incidents.add_argument("--all", action="store_true", help="resolved ones too")

    notifications = command(
        "notifications", "show an incident's notifications, their history and events"
    )
    notifications.add_argument("incident", metavar="INCIDENT")

    worker = command("worker", "advance escalations and send notifications")
    worker.add_argument("--once", action="store_true", help="run one cycle, then stop")
    worker.add_argument(
        "--console",
        action="store_true",
        help="print notifications of channels without a sender instead",
    )
    worker.add_argument(
        "--interval",
        type=_positive,
        default=1.0,
        metavar="SECONDS",
        help="how long to wait when nothing is due (default: 1)",
    )

    serve = command("serve", "serve Twilio callbacks and replies, and calendar feeds")
    serve.add_argument(
        "--host", default="127.0.0.1", help="the address (default: 127.0.0.1)"
    )
    serve.add_argument(
        "--port", type=_port, default=8080, help="the port (default: 8080)"
    )

    demo = command("demo", "a tour: a schedule, an incident, an SMS reply, a picture")
    demo.add_argument(
        "--dir",
        metavar="DIR",
        type=Path,
        help="where to keep its database and picture (default: a new temporary one)",
    )
    return root
