"""The invariants of routing and delivery, on drawn users and event orders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import attrs
from hypothesis import given
from hypothesis import strategies as st

from oncall_core import strategies as ost
from oncall_core._directory import Channel, Service, Urgency, User
from oncall_core._notifications import (
    DeliveryEvent,
    Notification,
    NotificationKey,
    NotificationStatus,
    RetryPolicy,
    apply_delivery_event,
)
from oncall_core._routing import Strategy, plan_delivery

T0 = datetime(2024, 3, 5, 12, tzinfo=UTC)
step_channels = st.none() | st.lists(ost.channels(), max_size=4)
services = st.none() | st.builds(
    Service, st.just("payments"), channels=st.lists(ost.channels(), max_size=4)
)
host_priorities = st.none() | st.lists(ost.channels(), unique=True, max_size=6)
strategies = st.none() | st.sampled_from(Strategy)
waiting = st.sampled_from(
    (NotificationStatus.HELD, NotificationStatus.STANDBY, NotificationStatus.PENDING)
)
retry_policies = st.builds(
    RetryPolicy,
    base=st.integers(1, 120).map(lambda s: timedelta(seconds=s)),
    factor=st.floats(1.0, 10.0),
    cap=st.integers(120, 7200).map(lambda s: timedelta(seconds=s)),
    max_attempts=st.integers(1, 8),
)


class TestPlans:
    """Plans only use channels that reach the user, and explain the others."""

    @given(
        ost.users(),
        st.sampled_from(Urgency),
        ost.instants(),
        step_channels,
        services,
        host_priorities,
        strategies,
    )
    def test_a_plan_never_uses_a_channel_that_cannot_reach_the_user(
        self,
        user: User,
        urgency: Urgency,
        at: datetime,
        steps: list[Channel] | None,
        service: Service | None,
        priority: list[Channel] | None,
        strategy: Strategy | None,
    ) -> None:
        """Every planned channel, fallback and notification has an address."""
        plan = plan_delivery(
            user,
            urgency=urgency,
            at=at,
            step_channels=steps,
            service=service,
            priority=priority,
            strategy=strategy,
        )
        notifications = plan.notifications("inc-1", 0, 0, at)

        used = {*plan.channels, *(fallback for _, fallback in plan.fallbacks)}
        used |= {n.channel for n in notifications}
        assert all(user.contact.address(channel) is not None for channel in used)
        assert user.active or not plan.channels
        assert len(set(plan.channels)) == len(plan.channels)
        assert not {d.channel for d in plan.dropped} & set(plan.channels)
        assert all(d.reason for d in plan.dropped)
        assert plan.reachable == bool(notifications)

    @given(
        ost.users(active=True),
        st.booleans(),
        st.sampled_from(Urgency),
        ost.instants(),
    )
    def test_a_user_with_an_email_is_never_silent(
        self, drawn: User, enabled_none: bool, urgency: Urgency, at: datetime
    ) -> None:
        """Without step or service channels, an active user with an email is reached.

        That is, one who enabled email, or who enabled nothing at all.
        """
        enabled = (
            frozenset() if enabled_none else drawn.preferences.enabled | {Channel.EMAIL}
        )
        user = attrs.evolve(
            drawn,
            contact=attrs.evolve(drawn.contact, email="ana@example.com"),
            preferences=attrs.evolve(drawn.preferences, enabled=enabled),
        )

        assert plan_delivery(user, urgency=urgency, at=at).reachable


class TestQuietHoursHold:
    """Quiet hours hold low urgency exactly until they end, and never high."""

    @given(ost.users(quiet=True), ost.instants())
    def test_low_urgency_is_held_until_quiet_hours_end(
        self, user: User, at: datetime
    ) -> None:
        """hold_until is set iff quiet hours hold at *at*, and is out of them."""
        quiet = user.preferences.quiet_hours
        assert quiet is not None

        plan = plan_delivery(user, urgency=Urgency.LOW, at=at)

        if not quiet.holds(at, user.time_zone):
            assert plan.hold_until is None
            return
        assert plan.hold_until is not None
        assert plan.hold_until > at
        assert plan.hold_until - at <= timedelta(days=2)
        assert not quiet.holds(plan.hold_until, user.time_zone)
        assert quiet.holds(plan.hold_until - timedelta(microseconds=1), user.time_zone)
        assert all(
            n.not_before == plan.hold_until
            for n in plan.notifications("inc-1", 0, 0, at)
            if n.status is NotificationStatus.HELD
        )

    @given(ost.users(), ost.instants(), step_channels, strategies)
    def test_high_urgency_is_never_held(
        self,
        user: User,
        at: datetime,
        steps: list[Channel] | None,
        strategy: Strategy | None,
    ) -> None:
        """Whatever the quiet hours, high urgency has no hold and no HELD status."""
        plan = plan_delivery(
            user, urgency=Urgency.HIGH, at=at, step_channels=steps, strategy=strategy
        )

        assert plan.hold_until is None
        assert all(
            n.status is not NotificationStatus.HELD
            for n in plan.notifications("inc-1", 0, 0, at)
        )


def fresh(status: NotificationStatus, at: datetime) -> Notification:
    return Notification(
        NotificationKey("inc-1", 0, 0, "ana", Channel.SMS),
        status,
        at,
        history=((at, status),),
    )


def check_forward_only(
    start: NotificationStatus, events: list[DeliveryEvent], retry: RetryPolicy
) -> None:
    n = fresh(start, events[0].at if events else T0)
    for event in events:
        after = apply_delivery_event(n, event, retry)
        assert after.status.rank >= n.status.rank
        if n.status.is_terminal:
            assert after == n
        assert after.attempts >= n.attempts
        assert after.history[: len(n.history)] == n.history
        assert (after.status != n.status) == (len(after.history) == len(n.history) + 1)
        n = after
    ranks = [status.rank for _, status in n.history]
    assert ranks == sorted(ranks)
    assert n.attempts <= retry.max_attempts


class TestStatusesNeverMoveBackwards:
    """Whatever order a notification's events arrive in, its status only climbs."""

    @given(
        waiting,
        ost.delivery_event_sequences().flatmap(st.permutations),
        retry_policies,
    )
    def test_a_lifecycle_in_any_order_only_climbs(
        self,
        start: NotificationStatus,
        events: list[DeliveryEvent],
        retry: RetryPolicy,
    ) -> None:
        """Rank never drops; terminal statuses stay; history only grows."""
        check_forward_only(start, events, retry)

    @given(waiting, st.lists(ost.delivery_events(), max_size=12), retry_policies)
    def test_arbitrary_events_only_climb(
        self,
        start: NotificationStatus,
        events: list[DeliveryEvent],
        retry: RetryPolicy,
    ) -> None:
        """Even unrelated events, at any instants, never lower the rank."""
        check_forward_only(start, events, retry)

    @given(ost.delivery_event_sequences().flatmap(st.permutations))
    def test_nothing_is_retried_once_sent(self, events: list[DeliveryEvent]) -> None:
        """After SENT or beyond, the status is never RETRYING or SENDING again."""
        n = fresh(NotificationStatus.PENDING, events[0].at)
        sent = False
        for event in events:
            n = apply_delivery_event(n, event)
            sent = sent or n.status.rank >= NotificationStatus.SENT.rank
            if sent:
                assert n.status not in (
                    NotificationStatus.SENDING,
                    NotificationStatus.RETRYING,
                )


class TestRetryDelays:
    """Backoff never shrinks and never passes the cap, unless asked to wait."""

    @given(retry_policies, st.integers(1, 60))
    def test_delays_never_decrease_and_stay_under_the_cap(
        self, retry: RetryPolicy, attempts: int
    ) -> None:
        """delay(1) <= delay(2) <= ... <= cap, starting at the base."""
        delays = [retry.delay(attempt) for attempt in range(1, attempts + 1)]

        assert delays[0] == min(retry.base, retry.cap)
        assert all(a <= b for a, b in pairwise(delays))
        assert all(delay <= retry.cap for delay in delays)

    @given(
        retry_policies,
        st.integers(1, 60),
        st.integers(0, 86_400).map(lambda s: timedelta(seconds=s)),
    )
    def test_retry_after_is_the_only_way_past_the_cap(
        self, retry: RetryPolicy, attempt: int, retry_after: timedelta
    ) -> None:
        """With a Retry-After the delay is the longer of it and the backoff."""
        delay = retry.delay(attempt, retry_after)

        assert delay == max(retry.delay(attempt), retry_after)
        assert delay >= retry_after
        assert delay <= max(retry.cap, retry_after)
