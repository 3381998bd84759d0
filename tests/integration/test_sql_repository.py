"""SqlRepository on SQLite and PostgreSQL: saving, loading, deleting, bad rows."""

from __future__ import annotations

import logging
from datetime import time, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from oncall_adapters.sql import SqlRepository, UnstorableValue, create_engine
from oncall_adapters.sql.models import (
    LayerParticipantRow,
    LayerRow,
    PolicyStepRow,
    RestrictionRow,
    ScheduleRow,
    StepTargetRow,
    TeamMemberRow,
    TeamRow,
    UserRow,
)
from oncall_core import (
    Channel,
    EscalationPolicy,
    EscalationStep,
    Layer,
    Restriction,
    RestrictionKind,
    Schedule,
    Service,
    Team,
    User,
    UserTarget,
)
from oncall_core import strategies as core
from tests.integration.sql_samples import (
    API,
    BEN,
    OPS,
    PLATFORM,
    STANDARD,
    START,
    save_world,
    services,
    teams,
)

# One database per test, reused by its examples: saving replaces by id.
ON_A_DATABASE = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Two values per example: fewer examples for the same time.
TWICE_ON_A_DATABASE = settings(ON_A_DATABASE, max_examples=12)


@pytest.fixture
def repository(engine: Engine) -> SqlRepository:
    return SqlRepository(engine)


def count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


class TestRoundTrips:
    """What is saved loads back equal, for every kind of value."""

    @ON_A_DATABASE
    @given(user=core.users())
    def test_a_user_loads_back_equal(
        self, repository: SqlRepository, user: User
    ) -> None:
        """Contact details, enabled channels, priority, quiet hours, team pages."""
        repository.save_user(user)

        assert repository.user(user.id) == user

    @ON_A_DATABASE
    @given(team=teams())
    def test_a_team_loads_back_equal(
        self, repository: SqlRepository, team: Team
    ) -> None:
        """Members keep their order; the lead stays the lead."""
        for member in team.members:
            repository.save_user(User(member))

        repository.save_team(team)

        assert repository.team(team.id) == team

    @ON_A_DATABASE
    @given(schedule=core.schedules())
    def test_a_schedule_loads_back_equal(
        self, repository: SqlRepository, schedule: Schedule
    ) -> None:
        """Layers, participants, restrictions, overrides: in order, to the µs."""
        repository.save_schedule("drawn", schedule)

        loaded = repository.schedule("drawn")

        assert loaded == schedule
        assert loaded is not None
        assert loaded.users_on_call(START) == schedule.users_on_call(START)

    @ON_A_DATABASE
    @given(policy=core.escalation_policies())
    def test_a_policy_loads_back_equal(
        self, repository: SqlRepository, policy: EscalationPolicy
    ) -> None:
        """Steps, targets, delays, channel overrides, repeat and its wait."""
        repository.save_policy("drawn", policy)

        assert repository.policy("drawn") == policy

    @ON_A_DATABASE
    @given(service=services())
    def test_a_service_loads_back_equal(
        self, repository: SqlRepository, service: Service
    ) -> None:
        """The channel list keeps its order; an empty one stays empty."""
        repository.save_policy("standard", STANDARD)

        repository.save_service(service)

        assert repository.service(service.id) == service

    @TWICE_ON_A_DATABASE
    @given(first=core.schedules(), second=core.schedules())
    def test_saving_a_schedule_again_replaces_it_and_leaves_no_rows_behind(
        self,
        engine: Engine,
        repository: SqlRepository,
        first: Schedule,
        second: Schedule,
    ) -> None:
        """The second save wins, and the first one's layers are gone."""
        repository.save_schedule("platform", first)
        repository.save_schedule("platform", second)

        assert repository.schedule("platform") == second
        assert count(engine, LayerRow) == len(second.layers)
        assert count(engine, LayerParticipantRow) == sum(
            len(layer.participants) for layer in second.layers
        )
        assert count(engine, RestrictionRow) == sum(
            len(layer.restrictions) for layer in second.layers
        )

    @TWICE_ON_A_DATABASE
    @given(first=core.escalation_policies(), second=core.escalation_policies())
    def test_saving_a_policy_again_replaces_its_steps(
        self,
        engine: Engine,
        repository: SqlRepository,
        first: EscalationPolicy,
        second: EscalationPolicy,
    ) -> None:
        """Old steps and their targets are deleted with the old version."""
        repository.save_policy("standard", first)
        repository.save_policy("standard", second)

        assert repository.policy("standard") == second
        assert count(engine, PolicyStepRow) == len(second.steps)
        assert count(engine, StepTargetRow) == sum(
            len(step.targets) for step in second.steps
        )


class TestSavingInPlace:
    """Saving a value replaces it without touching what refers to it."""

    def test_saving_a_user_again_keeps_their_team_memberships(
        self, repository: SqlRepository
    ) -> None:
        """A user row is updated, not deleted: memberships do not cascade away."""
        save_world(repository)

        repository.save_user(User("ben", name="Ben Okafor"))

        assert repository.team("ops") == OPS
        assert repository.user("ben") == User("ben", name="Ben Okafor")

    def test_saving_a_policy_again_keeps_the_services_that_use_it(
        self, repository: SqlRepository
    ) -> None:
        """The services' foreign key is not set to NULL by a save."""
        save_world(repository)

        repository.save_policy("standard", EscalationPolicy("v2", STANDARD.steps))

        assert repository.service("api") == API

    def test_lists_come_back_by_id(self, repository: SqlRepository) -> None:
        """Users, teams, services sorted by id; schedules, policies keyed by id."""
        save_world(repository)
        repository.save_user(User("aaron"))

        assert [user.id for user in repository.users()] == ["aaron", "ana", "ben"]
        assert repository.teams() == [OPS]
        assert repository.schedules() == {"platform": PLATFORM}
        assert repository.policies() == {"standard": STANDARD}
        assert repository.services() == [API]


class TestDeleting:
    """Deleting a value, and what happens to what referred to it."""

    def test_deleting_the_lead_leaves_the_team_without_them_or_a_lead(
        self, repository: SqlRepository
    ) -> None:
        """Membership cascades, the lead is set to NULL: the team stays valid."""
        save_world(repository)

        assert repository.delete_user("ana") is True

        assert repository.user("ana") is None
        assert repository.team("ops") == Team(
            "ops", members=("ben",), name="Operations"
        )

    def test_deleting_a_user_keeps_layers_and_steps_that_name_them(
        self, repository: SqlRepository
    ) -> None:
        """Participants and targets are plain ids: escalation reports them unknown."""
        save_world(repository)

        repository.delete_user("ana")

        assert repository.schedule("platform") == PLATFORM
        assert repository.policy("standard") == STANDARD

    def test_deleting_a_policy_leaves_its_services_without_one(
        self, engine: Engine, repository: SqlRepository
    ) -> None:
        """And takes its steps and targets with it."""
        save_world(repository)

        assert repository.delete_policy("standard") is True

        assert repository.service("api") == Service(
            "api", name="API", channels=[Channel.SLACK]
        )
        assert count(engine, PolicyStepRow) == 0
        assert count(engine, StepTargetRow) == 0

    def test_deleting_a_schedule_deletes_its_layers_and_overrides(
        self, engine: Engine, repository: SqlRepository
    ) -> None:
        """Nothing of the schedule is left in any table."""
        save_world(repository)

        assert repository.delete_schedule("platform") is True

        assert repository.schedule("platform") is None
        for model in (ScheduleRow, LayerRow, LayerParticipantRow, RestrictionRow):
            assert count(engine, model) == 0

    def test_deleting_what_is_not_there_says_so(
        self, repository: SqlRepository
    ) -> None:
        """Every delete returns False for an unknown id and raises nothing."""
        assert repository.delete_user("nobody") is False
        assert repository.delete_team("nobody") is False
        assert repository.delete_schedule("nobody") is False
        assert repository.delete_policy("nobody") is False
        assert repository.delete_service("nobody") is False

    def test_deleting_a_team_and_a_service(self, repository: SqlRepository) -> None:
        """They are gone; the users and the policy stay."""
        save_world(repository)

        assert repository.delete_team("ops") is True
        assert repository.delete_service("api") is True

        assert repository.team("ops") is None
        assert repository.service("api") is None
        assert repository.user("ben") == BEN
        assert repository.policy("standard") == STANDARD


class TestUnknownIds:
    """Loading an id nobody saved gives None."""

    def test_every_load_returns_none_for_an_unknown_id(
        self, repository: SqlRepository
    ) -> None:
        """No exception, no warning: an unknown id is not an error here."""
        assert repository.user("nobody") is None
        assert repository.team("nobody") is None
        assert repository.schedule("nobody") is None
        assert repository.policy("nobody") is None
        assert repository.service("nobody") is None


# Each case corrupts one row of the saved world by raw SQL, as another
# program (or an older version of this one) could have written it.
BAD_ROWS = [
    pytest.param(
        "UPDATE schedules SET time_zone = 'Mars/Base'",
        "schedule",
        "platform",
        "schedules row 'platform'",
        id="schedule in an unknown zone",
    ),
    pytest.param(
        "UPDATE layers SET clock = 'sundial' WHERE name = 'day'",
        "schedule",
        "platform",
        "layers row",
        id="layer on an unknown clock",
    ),
    pytest.param(
        "UPDATE layers SET turn_seconds = 0 WHERE name = 'weekend'",
        "schedule",
        "platform",
        "layers row",
        id="layer with a turn of zero",
    ),
    pytest.param(
        "DELETE FROM layer_participants",
        "schedule",
        "platform",
        "layers row",
        id="layer without participants",
    ),
    pytest.param(
        "UPDATE restrictions SET weekdays = '[9]' WHERE kind = 'daily'",
        "schedule",
        "platform",
        "restrictions row",
        id="restriction on weekday 9",
    ),
    pytest.param(
        "UPDATE overrides SET kind = 'swap'",
        "schedule",
        "platform",
        "overrides row",
        id="override of an unknown kind",
    ),
    pytest.param(
        """UPDATE users SET enabled_channels = '["pigeon"]' WHERE id = 'ana'""",
        "user",
        "ana",
        "users row 'ana'",
        id="user with an unknown channel",
    ),
    pytest.param(
        "UPDATE users SET push_tokens = '{}' WHERE id = 'ana'",
        "user",
        "ana",
        "users row 'ana'",
        id="user whose push tokens are not a list",
    ),
    pytest.param(
        "UPDATE users SET quiet_end = NULL WHERE id = 'ana'",
        "user",
        "ana",
        "users row 'ana'",
        id="user with quiet hours that never end",
    ),
    pytest.param(
        "DELETE FROM team_members WHERE user_id = 'ana'",
        "team",
        "ops",
        "teams row 'ops'",
        id="team whose lead is not a member",
    ),
    pytest.param(
        "UPDATE step_targets SET kind = 'robot' WHERE ref = 'ana'",
        "policy",
        "standard",
        "step_targets row",
        id="step target of an unknown kind",
    ),
    pytest.param(
        "UPDATE policy_steps SET delay_seconds = -5",
        "policy",
        "standard",
        "policy_steps row",
        id="step with a negative delay",
    ),
    pytest.param(
        "UPDATE policies SET repeat = 12",
        "policy",
        "standard",
        "policies row 'standard'",
        id="policy repeated 12 times",
    ),
    pytest.param(
        "UPDATE services SET urgency = 'meh'",
        "service",
        "api",
        "services row 'api'",
        id="service of an unknown urgency",
    ),
]


class TestBadRows:
    """A row that does not convert loads as None with a WARNING, never half-built."""

    @pytest.mark.parametrize(("statement", "kind", "key", "row"), BAD_ROWS)
    def test_a_bad_row_loads_as_none_with_a_warning_and_lists_skip_it(
        self,
        engine: Engine,
        repository: SqlRepository,
        caplog: pytest.LogCaptureFixture,
        statement: str,
        kind: str,
        key: str,
        row: str,
    ) -> None:
        """The warning names the value asked for and the row that is wrong."""
        save_world(repository)
        repository.save_user(User("zoe"))
        with engine.begin() as connection:
            connection.execute(text(statement))

        with caplog.at_level(logging.WARNING, logger="oncall_adapters.sql"):
            loaded = getattr(repository, kind)(key)
        listed = {
            "user": lambda: [user.id for user in repository.users()],
            "team": lambda: [team.id for team in repository.teams()],
            "schedule": lambda: list(repository.schedules()),
            "policy": lambda: list(repository.policies()),
            "service": lambda: [service.id for service in repository.services()],
        }[kind]()

        assert loaded is None
        warning = caplog.records[0]
        assert warning.levelno == logging.WARNING
        assert warning.name == "oncall_adapters.sql.repository"
        assert f"{kind} {key!r} not loaded" in warning.getMessage()
        assert row in warning.getMessage()
        assert key not in listed
        if kind == "user":
            assert listed == ["ben", "zoe"]

    def test_a_bad_phone_number_is_masked_in_the_warning(
        self,
        engine: Engine,
        repository: SqlRepository,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        """Logs never hold a full number, not even in the traceback."""
        save_world(repository)
        with engine.begin() as connection:
            connection.execute(
                text("UPDATE users SET phone = '+14155550123999999' WHERE id = 'ana'")
            )

        with caplog.at_level(logging.WARNING):
            assert repository.user("ana") is None

        assert "users row 'ana'" in caplog.text
        assert "+14*************99" in caplog.text
        assert "4155550123" not in caplog.text


class TestRefusedSaves:
    """A save that cannot be done whole writes nothing."""

    def test_a_turn_of_a_fraction_of_a_second_is_refused(
        self, engine: Engine, repository: SqlRepository
    ) -> None:
        """Turns are stored in whole seconds; nothing is rounded silently."""
        layer = Layer("odd", ["ana"], START, timedelta(seconds=90.5))

        with pytest.raises(UnstorableValue, match=r"turn must be a whole number"):
            repository.save_schedule("odd", Schedule("Odd", "Etc/UTC", [layer]))

        assert count(engine, ScheduleRow) == 0
        assert count(engine, LayerRow) == 0

    def test_a_turn_too_long_for_the_column_is_refused(
        self, engine: Engine, repository: SqlRepository
    ) -> None:
        """Seventy years do not fit 32 bits of seconds: refused before writing."""
        layer = Layer("long", ["ana"], START, timedelta(days=70 * 365))

        with pytest.raises(UnstorableValue, match=r"turn in seconds must be from"):
            repository.save_schedule("long", Schedule("Long", "Etc/UTC", [layer]))

        assert count(engine, ScheduleRow) == 0

    @pytest.mark.postgres
    def test_text_the_database_cannot_hold_is_refused_whole(
        self, postgres_url: str
    ) -> None:
        """PostgreSQL has no NUL in text: the save is rolled back and refused."""
        engine = create_engine(postgres_url)
        repository = SqlRepository(engine)
        try:
            with pytest.raises(UnstorableValue, match=r"database refused the save"):
                repository.save_user(User("ana", name="Ana\x00"))

            assert count(engine, UserRow) == 0
        finally:
            engine.dispose()

    def test_a_refused_save_leaves_the_previous_version_whole(
        self, repository: SqlRepository
    ) -> None:
        """The schedule saved before is still there, unchanged."""
        save_world(repository)
        layer = Layer("odd", ["ana"], START, timedelta(minutes=1, microseconds=1))

        with pytest.raises(UnstorableValue):
            repository.save_schedule(
                "platform", Schedule("Platform", "Etc/UTC", [layer])
            )

        assert repository.schedule("platform") == PLATFORM

    def test_a_team_naming_an_unsaved_user_is_refused(
        self, engine: Engine, repository: SqlRepository
    ) -> None:
        """The message names who is missing; no team row is written."""
        repository.save_user(BEN)

        with pytest.raises(UnstorableValue, match=r"'zed'.*save those first"):
            repository.save_team(Team("ops", members=("ben", "zed")))

        assert count(engine, TeamRow) == 0
        assert count(engine, TeamMemberRow) == 0

    def test_a_service_with_an_unsaved_policy_is_refused(
        self, repository: SqlRepository
    ) -> None:
        """The policy must be saved first."""
        with pytest.raises(UnstorableValue, match=r"'standard'.*policies"):
            repository.save_service(Service("api", policy="standard"))

        assert repository.service("api") is None

    def test_a_value_broken_behind_its_validation_is_refused(
        self, engine: Engine, repository: SqlRepository
    ) -> None:
        """A save checks that the rows load back equal before writing them."""
        user = User("ana")
        object.__setattr__(user, "time_zone", "Mars/Base")

        with pytest.raises(UnstorableValue, match=r"unknown time zone 'Mars/Base'"):
            repository.save_user(user)

        assert count(engine, UserRow) == 0

    def test_something_that_is_not_a_value_is_refused(
        self, repository: SqlRepository
    ) -> None:
        """A dict is not a User, even with the right keys."""
        with pytest.raises(UnstorableValue, match=r"expected a user"):
            repository.save_user({"id": "ana"})  # type: ignore[arg-type]
        with pytest.raises(UnstorableValue, match=r"schedule id"):
            repository.save_schedule("", PLATFORM)

    def test_in_a_session_a_refused_save_rolls_back_only_itself(
        self, engine: Engine
    ) -> None:
        """The caller's transaction goes on; what it saved before is committed."""
        with Session(engine) as session:
            repository = SqlRepository(session)
            repository.save_user(BEN)
            with pytest.raises(UnstorableValue):
                repository.save_team(Team("ops", members=("ben", "zed")))
            session.commit()

        saved = SqlRepository(engine)
        assert saved.user("ben") == BEN
        assert saved.team("ops") is None


class TestExactness:
    """Values the core accepts as built load back exactly as built."""

    def test_weekdays_of_a_restriction_built_directly_keep_their_order(
        self, repository: SqlRepository
    ) -> None:
        """daily() sorts weekdays; the constructor does not, and neither does a load."""
        restriction = Restriction(
            RestrictionKind.DAILY, time(9), time(17), weekdays=(4, 0)
        )
        schedule = Schedule(
            "Odd",
            "Etc/UTC",
            [
                Layer(
                    "day", ["ana"], START, timedelta(days=1), restrictions=[restriction]
                )
            ],
        )

        repository.save_schedule("odd", schedule)

        assert repository.schedule("odd") == schedule


class TestPolicies:
    """Details of policies that properties could miss."""

    def test_a_step_without_channels_stays_without_an_override(
        self, engine: Engine, repository: SqlRepository
    ) -> None:
        """None is SQL NULL, not an empty list and not JSON null."""
        repository.save_policy(
            "plain", EscalationPolicy("Plain", [EscalationStep([UserTarget("ana")])])
        )

        with engine.connect() as connection:
            nulls = connection.execute(
                text("SELECT COUNT(*) FROM policy_steps WHERE channels IS NULL")
            ).scalar()

        assert nulls == 1
        loaded = repository.policy("plain")
        assert loaded is not None
        assert loaded.steps[0].channels is None
