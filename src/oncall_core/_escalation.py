"""Escalation: who is paged for an incident, step after step, until someone answers.

An :class:`EscalationPolicy` is a list of steps. :func:`resolve_step` turns
one step's targets into the people it reaches, with a reason for each target
that reaches nobody. An :class:`Escalation` is the state machine of one
incident: every transition returns a new value with what to send and what
happened, and the host decides when to call it again. Nothing here reads a
clock, sleeps or does I/O.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

import attrs

from oncall_core._directory import Channel, Directory, Service, User, _channels
from oncall_core._incidents import Incident
from oncall_core._notifications import Notification
from oncall_core._routing import DeliveryPlan, Strategy, plan_delivery
from oncall_core._time import require_aware
from oncall_core.errors import InvalidPolicy, InvalidTransition

__all__ = [
    "Escalation",
    "EscalationEvent",
    "EscalationPolicy",
    "EscalationStatus",
    "EscalationStep",
    "EventKind",
    "Progress",
    "Recipient",
    "ScheduleTarget",
    "SkippedUser",
    "StepResolution",
    "Target",
    "TeamTarget",
    "Unreached",
    "UnreachedReason",
    "UserTarget",
    "resolve_step",
]

MAX_REPEAT = 9
_DEFAULT_REPEAT_AFTER = timedelta(minutes=5)


def _identifier(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        msg = f"{what} must be a non-empty id string, got {value!r}"
        raise InvalidPolicy(msg)
    return value


@attrs.frozen
class UserTarget:
    """Page one user."""

    user_id: str

    def __attrs_post_init__(self) -> None:
        _identifier(self.user_id, "user target id")

    def __str__(self) -> str:
        return f"user {self.user_id}"


@attrs.frozen
class TeamTarget:
    """Page a team: every member (but those who opted out), or only its lead."""

    team_id: str
    lead_only: bool = attrs.field(default=False, kw_only=True)

    def __attrs_post_init__(self) -> None:
        _identifier(self.team_id, "team target id")

    def __str__(self) -> str:
        return f"{'lead of ' if self.lead_only else ''}team {self.team_id}"


@attrs.frozen
class ScheduleTarget:
    """Page everyone on call in a schedule when the step fires."""

    schedule_id: str

    def __attrs_post_init__(self) -> None:
        _identifier(self.schedule_id, "schedule target id")

    def __str__(self) -> str:
        return f"schedule {self.schedule_id}"


Target = UserTarget | TeamTarget | ScheduleTarget
_TARGET_TYPES = (UserTarget, TeamTarget, ScheduleTarget)


def _targets(value: Iterable[Target]) -> tuple[Target, ...]:
    if isinstance(value, _TARGET_TYPES):
        value = (value,)
    items = tuple(value)
    if not items:
        msg = (
            "a step needs at least one target (UserTarget, TeamTarget, ScheduleTarget)"
        )
        raise InvalidPolicy(msg)
    for item in items:
        if not isinstance(item, _TARGET_TYPES):
            msg = (
                "step targets must be UserTarget, TeamTarget or ScheduleTarget "
                f"values, got {item!r}"
            )
            raise InvalidPolicy(msg)
    return tuple(dict.fromkeys(items))


def _step_channels(
    value: Iterable[Channel | str] | None,
) -> tuple[Channel, ...] | None:
    if value is None:
        return None
    channels = _channels(value)
    return channels or None


@attrs.frozen
class EscalationStep:
    """One step of a policy: its targets, the wait before it, its channels.

    *delay* is counted from the previous step (from the trigger for the
    first). *channels*, when given, override the service's and the users'.
    """

    targets: tuple[Target, ...] = attrs.field(converter=_targets)
    delay: timedelta = attrs.field(default=timedelta(0), kw_only=True)
    channels: tuple[Channel, ...] | None = attrs.field(
        default=None, kw_only=True, converter=_step_channels
    )

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.delay, timedelta) or self.delay < timedelta(0):
            shown = (
                f"{self.delay.total_seconds():g} s"
                if isinstance(self.delay, timedelta)
                else repr(self.delay)
            )
            msg = f"step delay must be a timedelta of zero or more, got {shown}"
            raise InvalidPolicy(msg)


def _steps(value: Iterable[EscalationStep]) -> tuple[EscalationStep, ...]:
    items = tuple(value)
    if not items:
        msg = "an escalation policy needs at least one step"
        raise InvalidPolicy(msg)
    for item in items:
        if not isinstance(item, EscalationStep):
            msg = f"policy steps must be EscalationStep values, got {item!r}"
            raise InvalidPolicy(msg)
    return items


@attrs.frozen
class EscalationPolicy:
    """Ordered steps, run once and then *repeat* more times (0 to 9).

    A repeated pass starts *repeat_after* after the last step of the pass
    before it; by default, after the longest delay of the policy's steps
    (five minutes if every delay is zero), so the last people paged get as
    long to answer as anyone.
    """

    name: str
    steps: tuple[EscalationStep, ...] = attrs.field(converter=_steps)
    repeat: int = attrs.field(default=0, kw_only=True)
    repeat_after: timedelta | None = attrs.field(default=None, kw_only=True)

    def __attrs_post_init__(self) -> None:
        _identifier(self.name, "policy name")
        if (
            isinstance(self.repeat, bool)
            or not isinstance(self.repeat, int)
            or not 0 <= self.repeat <= MAX_REPEAT
        ):
            msg = (
                f"repeat must be a whole number from 0 to {MAX_REPEAT}, "
                f"got {self.repeat!r}"
            )
            raise InvalidPolicy(msg)
        if self.repeat_after is not None and (
            not isinstance(self.repeat_after, timedelta)
            or self.repeat_after <= timedelta(0)
        ):
            msg = (
                f"repeat_after must be a positive timedelta, got {self.repeat_after!r}"
            )
            raise InvalidPolicy(msg)

    @property
    def passes(self) -> int:
        """How many times the whole list of steps runs at most."""
        return self.repeat + 1

    @property
    def wait_before_repeat(self) -> timedelta:
        """The wait between the last step of a pass and the next pass."""
        if self.repeat_after is not None:
            return self.repeat_after
        longest = max(step.delay for step in self.steps)
        return longest or _DEFAULT_REPEAT_AFTER


class UnreachedReason(enum.Enum):
    """Why a target, or a user it names, reached nobody."""

    UNKNOWN_ID = "unknown id"
    USER_DISABLED = "user disabled"
    EMPTY_TEAM = "empty team"
    LEAD_NOT_SET = "lead not set"
    OPTED_OUT = "opted out of team pages"
    NO_ONE_ON_CALL = "no one on call"


@attrs.frozen
class Recipient:
    """A user a step reaches, with every target that reached them."""

    user: User
    targets: tuple[Target, ...]


@attrs.frozen
class Unreached:
    """A target that reached nobody, and why."""

    target: Target
    reason: UnreachedReason
    detail: str = ""


@attrs.frozen
class SkippedUser:
    """A user a target named but who is not paged through it, and why."""

    user_id: str
    target: Target
    reason: UnreachedReason


@attrs.frozen
class StepResolution:
    """Who a step reaches: recipients (once each), targets that reached nobody."""

    recipients: tuple[Recipient, ...]
    unreached: tuple[Unreached, ...]
    skipped: tuple[SkippedUser, ...]

    @property
    def reached_anyone(self) -> bool:
        """Whether at least one user is paged."""
        return bool(self.recipients)


def _usable(
    directory: Directory,
    user_ids: Sequence[str],
    target: Target,
    *,
    team_page: bool = False,
) -> tuple[list[User], list[SkippedUser]]:
    users: list[User] = []
    skipped: list[SkippedUser] = []
    for user_id in user_ids:
        user = directory.user(user_id)
        if user is None:
            skipped.append(SkippedUser(user_id, target, UnreachedReason.UNKNOWN_ID))
        elif not user.active:
            skipped.append(SkippedUser(user_id, target, UnreachedReason.USER_DISABLED))
        elif team_page and not user.preferences.team_pages:
            skipped.append(SkippedUser(user_id, target, UnreachedReason.OPTED_OUT))
        else:
            users.append(user)
    return users, skipped


def _why_nobody(skipped: Sequence[SkippedUser]) -> UnreachedReason:
    for reason in (
        UnreachedReason.USER_DISABLED,
        UnreachedReason.UNKNOWN_ID,
        UnreachedReason.OPTED_OUT,
    ):
        if any(s.reason is reason for s in skipped):
            return reason
    return UnreachedReason.NO_ONE_ON_CALL


def _resolve_target(
    target: Target, directory: Directory, at: datetime
) -> tuple[list[User], list[SkippedUser], Unreached | None]:
    """Return the users *target* reaches, those it skips, and why if nobody."""
    if isinstance(target, UserTarget):
        users, skipped = _usable(directory, [target.user_id], target)
        if users:
            return users, [], None
        return [], [], Unreached(target, skipped[0].reason, f"user {target.user_id!r}")

    if isinstance(target, TeamTarget):
        team = directory.team(target.team_id)
        if team is None:
            detail = f"no team {target.team_id!r}"
            return [], [], Unreached(target, UnreachedReason.UNKNOWN_ID, detail)
        if target.lead_only:
            if team.lead is None:
                return [], [], Unreached(target, UnreachedReason.LEAD_NOT_SET)
            members = [team.lead]
        else:
            members = list(team.members)
        if not members:
            return [], [], Unreached(target, UnreachedReason.EMPTY_TEAM)
        users, skipped = _usable(
            directory, members, target, team_page=not target.lead_only
        )
    else:
        schedule = directory.schedule(target.schedule_id)
        if schedule is None:
            detail = f"no schedule {target.schedule_id!r}"
            return [], [], Unreached(target, UnreachedReason.UNKNOWN_ID, detail)
        on_call = schedule.users_on_call(at)
        if not on_call:
            return [], [], Unreached(target, UnreachedReason.NO_ONE_ON_CALL)
        users, skipped = _usable(directory, on_call, target)

    if users:
        return users, skipped, None
    detail = ", ".join(f"{s.user_id}: {s.reason.value}" for s in skipped)
    return [], skipped, Unreached(target, _why_nobody(skipped), detail)


def resolve_step(
    step: EscalationStep, directory: Directory, at: datetime
) -> StepResolution:
    """Return who *step* pages at the instant *at*, each user once.

    A schedule target pages everyone its schedule has on call at *at*, as
    its coverage mode says. A team target pages every active member who has
    not opted out of team pages (or, with ``lead_only``, the lead). Each
    target that reaches nobody comes back in ``unreached`` with its reason;
    each user a target names but does not page comes back in ``skipped``.
    """
    at = require_aware(at, "at")
    reached: dict[str, tuple[User, list[Target]]] = {}
    unreached: list[Unreached] = []
    skipped: list[SkippedUser] = []
    for target in step.targets:
        users, passed_over, nobody = _resolve_target(target, directory, at)
        skipped.extend(passed_over)
        if nobody is not None:
            unreached.append(nobody)
        for user in users:
            entry = reached.setdefault(user.id, (user, []))
            entry[1].append(target)
    return StepResolution(
        tuple(Recipient(user, tuple(targets)) for user, targets in reached.values()),
        tuple(unreached),
        tuple(skipped),
    )


class EscalationStatus(enum.Enum):
    """Where an escalation stands."""

    ACTIVE = "active"
    """Paging, step after step."""
    ACKNOWLEDGED = "acknowledged"
    """Someone answered: nothing more fires."""
    SNOOZED = "snoozed"
    """Paused until a time, then active again at the step it was on."""
    RESOLVED = "resolved"
    """Over."""
    EXHAUSTED = "exhausted"
    """Every pass ran and nobody answered."""


class EventKind(enum.Enum):
    """What happened to an escalation."""

    TRIGGERED = "triggered"
    STEP_FIRED = "step_fired"
    STEP_SKIPPED = "step_skipped"
    TARGET_UNREACHED = "target_unreached"
    USER_SKIPPED = "user_skipped"
    USER_UNREACHABLE = "user_unreachable"
    UNREACHABLE = "unreachable"
    PASS_STARTED = "pass_started"
    EXHAUSTED = "exhausted"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    SNOOZED = "snoozed"
    RESUMED = "resumed"
    ESCALATED = "escalated"


@attrs.frozen
class EscalationEvent:
    """Something that happened to an escalation, with its instant (UTC)."""

    at: datetime
    kind: EventKind
    incident: str
    step: int | None = None
    pass_: int | None = None
    user: str | None = None
    target: str | None = None
    reason: str | None = None
    detail: str = ""


@attrs.frozen
class Progress:
    """The result of a transition: the new state, what to send, what happened."""

    escalation: Escalation
    notifications: tuple[Notification, ...] = ()
    plans: tuple[DeliveryPlan, ...] = ()
    events: tuple[EscalationEvent, ...] = ()

    @property
    def next_due(self) -> datetime | None:
        """When the host should call :meth:`Escalation.advance` next, if ever."""
        return self.escalation.next_due


@attrs.frozen
class Escalation:
    """The escalation of one incident, as an immutable value.

    Start one with :meth:`start`; it keeps the policy and service as they
    were at the trigger. :meth:`advance` fires what is due; the other
    methods are the transitions a person causes. Each returns a
    :class:`Progress`.
    """

    incident: Incident
    policy: EscalationPolicy
    service: Service | None
    status: EscalationStatus
    pass_: int
    step: int
    due: datetime | None
    reached_in_pass: bool = False
    snoozed_until: datetime | None = None
    strategy: Strategy | None = None
    priority: tuple[Channel, ...] | None = None

    @classmethod
    def start(
        cls,
        incident: Incident,
        policy: EscalationPolicy,
        *,
        service: Service | None = None,
        strategy: Strategy | None = None,
        priority: Sequence[Channel] | None = None,
    ) -> Progress:
        """Start escalating *incident* under *policy* (a snapshot is kept).

        The first step is due its delay after the incident was triggered.
        *strategy* and *priority* override the routing defaults for every
        notification of this escalation.
        """
        escalation = cls(
            incident,
            policy,
            service,
            EscalationStatus.ACTIVE,
            pass_=0,
            step=0,
            due=incident.triggered_at + policy.steps[0].delay,
            strategy=strategy,
            priority=None if priority is None else tuple(priority),
        )
        event = EscalationEvent(
            incident.triggered_at, EventKind.TRIGGERED, incident.id, detail=policy.name
        )
        return Progress(escalation, events=(event,))

    @property
    def next_due(self) -> datetime | None:
        """When something is due next: a step, or the end of a snooze."""
        if self.status is EscalationStatus.SNOOZED:
            return self.snoozed_until
        if self.status is EscalationStatus.ACTIVE:
            return self.due
        return None

    @property
    def has_next_step(self) -> bool:
        """Whether a step is left to fire (False once every pass has run)."""
        return self.step < len(self.policy.steps)

    @property
    def is_over(self) -> bool:
        """Whether nothing can fire any more without a person's action."""
        return self.status in (
            EscalationStatus.ACKNOWLEDGED,
            EscalationStatus.RESOLVED,
            EscalationStatus.EXHAUSTED,
        )

    def _event(
        self, at: datetime, kind: EventKind, **fields: object
    ) -> EscalationEvent:
        return EscalationEvent(at, kind, self.incident.id, **fields)  # type: ignore[arg-type]

    def advance(self, now: datetime, directory: Directory) -> Progress:
        """Fire every step due at *now*, and return what to send.

        A step that reaches nobody is skipped at once, with an event, and
        the next step fires without waiting. A pass that reached nobody ends
        with an ``unreachable`` event. After the last pass the escalation is
        exhausted. Acknowledged, resolved and exhausted escalations fire
        nothing; a snoozed one resumes once *now* reaches the snooze's end.
        """
        now = require_aware(now, "now")
        state = self
        events: list[EscalationEvent] = []
        if state.status is EscalationStatus.SNOOZED:
            assert state.snoozed_until is not None
            if now < state.snoozed_until:
                return Progress(state)
            resumed_at = state.snoozed_until
            events.append(state._event(resumed_at, EventKind.RESUMED, step=state.step))
            state = attrs.evolve(
                state,
                status=EscalationStatus.ACTIVE,
                snoozed_until=None,
                due=max(state.due or resumed_at, resumed_at),
            )
        notifications: list[Notification] = []
        plans: list[DeliveryPlan] = []
        while (
            state.status is EscalationStatus.ACTIVE
            and state.due is not None
            and state.due <= now
        ):
            state = state._fire(now, directory, notifications, plans, events)
        return Progress(state, tuple(notifications), tuple(plans), tuple(events))

    def _fire(
        self,
        now: datetime,
        directory: Directory,
        notifications: list[Notification],
        plans: list[DeliveryPlan],
        events: list[EscalationEvent],
    ) -> Escalation:
        """Fire the current step at *now*; return the state after it."""
        number, pass_ = self.step, self.pass_
        step = self.policy.steps[number]
        resolution = resolve_step(step, directory, now)
        for nobody in resolution.unreached:
            events.append(
                self._event(
                    now,
                    EventKind.TARGET_UNREACHED,
                    step=number,
                    pass_=pass_,
                    target=str(nobody.target),
                    reason=nobody.reason.value,
                    detail=nobody.detail,
                )
            )
        for passed in resolution.skipped:
            events.append(
                self._event(
                    now,
                    EventKind.USER_SKIPPED,
                    step=number,
                    pass_=pass_,
                    user=passed.user_id,
                    target=str(passed.target),
                    reason=passed.reason.value,
                )
            )

        reached: list[str] = []
        for recipient in resolution.recipients:
            plan = plan_delivery(
                recipient.user,
                urgency=self.incident.urgency,
                at=now,
                step_channels=step.channels,
                service=self.service,
                priority=self.priority,
                strategy=self.strategy,
            )
            if not plan.reachable:
                events.append(
                    self._event(
                        now,
                        EventKind.USER_UNREACHABLE,
                        step=number,
                        pass_=pass_,
                        user=recipient.user.id,
                        reason="no channel reaches the user",
                        detail="; ".join(d.reason for d in plan.dropped),
                    )
                )
                continue
            plans.append(plan)
            notifications.extend(
                plan.notifications(self.incident.id, number, pass_, now)
            )
            reached.append(recipient.user.id)

        if reached:
            events.append(
                self._event(
                    now,
                    EventKind.STEP_FIRED,
                    step=number,
                    pass_=pass_,
                    detail=", ".join(reached),
                )
            )
        else:
            events.append(
                self._event(
                    now,
                    EventKind.STEP_SKIPPED,
                    step=number,
                    pass_=pass_,
                    reason="reached nobody",
                    detail="; ".join(
                        f"{u.target}: {u.reason.value}" for u in resolution.unreached
                    ),
                )
            )
        reached_in_pass = self.reached_in_pass or bool(reached)

        if number + 1 < len(self.policy.steps):
            following = self.policy.steps[number + 1]
            # A step that reached nobody does not make the next one wait.
            due = now + following.delay if reached else now
            return attrs.evolve(
                self, step=number + 1, due=due, reached_in_pass=reached_in_pass
            )

        if not reached_in_pass:
            events.append(self._event(now, EventKind.UNREACHABLE, pass_=pass_))
        if pass_ + 1 < self.policy.passes:
            events.append(self._event(now, EventKind.PASS_STARTED, pass_=pass_ + 1))
            return attrs.evolve(
                self,
                pass_=pass_ + 1,
                step=0,
                due=now + self.policy.wait_before_repeat,
                reached_in_pass=False,
            )
        events.append(self._event(now, EventKind.EXHAUSTED, pass_=pass_))
        return attrs.evolve(
            self,
            status=EscalationStatus.EXHAUSTED,
            step=len(self.policy.steps),
            due=None,
            reached_in_pass=reached_in_pass,
        )

    def acknowledge(self, at: datetime, *, by: str | None = None) -> Progress:
        """Stop the escalation: nothing more fires. Acknowledging twice is a no-op.

        Raises:
            InvalidTransition: the escalation is resolved.
        """
        at = require_aware(at, "at")
        if self.status is EscalationStatus.ACKNOWLEDGED:
            return Progress(self)
        self._refuse_if(EscalationStatus.RESOLVED, "acknowledge")
        acknowledged = attrs.evolve(
            self, status=EscalationStatus.ACKNOWLEDGED, snoozed_until=None
        )
        event = self._event(at, EventKind.ACKNOWLEDGED, step=self.step, user=by)
        return Progress(acknowledged, events=(event,))

    def resolve(self, at: datetime, *, by: str | None = None) -> Progress:
        """End the escalation. Resolving twice is a no-op."""
        at = require_aware(at, "at")
        if self.status is EscalationStatus.RESOLVED:
            return Progress(self)
        resolved = attrs.evolve(
            self, status=EscalationStatus.RESOLVED, due=None, snoozed_until=None
        )
        return Progress(
            resolved, events=(self._event(at, EventKind.RESOLVED, user=by),)
        )

    def snooze(
        self, until: datetime, at: datetime, *, by: str | None = None
    ) -> Progress:
        """Pause the escalation until *until*; then it goes on from the step it was on.

        The step that was due next fires at *until*, or at its own due time
        if that is later. Snoozing an acknowledged escalation re-arms it.

        Raises:
            InvalidTransition: the escalation is resolved, or has no step
                left (exhausted, even if acknowledged since), or *until* is
                not after *at*.
        """
        at = require_aware(at, "at")
        until = require_aware(until, "until")
        self._refuse_if(EscalationStatus.RESOLVED, "snooze")
        self._refuse_if_finished("snooze")
        if until <= at:
            msg = f"snooze until {until.isoformat()} must be after {at.isoformat()}"
            raise InvalidTransition(msg)
        snoozed = attrs.evolve(
            self,
            status=EscalationStatus.SNOOZED,
            snoozed_until=until,
            due=self.due if self.due is not None else until,
        )
        event = self._event(
            at, EventKind.SNOOZED, step=self.step, user=by, detail=until.isoformat()
        )
        return Progress(snoozed, events=(event,))

    def escalate_now(
        self, now: datetime, directory: Directory, *, by: str | None = None
    ) -> Progress:
        """Fire the next step at once, whatever its delay (and however paused).

        Raises:
            InvalidTransition: the escalation is resolved, or has no step left.
        """
        now = require_aware(now, "now")
        self._refuse_if(EscalationStatus.RESOLVED, "escalate")
        self._refuse_if_finished("escalate")
        event = self._event(now, EventKind.ESCALATED, step=self.step, user=by)
        rearmed = attrs.evolve(
            self, status=EscalationStatus.ACTIVE, due=now, snoozed_until=None
        )
        progress = rearmed.advance(now, directory)
        return attrs.evolve(progress, events=(event, *progress.events))

    def _refuse_if_finished(self, action: str) -> None:
        if not self.has_next_step:
            msg = (
                f"cannot {action} the escalation of incident {self.incident.id!r}: "
                "it is exhausted, every step of every pass has run"
            )
            raise InvalidTransition(msg)

    def _refuse_if(self, status: EscalationStatus, action: str) -> None:
        if self.status is status:
            msg = (
                f"cannot {action} the escalation of incident {self.incident.id!r}: "
                f"it is {status.value}"
            )
            raise InvalidTransition(msg)
