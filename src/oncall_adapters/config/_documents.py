"""The tables of the file as small attrs classes, and the cattrs converter.

:func:`structure` reads one table into one of these documents (or into a
settings class) with cattrs, and turns every error cattrs collects into a
:class:`Problem` that names the table and the field as the file spells
them. The documents hold values already parsed (durations as
``timedelta``, weekdays as numbers) but not yet checked against one
another; :mod:`._load` builds the core's values from them.
"""

from __future__ import annotations

import difflib
import enum
import re
from collections.abc import Callable, Collection, Iterator, Mapping
from contextvars import ContextVar
from datetime import datetime, time, timedelta
from typing import Any, Literal, NewType, TypeVar, get_args, get_origin

import attrs
import cattrs
from cattrs.cols import homogenous_tuple_structure_factory
from cattrs.errors import (
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
)
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from oncall_adapters.config._errors import Problem
from oncall_adapters.config._settings import CHECK, KEY
from oncall_adapters.config._values import (
    InvalidEntry,
    format_duration,
    format_time,
    format_weekday,
    parse_duration,
    parse_email,
    parse_instant,
    parse_phone,
    parse_time,
    parse_time_zone,
    parse_url,
    parse_weekday,
)
from oncall_core import (
    Channel,
    Coverage,
    InvalidValue,
    OverrideKind,
    Urgency,
)

__all__ = [
    "KINDS",
    "KNOWN_IDS",
    "MAX_REPEAT",
    "ClockTime",
    "Duration",
    "Email",
    "Instant",
    "LayerDoc",
    "OverrideDoc",
    "Phone",
    "PolicyDoc",
    "PolicyRef",
    "PositiveDuration",
    "QuietHoursDoc",
    "Repeat",
    "RestrictionDoc",
    "ScheduleDoc",
    "ScheduleRef",
    "ServiceDoc",
    "StepDoc",
    "TargetDoc",
    "TeamDoc",
    "TeamRef",
    "TimeZone",
    "Turn",
    "Url",
    "UserDoc",
    "UserRef",
    "Weekday",
    "converter",
    "join",
    "structure",
    "unknown_message",
]

T = TypeVar("T")

Duration = NewType("Duration", timedelta)
"""A duration of zero or more, written ``"30m"`` or ``"PT30M"``."""
PositiveDuration = NewType("PositiveDuration", timedelta)
"""A duration longer than zero."""
ClockTime = NewType("ClockTime", time)
"""A time of day, ``"09:00"``, read in the zone of its table."""
Weekday = NewType("Weekday", int)
"""A weekday, 0 (Monday) to 6 (Sunday), written ``"mon"``."""
Instant = NewType("Instant", datetime)
"""A datetime, aware or naive (a naive one is read in the schedule's zone)."""
Turn = NewType("Turn", timedelta)
"""A layer's turn: at least one minute."""
Repeat = NewType("Repeat", int)
"""How many more times a policy runs: 0 to 9."""
UserRef = NewType("UserRef", str)
"""The id of a user of the file."""
TeamRef = NewType("TeamRef", str)
ScheduleRef = NewType("ScheduleRef", str)
PolicyRef = NewType("PolicyRef", str)
TimeZone = NewType("TimeZone", str)
Phone = NewType("Phone", str)
Email = NewType("Email", str)
Url = NewType("Url", str)
ClockKind = Literal["wall", "elapsed"]
NO_DELAY = Duration(timedelta(0))


# The documents: one class per kind of table.


@attrs.frozen
class QuietHoursDoc:
    start: ClockTime
    end: ClockTime
    weekdays: tuple[Weekday, ...] | None = None


@attrs.frozen
class UserDoc:
    name: str = ""
    time_zone: TimeZone | None = None
    email: Email | None = None
    phone: Phone | None = None
    whatsapp: Phone | None = None
    push_tokens: tuple[str, ...] = ()
    slack_id: str | None = None
    webhook_url: Url | None = None
    channels: tuple[Channel, ...] | None = None
    priority: tuple[Channel, ...] | None = None
    quiet_hours: QuietHoursDoc | None = None
    team_pages: bool = True
    active: bool = True


@attrs.frozen
class TeamDoc:
    name: str = ""
    members: tuple[UserRef, ...] = ()
    lead: UserRef | None = None


@attrs.frozen
class RestrictionDoc:
    start: ClockTime
    end: ClockTime
    weekdays: tuple[Weekday, ...] | None = None
    start_day: Weekday | None = None
    end_day: Weekday | None = None


@attrs.frozen
class LayerDoc:
    name: str
    participants: tuple[UserRef, ...]
    start: Instant
    turn: Turn
    shift: PositiveDuration | None = None
    end: Instant | None = None
    priority: int = 0
    clock: ClockKind = "wall"
    restrictions: tuple[RestrictionDoc, ...] = ()


@attrs.frozen
class OverrideDoc:
    kind: OverrideKind
    user: UserRef
    start: Instant
    end: Instant
    replaces: UserRef | None = None


@attrs.frozen
class ScheduleDoc:
    time_zone: TimeZone | None = None
    coverage: Coverage = Coverage.ALL_LAYERS
    layers: tuple[LayerDoc, ...] = ()
    overrides: tuple[OverrideDoc, ...] = ()


@attrs.frozen
class TargetDoc:
    user: UserRef | None = None
    team: TeamRef | None = None
    schedule: ScheduleRef | None = None
    lead_only: bool = False


@attrs.frozen
class StepDoc:
    targets: tuple[TargetDoc, ...]
    delay: Duration = NO_DELAY
    channels: tuple[Channel, ...] | None = None


@attrs.frozen
class PolicyDoc:
    steps: tuple[StepDoc, ...]
    repeat: Repeat = Repeat(0)
    repeat_after: PositiveDuration | None = None


@attrs.frozen
class ServiceDoc:
    name: str = ""
    policy: PolicyRef | None = None
    urgency: Urgency = Urgency.HIGH
    channels: tuple[Channel, ...] = ()


# The converter.


def _strict_str(value: object, _: object) -> str:
    if isinstance(value, str):
        return value
    msg = f"must be a string, got {value!r}"
    raise InvalidValue(msg)


def _strict_int(value: object, _: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    msg = f"must be a whole number, got {value!r}"
    raise InvalidValue(msg)


def _strict_bool(value: object, _: object) -> bool:
    if isinstance(value, bool):
        return value
    msg = f"must be true or false, got {value!r}"
    raise InvalidValue(msg)


def _positive_duration(value: object) -> timedelta:
    duration = parse_duration(value)
    if duration <= timedelta(0):
        msg = f"must be positive, got {value!r}"
        raise InvalidValue(msg)
    return duration


_MIN_TURN = timedelta(minutes=1)
MAX_REPEAT = 9

KINDS = {
    "users": "user",
    "teams": "team",
    "schedules": "schedule",
    "policies": "policy",
    "services": "service",
}
"""The tables of ids, and the noun for one of their entries."""

KNOWN_IDS: ContextVar[Mapping[str, Collection[str]] | None] = ContextVar(
    "KNOWN_IDS", default=None
)
"""The ids each table of the file being read defines, for references to check.

Unset, references are not checked.
"""


def unknown_message(kind: str, name: str, known: Collection[str]) -> str:
    """Return the message for a reference to *name*, which no *kind* defines."""
    close = difflib.get_close_matches(name, list(known), n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"define [{kind}.{name}]"
    return f"unknown {KINDS[kind]} {name!r}; {hint}"


def _reference(kind: str) -> Callable[[object], str]:
    def parse(value: object) -> str:
        name = _strict_str(value, None)
        if not name.strip():
            msg = f"must be the id of a {KINDS[kind]}, got {value!r}"
            raise InvalidValue(msg)
        known = KNOWN_IDS.get()
        if known is not None and name not in known[kind]:
            raise InvalidValue(unknown_message(kind, name, known[kind]))
        return name

    return parse


def _turn(value: object) -> timedelta:
    turn = _positive_duration(value)
    if turn < _MIN_TURN:
        msg = f"must be at least 1 minute, got {value!r}"
        raise InvalidValue(msg)
    return turn


def _repeat(value: object) -> int:
    repeat = _strict_int(value, None)
    if not 0 <= repeat <= MAX_REPEAT:
        msg = (
            f"must be from 0 to {MAX_REPEAT} (how many more times the steps run "
            f"after the last one), got {repeat}"
        )
        raise InvalidValue(msg)
    return repeat


def _is_enum(kind: Any) -> bool:
    return isinstance(kind, type) and issubclass(kind, enum.Enum)


def _enum_hook(kind: type[enum.Enum], _: cattrs.Converter) -> Callable[..., Any]:
    def structure(value: object, _: object) -> enum.Enum:
        if isinstance(value, str):
            wanted = value.strip().lower().replace("-", "_")
            for member in kind:
                if member.value == wanted:
                    return member
        names = ", ".join(repr(member.value) for member in kind)
        msg = f"must be one of {names}, got {value!r}"
        raise InvalidValue(msg)

    return structure


def _is_literal(kind: Any) -> bool:
    return get_origin(kind) is Literal


def _literal_hook(kind: Any, _: cattrs.Converter) -> Callable[..., Any]:
    choices = get_args(kind)

    def structure(value: object, _: object) -> object:
        if value in choices and isinstance(value, str):
            return value
        names = ", ".join(repr(choice) for choice in choices)
        msg = f"must be one of {names}, got {value!r}"
        raise InvalidValue(msg)

    return structure


def _is_homogenous_tuple(kind: Any) -> bool:
    args = get_args(kind)
    return get_origin(kind) is tuple and len(args) == 2 and args[1] is Ellipsis


def _list_hook(kind: Any, conv: cattrs.Converter) -> Callable[..., Any]:
    inner = homogenous_tuple_structure_factory(kind, conv)

    def structure(value: object, _: object) -> tuple[Any, ...]:
        if not isinstance(value, list):
            msg = f"must be a list (values in square brackets), got {value!r}"
            raise InvalidValue(msg)
        return inner(value, kind)  # type: ignore[no-any-return]

    return structure


def _key_of(field: attrs.Attribute[Any]) -> str:
    return str(field.metadata.get(KEY, field.name))


def _attrs_structure_hook(cls: type[Any], conv: cattrs.Converter) -> Callable[..., Any]:
    overrides: dict[str, Any] = {}
    for field in attrs.fields(cls):
        options: dict[str, Any] = {}
        if KEY in field.metadata:
            options["rename"] = field.metadata[KEY]
        if CHECK in field.metadata:
            check = field.metadata[CHECK]
            options["struct_hook"] = lambda value, _, check=check: check(value)
        if options:
            overrides[field.name] = override(**options)
    inner = make_dict_structure_fn(
        cls,
        conv,
        _cattrs_forbid_extra_keys=True,
        _cattrs_detailed_validation=True,
        **overrides,
    )

    def structure(value: object, _: object) -> Any:
        if not isinstance(value, dict):
            msg = f"must be a table, got {value!r}"
            raise InvalidValue(msg)
        return inner(value, cls)

    return structure


def _attrs_unstructure_hook(
    cls: type[Any], conv: cattrs.Converter
) -> Callable[[Any], dict[str, Any]]:
    renames: dict[str, Any] = {
        field.name: override(rename=_key_of(field))
        for field in attrs.fields(cls)
        if KEY in field.metadata
    }
    return make_dict_unstructure_fn(cls, conv, _cattrs_omit_if_default=True, **renames)


def _unstructure_mapping(value: Any) -> dict[str, Any]:
    return dict(value)


def _is_mapping(kind: Any) -> bool:
    origin: Any = get_origin(kind)
    return origin is dict or origin is Mapping


def _parsing(parse: Callable[[object], object]) -> Callable[[object, object], object]:
    def structure(value: object, _: object) -> object:
        return parse(value)

    return structure


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter(detailed_validation=True, forbid_extra_keys=True)
    conv.register_structure_hook(str, _strict_str)
    conv.register_structure_hook(int, _strict_int)
    conv.register_structure_hook(bool, _strict_bool)
    parsers: dict[Any, Callable[[object], object]] = {
        Duration: parse_duration,
        PositiveDuration: _positive_duration,
        Turn: _turn,
        Repeat: _repeat,
        UserRef: _reference("users"),
        TeamRef: _reference("teams"),
        ScheduleRef: _reference("schedules"),
        PolicyRef: _reference("policies"),
        ClockTime: parse_time,
        Weekday: parse_weekday,
        Instant: parse_instant,
        TimeZone: parse_time_zone,
        Phone: parse_phone,
        Email: parse_email,
        Url: parse_url,
    }
    for kind, parse in parsers.items():
        conv.register_structure_hook(kind, _parsing(parse))
    conv.register_structure_hook_factory(_is_enum, _enum_hook)
    conv.register_structure_hook_factory(_is_literal, _literal_hook)
    conv.register_structure_hook_factory(_is_homogenous_tuple, _list_hook)
    conv.register_structure_hook_factory(attrs.has, _attrs_structure_hook)

    conv.register_unstructure_hook(Duration, format_duration)
    conv.register_unstructure_hook(PositiveDuration, format_duration)
    conv.register_unstructure_hook(Turn, format_duration)
    conv.register_unstructure_hook(ClockTime, format_time)
    conv.register_unstructure_hook(Weekday, format_weekday)
    conv.register_unstructure_hook_factory(attrs.has, _attrs_unstructure_hook)
    conv.register_unstructure_hook_func(_is_mapping, _unstructure_mapping)
    return conv


converter = _make_converter()
"""The converter that reads tables into documents and settings, and back."""


# Errors: cattrs' exception groups, turned into problems with paths.

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def join(path: str, key: str | int) -> str:
    """Return *path* followed by *key*: ``a.b`` for a table key, ``a[1]`` for an index.

    A key that is not a bare TOML key is quoted, as the file would quote it.
    """
    if isinstance(key, int):
        return f"{path}[{key}]"
    shown = key if _BARE_KEY.fullmatch(key) else '"' + key.replace('"', '\\"') + '"'
    return f"{path}.{shown}" if path else shown


def _unknown_key(cls: type[Any], key: str) -> str:
    known = [_key_of(field) for field in attrs.fields(cls)]
    close = difflib.get_close_matches(key, known, n=1)
    if close:
        return f"unknown field; did you mean {close[0]!r}?"
    return "unknown field; use one of " + ", ".join(known)


def problems_of(error: BaseException, path: str) -> Iterator[Problem]:
    """Yield the problems an exception raised by :data:`converter` reports."""
    if isinstance(error, ClassValidationError):
        noted, others = error.group_exceptions()
        fields = attrs.fields_dict(error.cl) if attrs.has(error.cl) else {}
        for inner, note in noted:
            field = fields.get(note.name)
            key = _key_of(field) if field is not None else note.name
            if isinstance(inner, KeyError):
                yield Problem(join(path, key), "is required")
            else:
                yield from problems_of(inner, join(path, key))
        for inner in others:
            if isinstance(inner, ForbiddenExtraKeysError):
                for key in sorted(inner.extra_fields):
                    yield Problem(join(path, key), _unknown_key(inner.cl, key))
            else:
                yield from problems_of(inner, path)
    elif isinstance(error, IterableValidationError):
        noted_items, others = error.group_exceptions()
        for inner, item in noted_items:
            yield from problems_of(inner, join(path, item.index))
        for inner in others:
            yield from problems_of(inner, path)
    elif isinstance(error, InvalidEntry):
        yield Problem(join(path, error.key), str(error))
    elif isinstance(error, ValueError | TypeError):
        yield Problem(path, str(error))
    else:
        yield Problem(path, f"cannot be read: {error}")


def structure(value: object, cls: type[T], path: str) -> tuple[T | None, list[Problem]]:
    """Read the table *value* at *path* into *cls*; return it or the problems.

    Every problem is reported, not only the first one.
    """
    try:
        return converter.structure(value, cls), []
    except Exception as error:  # every failure becomes a problem
        return None, list(problems_of(error, path))
