"""``init``, ``apply``, ``export`` and ``doctor``: the set-up and its database."""

from __future__ import annotations

import argparse
import contextlib
from importlib import resources
from pathlib import Path
from typing import Any

from oncall_adapters.cli._apply import Step, apply_config, stored_config
from oncall_adapters.cli._context import Context
from oncall_adapters.cli._errors import EXIT_FAILED, EXIT_OK, BadInput
from oncall_adapters.config import Changes, Config, Secrets, dump_config
from oncall_adapters.doctor import diagnose
from oncall_adapters.sql import current, upgrade

__all__ = [
    "describe_config",
    "example_config",
    "run_apply",
    "run_doctor",
    "run_export",
    "run_init",
]

_VERB_STYLES = {"added": "green", "changed": "yellow", "removed": "red"}


def example_config() -> str:
    """Return the text of the shipped example configuration."""
    return resources.files(__package__).joinpath("example.toml").read_text("utf-8")


def run_init(context: Context, arguments: argparse.Namespace) -> int:
    """Create or migrate the database; write the example configuration if asked."""
    output = context.output
    example: Path | None = arguments.example
    if example is not None and example.exists() and not arguments.force:
        msg = f"{example} exists: give --force to overwrite it"
        raise BadInput(msg)

    engine = context.engine(migrated=False)
    before = current(engine)
    upgrade(engine)
    after = current(engine)
    if example is not None:
        example.write_text(example_config(), encoding="utf-8")

    shown = engine.url.render_as_string(hide_password=True)
    if output.json_mode:
        output.json(
            {
                "database": shown,
                "revision_before": before,
                "revision": after,
                "example": None if example is None else str(example),
            }
        )
        return EXIT_OK
    if before is None:
        output.line(f"Created the database {shown} (revision {after}).")
    elif before != after:
        output.line(f"Migrated the database {shown} from revision {before} to {after}.")
    else:
        output.line(f"The database {shown} is up to date (revision {after}).")
    if example is not None:
        output.line(f"Wrote the example configuration to {example}.")
        output.line(f"Next: edit it, then run `oncall apply {example}`.")
    return EXIT_OK


def run_apply(context: Context, arguments: argparse.Namespace) -> int:
    """Bring the database to match a configuration file; report what changed."""
    output = context.output
    config = context.config(arguments.file)
    engine = context.engine()
    with contextlib.ExitStack() as stack:

        def on_step(total: int) -> Step:
            progress = stack.enter_context(output.progress("applying", total))
            return progress.step

        changes = apply_config(
            engine, config, dry_run=arguments.dry_run, on_step=on_step
        )

    shown = engine.url.render_as_string(hide_password=True)
    if output.json_mode:
        output.json(
            {
                "file": arguments.file,
                "database": shown,
                "dry_run": arguments.dry_run,
                "changed": bool(changes),
                "changes": _changes_json(changes),
            }
        )
        return EXIT_OK
    lines = [line for line in changes.lines() if line != "changed settings"]
    if not lines:
        output.line(f"No changes: {shown} already matches {arguments.file}.")
        return EXIT_OK
    for line in lines:
        verb = line.split(" ", 1)[0]
        output.line(line, _VERB_STYLES.get(verb))
    count = len(lines)
    noun = "change" if count == 1 else "changes"
    if arguments.dry_run:
        output.line(f"Dry run: {count} {noun} to {shown} found, none made.")
    else:
        output.line(f"Applied {count} {noun} to {shown}.")
    return EXIT_OK


def _changes_json(changes: Changes) -> dict[str, Any]:
    return {
        name: {
            "added": list(kind.added),
            "changed": list(kind.changed),
            "removed": list(kind.removed),
        }
        for name, kind in changes.kinds()
    }


def run_export(context: Context, arguments: argparse.Namespace) -> int:
    """Write what the database holds as a configuration file."""
    output = context.output
    config = stored_config(context.repository(), context.settings())
    text = dump_config(config)
    if arguments.out is None:
        output.out.write(text)
        return EXIT_OK
    arguments.out.write_text(text, encoding="utf-8")
    output.note(f"Wrote {describe_config(config)} to {arguments.out}.")
    return EXIT_OK


def describe_config(config: Config) -> str:
    """Say how much *config* holds: ``6 users, 1 team, ...``."""
    counts = [
        (len(config.users), "user"),
        (len(config.teams), "team"),
        (len(config.schedules), "schedule"),
        (len(config.policies), "policy"),
        (len(config.services), "service"),
    ]
    return ", ".join(
        f"{count} {noun if count == 1 else _plural(noun)}" for count, noun in counts
    )


def _plural(noun: str) -> str:
    return noun[:-1] + "ies" if noun.endswith("y") else noun + "s"


def run_doctor(context: Context, arguments: argparse.Namespace) -> int:
    """Lint a set-up: a file, ``--config``, or what the database holds."""
    output = context.output
    if arguments.file is not None or context.config_path is not None:
        config = context.config(arguments.file)
        source = arguments.file or context.config_path
    else:
        config = stored_config(context.repository(), context.settings())
        source = context.engine().url.render_as_string(hide_password=True)
        if not output.json_mode:
            output.note(
                "oncall: no --config: the database is checked with default "
                "settings, which configure no sender"
            )
    if arguments.days < 1:
        msg = f"--days must be at least 1, got {arguments.days}"
        raise BadInput(msg)
    findings = diagnose(
        config, context.now(), days=arguments.days, secrets=Secrets.from_env()
    )
    errors = sum(1 for finding in findings if finding.severity == "error")
    warnings = len(findings) - errors
    status = EXIT_FAILED if errors else EXIT_OK

    if output.json_mode:
        output.json(
            {
                "source": source,
                "days": arguments.days,
                "errors": errors,
                "warnings": warnings,
                "findings": [
                    {"severity": f.severity, "where": f.where, "message": f.message}
                    for f in findings
                ],
            }
        )
        return status
    for finding in findings:
        style = "red bold" if finding.severity == "error" else "yellow"
        output.line(
            f"{output.style(finding.severity, style)}: "
            f"{output.style(finding.where, 'bold')}: {finding.message}"
        )
    window = f"over the next {arguments.days} days"
    if not findings:
        output.line(f"No problems found in {source} {window}.", "green")
    else:
        counted = f"{_count(errors, 'error')}, {_count(warnings, 'warning')}"
        output.line()
        output.line(f"{counted} in {source} {window}.")
    return status


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")
