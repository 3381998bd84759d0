"""Reading a configuration file: TOML, then cattrs, then the core's values.

Every problem found is collected, with the table and the field it is in,
and reported at once in one :class:`ConfigError`: the shape of each table
(cattrs), each value's own rules (the core's constructors), and the names
tables give one another (a team member must be a user).
"""

from __future__ import annotations

import difflib
import logging
import os
import re
import tomllib
from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from oncall_adapters.config._documents import (
    KINDS,
    KNOWN_IDS,
    LayerDoc,
    OverrideDoc,
    PolicyDoc,
    RestrictionDoc,
    ScheduleDoc,
    ServiceDoc,
    StepDoc,
    TargetDoc,
    TeamDoc,
    TimeZone,
    UserDoc,
    join,
    structure,
    unknown_message,
)
from oncall_adapters.config._errors import ConfigError, Problem
from oncall_adapters.config._model import Config
from oncall_adapters.config._settings import SECRET_VARIABLES, Settings
from oncall_adapters.config._values import format_duration
from oncall_core import (
    DEFAULT_CHANNELS,
    Contact,
    EscalationPolicy,
    EscalationStep,
    Layer,
    OncallError,
    Override,
    OverrideKind,
    Preferences,
    QuietHours,
    Restriction,
    Schedule,
    ScheduleTarget,
    Service,
    Target,
    Team,
    TeamTarget,
    User,
    UserTarget,
    resolve_local,
)

__all__ = ["load_config", "parse_config"]

T = TypeVar("T")

logger = logging.getLogger("oncall_adapters.config")

SECTIONS = ("settings", "users", "teams", "schedules", "policies", "services")
"""The tables a configuration file may have, in the order they are read."""

_SECRET_WORDS = ("token", "password", "passwd", "secret", "api_key", "private_key")
# Tables whose keys are ids or names chosen by the user, not field names.
_FREE_KEYS = (
    "users",
    "teams",
    "schedules",
    "policies",
    "services",
    "settings.slack.services",
    "settings.twilio.whatsapp.variables",
)
_SECRET_HOMES = {
    "settings.twilio": SECRET_VARIABLES["twilio_auth_token"],
    "settings.smtp": SECRET_VARIABLES["smtp_password"],
    "settings.webhook": SECRET_VARIABLES["webhook_secret"],
}
_SYNTAX = re.compile(
    r"(?P<what>.*) \(at (?P<where>line \d+, column \d+|end of document)\)"
)


def load_config(path: str | os.PathLike[str]) -> Config:
    """Read the configuration file at *path*.

    Raises:
        ConfigError: the file cannot be read or describes no valid
            configuration; its problems name the file, the table and the
            field, one per line.
    """
    source = os.fspath(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        reason = error.strerror or str(error)
        raise ConfigError(
            source, [Problem("", f"cannot read the file: {reason}")]
        ) from None
    except UnicodeDecodeError as error:
        problem = Problem("", f"is not UTF-8 text (byte {error.start})")
        raise ConfigError(source, [problem]) from None
    return parse_config(text, source=source)


def parse_config(text: str, *, source: str = "<string>") -> Config:
    """Read a configuration from TOML *text*; *source* names it in errors.

    A naive datetime (a TOML local datetime, without an offset) in a
    schedule is read in the schedule's zone, compatibly: a skipped local
    time moves forward by the gap, a repeated one takes its first
    occurrence.

    Raises:
        ConfigError: with every problem found, each naming the table and the
            field (``schedules.primary.layers[1].turn: must be positive,
            got '0s'``).
    """
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(source, [Problem("", _syntax_message(error))]) from None
    config = _Reader(source).read(raw)
    logger.debug(
        "read %s: %d users, %d teams, %d schedules, %d policies, %d services",
        source,
        len(config.users),
        len(config.teams),
        len(config.schedules),
        len(config.policies),
        len(config.services),
    )
    return config


def _syntax_message(error: tomllib.TOMLDecodeError) -> str:
    text = str(error)
    found = _SYNTAX.fullmatch(text)
    if found is None:
        return f"is not valid TOML: {text}"
    what = found.group("what")
    return f"is not valid TOML at {found.group('where')}: {what[:1].lower()}{what[1:]}"


def _looks_secret(key: str) -> bool:
    name = key.lower()
    return any(name == word or name.endswith("_" + word) for word in _SECRET_WORDS)


def _secret_message(table: str) -> str:
    home = _SECRET_HOMES.get(table)
    if home is not None:
        return (
            "secrets must not be in the configuration file: remove it and set "
            f"{home} in the environment"
        )
    names = ", ".join(SECRET_VARIABLES.values())
    return (
        "secrets must not be in the configuration file: remove it; the app "
        f"reads its secrets from the environment ({names})"
    )


class _Reader:
    """One reading of one file: the problems found so far, and the ids it defines."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[Problem] = []
        self.known: dict[str, Collection[str]] = {}

    def problem(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def make(self, path: str, build: Callable[[], T]) -> T | None:
        """Return what *build* builds, or None after noting why it could not."""
        try:
            return build()
        except (OncallError, ValueError, TypeError) as error:
            self.problem(path, str(error))
            return None

    def refer(self, path: str, kind: str, name: str) -> None:
        """Note a problem at *path* unless *name* is one of the *kind* defined."""
        if name not in self.known[kind]:
            self.problem(path, unknown_message(kind, name, self.known[kind]))

    # The whole file

    def read(self, raw: dict[str, Any]) -> Config:
        raw = self.strip_secrets(raw, "")
        for key in raw:
            if key not in SECTIONS:
                close = difflib.get_close_matches(key, SECTIONS, n=1)
                hint = (
                    f"did you mean [{close[0]}]?"
                    if close
                    else "use " + ", ".join(f"[{name}]" for name in SECTIONS)
                )
                self.problem(join("", key), f"unknown table; {hint}")
        tables = {name: self.section(raw, name) for name in SECTIONS[1:]}
        self.known = {name: set(table) for name, table in tables.items()}
        token = KNOWN_IDS.set(self.known)
        try:
            return self.read_tables(raw, tables)
        finally:
            KNOWN_IDS.reset(token)

    def read_tables(
        self, raw: Mapping[str, Any], tables: Mapping[str, Mapping[str, Any]]
    ) -> Config:
        settings = self.settings(raw.get("settings", {}))
        zone = settings.time_zone
        users = self.each(tables["users"], "users", UserDoc, self.user, zone)
        teams = self.each(tables["teams"], "teams", TeamDoc, self.team, zone)
        schedules = self.each(
            tables["schedules"], "schedules", ScheduleDoc, self.schedule, zone
        )
        policies = self.each(
            tables["policies"], "policies", PolicyDoc, self.policy, zone
        )
        services = self.each(
            tables["services"], "services", ServiceDoc, self.service, zone
        )
        if settings.slack is not None:
            for name in settings.slack.service_webhooks:
                path = join("settings.slack.services", name)
                self.refer(path, "services", name)

        if self.problems:
            raise ConfigError(self.source, self.problems)
        return Config(
            users=users,
            teams=teams,
            schedules=schedules,
            policies=policies,
            services=services,
            settings=settings,
        )

    def strip_secrets(self, value: Any, path: str) -> Any:
        """Return *value* without the keys that look like secrets, each a problem."""
        if isinstance(value, list):
            return [
                self.strip_secrets(item, join(path, k)) for k, item in enumerate(value)
            ]
        if not isinstance(value, dict):
            return value
        clean: dict[str, Any] = {}
        for key, item in value.items():
            here = join(path, key)
            if path not in _FREE_KEYS and _looks_secret(key):
                self.problem(here, _secret_message(path))
                continue
            clean[key] = self.strip_secrets(item, here)
        return clean

    def section(self, raw: Mapping[str, Any], name: str) -> dict[str, Any]:
        table = raw.get(name, {})
        if isinstance(table, dict):
            return table
        if isinstance(table, list):
            message = (
                f"must be tables keyed by id ([{name}.some-id]), not an array of "
                f"tables ([[{name}]])"
            )
        else:
            message = f"must be tables keyed by id ([{name}.some-id]), got {table!r}"
        self.problem(name, message)
        return {}

    def settings(self, raw: object) -> Settings:
        settings, problems = structure(raw, Settings, "settings")
        self.problems.extend(problems)
        return settings if settings is not None else Settings()

    def each(
        self,
        table: Mapping[str, Any],
        kind: str,
        doc_type: type[Any],
        build: Callable[[str, Any, str, str], T | None],
        zone: str,
    ) -> dict[str, T]:
        """Read every entry of the table *kind*; return those that are valid."""
        values: dict[str, T] = {}
        for key, raw in table.items():
            path = join(kind, key)
            if not key.strip():
                self.problem(path, f"a {KINDS[kind]} id must not be empty")
                continue
            doc, problems = structure(raw, doc_type, path)
            self.problems.extend(problems)
            if doc is None:
                self.salvage(kind, raw, path, zone)
                continue
            value = build(key, doc, path, zone)
            if value is not None:
                values[key] = value
        return values

    def salvage(self, kind: str, raw: object, path: str, default_zone: str) -> None:
        """Check what can still be checked of an entry that did not structure.

        The layers, overrides, restrictions, steps and targets that structure
        on their own get the checks that need a whole table (an end after
        its start); what does not structure was reported already.
        """
        if not isinstance(raw, dict):
            return
        if kind == "schedules":
            zone = raw.get("time_zone")
            if not isinstance(zone, str) or not structure(zone, TimeZone, "")[0]:
                zone = default_zone
            for here, layer in self.parts(raw, "layers", path):
                layer_doc, _ = structure(layer, LayerDoc, here)
                if layer_doc is not None:
                    self.layer(layer_doc, here, zone)
                elif isinstance(layer, dict):
                    for there, item in self.parts(layer, "restrictions", here):
                        self.salvage_one(item, RestrictionDoc, there, self.restriction)
            for here, override in self.parts(raw, "overrides", path):
                self.salvage_one(
                    override,
                    OverrideDoc,
                    here,
                    lambda doc, at: self.override(doc, at, zone),
                )
        elif kind == "policies":
            for here, step in self.parts(raw, "steps", path):
                step_doc, _ = structure(step, StepDoc, here)
                if step_doc is not None:
                    self.step(step_doc, here)
                elif isinstance(step, dict):
                    for there, item in self.parts(step, "targets", here):
                        self.salvage_one(item, TargetDoc, there, self.target)

    @staticmethod
    def parts(raw: Mapping[str, Any], name: str, path: str) -> list[tuple[str, Any]]:
        """Return the items of the list *name* of *raw*, each with its path."""
        items = raw.get(name)
        if not isinstance(items, list):
            return []
        return [(join(join(path, name), k), item) for k, item in enumerate(items)]

    def salvage_one(
        self,
        raw: object,
        doc_type: type[T],
        path: str,
        check: Callable[[T, str], object],
    ) -> None:
        doc, _ = structure(raw, doc_type, path)
        if doc is not None:
            check(doc, path)

    # Users and teams

    def user(self, key: str, doc: UserDoc, path: str, zone: str) -> User | None:
        quiet = None
        if doc.quiet_hours is not None:
            hours = doc.quiet_hours
            quiet = self.make(
                join(path, "quiet_hours"),
                lambda: QuietHours(hours.start, hours.end, weekdays=hours.weekdays),
            )
            if quiet is None:
                return None
        enabled = DEFAULT_CHANNELS if doc.channels is None else doc.channels
        # The core's converter=tuple fields type as Iterable[_T_co] under mypy.
        tokens: Any = doc.push_tokens
        return self.make(
            path,
            lambda: User(
                key,
                name=doc.name,
                time_zone=doc.time_zone or zone,
                contact=Contact(
                    email=doc.email,
                    phone=doc.phone,
                    whatsapp=doc.whatsapp,
                    push_tokens=tokens,
                    slack_id=doc.slack_id,
                    webhook_url=doc.webhook_url,
                ),
                preferences=Preferences(
                    enabled=enabled,
                    priority=doc.priority,
                    quiet_hours=quiet,
                    team_pages=doc.team_pages,
                ),
                active=doc.active,
            ),
        )

    def team(self, key: str, doc: TeamDoc, path: str, _zone: str) -> Team | None:
        members = join(path, "members")
        seen: set[str] = set()
        valid = True
        for index, member in enumerate(doc.members):
            if member in seen:
                self.problem(join(members, index), f"{member!r} is listed twice")
                valid = False
            seen.add(member)
        if doc.lead is not None and doc.lead not in doc.members:
            shown = ", ".join(doc.members) or "none"
            self.problem(
                join(path, "lead"),
                f"must be one of the team's members ({shown}), got {doc.lead!r}",
            )
            valid = False
        if not valid:
            return None
        members_: Any = doc.members  # see user()
        return self.make(
            path, lambda: Team(key, members=members_, lead=doc.lead, name=doc.name)
        )

    # Schedules

    def schedule(
        self, key: str, doc: ScheduleDoc, path: str, default_zone: str
    ) -> Schedule | None:
        zone = doc.time_zone or default_zone
        layers: list[Layer] = []
        overrides: list[Override] = []
        valid = True
        names: set[str] = set()
        for index, layer_doc in enumerate(doc.layers):
            here = join(join(path, "layers"), index)
            if layer_doc.name in names:
                self.problem(
                    join(here, "name"),
                    f"another layer of this schedule is named {layer_doc.name!r}",
                )
                valid = False
            names.add(layer_doc.name)
            layer = self.layer(layer_doc, here, zone)
            valid = valid and layer is not None
            if layer is not None:
                layers.append(layer)
        for index, override_doc in enumerate(doc.overrides):
            here = join(join(path, "overrides"), index)
            override = self.override(override_doc, here, zone)
            valid = valid and override is not None
            if override is not None:
                overrides.append(override)
        if not valid:
            return None
        return self.make(
            path,
            lambda: Schedule(
                key, zone, layers, overrides=overrides, coverage=doc.coverage
            ),
        )

    def instant(self, value: datetime, zone: str) -> datetime:
        """Return *value* as an aware datetime, reading a naive one in *zone*."""
        if value.tzinfo is None or value.utcoffset() is None:
            return resolve_local(value.replace(tzinfo=None), zone)
        return value

    def layer(self, doc: LayerDoc, path: str, zone: str) -> Layer | None:
        valid = True
        if not doc.participants:
            self.problem(join(path, "participants"), "must name at least one user")
            valid = False
        if doc.shift is not None and doc.shift > doc.turn:
            self.problem(
                join(path, "shift"),
                f"must not be longer than the turn ({format_duration(doc.turn)}), "
                f"got {format_duration(doc.shift)!r}",
            )
            valid = False
        start = self.instant(doc.start, zone)
        end = None if doc.end is None else self.instant(doc.end, zone)
        if end is not None and end <= start:
            self.problem(
                join(path, "end"),
                f"must be after the start ({start.isoformat()}), got {end.isoformat()}",
            )
            valid = False
        restrictions: list[Restriction] = []
        for index, restriction_doc in enumerate(doc.restrictions):
            here = join(join(path, "restrictions"), index)
            restriction = self.restriction(restriction_doc, here)
            valid = valid and restriction is not None
            if restriction is not None:
                restrictions.append(restriction)
        if not valid:
            return None
        return self.make(
            path,
            lambda: Layer(
                doc.name,
                doc.participants,
                start,
                doc.turn,
                shift=doc.shift,
                restrictions=restrictions,
                end=end,
                priority=doc.priority,
                clock=doc.clock,
            ),
        )

    def restriction(self, doc: RestrictionDoc, path: str) -> Restriction | None:
        if doc.start_day is None and doc.end_day is None:
            if doc.weekdays == ():
                self.problem(
                    join(path, "weekdays"),
                    "must name at least one day; leave it out for every day",
                )
                return None
            return self.make(
                path,
                lambda: Restriction.daily(doc.start, doc.end, weekdays=doc.weekdays),
            )
        valid = True
        for name, value in (("start_day", doc.start_day), ("end_day", doc.end_day)):
            if value is None:
                self.problem(
                    join(path, name),
                    "is required in a weekly window, which runs from start_day at "
                    "start to end_day at end",
                )
                valid = False
        if doc.weekdays is not None:
            self.problem(
                join(path, "weekdays"),
                "a weekly window (start_day to end_day) takes no weekdays; use a "
                "daily window (start and end only) for some weekdays",
            )
            valid = False
        if not valid or doc.start_day is None or doc.end_day is None:
            return None
        start_day, end_day = doc.start_day, doc.end_day
        return self.make(
            path, lambda: Restriction.weekly(start_day, doc.start, end_day, doc.end)
        )

    def override(self, doc: OverrideDoc, path: str, zone: str) -> Override | None:
        valid = True
        start = self.instant(doc.start, zone)
        end = self.instant(doc.end, zone)
        if end <= start:
            self.problem(
                join(path, "end"),
                f"must be after the start ({start.isoformat()}), got {end.isoformat()}",
            )
            valid = False
        if doc.kind is OverrideKind.REPLACE and doc.replaces is None:
            self.problem(
                join(path, "replaces"),
                "is required in a replace override: name the user being replaced",
            )
            valid = False
        elif doc.kind is not OverrideKind.REPLACE and doc.replaces is not None:
            self.problem(
                join(path, "replaces"),
                f"only a replace override names who it replaces, not a "
                f"{doc.kind.value} override",
            )
            valid = False
        elif doc.replaces == doc.user:
            self.problem(
                join(path, "replaces"),
                f"must be another user than the override's user {doc.user!r}",
            )
            valid = False
        if not valid:
            return None
        return self.make(
            path,
            lambda: Override(doc.kind, doc.user, start, end, replaces=doc.replaces),
        )

    # Policies and services

    def policy(
        self, key: str, doc: PolicyDoc, path: str, _zone: str
    ) -> EscalationPolicy | None:
        valid = True
        if not doc.steps:
            self.problem(join(path, "steps"), "must have at least one step")
            valid = False
        steps: list[EscalationStep] = []
        for index, step_doc in enumerate(doc.steps):
            step = self.step(step_doc, join(join(path, "steps"), index))
            valid = valid and step is not None
            if step is not None:
                steps.append(step)
        if not valid:
            return None
        return self.make(
            path,
            lambda: EscalationPolicy(
                key, steps, repeat=doc.repeat, repeat_after=doc.repeat_after
            ),
        )

    def step(self, doc: StepDoc, path: str) -> EscalationStep | None:
        if not doc.targets:
            self.problem(join(path, "targets"), "must name at least one target")
            return None
        targets: list[Target] = []
        for index, target_doc in enumerate(doc.targets):
            target = self.target(target_doc, join(join(path, "targets"), index))
            if target is not None:
                targets.append(target)
        if len(targets) < len(doc.targets):
            return None
        return self.make(
            path,
            lambda: EscalationStep(targets, delay=doc.delay, channels=doc.channels),
        )

    def target(self, doc: TargetDoc, path: str) -> Target | None:
        named = [
            (kind, name)
            for kind, name in (
                ("user", doc.user),
                ("team", doc.team),
                ("schedule", doc.schedule),
            )
            if name is not None
        ]
        if len(named) != 1:
            got = " and ".join(kind for kind, _ in named) or "none of them"
            self.problem(
                path,
                "must name exactly one of user, team or schedule "
                f'({{ schedule = "primary" }}), got {got}',
            )
            return None
        if doc.lead_only and doc.team is None:
            self.problem(
                join(path, "lead_only"),
                "only a team target has a lead; remove lead_only or target a team",
            )
            return None
        if doc.user is not None:
            return UserTarget(doc.user)
        if doc.team is not None:
            return TeamTarget(doc.team, lead_only=doc.lead_only)
        assert doc.schedule is not None
        return ScheduleTarget(doc.schedule)

    def service(
        self, key: str, doc: ServiceDoc, path: str, _zone: str
    ) -> Service | None:
        return self.make(
            path,
            lambda: Service(
                key,
                name=doc.name,
                channels=doc.channels,
                policy=doc.policy,
                urgency=doc.urgency,
            ),
        )
