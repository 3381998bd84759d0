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

from oncall_core._layers import Layer
from oncall_core._overrides import Override
from oncall_core._restrictions import Restriction
from oncall_core._schedules import Coverage, Schedule

__all__ = [
    "DST_ZONES",
    "WALL_TURNS",
    "instants",
    "layers",
    "overrides",
    "restrictions",
    "schedules",
    "time_zones",
    "turns",
    "user_ids",
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
    timedelta(minutes=90),
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
    return st.builds(time, st.integers(0, 23), st.sampled_from((0, 15, 30, 45)))


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
