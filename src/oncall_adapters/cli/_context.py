"""What every command needs: the database, the configuration, the clock, the output.

Nothing is opened until a command asks for it, and the engine is disposed
of when the command ends.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError

from oncall_adapters.cli._errors import BadInput, Failed, NotFound
from oncall_adapters.cli._output import Output
from oncall_adapters.cli._times import FixedClock, parse_when, zone_of
from oncall_adapters.config import Config, Settings, load_config
from oncall_adapters.sql import SqlRepository, create_engine, current, head
from oncall_adapters.sql.worker import SystemClock
from oncall_core import Clock, Schedule

__all__ = ["DEFAULT_DATABASE", "Context"]

DEFAULT_DATABASE = "sqlite:///oncall.db"
"""The database when neither ``--db`` nor ``ONCALL_DATABASE_URL`` names one."""


class Context:
    """The options every command shares, and what they open, opened lazily.

    Args:
        output: where the command writes.
        database_url: ``--db``.
        config_path: ``--config``, or None.
        time_zone: ``--tz``, or None for each command's default.
        now: ``--now``, or None for the system clock.
    """

    def __init__(
        self,
        output: Output,
        *,
        database_url: str,
        config_path: str | None = None,
        time_zone: str | None = None,
        now: str | None = None,
    ) -> None:
        self.output = output
        self.database_url = database_url
        self.config_path = config_path
        self.time_zone = time_zone
        self.now_text = now
        self._clock: Clock | None = None
        self._engine: Engine | None = None
        self._config: Config | None = None
        if time_zone is not None:
            zone_of(time_zone)

    # The clock.

    @property
    def clock(self) -> Clock:
        """The system clock, or the fixed instant of ``--now``."""
        if self._clock is None:
            real = SystemClock()
            if self.now_text is None:
                self._clock = real
            else:
                zone = self.viewer_zone()
                self._clock = FixedClock(
                    parse_when(self.now_text, zone=zone, now=real.now())
                )
        return self._clock

    def now(self) -> datetime:
        """Return what the command takes as the current instant."""
        return self.clock.now()

    # Zones.

    def viewer_zone(self, default: str | None = None) -> ZoneInfo:
        """The zone times are shown and read in: ``--tz``, else *default*.

        Without *default*, the zone of the settings when a configuration is
        given, else the machine's own.
        """
        if self.time_zone is not None:
            return zone_of(self.time_zone)
        if default is not None:
            return zone_of(default)
        if self.config_path is not None:
            return zone_of(self.settings().time_zone)
        return _machine_zone()

    def when(self, text: str, zone: ZoneInfo) -> datetime:
        """Read a time typed on the command line, on the clock of *zone*."""
        return parse_when(text, zone=zone, now=self.now())

    # The configuration file.

    def config(self, path: str | None = None) -> Config:
        """Load the configuration at *path*, or the one of ``--config``.

        Raises:
            BadInput: no file was given.
            NotFound: the file does not exist.
            ConfigError: the file cannot be used.
        """
        if path is None and self._config is not None:
            return self._config
        chosen = path or self.config_path
        if chosen is None:
            msg = (
                "no configuration file: give one with --config FILE (or ONCALL_CONFIG)"
            )
            raise BadInput(msg)
        if not Path(chosen).is_file():
            msg = f"no configuration file at {chosen}"
            raise NotFound(msg)
        config = load_config(chosen)
        if path is None:
            self._config = config
        return config

    def settings(self) -> Settings:
        """The settings of ``--config``, or the defaults without one."""
        if self.config_path is None:
            return Settings()
        return self.config().settings

    # The database.

    def engine(self, *, migrated: bool = True) -> Engine:
        """The engine of ``--db``; with *migrated*, refuse a database not at head.

        Raises:
            BadInput: the URL cannot be read.
            NotFound: a SQLite file that does not exist (nothing is created).
            Failed: the database is not migrated to this version's schema.
        """
        if self._engine is None:
            try:
                url = make_url(self.database_url)
            except ArgumentError:
                msg = (
                    f"cannot read the database URL {self.database_url!r}: use "
                    "sqlite:///oncall.db or postgresql://user@host/oncall"
                )
                raise BadInput(msg) from None
            shown = url.render_as_string(hide_password=True)
            if (
                migrated
                and url.get_backend_name() == "sqlite"
                and url.database not in (None, "", ":memory:")
                and not Path(url.database or "").exists()
            ):
                msg = (
                    f"no database at {url.database} ({shown}): run `oncall init` "
                    "first, or name another with --db"
                )
                raise NotFound(msg)
            self._engine = create_engine(url)
        if migrated:
            at, wanted = current(self._engine), head()
            if at != wanted:
                shown = self._engine.url.render_as_string(hide_password=True)
                state = "empty" if at is None else f"at revision {at}"
                msg = (
                    f"the database {shown} is {state}, this oncall needs revision "
                    f"{wanted}: run `oncall init` to create or migrate it"
                )
                raise Failed(msg)
        return self._engine

    def repository(self) -> SqlRepository:
        """The repository on the (migrated) database."""
        return SqlRepository(self.engine())

    def schedule(self, schedule_id: str) -> Schedule:
        """Return the stored schedule *schedule_id*.

        Raises:
            NotFound: there is none, naming those there are.
        """
        repository = self.repository()
        found = repository.schedule(schedule_id)
        if found is None:
            known = ", ".join(repository.schedules()) or "none yet"
            msg = f"no schedule {schedule_id!r} (schedules: {known})"
            raise NotFound(msg)
        return found

    def close(self) -> None:
        """Dispose of the engine, if one was made."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def _machine_zone() -> ZoneInfo:
    """The machine's zone: ``TZ``, else ``/etc/localtime``, else UTC."""
    name = os.environ.get("TZ", "").lstrip(":")
    if name:
        try:
            return zone_of(name)
        except ValueError:
            pass
    localtime = Path("/etc/localtime")
    if localtime.is_symlink():
        target = str(localtime.resolve())
        marker = "zoneinfo/"
        if marker in target:
            try:
                return zone_of(target.split(marker, 1)[1])
            except ValueError:
                pass
    return ZoneInfo("Etc/UTC")
