"""SqlDirectory: the core's Directory port on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from oncall_adapters.sql import SqlDirectory, SqlRepository
from oncall_core import (
    Directory,
    EscalationStep,
    ScheduleTarget,
    TeamTarget,
    UnreachedReason,
    User,
    UserTarget,
    resolve_step,
)
from tests.integration.sql_samples import ANA, BEN, OPS, PLATFORM, START, save_world


@pytest.fixture
def repository(engine: Engine) -> SqlRepository:
    repository = SqlRepository(engine)
    save_world(repository)
    return repository


class FakeMonotonic:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class TestLookups:
    """Users, teams and schedules by id."""

    def test_it_is_a_directory(self, engine: Engine) -> None:
        """The port is a Protocol: the adapter satisfies it as is."""
        assert isinstance(SqlDirectory(engine), Directory)

    def test_it_finds_what_was_saved(
        self, engine: Engine, repository: SqlRepository
    ) -> None:
        """The values come back equal to those saved."""
        directory = SqlDirectory(engine)

        assert directory.user("ana") == ANA
        assert directory.team("ops") == OPS
        assert directory.schedule("platform") == PLATFORM

    def test_unknown_ids_are_none(
        self, engine: Engine, repository: SqlRepository
    ) -> None:
        """Not an exception: escalation makes an event of it."""
        directory = SqlDirectory(engine)

        assert directory.user("nobody") is None
        assert directory.team("nobody") is None
        assert directory.schedule("nobody") is None


class TestBadRows:
    """Rows that do not convert are None, with a WARNING naming the row."""

    def test_a_schedule_inserted_with_a_bad_time_zone_is_none(
        self, engine: Engine, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Written by raw SQL, as another program could: the zone does not exist."""
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO schedules (id, name, time_zone, coverage) "
                    "VALUES ('broken', 'Broken', 'Mars/Olympus_Mons', 'all_layers')"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO layers (id, schedule_id, position, name, start, "
                    'turn_seconds, shift_seconds, "end", priority, clock) VALUES '
                    "(1000, 'broken', 0, 'day', :start, 86400, NULL, NULL, 0, 'wall')"
                ),
                {"start": START.replace(tzinfo=None)},
            )
            connection.execute(
                text(
                    "INSERT INTO layer_participants (layer_id, position, user_id) "
                    "VALUES (1000, 0, 'ana')"
                )
            )

        with caplog.at_level(logging.WARNING, logger="oncall_adapters.sql"):
            assert SqlDirectory(engine).schedule("broken") is None

        [record] = caplog.records
        assert record.levelno == logging.WARNING
        assert "schedule 'broken' not loaded" in record.getMessage()
        assert "schedules row 'broken'" in record.getMessage()
        assert "Mars/Olympus_Mons" in record.getMessage()
        assert record.exc_info is not None

    def test_a_layer_row_that_does_not_convert_is_named(
        self,
        engine: Engine,
        repository: SqlRepository,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        """The warning names the layers row by its id, not just the schedule."""
        with engine.begin() as connection:
            layer_id = connection.execute(
                text("SELECT id FROM layers WHERE name = 'weekend'")
            ).scalar_one()
            connection.execute(
                text("UPDATE layers SET turn_seconds = 30 WHERE id = :id"),
                {"id": layer_id},
            )

        with caplog.at_level(logging.WARNING, logger="oncall_adapters.sql"):
            assert SqlDirectory(engine).schedule("platform") is None

        assert f"layers row {layer_id}" in caplog.records[0].getMessage()

    def test_escalation_reports_a_bad_schedule_as_unknown(
        self, engine: Engine, caplog: pytest.LogCaptureFixture
    ) -> None:
        """The step skips the target with a reason instead of crashing."""
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO schedules (id, name, time_zone, coverage) "
                    "VALUES ('broken', 'Broken', 'Etc/UTC', 'everyone')"
                )
            )
        step = EscalationStep([ScheduleTarget("broken")])

        with caplog.at_level(logging.WARNING, logger="oncall_adapters.sql"):
            resolution = resolve_step(step, SqlDirectory(engine), START)

        assert resolution.recipients == ()
        [unreached] = resolution.unreached
        assert unreached.reason is UnreachedReason.UNKNOWN_ID
        assert "schedules row 'broken'" in caplog.text


class TestEscalation:
    """The core resolves steps through the adapter."""

    def test_a_step_reaches_the_people_the_database_says(
        self, engine: Engine, repository: SqlRepository
    ) -> None:
        """Schedule, team lead and user targets resolve, each user once."""
        step = EscalationStep(
            [
                ScheduleTarget("platform"),
                TeamTarget("ops", lead_only=True),
                UserTarget("ben"),
            ]
        )
        # Monday 11:00 Berlin: Ana's day shift, Ben's override until 13:00.
        at = START + timedelta(hours=1)

        resolution = resolve_step(step, SqlDirectory(engine), at)

        assert {r.user.id for r in resolution.recipients} == {"ana", "ben"}
        assert resolution.unreached == ()


class TestFreshness:
    """Nothing is cached unless asked; a session reads its own transaction."""

    def test_without_a_cache_a_change_is_seen_at_once(
        self, engine: Engine, repository: SqlRepository
    ) -> None:
        """The default: every call reads the database."""
        directory = SqlDirectory(engine)
        assert directory.user("ben") == BEN

        repository.save_user(User("ben", name="Ben Okafor"))

        assert directory.user("ben") == User("ben", name="Ben Okafor")

    def test_with_a_cache_answers_are_reused_until_they_expire(
        self, engine: Engine, repository: SqlRepository
    ) -> None:
        """Unknown ids are cached too; clear_cache forgets everything."""
        clock = FakeMonotonic()
        directory = SqlDirectory(engine, cache_seconds=30, monotonic=clock)
        assert directory.user("ben") == BEN
        assert directory.user("zoe") is None

        repository.save_user(User("ben", name="Ben Okafor"))
        repository.save_user(User("zoe"))
        clock.now = 29.9

        assert directory.user("ben") == BEN
        assert directory.user("zoe") is None
        clock.now = 30.0
        assert directory.user("ben") == User("ben", name="Ben Okafor")
        assert directory.user("zoe") == User("zoe")
        repository.delete_user("zoe")
        assert directory.user("zoe") == User("zoe")
        directory.clear_cache()
        assert directory.user("zoe") is None

    def test_a_negative_cache_time_is_refused(self, engine: Engine) -> None:
        """A typo should not silently disable or break caching."""
        with pytest.raises(ValueError, match="cache_seconds"):
            SqlDirectory(engine, cache_seconds=-1)

    def test_on_a_session_it_sees_the_callers_uncommitted_writes(
        self, engine: Engine
    ) -> None:
        """A worker resolves a step inside the transaction that records it."""
        with Session(engine) as session:
            SqlRepository(session).save_user(User("zoe"))

            assert SqlDirectory(session).user("zoe") == User("zoe")
            assert SqlDirectory(engine).user("zoe") is None
            session.rollback()

        assert SqlDirectory(engine).user("zoe") is None
