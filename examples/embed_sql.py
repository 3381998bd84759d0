"""Embedding oncall with its SQL adapter: the database keeps everything.

The host stores its people, schedules and policies with ``SqlRepository``,
triggers incidents through ``SqlEscalationStore``, and runs the worker,
which claims what is due, advances it through the core, and sends through a
``Dispatcher`` of senders. Here the database is a temporary SQLite file, the
sender writes to the console, and the clock is simulated, so the whole
escalation takes a fraction of a second. Point ``create_engine`` at
``postgresql://...`` and run ``run_worker`` without ``once`` for the real
thing.

Run it: ``python examples/embed_sql.py``
"""

from __future__ import annotations

import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from oncall_adapters.console import ConsoleSender
from oncall_adapters.dispatch import Dispatcher
from oncall_adapters.sql import SqlDirectory, SqlRepository, create_engine, upgrade
from oncall_adapters.sql.store import SqlEscalationStore
from oncall_adapters.sql.worker import run_worker
from oncall_core import (
    Channel,
    Contact,
    EscalationPolicy,
    EscalationStep,
    Incident,
    Layer,
    Preferences,
    Schedule,
    ScheduleTarget,
    Service,
    Team,
    TeamTarget,
    User,
)


class SimulatedClock:
    """A clock the host moves: the worker asks it what time it is."""

    def __init__(self, start: datetime) -> None:
        self.at = start

    def now(self) -> datetime:
        return self.at


def set_up(repository: SqlRepository) -> None:
    """Store who can be paged, who is on call, and how incidents escalate."""
    start = datetime(2024, 3, 4, 9, tzinfo=UTC)
    for user_id, number in (("ana", 1), ("ben", 2), ("chi", 3)):
        repository.save_user(
            User(
                user_id,
                name=user_id.title(),
                time_zone="Europe/London",
                contact=Contact(
                    email=f"{user_id}@example.com", phone=f"+1201555000{number}"
                ),
                preferences=Preferences(enabled={Channel.SMS, Channel.EMAIL}),
            )
        )
    repository.save_team(Team("platform-team", ["ana", "ben", "chi"], lead="ben"))
    repository.save_schedule(
        "platform",
        Schedule(
            "Platform",
            "Europe/London",
            [Layer("weekly", ["ana", "ben", "chi"], start, timedelta(days=7))],
        ),
    )
    repository.save_policy(
        "standard",
        EscalationPolicy(
            "standard",
            [
                EscalationStep([ScheduleTarget("platform")]),
                EscalationStep(
                    [TeamTarget("platform-team", lead_only=True)],
                    delay=timedelta(minutes=10),
                    channels=[Channel.SMS],
                ),
            ],
        ),
    )
    repository.save_service(Service("checkout", name="Checkout", policy="standard"))


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        # 1. An engine, and the tables (upgrade migrates an existing database).
        engine = create_engine(f"sqlite:///{Path(folder) / 'oncall.db'}")
        upgrade(engine)
        repository = SqlRepository(engine)
        set_up(repository)

        # 2. A trigger: stored with its escalation; the worker does the rest.
        store = SqlEscalationStore(engine)
        clock = SimulatedClock(datetime(2024, 3, 5, 14, tzinfo=UTC))
        service = repository.service("checkout")
        policy = repository.policy("standard")
        assert service is not None
        assert policy is not None
        incident = Incident(
            "INC-1", "Checkout answers 500", clock.now(), service="checkout"
        )
        store.trigger(incident, policy, service=service)

        # 3. The worker: here one cycle at a time, on the simulated clock.
        directory = SqlDirectory(engine)
        with Dispatcher([ConsoleSender(sys.stdout, clock=clock)]) as dispatcher:
            for minutes in (0, 10):
                clock.at = incident.triggered_at + timedelta(minutes=minutes)
                print(f"-- worker at {clock.now():%H:%M}")
                run_worker(store, directory, dispatcher, clock=clock, once=True)

        # 4. Someone answers (the web app does this for an SMS reply).
        clock.at += timedelta(minutes=2)
        store.acknowledge("INC-1", clock.now(), by="ben")

        print("-- notifications")
        for notification in store.notifications("INC-1"):
            print(f"{notification.key} {notification.status.value}")
        print("-- events")
        for event in store.events("INC-1"):
            who = f" {event.user}" if event.user else ""
            print(f"{event.at:%H:%M} {event.kind.value}{who}")
        engine.dispose()


if __name__ == "__main__":
    main()
