"""Hypothesis strategies for the values of :mod:`oncall_core`.

Install the ``testing`` extra (``pip install 'oncall[testing]'``) to use
them. They are meant for the property-based tests of the apps that embed
oncall as much as for ours: every value they draw is valid, and the zones
and dates they favour are the ones where time code breaks (DST gaps and
folds, half-hour and 30-minute shifts, Pacific/Apia's skipped day).

Example::

    from hypothesis import given
    from oncall_core import strategies

    @given(strategies.schedules(), strategies.instants())
    def test_someone_answers(schedule, at):
        assert isinstance(schedule.users_on_call(at), tuple)
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta

from hypothesis import strategies as st

from oncall_core._directory import (
    DEFAULT_CHANNELS,
    Channel,
    Contact,
    Preferences,
    QuietHours,
    Service,
    Team,
    Urgency,
    User,
)
from oncall_core._escalation import (
    EscalationPolicy,
    EscalationStep,
    ScheduleTarget,
    Target,
    TeamTarget,
    UserTarget,
)
from oncall_core._layers import Layer
from oncall_core._notifications import DeliveryEvent, DeliveryEventKind
from oncall_core._overrides import Override
from oncall_core._restrictions import Restriction
from oncall_core._schedules import Coverage, Schedule

__all__ = [
    "DST_ZONES",
    "WALL_TURNS",
    "channels",
    "contacts",
    "delivery_event_sequences",
    "delivery_events",
    "escalation_policies",
    "escalation_steps",
    "escalation_targets",
    "instants",
    "layers",
    "overrides",
    "quiet_hours",
    "restrictions",
    "schedules",
    "services",
    "teams",
    "time_zones",
    "turns",
    "user_ids",
    "users",
]

DST_ZONES: tuple[str, ...] = (
    "Etc/UTC",
    "America/New_York",
    "Europe/Berlin",
    "Australia/Lord_Howe",  # DST moves clocks by 30 minutes
    "Asia/Kolkata",  # +05:30, no DST
    "Pacific/Chatham",  # +12:45 / +13:45
    "America/Sao_Paulo",  # DST until 2019, at midnight
    "Pacific/Apia",  # skipped the whole of 2011-12-30
)
"""Zones whose rules exercise every kind of local-time trouble."""

WALL_TURNS: tuple[timedelta, ...] = tuple(
    [timedelta(hours=h) for h in (1, 2, 3, 4, 6, 8, 12)]
    + [timedelta(days=d) for d in (1, 2, 7, 14)]
)
"""Turns that hand off at the same local time (they divide or fill days)."""

_ELAPSED_TURNS: tuple[timedelta, ...] = (
    timedelta(hours=5),
    timedelta(minutes=100),
    timedelta(hours=36),
    timedelta(days=10, hours=3),
)

_EPOCH_LOW = datetime(2005, 1, 1)
_EPOCH_HIGH = datetime(2035, 1, 1)


def time_zones() -> st.SearchStrategy[str]:
    """Draw IANA zone names, mostly from :data:`DST_ZONES`."""
    return st.sampled_from(DST_ZONES)


def instants(
    min_value: datetime = _EPOCH_LOW, max_value: datetime = _EPOCH_HIGH
) -> st.SearchStrategy[datetime]:
    """Draw aware UTC instants between two naive UTC datetimes.

    Half of them fall on a whole quarter hour, where handoffs and DST
    transitions happen; the others anywhere, to the microsecond.
    """
    anywhere = st.datetimes(min_value, max_value, timezones=st.just(UTC))
    on_the_quarter = anywhere.map(
        lambda at: at.replace(
            minute=at.minute - at.minute % 15, second=0, microsecond=0
        )
    )
    return st.one_of(on_the_quarter, anywhere)


def user_ids(
    pool: Sequence[str] = ("ana", "ben", "chi", "dev", "eli"),
) -> st.SearchStrategy[str]:
    """Draw user ids from a small pool, so that draws meet one another."""
    return st.sampled_from(tuple(pool))


def turns(*, wall_only: bool = False) -> st.SearchStrategy[timedelta]:
    """Draw turn lengths: wall-clock ones, and (unless *wall_only*) elapsed ones."""
    if wall_only:
        return st.sampled_from(WALL_TURNS)
    return st.sampled_from(WALL_TURNS + _ELAPSED_TURNS)


def _times() -> st.SearchStrategy[time]:
    # Half the draws fall in the small hours, where clocks change.
    hours = st.one_of(st.integers(0, 23), st.integers(0, 3))
    return st.builds(time, hours, st.sampled_from((0, 15, 20, 30, 40, 45)))


def restrictions() -> st.SearchStrategy[Restriction]:
    """Draw daily (maybe on some weekdays) and weekly restriction windows."""
    weekdays = st.none() | st.sets(st.integers(0, 6), min_size=1).map(sorted)
    daily = st.builds(
        lambda start, end, days: Restriction.daily(start, end, weekdays=days),
        _times(),
        _times(),
        weekdays,
    )
    weekly = st.builds(
        Restriction.weekly,
        st.integers(0, 6),
        _times(),
        st.integers(0, 6),
        _times(),
    )
    return st.one_of(daily, weekly)


@st.composite
def layers(
    draw: st.DrawFn,
    *,
    name: str | None = None,
    starts: st.SearchStrategy[datetime] | None = None,
    turn: st.SearchStrategy[timedelta] | None = None,
    restricted: bool | None = None,
    with_shift: bool | None = None,
    with_end: bool = False,
    users: st.SearchStrategy[str] | None = None,
) -> Layer:
    """Draw a valid layer.

    Args:
        name: the layer's name (default: drawn).
        starts: where its start is drawn from (default: :func:`instants`).
        turn: where its turn is drawn from (default: :func:`turns`).
        restricted: force restrictions on (True) or off (False).
        with_shift: force a shift shorter than the turn on or off.
        with_end: give the layer an end.
        users: where participants are drawn from (default: :func:`user_ids`).
    """
    length = draw(turn if turn is not None else turns())
    start = draw(starts if starts is not None else instants())
    shift = None
    if with_shift or (with_shift is None and draw(st.booleans())):
        fraction = draw(st.sampled_from((0.25, 0.5, 0.75, 1.0)))
        minutes = (length * fraction) // timedelta(minutes=1)
        shift = timedelta(minutes=max(1, minutes))
    limits: tuple[Restriction, ...] = ()
    if restricted or (restricted is None and draw(st.booleans())):
        limits = tuple(draw(st.lists(restrictions(), min_size=1, max_size=3)))
    end = None
    if with_end:
        end = start + draw(st.integers(1, 60)) * length / 2
    return Layer(
        name if name is not None else draw(st.sampled_from(("day", "night", "l3"))),
        draw(
            st.lists(users if users is not None else user_ids(), min_size=1, max_size=5)
        ),
        start,
        length,
        shift=shift,
        restrictions=limits,
        end=end,
        priority=draw(st.integers(0, 2)),
        clock=draw(st.sampled_from(("wall", "wall", "elapsed"))),
    )


@st.composite
def overrides(
    draw: st.DrawFn,
    *,
    starts: st.SearchStrategy[datetime] | None = None,
    users: st.SearchStrategy[str] | None = None,
    max_length: timedelta = timedelta(days=3),
) -> Override:
    """Draw an override of any kind, lasting up to *max_length*."""
    who = users if users is not None else user_ids()
    start = draw(starts if starts is not None else instants())
    minutes = max(1, max_length // timedelta(minutes=1))
    end = start + timedelta(minutes=draw(st.integers(1, minutes)))
    kind = draw(st.sampled_from(("replace", "take_over", "add", "remove")))
    user = draw(who)
    if kind == "replace":
        replaced = draw(who.filter(lambda other: other != user))
        return Override.replace(user, replaced, start, end)
    if kind == "take_over":
        return Override.take_over(user, start, end)
    if kind == "add":
        return Override.add(user, start, end)
    return Override.remove(user, start, end)


@st.composite
def schedules(
    draw: st.DrawFn,
    *,
    time_zone: st.SearchStrategy[str] | None = None,
    around: datetime | None = None,
    max_layers: int = 3,
    max_overrides: int = 4,
) -> Schedule:
    """Draw a schedule whose layers and overrides cluster in one period.

    Layers start within 60 days before *around* (default: drawn), and
    overrides fall within 20 days after it, so that windows of a few weeks
    around *around* see them interact.
    """
    center = around if around is not None else draw(instants())
    starts = instants(
        (center - timedelta(days=60)).replace(tzinfo=None),
        center.replace(tzinfo=None),
    )
    count = draw(st.integers(1, max_layers))
    names = ("primary", "secondary", "shadow", "fourth", "fifth")[:count]
    drawn = [draw(layers(name=name, starts=starts)) for name in names]
    override_starts = instants(
        center.replace(tzinfo=None),
        (center + timedelta(days=20)).replace(tzinfo=None),
    )
    changes = draw(st.lists(overrides(starts=override_starts), max_size=max_overrides))
    return Schedule(
        "drawn",
        draw(time_zone if time_zone is not None else time_zones()),
        drawn,
        overrides=changes,
        coverage=draw(st.sampled_from(Coverage)),
    )


def channels() -> st.SearchStrategy[Channel]:
    """Draw any channel."""
    return st.sampled_from(Channel)


def contacts() -> st.SearchStrategy[Contact]:
    """Draw contact details, each channel's address present or missing.

    Some contacts have no phone, some no email, some a WhatsApp number of
    their own, some nothing at all.
    """
    phones = st.sampled_from(("+4915112345678", "+14155550123", "+919876543210"))
    return st.builds(
        Contact,
        email=st.none() | st.sampled_from(("ana@example.com", "ben@example.org")),
        phone=st.none() | phones,
        whatsapp=st.none() | phones,
        push_tokens=st.lists(st.sampled_from(("tok-a", "tok-b")), max_size=2),
        slack_id=st.none() | st.just("U024BE7LH"),
        webhook_url=st.none() | st.just("https://hooks.example.com/oncall"),
    )


def quiet_hours() -> st.SearchStrategy[QuietHours]:
    """Draw quiet hours: a daily window (maybe on some weekdays) that ends."""
    weekdays = st.none() | st.sets(st.integers(0, 6), min_size=1).map(sorted)
    return (
        st.tuples(_times(), _times(), weekdays)
        .filter(lambda drawn: drawn[0] != drawn[1])
        .map(lambda drawn: QuietHours(drawn[0], drawn[1], weekdays=drawn[2]))
    )


@st.composite
def users(
    draw: st.DrawFn,
    *,
    ids: st.SearchStrategy[str] | None = None,
    active: bool | None = None,
    quiet: bool | None = None,
) -> User:
    """Draw a user with drawn contact details and preferences.

    Enabled channels may be the default, any set, or none; some users set a
    priority of their own, some have quiet hours (unless *quiet* says
    whether), some are disabled (unless *active* says which).
    """
    enabled = draw(st.just(DEFAULT_CHANNELS) | st.frozensets(channels()))
    priority = draw(st.none() | st.lists(channels(), unique=True, max_size=6))
    preferences = Preferences(
        enabled=enabled,
        priority=priority,
        quiet_hours=draw(
            quiet_hours()
            if quiet
            else st.none()
            if quiet is False
            else st.none() | quiet_hours()
        ),
        team_pages=draw(st.booleans()),
    )
    return User(
        draw(ids if ids is not None else user_ids()),
        name=draw(st.sampled_from(("", "Ana", "Ben Okafor"))),
        time_zone=draw(time_zones()),
        contact=draw(contacts()),
        preferences=preferences,
        active=active
        if active is not None
        else draw(st.sampled_from((True,) * 4 + (False,))),
    )


_PROVIDER_IDS = ("SM-1", "SM-2")


@st.composite
def delivery_events(
    draw: st.DrawFn,
    *,
    kinds: st.SearchStrategy[DeliveryEventKind] | None = None,
    at: st.SearchStrategy[datetime] | None = None,
) -> DeliveryEvent:
    """Draw one delivery event of any kind, at any instant.

    Temporary failures may carry a provider's ``retry_after``; callbacks
    name one of two provider messages, or none.
    """
    kind = draw(kinds if kinds is not None else st.sampled_from(DeliveryEventKind))
    retry_after = None
    if kind is DeliveryEventKind.TEMPORARY_FAILURE:
        retry_after = draw(
            st.none() | st.integers(0, 3600).map(lambda s: timedelta(seconds=s))
        )
    failed = kind in (DeliveryEventKind.FAILED, DeliveryEventKind.TEMPORARY_FAILURE)
    return DeliveryEvent(
        kind,
        draw(at if at is not None else instants()),
        provider_id=draw(st.none() | st.sampled_from(_PROVIDER_IDS)),
        code=draw(st.none() | st.sampled_from(("429", "503", "30003")))
        if failed
        else None,
        reason=draw(st.none() | st.just("drawn failure")) if failed else None,
        retry_after=retry_after,
    )


@st.composite
def delivery_event_sequences(
    draw: st.DrawFn, *, start: datetime | None = None, max_attempts: int = 6
) -> list[DeliveryEvent]:
    """Draw the events of one notification's life, in the order they happened.

    Attempts (``SENDING`` then a temporary failure) repeat until one ends
    in ``SENT`` (then maybe ``DELIVERED`` and ``READ``), ``FAILED``, or
    nothing; a ``CANCELLED``, duplicated events and a stray callback about
    another provider message may be mixed in. Instants increase. Permute
    the list to test events that arrive out of order.
    """
    at = start if start is not None else draw(instants())
    events: list[DeliveryEvent] = []

    def add(kind: DeliveryEventKind, **fields: object) -> None:
        nonlocal at
        at += timedelta(seconds=draw(st.integers(0, 900)))
        events.append(DeliveryEvent(kind, at, **fields))  # type: ignore[arg-type]

    for _ in range(draw(st.integers(1, max_attempts))):
        add(DeliveryEventKind.SENDING)
        outcome = draw(st.sampled_from(("temporary", "temporary", "sent", "failed")))
        if outcome == "temporary":
            seconds = draw(st.none() | st.integers(0, 1800))
            add(
                DeliveryEventKind.TEMPORARY_FAILURE,
                code="429",
                retry_after=None if seconds is None else timedelta(seconds=seconds),
            )
            continue
        if outcome == "failed":
            add(DeliveryEventKind.FAILED, code="30003", reason="unreachable handset")
            break
        add(DeliveryEventKind.SENT, provider_id="SM-1")
        for later in (DeliveryEventKind.DELIVERED, DeliveryEventKind.READ):
            if draw(st.booleans()):
                add(later, provider_id="SM-1")
        break
    if draw(st.booleans()):
        add(DeliveryEventKind.CANCELLED)
    if draw(st.booleans()):
        add(DeliveryEventKind.FAILED, provider_id="SM-2", reason="stray callback")
    duplicates = draw(st.lists(st.sampled_from(events), max_size=3))
    return events + duplicates


def escalation_targets(
    *,
    users: Sequence[str] = ("ana", "ben", "chi"),
    teams: Sequence[str] = ("team",),
    schedules: Sequence[str] = ("schedule",),
) -> st.SearchStrategy[Target]:
    """Draw targets naming the given user, team and schedule ids."""
    return st.one_of(
        st.sampled_from(tuple(users)).map(UserTarget),
        st.builds(
            lambda team, lead: TeamTarget(team, lead_only=lead),
            st.sampled_from(tuple(teams)),
            st.booleans(),
        ),
        st.sampled_from(tuple(schedules)).map(ScheduleTarget),
    )


def escalation_steps(
    targets: st.SearchStrategy[Target] | None = None,
) -> st.SearchStrategy[EscalationStep]:
    """Draw steps: one to three targets, a delay of 0 to 30 minutes, maybe channels."""
    return st.builds(
        lambda chosen, minutes, channels: EscalationStep(
            chosen, delay=timedelta(minutes=minutes), channels=channels
        ),
        st.lists(
            targets if targets is not None else escalation_targets(),
            min_size=1,
            max_size=3,
        ),
        st.sampled_from((0, 0, 1, 5, 10, 30)),
        st.none()
        | st.sets(st.sampled_from(tuple(Channel)), min_size=1).map(sorted_channels),
    )


def sorted_channels(channels: set[Channel]) -> list[Channel]:
    """Return *channels* in their declaration order (stable draws)."""
    return [channel for channel in Channel if channel in channels]


def escalation_policies(
    targets: st.SearchStrategy[Target] | None = None,
    *,
    max_steps: int = 4,
    max_repeat: int = 3,
) -> st.SearchStrategy[EscalationPolicy]:
    """Draw valid policies over *targets* (default: :func:`escalation_targets`)."""
    return st.builds(
        lambda steps, repeat, after: EscalationPolicy(
            "drawn",
            steps,
            repeat=repeat,
            repeat_after=None if after is None else timedelta(minutes=after),
        ),
        st.lists(escalation_steps(targets), min_size=1, max_size=max_steps),
        st.integers(0, max_repeat),
        st.none() | st.integers(1, 30),
    )


@st.composite
def teams(
    draw: st.DrawFn,
    *,
    ids: Sequence[str] = ("ops", "db"),
    members: Sequence[str] = ("ana", "ben", "chi", "dev", "eli"),
) -> Team:
    """Draw a team of distinct members from *members*, maybe with a lead."""
    chosen = draw(st.lists(st.sampled_from(tuple(members)), unique=True))
    lead = draw(st.none() | st.sampled_from(chosen)) if chosen else None
    return Team(
        draw(st.sampled_from(tuple(ids))),
        members=tuple(chosen),
        lead=lead,
        name=draw(st.sampled_from(("", "Operations"))),
    )


def services(
    *,
    ids: Sequence[str] = ("api", "web"),
    policies: Sequence[str] = ("standard",),
) -> st.SearchStrategy[Service]:
    """Draw services: a channel list (maybe empty), a policy or none, an urgency."""
    return st.builds(
        Service,
        st.sampled_from(tuple(ids)),
        name=st.sampled_from(("", "API")),
        channels=st.lists(channels(), unique=True, max_size=6),
        policy=st.none() | st.sampled_from(tuple(policies)),
        urgency=st.sampled_from(Urgency),
    )
