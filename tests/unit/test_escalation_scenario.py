"""A worked escalation, step by step, with the clock in the test's hands.

The set-up, in plain sight:

- Schedule ``platform`` in Europe/Berlin has two layers: ``day`` (ana, ben;
  07:00-19:00) and ``night`` (chi, dev; 18:00-06:00). They overlap from 18:00
  to 19:00, and nobody is on call from 06:00 to 07:00.
- Team ``platform-team`` is ana, ben, chi, dev and its lead eve.
- Policy ``standard``: page the schedule now; the team lead 10 minutes later,
  by SMS only; the whole team 10 minutes after that (20 minutes after the
  trigger); then run it all once more.

Every user has email and push enabled; eve also has a phone.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from oncall_core import (
    Channel,
    Contact,
    Escalation,
    EscalationPolicy,
    EscalationStatus,
    EscalationStep,
    EventKind,
    Incident,
    InMemoryDirectory,
    Layer,
    Preferences,
    Progress,
    Restriction,
    Schedule,
    ScheduleTarget,
    Team,
    TeamTarget,
    Urgency,
    User,
)

MINUTE = timedelta(minutes=1)
WHOLE_TEAM = {"ana", "ben", "chi", "dev", "eve"}
ZONE = "Europe/Berlin"
# 2024-06-03 is a Monday; Berlin is at +02:00 (CEST) in June.
DAY_ONE = datetime(2024, 6, 3, tzinfo=UTC)


def berlin(hour: int, minute: int = 0, *, day: int = 0) -> datetime:
    """The UTC instant of *hour*:*minute* in Berlin on June (3 + day), 2024."""
    return DAY_ONE + timedelta(days=day, hours=hour - 2, minutes=minute)


def directory() -> InMemoryDirectory:
    schedule = Schedule(
        "platform",
        ZONE,
        [
            Layer(
                "day",
                ["ana", "ben"],
                berlin(7),
                timedelta(days=1),
                restrictions=[Restriction.daily(time(7), time(19))],
            ),
            Layer(
                "night",
                ["chi", "dev"],
                berlin(18),
                timedelta(days=1),
                restrictions=[Restriction.daily(time(18), time(6))],
            ),
        ],
    )
    people = [
        User(
            name,
            contact=Contact(email=f"{name}@example.com", push_tokens=(f"tok-{name}",)),
            preferences=Preferences(enabled={Channel.EMAIL, Channel.PUSH}),
        )
        for name in ("ana", "ben", "chi", "dev")
    ]
    eve = User(
        "eve",
        contact=Contact(
            email="eve@example.com", phone="+4915112345678", push_tokens=("tok-eve",)
        ),
        preferences=Preferences(enabled={Channel.EMAIL, Channel.PUSH}),
    )
    team = Team("platform-team", ("ana", "ben", "chi", "dev", "eve"), lead="eve")
    return InMemoryDirectory([*people, eve], [team], {"platform": schedule})


POLICY = EscalationPolicy(
    "standard",
    [
        EscalationStep([ScheduleTarget("platform")]),
        EscalationStep(
            [TeamTarget("platform-team", lead_only=True)],
            delay=10 * MINUTE,
            channels=[Channel.SMS],
        ),
        EscalationStep([TeamTarget("platform-team")], delay=10 * MINUTE),
    ],
    repeat=1,
)


def sent(progress: Progress) -> set[tuple[str, Channel]]:
    """Who is sent what, by a transition."""
    return {(n.user, n.channel) for n in progress.notifications}


def kinds(progress: Progress) -> list[EventKind]:
    return [event.kind for event in progress.events]


class TestAnIncidentInTheOverlapHour:
    """Triggered at 18:30 on day one: both layers are on call."""

    def test_the_escalation_runs_step_by_step_until_acknowledged(self) -> None:
        """Schedule, lead by SMS, whole team, a second pass; an ack stops it."""
        people = directory()
        trigger = berlin(18, 30)
        incident = Incident("INC-1", "Checkout is down", trigger)

        started = Escalation.start(incident, POLICY)
        assert kinds(started) == [EventKind.TRIGGERED]
        assert started.next_due == trigger

        # 18:30: step 0 pages the schedule: ana (day) and chi (night).
        first = started.escalation.advance(trigger, people)
        assert sent(first) == {
            ("ana", Channel.PUSH),
            ("ana", Channel.EMAIL),
            ("chi", Channel.PUSH),
            ("chi", Channel.EMAIL),
        }
        assert kinds(first) == [EventKind.STEP_FIRED]
        assert first.next_due == trigger + 10 * MINUTE

        # 18:39: nothing is due yet.
        early = first.escalation.advance(trigger + 9 * MINUTE, people)
        assert early.notifications == ()
        assert early.events == ()

        # 18:40: step 1 pages the lead, eve, by SMS only (the step's channel).
        second = early.escalation.advance(trigger + 10 * MINUTE, people)
        assert sent(second) == {("eve", Channel.SMS)}
        assert second.next_due == trigger + 20 * MINUTE

        # 18:50: step 2 pages the whole team.
        third = second.escalation.advance(trigger + 20 * MINUTE, people)
        assert {user for user, _ in sent(third)} == WHOLE_TEAM
        assert kinds(third) == [EventKind.STEP_FIRED, EventKind.PASS_STARTED]
        # The second pass waits as long as the longest step delay.
        assert third.next_due == trigger + 30 * MINUTE

        # 19:00: pass 1, step 0: the day layer has ended, only chi is on call.
        again = third.escalation.advance(trigger + 30 * MINUTE, people)
        assert sent(again) == {("chi", Channel.PUSH), ("chi", Channel.EMAIL)}
        assert {n.key.pass_ for n in again.notifications} == {1}

        # 19:05: chi acknowledges; nothing fires any more.
        acked = again.escalation.acknowledge(trigger + 35 * MINUTE, by="chi")
        assert acked.escalation.status is EscalationStatus.ACKNOWLEDGED
        assert acked.events[0].user == "chi"
        assert acked.next_due is None
        later = acked.escalation.advance(trigger + 3 * 60 * MINUTE, people)
        assert later.notifications == ()
        assert later.events == ()


class TestAnIncidentInTheGap:
    """Triggered at 06:30 on day two: nobody is on call, so step 0 is skipped."""

    def test_a_gap_skips_the_step_at_once_and_a_snooze_resumes(self) -> None:
        """The lead is paged at once; a snooze holds the team step to its end."""
        people = directory()
        trigger = berlin(6, 30, day=1)
        incident = Incident("INC-2", "Disk filling up", trigger, urgency=Urgency.HIGH)

        first = Escalation.start(incident, POLICY).escalation.advance(trigger, people)

        assert kinds(first) == [
            EventKind.TARGET_UNREACHED,
            EventKind.STEP_SKIPPED,
            EventKind.STEP_FIRED,
        ]
        unreached = first.events[0]
        assert unreached.target == "schedule platform"
        assert unreached.reason == "no one on call"
        # The lead step fired without waiting its 10 minutes.
        assert sent(first) == {("eve", Channel.SMS)}
        assert {n.key.step for n in first.notifications} == {1}
        assert first.next_due == trigger + 10 * MINUTE

        # 06:35: eve snoozes until 07:15.
        snoozed = first.escalation.snooze(
            trigger + 45 * MINUTE, trigger + 5 * MINUTE, by="eve"
        )
        assert snoozed.escalation.status is EscalationStatus.SNOOZED
        assert snoozed.next_due == trigger + 45 * MINUTE

        # 06:40, when the team step was due: nothing fires.
        held = snoozed.escalation.advance(trigger + 10 * MINUTE, people)
        assert held.notifications == ()
        assert held.events == ()

        # 07:15: the escalation resumes at the step it was on: the whole team.
        resumed = held.escalation.advance(trigger + 45 * MINUTE, people)
        assert kinds(resumed)[:2] == [EventKind.RESUMED, EventKind.STEP_FIRED]
        assert {user for user, _ in sent(resumed)} == WHOLE_TEAM
        assert {n.key.step for n in resumed.notifications} == {2}
        assert resumed.events[0].at == trigger + 45 * MINUTE

    def test_a_policy_that_reaches_nobody_says_so_once_per_pass(self) -> None:
        """With only the schedule step, a gap makes each pass unreachable."""
        people = directory()
        trigger = berlin(6, 15, day=1)
        only_schedule = EscalationPolicy(
            "schedule only",
            [EscalationStep([ScheduleTarget("platform")])],
            repeat=1,
            repeat_after=10 * MINUTE,
        )
        incident = Incident("INC-3", "Queue stalled", trigger)

        first = Escalation.start(incident, only_schedule).escalation.advance(
            trigger, people
        )
        second = first.escalation.advance(trigger + 10 * MINUTE, people)

        assert kinds(first).count(EventKind.UNREACHABLE) == 1
        assert kinds(second).count(EventKind.UNREACHABLE) == 1
        assert second.escalation.status is EscalationStatus.EXHAUSTED
        assert kinds(second)[-1] is EventKind.EXHAUSTED
        with pytest.raises(ValueError, match="exhausted"):
            second.escalation.snooze(trigger + 60 * MINUTE, trigger + 11 * MINUTE)
