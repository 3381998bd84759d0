"""A small world of core values for the storage tests, and drawn teams and services.

``oncall_core.strategies`` draws users, schedules and policies; teams and
services are drawn here, over the same pool of user ids.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from hypothesis import strategies as st

from oncall_adapters.sql import SqlRepository
from oncall_core import (
    Channel,
    Contact,
    EscalationPolicy,
    EscalationStep,
    Layer,
    Override,
    Preferences,
    QuietHours,
    Restriction,
    Schedule,
    ScheduleTarget,
    Service,
    Team,
    TeamTarget,
    User,
    UserTarget,
)
from oncall_core import strategies as core

START = datetime(2024, 3, 4, 9, tzinfo=UTC)  # a Monday
POOL = ("ana", "ben", "chi", "dev", "eli")

ANA = User(
    "ana",
    name="Ana",
    time_zone="Europe/Berlin",
    contact=Contact(email="ana@example.com", phone="+4915112345678"),
    preferences=Preferences(
        enabled=[Channel.SMS, Channel.EMAIL],
        priority=[Channel.SMS, Channel.EMAIL],
        quiet_hours=QuietHours(time(22), time(7), weekdays=[0, 1, 2, 3, 4]),
    ),
)
BEN = User("ben", name="Ben", contact=Contact(email="ben@example.org"))
OPS = Team("ops", members=("ana", "ben"), lead="ana", name="Operations")
PLATFORM = Schedule(
    "Platform",
    "Europe/Berlin",
    [
        Layer(
            "day",
            ["ana", "ben"],
            START,
            timedelta(days=1),
            shift=timedelta(hours=8),
            restrictions=[
                Restriction.daily(time(9), time(17), weekdays=[0, 1, 2, 3, 4])
            ],
        ),
        Layer(
            "weekend",
            ["ben"],
            START,
            timedelta(days=7),
            restrictions=[Restriction.weekly(4, time(18), 0, time(9))],
            priority=1,
        ),
    ],
    overrides=[Override.replace("ben", "ana", START, START + timedelta(hours=4))],
)
STANDARD = EscalationPolicy(
    "Standard",
    [
        EscalationStep([ScheduleTarget("platform"), UserTarget("ana")]),
        EscalationStep(
            [TeamTarget("ops", lead_only=True)],
            delay=timedelta(minutes=10),
            channels=[Channel.SMS],
        ),
    ],
    repeat=1,
)
API = Service("api", name="API", channels=[Channel.SLACK], policy="standard")


def save_world(repository: SqlRepository) -> None:
    """Save the sample users, team, schedule, policy and service."""
    repository.save_user(ANA)
    repository.save_user(BEN)
    repository.save_team(OPS)
    repository.save_schedule("platform", PLATFORM)
    repository.save_policy("standard", STANDARD)
    repository.save_service(API)


def teams() -> st.SearchStrategy[Team]:
    """Draw a team of distinct members from :data:`POOL`, maybe with a lead."""
    return core.teams(members=POOL)


def services(policies: tuple[str, ...] = ("standard",)) -> st.SearchStrategy[Service]:
    """Draw services with a channel list (maybe empty), a policy or none, an urgency."""
    return core.services(policies=policies)
