"""Engines and column types: the settings and rules oncall's tables rely on."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import StatementError

from oncall_adapters.sql import create_engine, upgrade
from oncall_adapters.sql.models import EventRow, PolicyRow, PolicyStepRow
from oncall_core import NaiveDatetime
from tests.integration.postgres import PostgresCluster

BERLIN = ZoneInfo("Europe/Berlin")


def add_event(engine: Engine, incident: str, at: datetime) -> None:
    with engine.begin() as connection:
        connection.execute(
            insert(EventRow).values(
                incident_id=incident, at=at, kind="triggered", detail=""
            )
        )


class TestSqlite:
    """SQLite is set up for oncall: foreign keys, WAL, waiting writers."""

    def test_a_file_gets_foreign_keys_wal_and_a_busy_timeout(
        self, tmp_path: Path
    ) -> None:
        """Every connection, not just the first."""
        engine = create_engine(f"sqlite:///{tmp_path / 'oncall.db'}")
        try:
            with engine.connect() as connection:
                pragmas = [
                    connection.exec_driver_sql(f"PRAGMA {name}").scalar()
                    for name in ("foreign_keys", "journal_mode", "busy_timeout")
                ]
        finally:
            engine.dispose()

        assert pragmas == [1, "wal", 30_000]

    def test_memory_is_one_database_for_every_connection(self) -> None:
        """``sqlite://`` for tests: what one connection writes, the next one sees."""
        engine = create_engine("sqlite://")
        upgrade(engine)

        add_event(engine, "INC-1", datetime(2024, 3, 1, tzinfo=UTC))

        with engine.connect() as connection:
            assert connection.scalar(text("SELECT COUNT(*) FROM events")) == 1
        engine.dispose()

    def test_two_writers_wait_for_each_other_instead_of_failing(
        self, sqlite_url: str
    ) -> None:
        """Read then write in two threads at once: no "database is locked"."""
        engine = create_engine(sqlite_url)
        errors: list[BaseException] = []

        def write(name: str) -> None:
            try:
                for number in range(40):
                    with engine.begin() as connection:
                        seen = connection.scalar(text("SELECT COUNT(*) FROM events"))
                        connection.execute(
                            insert(EventRow).values(
                                incident_id=name,
                                at=datetime(2024, 3, 1, tzinfo=UTC),
                                kind="counted",
                                detail=f"{number}:{seen}",
                            )
                        )
            except BaseException as error:  # reported to the test thread
                errors.append(error)

        threads = [threading.Thread(target=write, args=(n,)) for n in ("a", "b")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        with engine.connect() as connection:
            assert connection.scalar(text("SELECT COUNT(*) FROM events")) == 80
        engine.dispose()
        assert errors == []

    def test_foreign_keys_cascade(self, engine: Engine) -> None:
        """Deleting a policy deletes its steps, on both backends."""
        with engine.begin() as connection:
            connection.execute(insert(PolicyRow).values(id="p", name="P", repeat=0))
            connection.execute(
                insert(PolicyStepRow).values(policy_id="p", position=0, delay_seconds=0)
            )
            connection.execute(text("DELETE FROM policies"))

            assert connection.scalar(text("SELECT COUNT(*) FROM policy_steps")) == 0


class TestPostgresql:
    """PostgreSQL goes through psycopg 3 and survives a restart."""

    def test_a_plain_postgresql_url_uses_psycopg(self) -> None:
        """No connection is made: building the engine is enough."""
        engine = create_engine("postgresql://oncall@127.0.0.1:1/oncall")

        assert engine.dialect.driver == "psycopg"
        assert engine.pool._pre_ping  # type: ignore[attr-defined]

    @pytest.mark.postgres
    def test_an_engine_reconnects_after_the_server_restarts(
        self, postgres_cluster: PostgresCluster, postgres_url: str
    ) -> None:
        """The pool pings before use: the first query after a restart works."""
        engine = create_engine(postgres_url)
        try:
            add_event(engine, "INC-1", datetime(2024, 3, 1, tzinfo=UTC))

            postgres_cluster.restart()

            add_event(engine, "INC-2", datetime(2024, 3, 1, tzinfo=UTC))
            with engine.connect() as connection:
                assert connection.scalar(text("SELECT COUNT(*) FROM events")) == 2
        finally:
            engine.dispose()


class TestInstants:
    """UTCDateTime: aware in, aware UTC out, naive refused."""

    @pytest.mark.parametrize(
        ("at", "utc"),
        [
            pytest.param(
                datetime(2024, 3, 1, 10, 0, 15, 123456, tzinfo=BERLIN),
                datetime(2024, 3, 1, 9, 0, 15, 123456, tzinfo=UTC),
                id="unambiguous",
            ),
            pytest.param(
                # 02:30 happens twice that night; fold=1 is the second, in CET.
                datetime(2024, 10, 27, 2, 30, tzinfo=BERLIN, fold=1),
                datetime(2024, 10, 27, 1, 30, tzinfo=UTC),
                id="repeated",
            ),
            pytest.param(
                # 02:30 does not exist that night; Python reads it at +01:00.
                datetime(2024, 3, 31, 2, 30, tzinfo=BERLIN),
                datetime(2024, 3, 31, 1, 30, tzinfo=UTC),
                id="skipped",
            ),
        ],
    )
    def test_an_instant_comes_back_as_the_same_instant_in_utc(
        self, engine: Engine, at: datetime, utc: datetime
    ) -> None:
        """Whatever the zone said, the instant is kept to the microsecond."""
        add_event(engine, "INC-1", at)

        with engine.connect() as connection:
            stored = connection.scalar(select(EventRow.at))

        assert stored == utc == at.astimezone(UTC)
        assert stored is not None
        assert stored.tzinfo is UTC

    def test_instants_sort_and_compare_as_instants(self, engine: Engine) -> None:
        """Local order differs from UTC order; queries follow UTC."""
        early = datetime(2024, 3, 1, 10, tzinfo=BERLIN)  # 09:00 UTC
        late = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)
        add_event(engine, "late", late)
        add_event(engine, "early", early)

        with engine.connect() as connection:
            ordered = connection.scalars(
                select(EventRow.incident_id).order_by(EventRow.at)
            ).all()
            before = connection.scalars(
                select(EventRow.incident_id).where(
                    EventRow.at < datetime(2024, 3, 1, 10, 15, tzinfo=BERLIN)
                )
            ).all()

        assert ordered == ["early", "late"]
        assert before == ["early"]

    def test_a_naive_datetime_is_refused(self, engine: Engine) -> None:
        """In a value or in a query, before it reaches the database."""
        naive = datetime(2024, 3, 1, 9)

        with pytest.raises(StatementError) as stored:
            add_event(engine, "INC-1", naive)
        with engine.connect() as connection, pytest.raises(StatementError) as queried:
            connection.execute(select(EventRow).where(EventRow.at < naive))

        assert isinstance(stored.value.orig, NaiveDatetime)
        assert isinstance(queried.value.orig, NaiveDatetime)

    def test_an_instant_in_sqlite_is_naive_utc_text(self, sqlite_url: str) -> None:
        """So that it sorts as text, and other tools read it without a zone."""
        engine = create_engine(sqlite_url)
        add_event(engine, "INC-1", datetime(2024, 3, 1, 10, tzinfo=BERLIN))

        with engine.connect() as connection:
            raw = connection.exec_driver_sql("SELECT at FROM events").scalar()
        engine.dispose()

        assert raw == "2024-03-01 09:00:00.000000"


class TestJsonLists:
    """JSONList: a tuple in, a list out, None as SQL NULL."""

    def test_none_is_sql_null_and_a_tuple_is_a_list(self, engine: Engine) -> None:
        """An empty list and no list at all stay different."""
        with engine.begin() as connection:
            connection.execute(insert(PolicyRow).values(id="p", name="P", repeat=0))
            connection.execute(
                insert(PolicyStepRow).values(delay_seconds=0),
                [
                    {"policy_id": "p", "position": 0, "channels": None},
                    {"policy_id": "p", "position": 1, "channels": ("sms", "email")},
                    {"policy_id": "p", "position": 2, "channels": []},
                ],
            )

        with engine.connect() as connection:
            channels = connection.scalars(
                select(PolicyStepRow.channels).order_by(PolicyStepRow.position)
            ).all()
            nulls = connection.scalar(
                text("SELECT COUNT(*) FROM policy_steps WHERE channels IS NULL")
            )

        assert channels == [None, ["sms", "email"], []]
        assert nulls == 1

    def test_a_string_is_not_a_list(self, engine: Engine) -> None:
        """A string is a sequence, but storing "sms" as a channel list is a bug."""
        with engine.begin() as connection:
            connection.execute(insert(PolicyRow).values(id="p", name="P", repeat=0))
        step = insert(PolicyStepRow).values(
            policy_id="p", position=0, delay_seconds=0, channels="sms"
        )

        with engine.begin() as connection, pytest.raises(StatementError) as refused:
            connection.execute(step)

        assert isinstance(refused.value.orig, TypeError)


def test_nothing_connects_before_the_engine_is_used(tmp_path: Path) -> None:
    """Building an engine creates no file: connecting is the host's choice."""
    path = tmp_path / "later.db"

    engine = create_engine(f"sqlite:///{path}")

    assert not path.exists()
    engine.dispose()
