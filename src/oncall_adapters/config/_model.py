"""The configuration as a value: the core's values by id, and the settings."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

import attrs

from oncall_adapters.config._documents import join
from oncall_adapters.config._errors import ConfigError, Problem
from oncall_adapters.config._settings import Settings
from oncall_core import EscalationPolicy, Schedule, Service, Team, User

__all__ = ["Config"]


def _frozen(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(value))


@attrs.frozen
class Config:
    """Everything one configuration file describes, as the core's values.

    Each mapping is keyed by id (a schedule's and a policy's id is its
    name), in the order of the file. The mappings are read-only. Cross
    references (a team member, a policy's target) are checked by
    :func:`~oncall_adapters.config.parse_config`, not here: a configuration
    read back from a database may name what no longer exists, and
    :func:`~oncall_adapters.doctor.diagnose` reports it.

    Raises:
        ConfigError: a key differs from the id of its value.
    """

    users: Mapping[str, User] = attrs.field(factory=dict, converter=_frozen)
    teams: Mapping[str, Team] = attrs.field(factory=dict, converter=_frozen)
    schedules: Mapping[str, Schedule] = attrs.field(factory=dict, converter=_frozen)
    policies: Mapping[str, EscalationPolicy] = attrs.field(
        factory=dict, converter=_frozen
    )
    services: Mapping[str, Service] = attrs.field(factory=dict, converter=_frozen)
    settings: Settings = attrs.field(factory=Settings)

    def __attrs_post_init__(self) -> None:
        problems = [
            Problem(join(kind, key), f"is keyed {key!r} but its id is {ident!r}")
            for kind, mapping, id_of in self._kinds()
            for key, value in mapping.items()
            if (ident := id_of(value)) != key
        ]
        if problems:
            raise ConfigError("<Config>", problems)

    def _kinds(self) -> Iterable[tuple[str, Mapping[str, Any], Any]]:
        yield "users", self.users, lambda user: user.id
        yield "teams", self.teams, lambda team: team.id
        yield "schedules", self.schedules, lambda schedule: schedule.name
        yield "policies", self.policies, lambda policy: policy.name
        yield "services", self.services, lambda service: service.id

    @classmethod
    def from_values(
        cls,
        *,
        users: Iterable[User] = (),
        teams: Iterable[Team] = (),
        schedules: Iterable[Schedule] = (),
        policies: Iterable[EscalationPolicy] = (),
        services: Iterable[Service] = (),
        settings: Settings | None = None,
    ) -> Config:
        """Return the configuration of these values, each keyed by its id.

        Raises:
            ConfigError: two values of one kind share an id.
        """
        problems: list[Problem] = []

        def keyed(kind: str, values: Iterable[Any], id_of: Any) -> dict[str, Any]:
            result: dict[str, Any] = {}
            for value in values:
                key = id_of(value)
                if key in result:
                    problems.append(Problem(join(kind, key), "is defined twice"))
                result[key] = value
            return result

        config = {
            "users": keyed("users", users, lambda user: user.id),
            "teams": keyed("teams", teams, lambda team: team.id),
            "schedules": keyed("schedules", schedules, lambda item: item.name),
            "policies": keyed("policies", policies, lambda policy: policy.name),
            "services": keyed("services", services, lambda service: service.id),
        }
        if problems:
            raise ConfigError("<Config>", problems)
        return cls(**config, settings=settings or Settings())
