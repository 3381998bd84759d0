"""Routing: on which channels, in which order and when a user is notified.

:func:`plan_delivery` applies the rules of ``docs/routing.md`` to one user
and returns a :class:`DeliveryPlan`: the channels (configuration beats
preference; channels the user cannot be reached on are dropped with a
reason), their priority order, the strategy, the WhatsApp-to-SMS fallback
and how long quiet hours hold a low-urgency notification.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from datetime import datetime

import attrs

from oncall_core._directory import (
    DEFAULT_PRIORITY,
    Channel,
    Service,
    Urgency,
    User,
    _channels,
)
from oncall_core._notifications import (
    Notification,
    NotificationKey,
    NotificationStatus,
)
from oncall_core._time import require_aware
from oncall_core.errors import InvalidValue

__all__ = [
    "MISSING_ADDRESS",
    "ChannelSource",
    "DeliveryPlan",
    "DroppedChannel",
    "Strategy",
    "plan_delivery",
]


class Strategy(enum.Enum):
    """How the channels of a plan are used."""

    ALL = "all"
    """Every channel at once: the default for high urgency."""
    FIRST_SUCCESS = "first_success"
    """The first channel, then the next only if it fails: the default for low."""


class ChannelSource(enum.Enum):
    """Which rule chose a plan's channels."""

    STEP = "step"
    SERVICE = "service"
    USER = "user"
    DEFAULT = "default"


MISSING_ADDRESS: dict[Channel, str] = {
    # Why a contact cannot be reached on a channel, in the words plans use.
    Channel.EMAIL: "no email address",
    Channel.SMS: "no phone number",
    Channel.WHATSAPP: "no phone or WhatsApp number",
    Channel.PUSH: "no push token",
    Channel.SLACK: "no Slack user id",
    Channel.WEBHOOK: "no webhook URL",
}


@attrs.frozen
class DroppedChannel:
    """A channel a plan could not use, and why (``"no phone number for sms"``)."""

    channel: Channel
    reason: str


def _optional_instant(value: object) -> datetime | None:
    return None if value is None else require_aware(value, "hold_until")


@attrs.frozen
class DeliveryPlan:
    """How one user is notified: channels in priority order, strategy, hold.

    *channels* holds only channels the user can be reached on; the others
    are in *dropped*, each with its reason. *fallbacks* pairs a channel
    with the one that takes over if it fails (``(WHATSAPP, SMS)``).
    *hold_until* is set when quiet hours hold a low-urgency notification:
    the instant (UTC) they end.
    """

    user: str
    channels: tuple[Channel, ...]
    source: ChannelSource
    strategy: Strategy
    dropped: tuple[DroppedChannel, ...] = ()
    fallbacks: tuple[tuple[Channel, Channel], ...] = ()
    hold_until: datetime | None = attrs.field(default=None, converter=_optional_instant)

    @property
    def reachable(self) -> bool:
        """Whether at least one channel reaches the user."""
        return bool(self.channels)

    def notifications(
        self, incident: str, step: int, pass_: int, at: datetime
    ) -> tuple[Notification, ...]:
        """Return the notifications of this plan, in priority order, created at *at*.

        With ``ALL`` every channel is ``PENDING``; with ``FIRST_SUCCESS``
        the first is ``PENDING`` and the others ``STANDBY``, released one by
        one by :func:`~oncall_core.next_in_line`. A fallback (the SMS of a
        WhatsApp message) follows its channel on ``STANDBY``. When quiet
        hours hold the plan, what would be ``PENDING`` is ``HELD`` until
        *hold_until*. Each notification's history starts with its status.
        """
        at = require_aware(at, "at")
        ready, wait = NotificationStatus.PENDING, None
        if self.hold_until is not None:
            ready, wait = NotificationStatus.HELD, self.hold_until
        fallback = dict(self.fallbacks)

        result: list[Notification] = []

        def add(
            channel: Channel,
            status: NotificationStatus,
            fallback_of: Channel | None = None,
        ) -> None:
            result.append(
                Notification(
                    NotificationKey(incident, step, pass_, self.user, channel),
                    status,
                    at,
                    not_before=wait if status is NotificationStatus.HELD else None,
                    fallback_of=fallback_of,
                    history=((at, status),),
                )
            )

        for index, channel in enumerate(self.channels):
            first = index == 0 or self.strategy is Strategy.ALL
            add(channel, ready if first else NotificationStatus.STANDBY)
            if channel in fallback:
                add(fallback[channel], NotificationStatus.STANDBY, channel)
        return tuple(result)


def _order(
    channels: Iterable[Channel], *priorities: Sequence[Channel] | None
) -> tuple[Channel, ...]:
    """Sort *channels* by the first priority list naming each, then the next."""
    ranking: list[Channel] = []
    for priority in (*priorities, DEFAULT_PRIORITY):
        for channel in priority or ():
            if channel not in ranking:
                ranking.append(channel)
    return tuple(sorted(set(channels), key=ranking.index))


def _candidates(
    user: User,
    step_channels: Sequence[Channel] | None,
    service: Service | None,
) -> tuple[tuple[Channel, ...], ChannelSource]:
    """Return the configured channels and where they came from."""
    steps = _channels(step_channels or ())
    if steps:
        return steps, ChannelSource.STEP
    if service is not None and service.channels:
        return service.channels, ChannelSource.SERVICE
    enabled = tuple(c for c in DEFAULT_PRIORITY if c in user.preferences.enabled)
    if enabled:
        return enabled, ChannelSource.USER
    return (Channel.EMAIL,), ChannelSource.DEFAULT


def plan_delivery(
    user: User,
    *,
    urgency: Urgency,
    at: datetime,
    step_channels: Sequence[Channel] | None = None,
    service: Service | None = None,
    priority: Sequence[Channel] | None = None,
    strategy: Strategy | None = None,
) -> DeliveryPlan:
    """Return how *user* is notified at the instant *at*.

    The channels are the step's, else the service's, else those the user
    enabled, else ``EMAIL``. From a step's or a service's list, the
    channels the user also enabled are kept; if the user enabled none of
    the reachable ones, the configured list is used anyway: configuration
    beats preference. Channels the user cannot be reached on are dropped,
    each with a reason, and so is every channel of a disabled user; drops
    come in priority order too.

    The channels are ordered by the user's priority, then the host's
    *priority*, then :data:`DEFAULT_PRIORITY`. *strategy* defaults to
    ``ALL`` for high urgency and ``FIRST_SUCCESS`` for low. A planned
    WhatsApp without SMS falls back to SMS when the user has a phone. Low
    urgency inside the user's quiet hours is held until they end; high
    urgency is never held.

    Raises:
        InvalidValue: a channel in *step_channels* or *priority* is unknown,
            or *urgency* or *strategy* is not one of their enums.
        NaiveDatetime: *at* has no time zone.
    """
    at = require_aware(at, "at")
    if not isinstance(urgency, Urgency):
        msg = f"urgency must be an Urgency, got {urgency!r}"
        raise InvalidValue(msg)
    if strategy is not None and not isinstance(strategy, Strategy):
        msg = f"strategy must be a Strategy or None, got {strategy!r}"
        raise InvalidValue(msg)
    host_priority = None if priority is None else _channels(priority)

    configured, source = _candidates(user, step_channels, service)
    dropped: list[DroppedChannel] = []
    reachable: list[Channel] = []
    for channel in configured:
        if not user.active:
            dropped.append(DroppedChannel(channel, f"user {user.id} is disabled"))
        elif user.contact.address(channel) is None:
            reason = f"{MISSING_ADDRESS[channel]} for {channel.value}"
            dropped.append(DroppedChannel(channel, reason))
        else:
            reachable.append(channel)

    chosen = reachable
    if source in (ChannelSource.STEP, ChannelSource.SERVICE):
        preferred = [c for c in reachable if c in user.preferences.enabled]
        chosen = preferred or reachable
    channels = _order(chosen, user.preferences.priority, host_priority)
    rank = _order(configured, user.preferences.priority, host_priority)
    dropped.sort(key=lambda d: rank.index(d.channel))

    fallbacks: tuple[tuple[Channel, Channel], ...] = ()
    if (
        Channel.WHATSAPP in channels
        and Channel.SMS not in channels
        and user.contact.address(Channel.SMS) is not None
    ):
        fallbacks = ((Channel.WHATSAPP, Channel.SMS),)

    if strategy is None:
        strategy = Strategy.ALL if urgency is Urgency.HIGH else Strategy.FIRST_SUCCESS

    return DeliveryPlan(
        user.id,
        channels,
        source,
        strategy,
        tuple(dropped),
        fallbacks,
        _hold_until(user, urgency, at),
    )


def _hold_until(user: User, urgency: Urgency, at: datetime) -> datetime | None:
    """Return when quiet hours release a notification to *user* at *at*, if held."""
    quiet = user.preferences.quiet_hours
    if urgency is Urgency.HIGH or quiet is None or not quiet.holds(at, user.time_zone):
        return None
    return quiet.ends_after(at, user.time_zone)
