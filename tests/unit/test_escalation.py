"""Targets, policies, step resolution and the escalation's transitions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from oncall_core import (
    Channel,
    Contact,
    Coverage,
    Escalation,
    EscalationPolicy,
    EscalationStatus,
    EscalationStep,
    EventKind,
    Incident,
    InMemoryDirectory,
    InvalidPolicy,
    InvalidTransition,
    Layer,
    Override,
    Preferences,
    Schedule,
    ScheduleTarget,
    Service,
    Team,
    TeamTarget,
    UnreachedReason,
    User,
    UserTarget,
    resolve_step,
)

T0 = datetime(2024, 6, 3, 12, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def person(name: str, *, team_pages: bool = True, active: bool = True) -> User:
    return User(
        name,
        contact=Contact(email=f"{name}@example.com"),
        preferences=Preferences(enabled={Channel.EMAIL}, team_pages=team_pages),
        active=active,
    )


def world() -> InMemoryDirectory:
    """ana, ben (opted out of team pages), cat (disabled); two schedules."""
    both = Schedule(
        "both",
        "Etc/UTC",
        [
            Layer("primary", ["ana"], T0 - timedelta(days=1), timedelta(days=1)),
            Layer("shadow", ["ben"], T0 - timedelta(days=1), timedelta(days=1)),
        ],
    )
    empty = Schedule(
        "empty",
        "Etc/UTC",
        [Layer("later", ["ana"], T0 + timedelta(days=30), timedelta(days=1))],
    )
    return InMemoryDirectory(
        [
            person("ana"),
            person("ben", team_pages=False),
            person("cat", active=False),
        ],
        [
            Team("ops", ("ana", "ben", "cat"), lead="ana"),
            Team("leaderless", ("ana",)),
            Team("nobody"),
            Team("gone", ("cat", "zed")),
        ],
        {"both": both, "empty": empty},
    )


def resolve(*targets: object) -> tuple[set[str], dict[str, UnreachedReason]]:
    step = EscalationStep(targets)  # type: ignore[arg-type]
    resolution = resolve_step(step, world(), T0)
    users = {r.user.id for r in resolution.recipients}
    reasons = {str(u.target): u.reason for u in resolution.unreached}
    return users, reasons


class TestResolveStep:
    """Targets become users, each once, or a reason."""

    def test_a_schedule_target_pages_everyone_on_call_in_every_layer(self) -> None:
        """ALL_LAYERS: both layers' people, not just the first found."""
        assert resolve(ScheduleTarget("both")) == ({"ana", "ben"}, {})

    def test_a_top_layer_schedule_pages_only_its_top_layer(self) -> None:
        """The schedule's coverage mode decides who is on call."""
        directory = world()
        both = directory.schedules["both"]
        directory.schedules["both"] = Schedule(
            both.name, both.time_zone, both.layers, coverage=Coverage.TOP_LAYER
        )
        step = EscalationStep([ScheduleTarget("both")])

        resolution = resolve_step(step, directory, T0)

        assert [r.user.id for r in resolution.recipients] == ["ana"]

    def test_a_user_reached_by_several_targets_is_paged_once(self) -> None:
        """ana through herself, the team and the schedule: one recipient, three ways."""
        step = EscalationStep(
            [UserTarget("ana"), TeamTarget("ops"), ScheduleTarget("both")]
        )

        resolution = resolve_step(step, world(), T0)

        ana = [r for r in resolution.recipients if r.user.id == "ana"]
        assert len(ana) == 1
        assert ana[0].targets == step.targets

    def test_opting_out_of_team_pages_silences_only_team_pages(self) -> None:
        """ben is skipped by the team, but reached directly and by the schedule."""
        team_step = EscalationStep([TeamTarget("ops")])
        resolution = resolve_step(team_step, world(), T0)

        assert {r.user.id for r in resolution.recipients} == {"ana"}
        assert {(s.user_id, s.reason) for s in resolution.skipped} == {
            ("ben", UnreachedReason.OPTED_OUT),
            ("cat", UnreachedReason.USER_DISABLED),
        }
        assert resolve(UserTarget("ben"))[0] == {"ben"}
        assert "ben" in resolve(ScheduleTarget("both"))[0]

    def test_a_lead_only_target_pages_the_lead(self) -> None:
        """lead_only reaches the lead alone."""
        assert resolve(TeamTarget("ops", lead_only=True)) == ({"ana"}, {})

    @pytest.mark.parametrize(
        ("target", "reason"),
        [
            (UserTarget("zed"), UnreachedReason.UNKNOWN_ID),
            (UserTarget("cat"), UnreachedReason.USER_DISABLED),
            (TeamTarget("nope"), UnreachedReason.UNKNOWN_ID),
            (TeamTarget("nobody"), UnreachedReason.EMPTY_TEAM),
            (TeamTarget("leaderless", lead_only=True), UnreachedReason.LEAD_NOT_SET),
            (TeamTarget("gone"), UnreachedReason.USER_DISABLED),
            (ScheduleTarget("nope"), UnreachedReason.UNKNOWN_ID),
            (ScheduleTarget("empty"), UnreachedReason.NO_ONE_ON_CALL),
        ],
    )
    def test_a_target_that_reaches_nobody_says_why(
        self, target: object, reason: UnreachedReason
    ) -> None:
        """Each kind of dead end has its own reason."""
        users, reasons = resolve(target)

        assert users == set()
        assert reasons == {str(target): reason}

    def test_a_schedule_whose_people_are_removed_reaches_nobody(self) -> None:
        """Overrides count: a removed person is not paged."""
        directory = world()
        both = directory.schedules["both"]
        directory.schedules["both"] = Schedule(
            both.name,
            both.time_zone,
            both.layers,
            overrides=[
                Override.remove("ana", T0 - MINUTE, T0 + MINUTE),
                Override.remove("ben", T0 - MINUTE, T0 + MINUTE),
            ],
        )

        resolution = resolve_step(
            EscalationStep([ScheduleTarget("both")]), directory, T0
        )

        assert resolution.reached_anyone is False
        assert resolution.unreached[0].reason is UnreachedReason.NO_ONE_ON_CALL


class TestPolicies:
    """Policies and steps check what they are given."""

    @pytest.mark.parametrize("repeat", [-1, 10, 1.5, True])
    def test_repeat_must_be_zero_to_nine(self, repeat: object) -> None:
        """The message names the bad value."""
        with pytest.raises(InvalidPolicy, match=repr(repeat)):
            EscalationPolicy("p", [EscalationStep([UserTarget("ana")])], repeat=repeat)  # type: ignore[arg-type]

    def test_a_policy_needs_steps_and_a_step_needs_targets(self) -> None:
        """Empty lists are refused."""
        with pytest.raises(InvalidPolicy, match="at least one step"):
            EscalationPolicy("p", [])
        with pytest.raises(InvalidPolicy, match="at least one target"):
            EscalationStep([])

    def test_a_negative_delay_is_refused(self) -> None:
        """Delays count forward."""
        with pytest.raises(InvalidPolicy, match="-60 s"):
            EscalationStep([UserTarget("ana")], delay=-MINUTE)

    def test_channels_are_read_by_name_and_an_empty_list_means_none(self) -> None:
        """'sms' names Channel.SMS; [] leaves the choice to the service and users."""
        step = EscalationStep([UserTarget("ana")], channels=["sms", Channel.EMAIL])

        assert step.channels == (Channel.SMS, Channel.EMAIL)
        assert EscalationStep([UserTarget("ana")], channels=[]).channels is None

    def test_a_repeated_pass_waits_the_longest_delay_by_default(self) -> None:
        """Or repeat_after, when given, or five minutes if every delay is zero."""
        steps = [
            EscalationStep([UserTarget("ana")]),
            EscalationStep([UserTarget("ben")], delay=7 * MINUTE),
        ]
        assert EscalationPolicy("p", steps).wait_before_repeat == 7 * MINUTE
        assert (
            EscalationPolicy("p", steps, repeat_after=MINUTE).wait_before_repeat
            == MINUTE
        )
        only_now = [EscalationStep([UserTarget("ana")])]
        assert EscalationPolicy("p", only_now).wait_before_repeat == 5 * MINUTE


POLICY = EscalationPolicy(
    "two steps",
    [
        EscalationStep([UserTarget("ana")]),
        EscalationStep([UserTarget("ben")], delay=10 * MINUTE),
    ],
)


def started(policy: EscalationPolicy = POLICY, **options: object) -> Escalation:
    incident = Incident("INC-9", "Latency", T0)
    return Escalation.start(incident, policy, **options).escalation  # type: ignore[arg-type]


class TestTransitions:
    """What people do to an escalation, and what it refuses."""

    def test_nothing_fires_before_the_first_steps_delay(self) -> None:
        """A first step with a delay waits for it from the trigger."""
        delayed = EscalationPolicy(
            "later", [EscalationStep([UserTarget("ana")], delay=5 * MINUTE)]
        )
        escalation = started(delayed)

        assert escalation.advance(T0 + 4 * MINUTE, world()).notifications == ()
        assert escalation.advance(T0 + 5 * MINUTE, world()).notifications != ()

    def test_a_late_worker_fires_what_is_due_and_the_next_step_waits_its_delay(
        self,
    ) -> None:
        """Asked an hour late, step 0 fires now and step 1 is due ten minutes on."""
        progress = started().advance(T0 + 60 * MINUTE, world())

        assert [n.user for n in progress.notifications] == ["ana"]
        assert progress.next_due == T0 + 70 * MINUTE

    def test_escalate_now_fires_the_next_step_at_once(self) -> None:
        """ben is paged without waiting the 10 minutes."""
        first = started().advance(T0, world())

        jumped = first.escalation.escalate_now(T0 + MINUTE, world(), by="ana")

        assert [n.user for n in jumped.notifications] == ["ben"]
        assert jumped.events[0].kind is EventKind.ESCALATED
        assert jumped.escalation.status is EscalationStatus.EXHAUSTED

    def test_acknowledging_twice_is_a_no_op(self) -> None:
        """A duplicate ACK reply changes nothing and says nothing."""
        acked = started().acknowledge(T0, by="ana").escalation

        again = acked.acknowledge(T0 + MINUTE, by="ana")

        assert again.escalation == acked
        assert again.events == ()

    def test_a_resolved_escalation_refuses_acknowledge_snooze_and_escalate(
        self,
    ) -> None:
        """Each refusal names the incident and its state."""
        resolved = started().resolve(T0).escalation

        with pytest.raises(InvalidTransition, match=r"'INC-9'.*resolved"):
            resolved.acknowledge(T0)
        with pytest.raises(InvalidTransition, match="resolved"):
            resolved.snooze(T0 + MINUTE, T0)
        with pytest.raises(InvalidTransition, match="resolved"):
            resolved.escalate_now(T0, world())
        assert resolved.resolve(T0).events == ()

    def test_a_snooze_must_end_after_it_starts(self) -> None:
        """until <= at is refused."""
        with pytest.raises(InvalidTransition, match="must be after"):
            started().snooze(T0, T0)

    def test_snoozing_an_acknowledged_escalation_rearms_it(self) -> None:
        """At the snooze's end the step that was next fires."""
        first = started().advance(T0, world())
        acked = first.escalation.acknowledge(T0 + MINUTE).escalation

        snoozed = acked.snooze(T0 + 30 * MINUTE, T0 + 2 * MINUTE).escalation
        resumed = snoozed.advance(T0 + 30 * MINUTE, world())

        assert [n.user for n in resumed.notifications] == ["ben"]

    def test_the_policy_is_kept_as_it_was_at_the_trigger(self) -> None:
        """The escalation holds its own copy of the policy and service."""
        service = Service("checkout", channels=[Channel.EMAIL])
        escalation = started(service=service)

        assert escalation.policy is POLICY
        assert escalation.service == service

    def test_a_user_no_channel_reaches_is_an_event_not_a_page(self) -> None:
        """A step whose only user has no reachable channel is skipped at once."""
        directory = world()
        directory.users["ana"] = User("ana", preferences=Preferences(enabled={"sms"}))

        progress = started().advance(T0, directory)

        # ana's step is skipped, so ben's fires at once.
        assert [(n.user, n.key.step) for n in progress.notifications] == [("ben", 1)]
        assert [e.kind for e in progress.events][:2] == [
            EventKind.USER_UNREACHABLE,
            EventKind.STEP_SKIPPED,
        ]
        assert progress.events[0].user == "ana"

    def test_an_exhausted_escalation_acknowledged_later_cannot_fire_again(
        self,
    ) -> None:
        """Found by a property: escalate_now after exhaustion and ack re-paged."""
        single = EscalationPolicy("one", [EscalationStep([UserTarget("ana")])])
        exhausted = started(single).advance(T0, world()).escalation
        acked = exhausted.acknowledge(T0).escalation

        with pytest.raises(InvalidTransition, match="exhausted"):
            acked.escalate_now(T0, world())
        with pytest.raises(InvalidTransition, match="exhausted"):
            acked.snooze(T0 + MINUTE, T0)
