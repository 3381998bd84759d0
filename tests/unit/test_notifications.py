"""Notifications: keys, the forward-only lifecycle, retries, fallbacks, digests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
import pytest

from oncall_core._directory import Channel
from oncall_core._notifications import (
    DeliveryEvent,
    DeliveryEventKind,
    InvalidNotification,
    Notification,
    NotificationKey,
    NotificationStatus,
    RetryPolicy,
    apply_delivery_event,
    cancel,
    digests,
    next_in_line,
    release,
)
from oncall_core.errors import NaiveDatetime

T0 = datetime(2024, 3, 5, 12, tzinfo=UTC)
S = timedelta(seconds=1)
Kind = DeliveryEventKind
Status = NotificationStatus


def notification(
    channel: Channel = Channel.SMS,
    status: Status = Status.PENDING,
    *,
    user: str = "ana",
    incident: str = "inc-1",
    **fields: object,
) -> Notification:
    return Notification(
        NotificationKey(incident, 0, 0, user, channel),
        status,
        T0,
        **fields,  # type: ignore[arg-type]
    )


def event(kind: Kind, seconds: int = 1, **fields: object) -> DeliveryEvent:
    return DeliveryEvent(kind, T0 + seconds * S, **fields)  # type: ignore[arg-type]


def play(n: Notification, *events: DeliveryEvent) -> Notification:
    for each in events:
        n = apply_delivery_event(n, each)
    return n


class TestNotificationKey:
    """A key names incident, step, pass, user and channel, stably and uniquely."""

    def test_the_key_reads_incident_step_pass_user_channel(self) -> None:
        """str(key) is the five parts joined by slashes."""
        key = NotificationKey("inc-42", 1, 2, "ana", Channel.WHATSAPP)

        assert str(key) == "inc-42/1/2/ana/whatsapp"

    def test_slashes_inside_ids_cannot_make_two_keys_collide(self) -> None:
        """Ids holding "/" are escaped, so different keys print differently."""
        one = NotificationKey("i/0/0/u", 0, 0, "v", Channel.SMS)
        other = NotificationKey("i", 0, 0, "u/0/0/v", Channel.SMS)

        assert str(one) != str(other)
        assert str(one) == "i%2F0%2F0%2Fu/0/0/v/sms"

    def test_a_channel_may_be_given_by_name(self) -> None:
        """The channel "sms" is Channel.SMS."""
        assert NotificationKey("inc-1", 0, 0, "ana", "sms").channel is Channel.SMS  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        ("fields", "message"),
        [
            (("", 0, 0, "ana"), "incident must be a non-empty id string, got ''"),
            (("inc-1", -1, 0, "ana"), "step must be a whole number of zero or more"),
            (("inc-1", 0, True, "ana"), "pass must be a whole number"),
            (("inc-1", 0, 0, " "), "user must be a non-empty id string, got ' '"),
        ],
    )
    def test_a_malformed_key_is_refused_by_its_value(
        self, fields: tuple[object, ...], message: str
    ) -> None:
        """Empty ids and negative or boolean counters raise InvalidNotification."""
        with pytest.raises(InvalidNotification, match=message):
            NotificationKey(*fields, Channel.SMS)  # type: ignore[arg-type]


class TestNotificationValue:
    """A notification is validated when it is built."""

    def test_a_naive_creation_time_is_refused(self) -> None:
        """created_at must be aware."""
        with pytest.raises(NaiveDatetime):
            Notification(
                NotificationKey("inc-1", 0, 0, "ana", Channel.SMS),
                Status.PENDING,
                datetime(2024, 3, 5, 12),
            )

    def test_an_unknown_status_is_refused_by_name(self) -> None:
        """A status that does not exist is named in the error."""
        with pytest.raises(InvalidNotification, match="'queued'"):
            notification(status="queued")  # type: ignore[arg-type]

    def test_its_properties_read_the_key(self) -> None:
        """user, channel and incident come from the key."""
        n = notification(Channel.EMAIL, user="ben", incident="inc-7")

        assert (n.user, n.channel, n.incident) == ("ben", Channel.EMAIL, "inc-7")


class TestForwardOnly:
    """Status only moves forward; stale events are ignored."""

    def test_the_happy_path_climbs_from_pending_to_read(self) -> None:
        """SENDING, SENT, DELIVERED, READ each move the status one stage up."""
        n = play(
            notification(),
            event(Kind.SENDING, 1),
            event(Kind.SENT, 2, provider_id="SM1"),
            event(Kind.DELIVERED, 3, provider_id="SM1"),
            event(Kind.READ, 4),
        )

        assert n.status is Status.READ
        assert n.provider_id == "SM1"
        assert [status for _, status in n.history] == [
            Status.SENDING,
            Status.SENT,
            Status.DELIVERED,
            Status.READ,
        ]
        assert [at for at, _ in n.history] == [T0 + k * S for k in (1, 2, 3, 4)]

    def test_a_late_sent_after_delivered_is_ignored(self) -> None:
        """The SENT callback that arrives after DELIVERED changes nothing."""
        delivered = play(notification(), event(Kind.DELIVERED, 2))

        assert apply_delivery_event(delivered, event(Kind.SENT, 1)) == delivered

    def test_a_delivered_after_read_is_ignored(self) -> None:
        """READ outranks DELIVERED."""
        read = play(notification(), event(Kind.READ, 2))

        assert apply_delivery_event(read, event(Kind.DELIVERED, 3)).status is (
            Status.READ
        )

    @pytest.mark.parametrize("terminal", [Status.FAILED, Status.CANCELLED])
    @pytest.mark.parametrize("kind", list(Kind))
    def test_a_terminal_status_never_changes(
        self, terminal: Status, kind: Kind
    ) -> None:
        """Nothing moves a FAILED or CANCELLED notification."""
        n = notification(status=terminal)

        assert apply_delivery_event(n, event(kind)) == n

    def test_a_failure_after_delivery_is_ignored(self) -> None:
        """A message that reached the device cannot fail any more."""
        delivered = play(notification(), event(Kind.DELIVERED))

        assert apply_delivery_event(delivered, event(Kind.FAILED, 5)) == delivered

    def test_a_carrier_failure_after_sent_fails_the_notification(self) -> None:
        """SENT then FAILED (undeliverable) moves on to FAILED, with the code."""
        n = play(
            notification(),
            event(Kind.SENT, 1, provider_id="SM1"),
            event(
                Kind.FAILED, 2, provider_id="SM1", code="30003", reason="handset off"
            ),
        )

        assert (n.status, n.error) == (Status.FAILED, "30003: handset off")

    def test_a_callback_about_another_message_is_ignored(self) -> None:
        """A FAILED for provider message SM2 does not touch the one sent as SM1."""
        sent = play(notification(), event(Kind.SENT, 1, provider_id="SM1"))

        stray = event(Kind.FAILED, 2, provider_id="SM2")

        assert apply_delivery_event(sent, stray) == sent

    def test_a_repeated_sending_counts_one_attempt(self) -> None:
        """A duplicated worker reporting SENDING twice does not add an attempt."""
        n = play(notification(), event(Kind.SENDING, 1), event(Kind.SENDING, 2))

        assert (n.status, n.attempts, len(n.history)) == (Status.SENDING, 1, 1)


class TestRetries:
    """Temporary failures retry with backoff, up to a number of attempts."""

    def test_a_temporary_failure_is_retried_after_the_base_delay(self) -> None:
        """The first attempt's failure waits 30 s by default."""
        n = play(
            notification(),
            event(Kind.SENDING, 0),
            event(Kind.TEMPORARY_FAILURE, 1, code="429", reason="rate limited"),
        )

        assert n.status is Status.RETRYING
        assert n.not_before == T0 + 31 * S
        assert (n.attempts, n.error) == (1, "429: rate limited")

    def test_each_retry_waits_twice_as_long(self) -> None:
        """Attempts 1 to 4 wait 30 s, 1, 2 and 4 minutes."""
        n = notification()
        waits = []
        for attempt in range(4):
            at = 1000 * attempt
            n = play(n, event(Kind.SENDING, at), event(Kind.TEMPORARY_FAILURE, at))
            assert n.not_before is not None
            waits.append(n.not_before - (T0 + at * S))

        assert waits == [timedelta(seconds=s) for s in (30, 60, 120, 240)]

    def test_the_last_attempt_fails_for_good(self) -> None:
        """After max_attempts temporary failures the notification is FAILED."""
        retry = RetryPolicy(max_attempts=2)
        n = notification()
        for at in (1, 100):
            n = apply_delivery_event(n, event(Kind.SENDING, at), retry)
            n = apply_delivery_event(n, event(Kind.TEMPORARY_FAILURE, at), retry)

        assert n.status is Status.FAILED
        assert n.error == "gave up after 2 attempts: temporary failure"
        assert n.not_before is None

    def test_the_providers_retry_after_is_honoured(self) -> None:
        """A Retry-After of an hour beats the 30 s backoff and the 10 minute cap."""
        n = play(
            notification(),
            event(Kind.SENDING),
            event(Kind.TEMPORARY_FAILURE, 1, retry_after=timedelta(hours=1)),
        )

        assert n.not_before == T0 + S + timedelta(hours=1)

    def test_a_temporary_failure_after_sent_is_ignored(self) -> None:
        """Once the provider accepted, retrying could page twice: no retry."""
        sent = play(notification(), event(Kind.SENDING), event(Kind.SENT, 2))

        assert apply_delivery_event(sent, event(Kind.TEMPORARY_FAILURE, 3)) == sent

    def test_a_failure_without_sending_still_counts_an_attempt(self) -> None:
        """A host that skips SENDING cannot retry forever."""
        retry = RetryPolicy(max_attempts=3)
        n = notification()
        for at in (1, 2, 3):
            n = apply_delivery_event(n, event(Kind.TEMPORARY_FAILURE, at), retry)

        assert (n.status, n.attempts) == (Status.FAILED, 3)

    def test_sending_again_clears_the_retry_time(self) -> None:
        """A retrying notification that is sent again has no not_before."""
        n = play(
            notification(),
            event(Kind.SENDING, 1),
            event(Kind.TEMPORARY_FAILURE, 2),
            event(Kind.SENDING, 40),
        )

        assert (n.status, n.attempts, n.not_before) == (Status.SENDING, 2, None)


class TestRetryPolicy:
    """Exponential backoff, capped, at least the provider's Retry-After."""

    def test_delays_double_until_the_cap(self) -> None:
        """30 s, 1, 2, 4, 8 minutes, then 10 minutes however many attempts."""
        policy = RetryPolicy()

        delays = [policy.delay(attempt) for attempt in (1, 2, 3, 4, 5, 6, 50, 10_000)]

        assert delays == [
            timedelta(seconds=s) for s in (30, 60, 120, 240, 480, 600, 600, 600)
        ]

    def test_retry_after_below_the_backoff_changes_nothing(self) -> None:
        """A Retry-After of 5 s does not shorten the 60 s backoff."""
        assert RetryPolicy().delay(2, timedelta(seconds=5)) == timedelta(seconds=60)

    @pytest.mark.parametrize(
        ("fields", "message"),
        [
            ({"base": timedelta(0)}, "base must be a positive timedelta"),
            ({"factor": 0.5}, "factor must be a finite number of 1 or more, got 0.5"),
            ({"factor": float("inf")}, "factor must be a finite number"),
            ({"cap": timedelta(seconds=1)}, "cap must be a timedelta no shorter"),
            ({"max_attempts": 0}, "max_attempts must be a whole number of 1 or more"),
        ],
    )
    def test_a_malformed_policy_is_refused_by_its_value(
        self, fields: dict[str, object], message: str
    ) -> None:
        """Each bad field raises InvalidNotification naming it."""
        with pytest.raises(InvalidNotification, match=message):
            RetryPolicy(**fields)  # type: ignore[arg-type]

    def test_attempts_count_from_one(self) -> None:
        """There is no attempt number 0 to wait after."""
        with pytest.raises(InvalidNotification, match="got 0"):
            RetryPolicy().delay(0)


class TestReleaseAndCancel:
    """Held and standby notifications are released; unsent ones cancelled."""

    @pytest.mark.parametrize("waiting", [Status.HELD, Status.STANDBY])
    def test_release_makes_a_waiting_notification_pending(
        self, waiting: Status
    ) -> None:
        """HELD and STANDBY become PENDING, with no not_before."""
        n = notification(status=waiting, not_before=T0 + timedelta(hours=8))

        released = release(n, T0 + timedelta(hours=8))

        assert (released.status, released.not_before) == (Status.PENDING, None)
        assert released.history[-1] == (T0 + timedelta(hours=8), Status.PENDING)

    def test_releasing_twice_changes_nothing(self) -> None:
        """A second release of a PENDING notification returns it unchanged."""
        released = release(notification(status=Status.HELD), T0)

        assert release(released, T0 + S) == released

    @pytest.mark.parametrize(
        "status", [Status.HELD, Status.STANDBY, Status.PENDING, Status.RETRYING]
    )
    def test_cancel_stops_what_was_not_sent(self, status: Status) -> None:
        """Not-yet-sent notifications are CANCELLED."""
        assert cancel(notification(status=status), T0).status is Status.CANCELLED

    @pytest.mark.parametrize("status", [Status.SENDING, Status.SENT, Status.READ])
    def test_cancel_cannot_unsend(self, status: Status) -> None:
        """A notification being sent or already sent is left as it is."""
        n = notification(status=status)

        assert cancel(n, T0) == n


class TestNextInLine:
    """Which standby notification of a plan goes next."""

    def plan(self, *statuses: Status) -> list[Notification]:
        channels = (Channel.PUSH, Channel.SMS, Channel.EMAIL)
        return [notification(c, s) for c, s in zip(channels, statuses, strict=False)]

    def test_the_next_channel_goes_when_the_first_failed(self) -> None:
        """PUSH failed: SMS is next."""
        chosen = next_in_line(self.plan(Status.FAILED, Status.STANDBY, Status.STANDBY))

        assert chosen is not None
        assert chosen.channel is Channel.SMS

    @pytest.mark.parametrize(
        "current",
        [Status.PENDING, Status.SENDING, Status.RETRYING, Status.SENT, Status.HELD],
    )
    def test_nothing_goes_while_a_channel_is_in_flight_or_succeeded(
        self, current: Status
    ) -> None:
        """FIRST_SUCCESS waits for a failure before the next channel."""
        assert next_in_line(self.plan(current, Status.STANDBY)) is None

    def test_nothing_goes_once_every_channel_was_tried(self) -> None:
        """With no standby left, there is no next channel."""
        assert next_in_line(self.plan(Status.FAILED, Status.FAILED)) is None

    def test_nothing_goes_after_a_cancellation(self) -> None:
        """An acknowledged incident sends nothing more."""
        assert next_in_line(self.plan(Status.CANCELLED, Status.STANDBY)) is None

    def test_a_failed_whatsapp_message_releases_its_sms_fallback_first(self) -> None:
        """The SMS fallback goes before the next channel in priority order."""
        plan = [
            notification(Channel.WHATSAPP, Status.FAILED),
            notification(Channel.SMS, Status.STANDBY, fallback_of=Channel.WHATSAPP),
            notification(Channel.EMAIL, Status.STANDBY),
        ]

        assert next_in_line(plan) == plan[1]

    def test_the_fallback_goes_even_while_other_channels_succeed(self) -> None:
        """Under ALL, a failed WhatsApp still falls back while email is sent."""
        plan = [
            notification(Channel.WHATSAPP, Status.FAILED),
            notification(Channel.SMS, Status.STANDBY, fallback_of=Channel.WHATSAPP),
            notification(Channel.EMAIL, Status.SENT),
        ]

        assert next_in_line(plan) == plan[1]

    def test_the_fallback_waits_while_whatsapp_may_still_succeed(self) -> None:
        """A WhatsApp message being sent keeps its fallback on standby."""
        plan = [
            notification(Channel.WHATSAPP, Status.SENDING),
            notification(Channel.SMS, Status.STANDBY, fallback_of=Channel.WHATSAPP),
        ]

        assert next_in_line(plan) is None

    def test_notifications_of_different_plans_are_refused(self) -> None:
        """Mixing users would release the wrong person's channel."""
        with pytest.raises(InvalidNotification, match="of one plan"):
            next_in_line(
                [notification(user="ana"), notification(Channel.EMAIL, user="ben")]
            )

    def test_an_empty_plan_has_nothing_next(self) -> None:
        """No notifications, no next one."""
        assert next_in_line([]) is None


class TestDigests:
    """Held notifications due when quiet hours end become one digest per user."""

    END = T0 + timedelta(hours=8)

    def held(self, incident: str, user: str = "ana", **fields: object) -> Notification:
        fields.setdefault("not_before", self.END)
        return notification(
            Channel.EMAIL, Status.HELD, user=user, incident=incident, **fields
        )

    def test_a_users_held_notifications_make_one_digest(self) -> None:
        """Three held incidents for ana are one digest listing the three."""
        held = [self.held("inc-1"), self.held("inc-2"), self.held("inc-3")]

        (digest,) = digests(held, self.END)

        assert (digest.user, digest.channel) == ("ana", Channel.EMAIL)
        assert digest.incidents == ("inc-1", "inc-2", "inc-3")

    def test_each_user_gets_their_own_digest(self) -> None:
        """ana's and ben's held notifications are not mixed."""
        result = digests([self.held("inc-1"), self.held("inc-1", "ben")], self.END)

        assert [d.user for d in result] == ["ana", "ben"]

    def test_notifications_still_held_are_not_in_a_digest_yet(self) -> None:
        """One held until later is left for its own quiet hours' end."""
        later = self.held("inc-2", not_before=self.END + timedelta(days=1))

        (digest,) = digests([self.held("inc-1"), later], self.END)

        assert digest.incidents == ("inc-1",)

    def test_cancelled_and_standby_notifications_are_left_out(self) -> None:
        """Only HELD notifications are gathered."""
        cancelled = cancel(self.held("inc-1"), T0)
        standby = notification(Channel.EMAIL, Status.STANDBY)

        assert digests([cancelled, standby], self.END) == ()


class TestHistory:
    """History records each change of status once, with the event's instant."""

    def test_ignored_events_leave_no_trace(self) -> None:
        """A stale event adds nothing to the history."""
        sent = play(notification(), event(Kind.SENT, 5))

        assert play(sent, event(Kind.SENDING, 6)).history == sent.history

    def test_the_notification_is_a_new_value_each_time(self) -> None:
        """apply_delivery_event never mutates the notification it is given."""
        n = notification()
        snapshot = attrs.asdict(n, recurse=False)

        apply_delivery_event(n, event(Kind.SENDING))

        assert attrs.asdict(n, recurse=False) == snapshot
