"""What changed between two configurations, for ``oncall apply`` to report."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import attrs

from oncall_adapters.config._model import Config

__all__ = ["Changes", "KindChanges", "diff_configs"]


@attrs.frozen
class KindChanges:
    """The ids of one kind (users, teams...) added, changed and removed.

    Added and changed ids come in the order of the new configuration,
    removed ones in the order of the old.
    """

    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)


_NOUNS = {
    "users": "user",
    "teams": "team",
    "schedules": "schedule",
    "policies": "policy",
    "services": "service",
}


@attrs.frozen
class Changes:
    """What differs between two configurations, kind by kind.

    A :class:`Changes` is false when nothing changed.
    """

    users: KindChanges = KindChanges()
    teams: KindChanges = KindChanges()
    schedules: KindChanges = KindChanges()
    policies: KindChanges = KindChanges()
    services: KindChanges = KindChanges()
    settings: bool = False

    def __bool__(self) -> bool:
        return self.settings or any(changes for _, changes in self.kinds())

    def kinds(self) -> Iterator[tuple[str, KindChanges]]:
        """Yield each kind's name (``"users"``) and its changes, in file order."""
        for name in _NOUNS:
            yield name, getattr(self, name)

    def lines(self) -> list[str]:
        """Return one line per change: ``added user ana``, ``changed settings``."""
        result: list[str] = []
        for name, changes in self.kinds():
            noun = _NOUNS[name]
            for verb, ids in (
                ("added", changes.added),
                ("changed", changes.changed),
                ("removed", changes.removed),
            ):
                result.extend(f"{verb} {noun} {ident}" for ident in ids)
        if self.settings:
            result.append("changed settings")
        return result


def _kind(old: Mapping[str, Any], new: Mapping[str, Any]) -> KindChanges:
    return KindChanges(
        added=tuple(key for key in new if key not in old),
        changed=tuple(key for key in new if key in old and old[key] != new[key]),
        removed=tuple(key for key in old if key not in new),
    )


def diff_configs(old: Config, new: Config) -> Changes:
    """Return what changed from *old* to *new*: ids added, changed, removed per kind.

    Values are compared as the core compares them: a schedule whose layer
    starts at the same instant written with another offset has not changed.
    """
    return Changes(
        users=_kind(old.users, new.users),
        teams=_kind(old.teams, new.teams),
        schedules=_kind(old.schedules, new.schedules),
        policies=_kind(old.policies, new.policies),
        services=_kind(old.services, new.services),
        settings=old.settings != new.settings,
    )
