"""Invariants of escalations under drawn policies and drawn human actions."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from oncall_core import (
    Channel,
    Contact,
    Escalation,
    EscalationEvent,
    EscalationPolicy,
    EventKind,
    Incident,
    InMemoryDirectory,
    InvalidTransition,
    Layer,
    Notification,
    Preferences,
    Restriction,
    Schedule,
    ScheduleTarget,
    Team,
    TeamTarget,
    User,
    UserTarget,
)
from oncall_core import strategies as ost

T0 = datetime(2024, 6, 3, 8, tzinfo=UTC)

REACHABLE = ("ana", "ben", "chi", "dev", "eve")
USERS = (*REACHABLE, "off", "mute")  # off: disabled; mute: no channel reaches
TEAMS = ("all", "empty", "leaderless", "dead")
SCHEDULES = ("always", "office", "never")


def world() -> InMemoryDirectory:
    people = [
        User(name, contact=Contact(email=f"{name}@example.com")) for name in REACHABLE
    ]
    people.append(User("off", contact=Contact(email="off@example.com"), active=False))
    people.append(User("mute", preferences=Preferences(enabled={Channel.SMS})))
    start = T0 - timedelta(days=3)
    schedules = {
        "always": Schedule(
            "always",
            "Europe/Berlin",
            [
                Layer("a", ["ana", "ben"], start, timedelta(hours=8)),
                Layer("b", ["chi", "off"], start, timedelta(hours=12)),
            ],
        ),
        "office": Schedule(
            "office",
            "Europe/Berlin",
            [
                Layer(
                    "office",
                    ["dev", "eve", "mute"],
                    start,
                    timedelta(days=1),
                    restrictions=[Restriction.daily(time(9), time(10))],
                )
            ],
        ),
        "never": Schedule(
            "never",
            "Etc/UTC",
            [Layer("later", ["ana"], T0 + timedelta(days=400), timedelta(days=1))],
        ),
    }
    teams = [
        Team("all", REACHABLE, lead="ana"),
        Team("empty"),
        Team("leaderless", ("ben", "chi")),
        Team("dead", ("off", "mute")),
    ]
    return InMemoryDirectory(people, teams, schedules)


# Targets that can never reach anyone, whatever the time.
DEAD_ENDS = st.sampled_from(
    (
        UserTarget("off"),
        UserTarget("mute"),
        UserTarget("ghost"),
        TeamTarget("empty"),
        TeamTarget("dead"),
        TeamTarget("leaderless", lead_only=True),
        TeamTarget("ghost"),
        ScheduleTarget("never"),
        ScheduleTarget("ghost"),
    )
)
ANY_TARGET = ost.escalation_targets(
    users=(*USERS, "ghost"),
    teams=(*TEAMS, "ghost"),
    schedules=(*SCHEDULES, "ghost"),
)

Action = tuple[str, int]  # (what, minutes after the previous action)
ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(
            (
                "advance",
                "advance",
                "advance",
                "acknowledge",
                "resolve",
                "snooze",
                "escalate",
            )
        ),
        st.integers(0, 40),
    ),
    max_size=25,
)


def run(
    policy: EscalationPolicy, actions: list[Action]
) -> tuple[list[tuple[datetime, str, list[Notification]]], list[EscalationEvent]]:
    """Drive an escalation; return (when, action, notifications) and all events."""
    directory = world()
    started = Escalation.start(Incident("INC", "Down", T0), policy)
    escalation, events = started.escalation, list(started.events)
    sent: list[tuple[datetime, str, list[Notification]]] = []
    now = T0
    for action, minutes in actions:
        now += timedelta(minutes=minutes)
        try:
            if action == "advance":
                progress = escalation.advance(now, directory)
            elif action == "acknowledge":
                progress = escalation.acknowledge(now)
            elif action == "resolve":
                progress = escalation.resolve(now)
            elif action == "snooze":
                progress = escalation.snooze(now + timedelta(minutes=15), now)
            else:
                progress = escalation.escalate_now(now, directory)
        except InvalidTransition:
            continue
        escalation = progress.escalation
        events.extend(progress.events)
        sent.append((now, action, list(progress.notifications)))
    return sent, events


class TestNobodyIsPagedTwice:
    """A user hears once per step and pass on each channel."""

    @given(ost.escalation_policies(ANY_TARGET), ACTIONS)
    def test_notification_keys_are_unique_over_a_whole_escalation(
        self, policy: EscalationPolicy, actions: list[Action]
    ) -> None:
        """No (incident, step, pass, user, channel) is produced twice."""
        sent, _ = run(policy, actions)

        keys = [str(n.key) for _, _, batch in sent for n in batch]

        assert len(keys) == len(set(keys))
        per_step = Counter(
            (n.key.step, n.key.pass_, n.user, n.channel)
            for _, _, batch in sent
            for n in batch
        )
        assert set(per_step.values()) <= {1}


class TestTiming:
    """No step fires before its delay."""

    @given(
        ost.escalation_policies(ANY_TARGET),
        st.lists(st.integers(0, 40), max_size=25),
    )
    def test_each_step_fires_no_sooner_than_its_delay_after_the_previous(
        self, policy: EscalationPolicy, gaps: list[int]
    ) -> None:
        """Advancing alone, step k fires >= delay(k) after step k-1 reached someone."""
        _, events = run(policy, [("advance", gap) for gap in gaps])

        fired = [
            e
            for e in events
            if e.kind in (EventKind.STEP_FIRED, EventKind.STEP_SKIPPED)
        ]
        previous: EscalationEvent | None = None
        for event in fired:
            assert event.step is not None
            delay = policy.steps[event.step].delay
            if previous is None:
                assert event.at >= T0 + delay
            elif event.step > 0 and previous.kind is EventKind.STEP_FIRED:
                assert event.at >= previous.at + delay
            elif event.step == 0:
                assert event.at >= previous.at + policy.wait_before_repeat
            else:
                assert event.at >= previous.at
            previous = event


class TestStopping:
    """Acknowledged and resolved escalations fire nothing."""

    @given(ost.escalation_policies(ANY_TARGET), ACTIONS)
    def test_nothing_is_sent_after_resolve_or_after_acknowledge_until_rearmed(
        self, policy: EscalationPolicy, actions: list[Action]
    ) -> None:
        """After acknowledge only a snooze or escalate_now pages again."""
        sent, _ = run(policy, actions)

        stopped = None
        for _, action, batch in sent:
            if stopped == "resolve" or (
                stopped == "acknowledge" and action == "advance"
            ):
                assert batch == []
            if action in ("acknowledge", "resolve") and stopped != "resolve":
                stopped = action
            elif action in ("snooze", "escalate") and stopped == "acknowledge":
                stopped = None


class TestUnreachable:
    """A pass that reaches nobody says so, once."""

    @given(
        ost.escalation_policies(DEAD_ENDS), st.lists(st.integers(0, 90), max_size=30)
    )
    def test_every_pass_of_a_policy_that_reaches_nobody_ends_in_one_unreachable(
        self, policy: EscalationPolicy, gaps: list[int]
    ) -> None:
        """One unreachable event per completed pass, and never a page."""
        sent, events = run(policy, [("advance", gap) for gap in gaps])

        assert all(batch == [] for _, _, batch in sent)
        unreachable = Counter(
            e.pass_ for e in events if e.kind is EventKind.UNREACHABLE
        )
        completed = {
            e.pass_
            for e in events
            if e.kind in (EventKind.STEP_SKIPPED,) and e.step == len(policy.steps) - 1
        }
        assert unreachable == Counter(dict.fromkeys(completed, 1))

    @given(
        ost.escalation_policies(ANY_TARGET), st.lists(st.integers(0, 90), max_size=30)
    )
    def test_unreachable_is_said_only_of_passes_that_paged_nobody(
        self, policy: EscalationPolicy, gaps: list[int]
    ) -> None:
        """A pass with a fired step never ends in unreachable."""
        _, events = run(policy, [("advance", gap) for gap in gaps])

        paged = {e.pass_ for e in events if e.kind is EventKind.STEP_FIRED}
        unreachable = [e.pass_ for e in events if e.kind is EventKind.UNREACHABLE]
        assert len(unreachable) == len(set(unreachable))
        assert not paged & set(unreachable)
