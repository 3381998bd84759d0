"""The library's cached zone arithmetic agrees with zoneinfo everywhere."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from oncall_core import resolve_local
from oncall_core import strategies as ost
from oncall_core._time import load_zone, local_span_to_utc, resolve_wall, to_local

ZONES = (*ost.DST_ZONES, "Antarctica/Troll", "America/St_Johns", "Asia/Tehran")


class TestZoneArithmetic:
    """Offsets read from the cached transitions are zoneinfo's offsets."""

    @given(st.sampled_from(ZONES), ost.instants())
    def test_local_time_of_an_instant_is_zoneinfos(
        self, zone: str, at: datetime
    ) -> None:
        """to_local(t) equals t.astimezone(zone) without its tzinfo."""
        expected = at.astimezone(ZoneInfo(zone)).replace(tzinfo=None)

        assert to_local(at, load_zone(zone)) == expected

    @given(st.sampled_from(ZONES), ost.instants(), st.integers(-90, 90))
    def test_compatible_resolution_of_a_wall_time_is_zoneinfos(
        self, zone: str, near: datetime, minutes: int
    ) -> None:
        """resolve_wall agrees with fold=0 and says whether the time is skipped."""
        wall = to_local(near, load_zone(zone)) + timedelta(minutes=minutes)
        expected = wall.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
        exists = expected.astimezone(ZoneInfo(zone)).replace(tzinfo=None) == wall

        instant, skipped = resolve_wall(wall, load_zone(zone))

        assert instant == expected == resolve_local(wall, zone)
        assert skipped is not exists

    @given(
        st.sampled_from(ZONES),
        ost.instants(),
        st.integers(0, 48 * 60),
        st.integers(0, 2**16 - 1),
    )
    def test_a_wall_span_holds_exactly_the_instants_whose_local_time_is_in_it(
        self, zone: str, near: datetime, minutes: int, salt: int
    ) -> None:
        """An instant is in local_span_to_utc(a, b) iff its wall time is in [a, b)."""
        tz = load_zone(zone)
        first = to_local(near, tz).replace(second=0, microsecond=0)
        last = first + timedelta(minutes=minutes)
        probe = near - timedelta(days=1) + timedelta(days=3) * (salt / 2**16)

        spans = list(local_span_to_utc(tz, first, last))

        inside = any(start <= probe < end for start, end in spans)
        wall = probe.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
        assert inside == (first <= wall < last)
        for (_, end), (start, _) in pairwise(spans):
            assert end < start
